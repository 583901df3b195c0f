"""Spry Authorizations: models, services, selectors, filters, admin, API (``api/urls.py``, ``api/views.py``,
``api/serializers.py``), demo data."""
