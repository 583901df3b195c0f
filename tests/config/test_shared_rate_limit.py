"""With Redis configured, the rate limit's bucket lives in Redis itself and is timed by the Redis server's clock: a
second process whose own clock runs an hour ahead still finds the bucket the first one emptied. Buckets kept by each
process (or read and written through the cache with each process's clock) would refill for it at once."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.config.test_serving import REDIS_URL, ROOT, needs_redis

TAKE = """
import datetime as dt, sys
import django
django.setup()
import time_machine
from config.serving import ratelimit
ahead = float(sys.argv[1])
with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=ahead)):
    print(sum(ratelimit.take("test-clock-bucket", 1 / 3600, 5) is None for _ in range(int(sys.argv[2]))))
"""


def take(ahead_seconds: int, count: int) -> int:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.test_settings", "CACHE_URL": f"{REDIS_URL}?key_prefix=t10"}
    args = [sys.executable, "-c", TAKE, str(ahead_seconds), str(count)]
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True)
    return int(done.stdout)


@needs_redis
def test_a_process_whose_clock_runs_ahead_shares_the_bucket_through_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).delete("t10:1:test-clock-bucket")
    # one token an hour, five at once: the seconds between the two processes refill nothing
    assert take(0, 8) == 5  # the burst, then refused
    assert take(3600, 3) == 0  # an hour ahead by its own clock: the same empty bucket, on Redis's clock
