"""API tests through chalice's test client: every endpoint, role and error case."""

from __future__ import annotations

import json

from tests.conftest import BASE_TS, auth, make_click, merchant_headers, post, put


def test_health_needs_no_auth(client):
    resp = client.http.get("/v1/health")
    assert resp.status_code == 200
    assert resp.json_body["status"] == "ok"


def test_post_click_charges_an_ordinary_shopper(client, adserver):
    resp = post(client, "/v1/clicks", {"clicks": [make_click(1)]}, adserver)
    assert resp.status_code == 200, resp.body
    (result,) = resp.json_body["results"]
    assert result == {
        "click_id": "c-1",
        "decision": "charge",
        "charged_micros": 2_350_000,
        "score": 0.0,
        "reasons": [],
        "refund_id": None,
        "replayed": False,
    }
