"""The staff admin: one admin site per VBA database (its database comes from the URL), shared admin classes,
exports, the ``records_admin`` template tags and static files (app label ``records_admin``). Imports the engine
and serving; never a protocol."""
