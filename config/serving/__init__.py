"""Serving: request limits (413/414/411/400 before any view), rate limits, the activity id middleware, tenancy
(the ``vbasoftware-database`` header or the admin URL → a database), health, the gunicorn worker and the ``serve``,
``migrate_all`` and ``create_api_client`` commands. Imports the engine, never a protocol: a refusal finds its
envelope through the ``(path prefix, error response)`` each protocol registers in its AppConfig.ready()
(:func:`config.serving.limits.register_error_response`)."""
