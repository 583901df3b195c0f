"""Two batches of overlapping care cases at the same moment (PostgreSQL: real concurrent transactions)."""

import threading
from typing import Any

import pytest
from django.db import connections

from carecases.models import CareCase
from config.serving.tenancy import use_vba_database
from config.vba.authentication import issue_tokens
from tests.carecases.conftest import case_item, plan_item
from tests.conftest import VBAClient

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, databases="__all__")]

# Keys 1061-1120 are written by both. Generated keys come from the sequence (1, 2, ...), below the explicit ones:
# a generated key that meets an explicit key of the other writer is an update in one of the two serial orders.
WRITERS = {"A": range(1001, 1121), "B": range(1061, 1181)}
GENERATED_PER_WRITER = 10  # and each also sends case_Key 0 items


def batch(writer: str, keys: range) -> list[dict[str, Any]]:
    items = [
        case_item(k, case_Status=writer, case_ID=f"{writer}-{k}", case_Priority=ord(writer), subscriber_ID=f"{k:09d}")
        for k in keys
    ]
    if writer == "B":
        items.reverse()  # the two writers meet their shared keys in opposite orders
    return items + [case_item(0, case_Status=writer, case_ID=f"{writer}-new-{n}") for n in range(GENERATED_PER_WRITER)]


def test_two_concurrent_batches_with_overlapping_keys_both_get_correct_207s(api_key: str, nurse: Any) -> None:
    token = issue_tokens(nurse, "demo")["authenticationResult"]["idToken"]
    assert VBAClient(api_key, token).call("POST", "care-plans", plan_item(1)).status_code == 200
    sent = {writer: batch(writer, keys) for writer, keys in WRITERS.items()}
    responses: dict[str, Any] = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(sent))

    def send(writer: str) -> None:
        try:
            client = VBAClient(api_key, token)
            barrier.wait(timeout=10)
            responses[writer] = client.call("PUT", "care-plans/1/cases-batch", sent[writer])
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(writer,)) for writer in sent]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    results = {}
    for writer, response in responses.items():
        assert response.status_code == 207, response.json()
        results[writer] = response.json()["data"]
        assert len(results[writer]) == len(sent[writer])
        assert {r["status"] for r in results[writer]} <= {200, 201}

    explicit = {w: {int(r["id"][0]["value"]): r["status"] for r in results[w][: len(WRITERS[w])]} for w in WRITERS}
    shared = set(WRITERS["A"]) & set(WRITERS["B"])
    for key in shared:
        assert sorted([explicit["A"][key], explicit["B"][key]]) == [200, 201], key
    for writer, keys in WRITERS.items():
        assert all(explicit[writer][k] == 201 for k in set(keys) - shared)
    generated = [int(r["id"][0]["value"]) for w in WRITERS for r in results[w][len(WRITERS[w]) :]]
    assert len(set(generated)) == 2 * GENERATED_PER_WRITER
    assert not set(generated) & (set(WRITERS["A"]) | set(WRITERS["B"]))
    assert all(r["status"] == 201 for w in WRITERS for r in results[w][len(WRITERS[w]) :])

    with use_vba_database("demo"):
        stored = {c.pk: c for c in CareCase.objects.all()}
        assert len(stored) == 180 + 2 * GENERATED_PER_WRITER
        for key in range(1001, 1181):
            case = stored[key]
            owner = case.case_status or ""
            assert owner in ("A", "B") and key in WRITERS[owner]
            # the whole record is as one writer (its owner) sent it, not a mix of the two
            assert (case.case_id, case.case_priority, case.subscriber_id) == (
                f"{owner}-{key}",
                ord(owner),
                f"{key:09d}",
            )
            # and the owner is the writer whose write came last: the one that reported 200 for a shared key
            if key in shared:
                assert explicit[owner][key] == 200
        history = CareCase.history.count()  # type: ignore[attr-defined]
        assert history == sum(len(items) for items in sent.values())
