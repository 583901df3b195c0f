"""Two clients writing the same Auth keys at the same time both get correct answers and lose nothing."""

import threading
from typing import Any

import pytest
from django.db import connections

from authorizations.models import Auth
from config.serving.tenancy import use_vba_database
from tests.authorizations.factories import auth_item
from tests.conftest import VBAClient


def send_together(clients_and_batches: list[tuple[VBAClient, list[dict[str, Any]]]]) -> list[Any]:
    barrier = threading.Barrier(len(clients_and_batches))
    responses: list[Any] = [None] * len(clients_and_batches)

    def send(i: int, client: VBAClient, batch: list[dict[str, Any]]) -> None:
        try:
            barrier.wait(timeout=30)
            responses[i] = client.call("PUT", "auths", batch)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(i, c, b)) for i, (c, b) in enumerate(clients_and_batches)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return responses


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_concurrent_batches_with_overlapping_keys_both_answer_correctly(api_key: str, token: str) -> None:
    keys_a = [f"K{n:03d}" for n in range(0, 150)]
    keys_b = [f"K{n:03d}" for n in reversed(range(75, 225))]  # overlapping, and in the opposite order
    for round_ in range(3):
        batch_a = [auth_item(k, status="WRITER-A", notes=f"A{round_}", visits_Approved=round_) for k in keys_a]
        batch_b = [auth_item(k, status="WRITER-B", notes=f"B{round_}", visits_Approved=round_) for k in keys_b]
        response_a, response_b = send_together(
            [(VBAClient(api_key, token), batch_a), (VBAClient(api_key, token), batch_b)]
        )
        assert (response_a.status_code, response_b.status_code) == (207, 207)
        status_a = {r["id"][0]["value"]: r["status"] for r in response_a.json()["data"]}
        status_b = {r["id"][0]["value"]: r["status"] for r in response_b.json()["data"]}
        assert list(status_a) == keys_a and list(status_b) == keys_b  # request order kept
        for key in set(keys_a) | set(keys_b):
            seen = sorted(s for s in (status_a.get(key), status_b.get(key)) if s is not None)
            if round_ == 0:
                # the first writer of a key created it, a second one updated it
                assert seen in ([201], [200, 201]), (key, seen)
            else:
                assert set(seen) == {200}, (key, seen)
        with use_vba_database("demo"):
            rows = {a.pk: (a.status, a.notes, a.visits_approved) for a in Auth.objects.all()}
            assert set(rows) == set(keys_a) | set(keys_b)
            for key, (status, notes, visits) in rows.items():
                writer = "A" if status == "WRITER-A" else "B"
                assert status in ("WRITER-A", "WRITER-B") and notes == f"{writer}{round_}" and visits == round_
                assert (writer == "A" and key in keys_a) or (writer == "B" and key in keys_b)
            assert Auth.history.count() == len(keys_a) + len(keys_b) * (round_ + 1) + len(keys_a) * round_
