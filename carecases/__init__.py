"""VBA CarePlans and CareCases, in the shape of ``authorizations.vba``: models, services, filters, admin, API
(``api/urls.py``, ``api/views.py``), demo data, commands."""
