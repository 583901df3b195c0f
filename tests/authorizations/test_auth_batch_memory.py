"""A 10,000-item batch (limits raised by setting) stays within 100 MB of Python allocations (87 MB measured): the
body's bytes are freed once decoded, its text once parsed, and each decoded item once validated. The request is
served as a WSGI server hands it over (``serve_wsgi``: Django's test client would add two copies of the body of its
own, 45 MB here, which no server holds)."""

import json
import tracemalloc
from typing import Any

import pytest
from django.test.utils import override_settings

from authorizations.models import Auth
from config.bench.auths import bench_auth
from config.bench.common import serve_wsgi

pytestmark = pytest.mark.django_db(databases="__all__")


@override_settings(VBA_BATCH_MAX_ITEMS=10_000, VBA_MAX_BODY_BYTES=100 * 1024 * 1024)
def test_a_ten_thousand_item_batch_allocates_less_than_100_mb(vba: Any, in_demo: str) -> None:
    body = json.dumps([bench_auth(f"BENCH{n:012d}", 1) for n in range(10_000)]).encode()
    tracemalloc.start()
    try:
        response = serve_wsgi("PUT", "/vbasoftware/auths", body, vba.headers_)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 207
    assert {r["status"] for r in json.loads(response.content)["data"]} == {201}
    assert Auth.objects.count() == 10_000
    print(f"peak Python allocations: {peak / 2**20:.0f} MB")
    assert peak < 100 * 1024 * 1024, f"peak {peak / 2**20:.0f} MB"
