"""The record engine: record specs (validation, rendering, OpenAPI derived from the models), writers, the one batch
engine, SQL rendering, record files, dates, counting, query filters, the selected VBA database and the activity id
of the work in progress, database faults. Imports Django, DRF and the ``api`` app's tables only: no protocol, no
admin, no serving (``lint-imports``)."""
