"""gunicorn's configuration for production (``make serve``; README "Production").

Every value can be overridden on the command line or with ``GUNICORN_CMD_ARGS``. The server refuses to start more
than one worker when the cache is per-process (the rate limits would then be per worker, not per client).
"""

import os

wsgi_app = "config.wsgi:application"
bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
# gunicorn's sync worker, whose own refusals (request line or headers over the limits below, malformed HTTP) keep the
# API's envelope under /vbasoftware/ and /apis/ (config/gunicorn_worker.py).
worker_class = "config.gunicorn_worker.EnvelopeWorker"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
# Request line up to gunicorn's maximum, so that Django (MAX_PATH_LENGTH, default 2048) answers a long path with a
# 414 naming the limit; a request line over 8190 bytes gets the worker's 414, in the envelope too.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
# No access log: the application logs each request (method, path, status, time, activity id), never a query string.
accesslog = None
errorlog = "-"
# Recycle workers now and then (bounded memory growth).
max_requests = 10000
max_requests_jitter = 1000


def on_starting(server):  # noqa: ANN001, ANN201 - gunicorn's hook signature
    """Load the settings once in the master (a bad configuration stops here, with its message) and refuse more than
    one worker on a per-process cache."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from config.api.ratelimit import multi_worker_refusal

    refusal = multi_worker_refusal(server.cfg.workers)
    if refusal:
        raise SystemExit(refusal)
