"""The per-worker credential cache (config.vba.authentication.CredentialCache): a request with known credentials
reads nothing in ``default``, and a revoked key, a removed grant or a deactivated user stops working within
``VBA_CREDENTIAL_CACHE_SECONDS`` in every worker (at once in the worker that made the change)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from config.api.models import APIClient, DatabaseGrant
from config.vba import authentication
from tests.conftest import ALL, VBAClient, assert_problem

pytestmark = pytest.mark.django_db(databases=ALL)

TTL = 10.0


class Clock:
    """A stand-in for ``time.monotonic`` in the cache's module."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch, settings: Any) -> Clock:
    settings.VBA_CREDENTIAL_CACHE_SECONDS = TTL
    fake = Clock()
    monkeypatch.setattr(authentication.time, "monotonic", fake)
    authentication.credentials.clear()
    return fake


@pytest.fixture
def vba(api_key: str, token: str) -> VBAClient:
    client = VBAClient(api_key, token)
    assert client.call("GET", "auths").status_code == 200  # looked up, and now known to this worker
    return client


def test_a_key_revoked_elsewhere_works_until_the_ttl_then_is_refused(clock: Clock, vba: VBAClient) -> None:
    APIClient.objects.update(revoked=True)  # no signal: as another worker (or SQL) would revoke it
    clock.now += TTL - 0.5
    assert vba.call("GET", "auths").status_code == 200
    clock.now += 1
    assert_problem(vba.call("GET", "auths"), 401, "Invalid or revoked API key")


def test_a_key_revoked_in_this_worker_is_refused_at_once(clock: Clock, vba: VBAClient) -> None:
    client = APIClient.objects.get()
    client.revoked = True
    client.save()
    assert_problem(vba.call("GET", "auths"), 401, "Invalid or revoked API key")


def test_a_removed_grant_stops_within_the_ttl(clock: Clock, vba: VBAClient) -> None:
    DatabaseGrant.objects.filter(database="demo")._raw_delete(using="default")  # no signal
    assert vba.call("GET", "auths").status_code == 200
    clock.now += TTL + 0.5
    assert_problem(vba.call("GET", "auths"), 403, "Unknown or unauthorized database")


def test_a_grant_removed_in_this_worker_stops_at_once(clock: Clock, vba: VBAClient) -> None:
    DatabaseGrant.objects.get(database="demo").delete()
    assert_problem(vba.call("GET", "auths"), 403, "Unknown or unauthorized database")


def test_a_deactivated_user_stops_within_the_ttl(clock: Clock, vba: VBAClient) -> None:
    get_user_model().objects.update(is_active=False)
    assert vba.call("GET", "auths").status_code == 200
    clock.now += TTL + 0.5
    assert vba.call("GET", "auths").status_code == 401


def test_an_expired_key_is_refused_even_while_known(clock: Clock, vba: VBAClient) -> None:
    import datetime as dt

    from django.utils import timezone

    # a key known to the worker with an expiry date that has now passed (time moves, the entry stays)
    cached = next(v for _, v in authentication.credentials._entries.values() if isinstance(v, APIClient))
    cached.expiry_date = timezone.now() - dt.timedelta(seconds=1)
    assert_problem(vba.call("GET", "auths"), 401, "Invalid or revoked API key")


def test_with_a_ttl_of_zero_every_request_looks_the_credentials_up(settings: Any, vba: VBAClient) -> None:
    settings.VBA_CREDENTIAL_CACHE_SECONDS = 0
    authentication.credentials.clear()
    assert vba.call("GET", "auths").status_code == 200
    APIClient.objects.update(revoked=True)
    assert_problem(vba.call("GET", "auths"), 401, "Invalid or revoked API key")


def test_a_wrong_key_is_never_remembered(clock: Clock, vba: VBAClient, api_key: str, token: str) -> None:
    known = dict(authentication.credentials._entries)
    wrong = VBAClient(api_key[:-2] + ("xy" if not api_key.endswith("xy") else "zz"), token)
    for _ in range(2):
        assert_problem(wrong.call("GET", "auths"), 401, "Invalid or revoked API key")
    assert authentication.credentials._entries == known
