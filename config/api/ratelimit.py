"""Rate limits whose state is shared by every worker: a token bucket (GCRA) kept in the default cache.

``take(key, rate, burst)`` admits a request when the bucket ``key`` (refilled at ``rate`` per second, holding at
most ``burst``) has a token. On Redis (``CACHE_URL=redis://...``, django-redis) the check-and-take is one Lua script,
atomic across processes and hosts, timed by the Redis server's clock. On a per-process cache (local memory, the
default for development and tests) a lock makes it atomic within the process; ``gunicorn.conf.py`` refuses to start
more than one worker on such a cache, since each worker would then keep its own buckets.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache

#: Stores the bucket's "theoretical arrival time" (GCRA); answers the seconds to wait, or -1 when admitted.
_GCRA_SCRIPT = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
if tat - now > tolerance then return tostring(tat - now - tolerance) end
redis.call('SET', KEYS[1], string.format('%.6f', tat + interval), 'PX', ARGV[3])
return '-1'
"""

_lock = threading.Lock()
_script: Any = None


def shared_cache_backends() -> tuple[str, ...]:
    return ("django_redis.cache.RedisCache",)


def cache_is_shared() -> bool:
    """Whether the default cache is one every worker sees (required for more than one worker)."""
    return settings.CACHES["default"]["BACKEND"] in shared_cache_backends()


def _redis_take(key: str, interval: float, tolerance: float, ttl_ms: int) -> float | None:
    global _script
    from django_redis import get_redis_connection

    if _script is None:
        _script = get_redis_connection("default").register_script(_GCRA_SCRIPT)
    wait = float(_script(keys=[cache.make_key(key)], args=[repr(interval), repr(tolerance), ttl_ms]))
    return None if wait < 0 else wait


def _local_take(key: str, interval: float, tolerance: float, ttl_ms: int) -> float | None:
    with _lock:
        now = time.time()
        tat = max(float(cache.get(key, 0.0)), now)
        if tat - now > tolerance:
            return tat - now - tolerance
        cache.set(key, tat + interval, timeout=math.ceil(ttl_ms / 1000))
        return None


def take(key: str, rate: float, burst: int) -> float | None:
    """Take a token from bucket ``key``: None if admitted, else the seconds until one is available.

    ``rate`` tokens per second (0 or less: no limit), at most ``burst`` at once."""
    if rate <= 0:
        return None
    interval = 1.0 / rate
    tolerance = interval * (max(1, burst) - 1)
    ttl_ms = math.ceil((tolerance + interval) * 1000) + 1000
    if cache_is_shared():
        return _redis_take(key, interval, tolerance, ttl_ms)
    return _local_take(key, interval, tolerance, ttl_ms)


def parse_rate(text: str) -> tuple[float, int]:
    """DRF's rate syntax ``N/second|minute|hour|day`` → (tokens per second, burst N)."""
    count, _, period = text.partition("/")
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400}[period.strip()[:1].lower()]
    return int(count) / seconds, int(count)


def multi_worker_refusal(workers: int) -> str | None:
    """Why ``workers`` processes may not serve with the configured cache, or None."""
    if workers > 1 and not cache_is_shared():
        return (
            f"Refusing to start {workers} workers: the cache ({settings.CACHES['default']['BACKEND']}) is per process, "
            "so each worker would keep its own rate limits. Set CACHE_URL=redis://host:6379/0, or run one worker."
        )
    return None
