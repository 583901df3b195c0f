"""gunicorn's configuration for production (``make serve``; README "Production").

``make serve`` (``manage.py serve``) runs gunicorn with this file behind nginx, on a unix socket in its runtime
directory: gunicorn's sync workers must not face clients directly (slow clients would hold every worker). ``BIND``
is nginx's public address, not gunicorn's. Every value can be overridden on the command line or with
``GUNICORN_CMD_ARGS``. The server refuses to start more than one worker when the cache is per-process (the rate
limits would then be per worker, not per client).
"""

import os
from pathlib import Path

wsgi_app = "config.wsgi:application"
# manage.py serve passes --bind unix:<runtime directory>/gunicorn.sock; this default is the same socket with the
# default runtime directory (data/run/), for a gunicorn started by hand behind an nginx configured by hand.
bind = os.environ.get("GUNICORN_BIND", f"unix:{Path(__file__).resolve().parent / 'data' / 'run' / 'gunicorn.sock'}")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
# gunicorn's sync worker, whose own refusals (request line or headers over the limits below, malformed HTTP) keep the
# API's envelope under /vbasoftware/ and /apis/ (config/serving/gunicorn_worker.py).
worker_class = "config.serving.gunicorn_worker.EnvelopeWorker"
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
    from config.serving.ratelimit import multi_worker_refusal

    refusal = multi_worker_refusal(server.cfg.workers)
    if refusal:
        raise SystemExit(refusal)
