"""Rate limits whose state is shared by every worker: a token bucket (GCRA) kept in the default cache.

``take(key, rate, burst)`` admits a request when the bucket ``key`` (refilled at ``rate`` per second, holding at
most ``burst``) has a token. On Redis (``CACHE_URL=redis://...``, django-redis) the check-and-take is one Lua script,
atomic across processes and hosts, timed by the Redis server's clock. On a per-process cache (local memory, the
default for development and tests) a lock makes it atomic within the process; ``gunicorn.conf.py`` refuses to start
more than one worker on such a cache, since each worker would then keep its own buckets.

**Redis away.** When Redis does not answer (refused, lost, or past the cache's socket timeouts, ``settings.CACHES``),
requests are still served: every limit falls back to buckets kept in this process's memory (each worker then
enforces the limit on its own share of the traffic). One warning is logged when Redis goes away, one info line when
it is back. While it is away Redis is tried again at most every :data:`RETRY_INTERVAL` seconds (a circuit breaker),
so requests do not each pay a connection attempt; the first answer from Redis puts the shared buckets back in use.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django_redis.client import DefaultClient
from rest_framework.throttling import BaseThrottle

logger = logging.getLogger("vbapi.dependencies")

#: Seconds between two attempts to reach Redis while it is away.
RETRY_INTERVAL = 1.0

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


def _redis_errors() -> tuple[type[BaseException], ...]:
    """What a Redis that is away raises: refused, lost, timed out (redis-py, django-redis), or a socket error."""
    from django_redis.exceptions import ConnectionInterrupted
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    return (RedisConnectionError, RedisTimeoutError, ConnectionInterrupted, OSError)


class RedisBreaker:
    """Whether Redis is up as far as this process knows, and when it may be tried again (a circuit breaker). Logs
    one warning per outage (when it starts) and one info line when Redis answers again."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.down_since: float | None = None
        self.next_try = 0.0

    @property
    def is_down(self) -> bool:
        return self.down_since is not None

    def is_open(self) -> bool:
        """Redis is away and was tried less than :data:`RETRY_INTERVAL` ago: do not try it now."""
        return self.down_since is not None and time.monotonic() < self.next_try

    def may_try(self) -> bool:
        return not self.is_open()

    def failed(self, error: BaseException) -> None:
        with self._lock:
            self.next_try = time.monotonic() + RETRY_INTERVAL
            if self.down_since is not None:
                return
            self.down_since = time.monotonic()
        logger.warning(
            "Redis (the shared cache) is unreachable (%s: %s); rate limits and login throttling fall back to "
            "per-process limits until it answers again",
            type(error).__name__,
            str(error)[:200],
        )

    def succeeded(self) -> None:
        if self.down_since is None:
            return
        with self._lock:
            if self.down_since is None:
                return
            away = time.monotonic() - self.down_since
            self.down_since = None
        logger.info("Redis (the shared cache) answers again after %.1fs; the shared rate limits are back", away)


class BreakerRedisClient(DefaultClient):
    """django-redis' client (``CACHES["default"]["OPTIONS"]["CLIENT_CLASS"]``, set by the settings for Redis) that
    refuses at once, with redis-py's ``ConnectionError``, while the breaker holds Redis for away: whatever else uses
    the cache (the list counts) falls back without paying a connection attempt or a timeout per call."""

    def get_client(self, write: bool = True, tried: list[int] | None = None, **kwargs: Any) -> Any:
        if breaker.is_open():
            from redis.exceptions import ConnectionError as RedisConnectionError

            raise RedisConnectionError("Redis is unreachable (tried again within a second)")
        return super().get_client(write, tried, **kwargs)


breaker = RedisBreaker()


def redis_reachable() -> bool:
    """Whether Redis answers a PING now (``/readyz``); tells the breaker what it found."""
    from django_redis import get_redis_connection

    try:
        get_redis_connection("default").ping()
    except _redis_errors() as error:
        breaker.failed(error)
        return False
    breaker.succeeded()
    return True


_memory: dict[str, tuple[float, float]] = {}  # key → (theoretical arrival time, expiry), the fallback's buckets
_memory_lock = threading.Lock()


def _memory_take(key: str, interval: float, tolerance: float, ttl_ms: int) -> float | None:
    """The bucket in this process's memory (the fallback while Redis is away; not the cache, which is Redis)."""
    with _memory_lock:
        now = time.time()
        if len(_memory) > 10_000:  # drop expired buckets now and then: the keys include source addresses
            for stale in [k for k, (_, expires) in _memory.items() if expires < now]:
                del _memory[stale]
        tat, expires = _memory.get(key, (0.0, 0.0))
        tat = max(tat if expires >= now else 0.0, now)
        if tat - now > tolerance:
            return tat - now - tolerance
        _memory[key] = (tat + interval, now + ttl_ms / 1000)
        return None


def _shared_take(key: str, interval: float, tolerance: float, ttl_ms: int) -> float | None:
    """Redis' bucket, or this process's while Redis is away."""
    if breaker.may_try():
        try:
            wait = _redis_take(key, interval, tolerance, ttl_ms)
        except _redis_errors() as error:
            breaker.failed(error)
        else:
            breaker.succeeded()
            return wait
    return _memory_take(key, interval, tolerance, ttl_ms)


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
        return _shared_take(key, interval, tolerance, ttl_ms)
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


def login_wait(request: Any, credential: str) -> float | None:
    """``LOGIN_RATE_LIMIT`` attempts per credential (API key or OAuth client id, hashed) and per source address, on
    the login, refresh and token endpoints: None if admitted, else the seconds to wait."""
    rate, burst = parse_rate(settings.LOGIN_RATE_LIMIT)
    digest = hashlib.sha256(credential.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    address = BaseThrottle().get_ident(request)
    waits = [take(f"login-throttle:key:{digest}", rate, burst), take(f"login-throttle:ip:{address}", rate, burst)]
    return max((w for w in waits if w is not None), default=None)
