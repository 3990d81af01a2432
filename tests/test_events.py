"""Every sample in events/ is accepted by the endpoint or function it is for."""

import json
from pathlib import Path

from tests.conftest import merchant_headers

EVENTS = Path(__file__).resolve().parents[1] / "events"


def load(name):
    return (EVENTS / name).read_text()


def test_sample_bodies_are_accepted(client, adserver, analyst):
    for path, name in (
        ("/v1/sellers/S1", "put_seller_S1.json"),
        ("/v1/sellers/S2", "put_seller_S2.json"),
    ):
        assert client.http.put(path, headers=adserver, body=load(name)).status_code == 200
    clicks = client.http.post("/v1/clicks", headers=adserver, body=load("post_clicks.json"))
    assert [r["decision"] for r in clicks.json_body["results"]] == ["charge", "drop"]
    dwell = client.http.post("/v1/dwell", headers=adserver, body=load("post_dwell.json"))
    assert [r["status"] for r in dwell.json_body["results"]] == ["applied", "pending"]
    sweep = client.http.post("/v1/sweeps", headers=analyst, body=load("post_sweeps.json"))
    assert sweep.status_code == 200
    refunds = client.http.get("/v1/merchants/S1/refunds", headers=merchant_headers("S1"))
    assert [r["click_id"] for r in refunds.json_body["refunds"]] == ["c-2"]


def test_scheduled_sweep_event_runs(client):
    event = json.loads(load("scheduled_sweep.json"))
    result = client.lambda_.invoke("scheduled_sweep", event)
    assert result.payload is None


def test_kinesis_event_is_scored_with_no_failures(client):
    event = json.loads(load("kinesis_clicks.json"))
    result = client.lambda_.invoke("clicks_stream", event)
    assert result.payload == {"batchItemFailures": []}
