"""Faults part-way through scoring: the client gets a 503 with Retry-After, and a retry heals."""

import pytest

from chalicelib.errors import ServiceUnavailableError
from chalicelib.storage.dynamodb import DynamoStore
from tests.conftest import make_click, merchant_headers, post


def fail_once(monkeypatch, method_name):
    original = getattr(DynamoStore, method_name)
    calls = {"n": 0}

    def flaky(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ServiceUnavailableError("storage unavailable (injected)")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(DynamoStore, method_name, flaky)
    return calls


def refunds_of(client, merchant="S1"):
    return client.http.get(f"/v1/merchants/{merchant}/refunds", headers=merchant_headers(merchant)).json_body[
        "refunds"
    ]


@pytest.mark.parametrize("step", ["merge_sources", "put_clicks", "put_refund", "note_event_time"])
def test_a_dropped_click_heals_after_a_fault_at_any_step(client, adserver, monkeypatch, step):
    fail_once(monkeypatch, step)
    bot = make_click(1, source={"user_agent": "curl/8.0"})
    first = post(client, "/v1/clicks", {"clicks": [bot]}, adserver)
    assert first.status_code == 503
    assert first.headers["Retry-After"] == "1"
    assert first.json_body["Code"] == "ServiceUnavailableError"
    retry = post(client, "/v1/clicks", {"clicks": [bot]}, adserver)
    assert retry.status_code == 200
    (result,) = retry.json_body["results"]
    assert result["decision"] == "drop"
    assert [r["click_id"] for r in refunds_of(client)] == ["c-1"]
    evidence = client.http.get("/v1/clicks/c-1", headers=adserver).json_body["evidence"]
    assert evidence["velocity"]["device"]["60"] == 1  # the failed attempt is not counted twice


@pytest.mark.parametrize("step", ["apply_dwell", "put_refund"])
def test_a_dwell_credit_heals_after_a_fault(client, adserver, monkeypatch, step, strict_dwell):
    post(client, "/v1/clicks", {"clicks": [make_click(1)]}, adserver)
    fail_once(monkeypatch, step)
    body = {"dwell": [{"click_id": "c-1", "dwell_ms": 200}]}
    assert post(client, "/v1/dwell", body, adserver).status_code == 503
    (result,) = post(client, "/v1/dwell", body, adserver).json_body["results"]
    assert result["decision"] == "drop" and result["charged_micros"] == 0
    (refund,) = refunds_of(client)
    assert (refund["stage"], refund["kind"]) == ("dwell", "credited")


def test_a_click_stored_by_a_concurrent_request_is_a_replay(client, adserver, monkeypatch):
    post(client, "/v1/clicks", {"clicks": [make_click(1)]}, adserver)
    # The second request read before the first one wrote: it sees no stored click.
    monkeypatch.setattr(DynamoStore, "get_clicks", lambda self, ids: {})
    (result,) = post(client, "/v1/clicks", {"clicks": [make_click(1)]}, adserver).json_body["results"]
    assert result["replayed"] is True and result["decision"] == "charge"


def reads_by_table(monkeypatch) -> dict[str, list[dict]]:
    """The keys every BatchGetItem asks for, by table (SourcesTable, ClicksTable, ...)."""
    reads: dict[str, list[dict]] = {}
    original = DynamoStore._batch_get_keys

    def counting(self, table_name, keys):
        reads.setdefault(table_name.split("-", 1)[-1], []).extend(keys)
        return original(self, table_name, keys)

    monkeypatch.setattr(DynamoStore, "_batch_get_keys", counting)
    return reads


def test_a_batch_reads_each_source_key_once(client, adserver, monkeypatch):
    post(client, "/v1/clicks", {"clicks": [make_click(n) for n in range(1, 4)]}, adserver)
    reads = reads_by_table(monkeypatch)
    # Shared sources, so that the second batch finds items: scoring reads them, merging reuses that.
    again = [make_click(n, source={"ip": "10.0.0.1", "device_id": "dev-1"}) for n in range(4, 9)]
    assert post(client, "/v1/clicks", {"clicks": again}, adserver).status_code == 200
    keys = [k["source_key"] for k in reads["SourcesTable"]]
    assert "ip#10.0.0.1" in keys and len(keys) == len(set(keys))


def test_refund_records_are_looked_up_only_to_answer_a_replay(client, adserver, monkeypatch, strict_dwell):
    bots = [make_click(n, source={"user_agent": "curl/8.0"}) for n in range(1, 4)]
    post(client, "/v1/clicks", {"clicks": bots}, adserver)  # dropped, each refunded at once
    reads = reads_by_table(monkeypatch)
    writes = []
    monkeypatch.setattr(DynamoStore, "put_refund", lambda self, refund: writes.append(refund.click_id))
    body = {"dwell": [{"click_id": f"c-{n}", "dwell_ms": 200} for n in range(1, 4)]}
    assert [r["status"] for r in post(client, "/v1/dwell", body, adserver).json_body["results"]] == [
        "applied"
    ] * 3
    assert "RefundsTable" not in reads  # a first dwell on a refunded click heals nothing
    # Replays answer with a refund that must be written: found written, so none is written again.
    assert [r["status"] for r in post(client, "/v1/dwell", body, adserver).json_body["results"]] == [
        "duplicate"
    ] * 3
    assert len(reads.pop("RefundsTable")) == 3
    results = post(client, "/v1/clicks", {"clicks": bots}, adserver).json_body["results"]
    assert [(r["replayed"], r["decision"]) for r in results] == [(True, "drop")] * 3
    assert len(reads["RefundsTable"]) == 3 and writes == []
