"""Authorizations: VBA's Auth (``authorizations.vba``, in the VBA databases) and Spry's Authorization
(``authorizations.spry``, in ``default``), each with the same inner shape (models, services, selectors, filters,
admin, api, demo) and independent of each other. ``models``, ``admin`` and ``demo`` here gather both for Django
and ``seed_demo``; commands live in ``management/commands`` where Django finds them. May import every ``config``
layer but ``config.bench``."""
