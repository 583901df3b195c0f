"""VBA Auths: models, services, filters, admin, API (``api/urls.py``, ``api/views.py``), demo data."""
