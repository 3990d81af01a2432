"""API tests through chalice's test client: every endpoint, role and error case."""

from __future__ import annotations

import json
import time

import jwt
import pytest

from chalicelib.timefmt import parse_time
from tests.conftest import BASE_TS, SECRET, auth, drop_clicks, make_click, merchant_headers, post, put


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


def test_batch_is_validated_whole_and_nothing_is_stored(client, adserver):
    bad = make_click(2, source={"ip": "999.1.1.1"})
    resp = post(client, "/v1/clicks", {"clicks": [make_click(1), bad]}, adserver)
    assert resp.status_code == 400
    assert resp.json_body["Code"] == "BadRequestError"
    assert resp.json_body["Message"].startswith("clicks[1].source.ip")
    assert client.http.get("/v1/clicks/c-1", headers=adserver).status_code == 404


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"click_id": "bad id!"}, "clicks[0].click_id"),
        ({"click_id": "x" * 129}, "clicks[0].click_id"),
        ({"ts": "yesterday"}, "clicks[0].ts"),
        ({"ts": "2013-12-08T14:03:09"}, "clicks[0].ts"),
        ({"ts": 10**17}, "clicks[0].ts"),
        ({"ts": 4102444800000}, "clicks[0].ts"),
        ({"advertiser_id": ""}, "clicks[0].advertiser_id"),
        ({"advertiser_id": None}, "clicks[0].advertiser_id"),
        ({"listing_id": 7}, "clicks[0].listing_id"),
        ({"cost_micros": 2.5}, "clicks[0].cost_micros"),
        ({"cost_micros": -1}, "clicks[0].cost_micros"),
        ({"cost_micros": 10**12 + 1}, "clicks[0].cost_micros"),
        ({"cost_micros": True}, "clicks[0].cost_micros"),
        ({"cost_micros": "100"}, "clicks[0].cost_micros"),
        ({"currency": "yuan"}, "clicks[0].currency"),
        ({"keyword": "k" * 257}, "clicks[0].keyword"),
        ({"keyword": "a\x00b"}, "clicks[0].keyword"),
        ({"category": "c" * 129}, "clicks[0].category"),
        ({"dwell_ms": 86_400_001}, "clicks[0].dwell_ms"),
        ({"source": {"ip": None}}, "clicks[0].source.ip"),
        ({"source": {"device_id": "d" * 257}}, "clicks[0].source.device_id"),
        ({"source": {"user_agent": "u" * 1025}}, "clicks[0].source.user_agent"),
        ({"source": {"account_id": "a" * 129}}, "clicks[0].source.account_id"),
        ({"source": {"seller_id": ["S2"]}}, "clicks[0].source.seller_id"),
    ],
)
def test_each_bad_field_is_named(client, adserver, change, path):
    resp = post(client, "/v1/clicks", {"clicks": [make_click(1, **change)]}, adserver)
    assert resp.status_code == 400, resp.body
    assert resp.json_body["Message"].startswith(path + ":"), resp.json_body


def test_missing_source_and_bad_batches(client, adserver):
    click = make_click(1)
    del click["source"]
    assert (
        post(client, "/v1/clicks", {"clicks": [click]}, adserver)
        .json_body["Message"]
        .startswith("clicks[0].source")
    )
    for body in ({"clicks": []}, {"clicks": {}}, {}, {"clicks": [1]}):
        resp = post(client, "/v1/clicks", body, adserver)
        assert resp.status_code == 400
        assert resp.json_body["Message"].startswith("clicks")
    many = {"clicks": [make_click(i) for i in range(501)]}
    assert post(client, "/v1/clicks", many, adserver).status_code == 400


def test_malformed_json_nan_and_deep_nesting_are_400(client, adserver):
    for raw in ("{", '{"clicks": [NaN]}', "[" * 100000 + "]" * 100000, '"text"', "\xff"):
        resp = client.http.post("/v1/clicks", headers=adserver, body=raw)
        assert resp.status_code == 400, raw[:20]
        assert resp.json_body["Message"].startswith("body")


def test_body_over_one_megabyte_is_413(client, adserver):
    body = json.dumps({"clicks": [make_click(1, keyword="x" * 2_000_000)]})
    resp = client.http.post("/v1/clicks", headers=adserver, body=body)
    assert resp.status_code == 413
    assert resp.json_body["Code"] == "RequestTooLargeError"


def test_rfc3339_and_epoch_times_are_accepted_and_returned_in_utc(client, adserver):
    post(
        client,
        "/v1/clicks",
        {"clicks": [make_click(1, ts="2013-12-08T14:03:09.120+08:00")]},
        adserver,
    )
    view = client.http.get("/v1/clicks/c-1", headers=adserver).json_body
    assert view["click"]["ts"] == "2013-12-08T06:03:09.120Z"


def test_replay_returns_stored_decision_and_flags_conflict(client, adserver):
    first = post(client, "/v1/clicks", {"clicks": [make_click(1)]}, adserver).json_body["results"][0]
    again = post(client, "/v1/clicks", {"clicks": [make_click(1)]}, adserver).json_body["results"][0]
    assert again == {**first, "replayed": True}
    changed = make_click(1, cost_micros=999)
    conflict = post(client, "/v1/clicks", {"clicks": [changed]}, adserver).json_body["results"][0]
    assert conflict["replayed"] is True and conflict["conflict"] is True
    assert conflict["charged_micros"] == first["charged_micros"]


def test_same_click_twice_in_one_batch_is_stored_once(client, adserver):
    results = post(client, "/v1/clicks", {"clicks": [make_click(1), make_click(1)]}, adserver).json_body[
        "results"
    ]
    assert [r["replayed"] for r in results] == [False, True]


def test_bot_agent_is_dropped_with_a_filtered_refund(client, adserver):
    bot = make_click(1, source={"user_agent": "Mozilla/5.0 HeadlessChrome/120.0"})
    (result,) = post(client, "/v1/clicks", {"clicks": [bot]}, adserver).json_body["results"]
    assert result["decision"] == "drop"
    assert result["charged_micros"] == 0
    assert result["reasons"] == ["BOT_AGENT"]
    assert result["refund_id"].startswith("r-")
    refunds = client.http.get("/v1/merchants/S1/refunds", headers=merchant_headers("S1")).json_body
    (refund,) = refunds["refunds"]
    assert refund["refund_id"] == result["refund_id"]
    assert refund["stage"] == "realtime" and refund["kind"] == "filtered"
    assert refund["amount_micros"] == 2_350_000
    assert refund["click_ts"].endswith("Z")


def test_replayed_drop_writes_no_second_refund(client, adserver):
    bot = make_click(1, source={"user_agent": ""})
    post(client, "/v1/clicks", {"clicks": [bot]}, adserver)
    post(client, "/v1/clicks", {"clicks": [bot]}, adserver)
    refunds = client.http.get("/v1/merchants/S1/refunds", headers=merchant_headers("S1")).json_body
    assert len(refunds["refunds"]) == 1


def test_a_double_click_is_dropped_and_a_shopper_back_after_reading_is_charged(client, adserver):
    source = {"ip": "1.2.3.4", "device_id": "d1", "account_id": "a1"}
    double_click = [make_click(1, source=source), make_click(2, source=source)]  # 1 s apart
    # 6 s after the double click's second, no stay reported yet: past the 5 s a double tap takes.
    again = make_click(3, source=source, ts=BASE_TS + 8_000)
    came_back = make_click(4, source=source, ts=BASE_TS + 31_000)  # a 20 s stay, then the back button
    body = {"clicks": [*double_click, again, came_back]}
    results = post(client, "/v1/clicks", body, adserver).json_body["results"]
    assert [r["decision"] for r in results] == ["charge", "drop", "charge", "charge"]
    assert results[1]["reasons"] == ["DUPLICATE_CLICK"]


def test_a_click_again_after_a_reported_stay_is_a_second_visit(client, adserver):
    source = {"ip": "1.2.3.4", "device_id": "d1", "account_id": "a1"}
    post(client, "/v1/clicks", {"clicks": [make_click(1, source=source)]}, adserver)
    dwell(client, adserver, ("c-1", 2000))  # read for 2 s, then the back button
    back = make_click(2, source=source, ts=BASE_TS + 1000 + 4000)  # 4 s after the first click
    (result,) = post(client, "/v1/clicks", {"clicks": [back]}, adserver).json_body["results"]
    assert result["decision"] == "charge"
    evidence = client.http.get("/v1/clicks/c-2", headers=adserver).json_body["evidence"]
    assert (evidence["seconds_since_same_listing"], evidence["earlier_stay_ms"]) == (4.0, 2000)
    assert evidence["duplicate"] is False
    inside = make_click(3, source=source, ts=BASE_TS + 5000 + 2000)  # c-2's stay not reported
    (result,) = post(client, "/v1/clicks", {"clicks": [inside]}, adserver).json_body["results"]
    assert (result["decision"], result["reasons"]) == ("drop", ["DUPLICATE_CLICK"])


def test_device_velocity_is_dropped_across_batches(client, adserver):
    source = {"ip": "1.2.3.4", "device_id": "fast", "account_id": "a1"}
    for i in range(10):
        click = make_click(i, listing_id=f"L{i}", source=source, ts=BASE_TS + i * 100)
        post(client, "/v1/clicks", {"clicks": [click]}, adserver)
    eleventh = make_click(10, listing_id="L10", source=source, ts=BASE_TS + 1000)
    (result,) = post(client, "/v1/clicks", {"clicks": [eleventh]}, adserver).json_body["results"]
    assert result["decision"] == "drop"
    assert "SOURCE_VELOCITY" in result["reasons"]
    view = client.http.get("/v1/clicks/c-10", headers=adserver).json_body
    assert view["evidence"]["velocity"]["device"]["60"] == 11


def test_velocity_runs_on_event_time_not_arrival(client, adserver):
    source = {"ip": "1.2.3.4", "device_id": "slow", "account_id": "a1"}
    clicks = [make_click(i, listing_id=f"L{i}", source=source, ts=BASE_TS + i * 600_000) for i in range(12)]
    results = post(client, "/v1/clicks", {"clicks": clicks}, adserver).json_body["results"]
    assert all(r["decision"] == "charge" for r in results)


def seller(client, adserver, seller_id, **lists):
    body = {"categories": [], "account_ids": [], "device_ids": [], "ips": [], **lists}
    resp = put(client, f"/v1/sellers/{seller_id}", body, adserver)
    assert resp.status_code == 200, resp.body
    return resp


def test_seller_profile_is_echoed_and_validated(client, adserver):
    resp = seller(client, adserver, "S2", categories=["女装"], account_ids=["acct-7"])
    assert resp.json_body == {
        "seller_id": "S2",
        "categories": ["女装"],
        "account_ids": ["acct-7"],
        "device_ids": [],
        "ips": [],
    }
    bad = put(client, "/v1/sellers/S2", {"ips": ["nope"]}, adserver)
    assert bad.status_code == 400 and bad.json_body["Message"].startswith("ips[0]")
    big = put(client, "/v1/sellers/S2", {"account_ids": [str(i) for i in range(1001)]}, adserver)
    assert big.status_code == 400 and big.json_body["Message"].startswith("account_ids")


def test_lone_rival_click_is_charged_and_corroborated_one_dropped(client, adserver):
    seller(client, adserver, "S1", categories=["女装"])
    seller(client, adserver, "S2", categories=["女装"], account_ids=["acct-7"])
    rival = {"ip": "5.6.7.8", "device_id": "d7", "account_id": "acct-7"}
    (first,) = post(client, "/v1/clicks", {"clicks": [make_click(1, source=rival)]}, adserver).json_body[
        "results"
    ]
    assert first["decision"] == "charge"
    assert first["reasons"] == ["RIVAL_SELLER"]
    evidence = client.http.get("/v1/clicks/c-1", headers=adserver).json_body["evidence"]
    assert evidence["rival"] == [{"seller_id": "S2", "via": ["account"], "categories": ["女装"]}]
    # Four more listings of the same advertiser in the day: a seller comparing a rival's catalogue
    # is charged; working through the shop while a listing takes a crowd of clicks is not.
    later = [make_click(n, listing_id=f"L{n}", source=rival, ts=BASE_TS + n * 60_000) for n in range(2, 6)]
    results = post(client, "/v1/clicks", {"clicks": later}, adserver).json_body["results"]
    assert [r["decision"] for r in results] == ["charge"] * 4
    crowd = [make_click(n, listing_id="L7", ts=BASE_TS + 6 * 60_000 + n * 1000) for n in range(10, 20)]
    post(client, "/v1/clicks", {"clicks": crowd}, adserver)
    siege = make_click(6, listing_id="L7", source=rival, ts=BASE_TS + 7 * 60_000)
    (result,) = post(client, "/v1/clicks", {"clicks": [siege]}, adserver).json_body["results"]
    assert result["decision"] == "drop"
    assert "RIVAL_SELLER" in result["reasons"]


def test_a_bare_mozilla_agent_is_a_bot_unless_the_ad_server_keeps_only_the_platform(
    client, adserver, monkeypatch
):
    bare = {"user_agent": "Mozilla/5.0 (Windows NT 6.1; WOW64)"}
    (result,) = post(client, "/v1/clicks", {"clicks": [make_click(1, source=bare)]}, adserver).json_body[
        "results"
    ]
    assert (result["decision"], result["reasons"]) == ("drop", ["BOT_AGENT"])
    monkeypatch.setenv("FG_BOT_UNNAMED_BROWSER", "false")
    (result,) = post(client, "/v1/clicks", {"clicks": [make_click(2, source=bare)]}, adserver).json_body[
        "results"
    ]
    assert result["decision"] == "charge"


def test_strict_rival_mode_drops_every_rival_click(client, adserver, monkeypatch):
    monkeypatch.setenv("FG_STRICT_RIVAL", "true")
    seller(client, adserver, "S1", categories=["女装"])
    seller(client, adserver, "S2", categories=["女装"], device_ids=["d7"])
    rival = {"ip": "5.6.7.8", "device_id": "d7"}
    (result,) = post(client, "/v1/clicks", {"clicks": [make_click(1, source=rival)]}, adserver).json_body[
        "results"
    ]
    assert result["decision"] == "drop"


def test_rival_needs_a_shared_category_and_a_current_profile(client, adserver):
    seller(client, adserver, "S1", categories=["女装"])
    seller(client, adserver, "S2", categories=["数码"], account_ids=["acct-7"])
    rival = {"ip": "5.6.7.8", "account_id": "acct-7"}
    click = make_click(1, source=rival, category="男装")
    (result,) = post(client, "/v1/clicks", {"clicks": [click]}, adserver).json_body["results"]
    assert result["reasons"] == []
    seller(client, adserver, "S3", categories=["女装"], account_ids=["acct-8"])
    seller(client, adserver, "S3", categories=["女装"], account_ids=[])  # unlinked again
    click = make_click(2, source={"ip": "5.6.7.9", "account_id": "acct-8"})
    (result,) = post(client, "/v1/clicks", {"clicks": [click]}, adserver).json_body["results"]
    assert result["reasons"] == []


def test_declared_seller_id_links_a_rival(client, adserver):
    seller(client, adserver, "S1", categories=["女装"])
    seller(client, adserver, "S2", categories=["女装"])
    click = make_click(1, source={"seller_id": "S2"})
    (result,) = post(client, "/v1/clicks", {"clicks": [click]}, adserver).json_body["results"]
    assert result["reasons"] == ["RIVAL_SELLER"]


def dwell(client, adserver, *reports):
    body = {"dwell": [{"click_id": c, "dwell_ms": d} for c, d in reports]}
    resp = post(client, "/v1/dwell", body, adserver)
    assert resp.status_code == 200, resp.body
    return resp.json_body["results"]


def test_short_dwell_credits_a_charged_click_once(client, adserver, strict_dwell):
    post(client, "/v1/clicks", {"clicks": [make_click(1)]}, adserver)
    (result,) = dwell(client, adserver, ("c-1", 300))
    assert result["status"] == "applied"
    assert result["decision"] == "drop" and result["charged_micros"] == 0
    assert result["reasons"] == ["SHORT_DWELL"]
    (again,) = dwell(client, adserver, ("c-1", 300))
    assert again["status"] == "duplicate"
    refunds = client.http.get("/v1/merchants/S1/refunds", headers=merchant_headers("S1")).json_body
    (refund,) = refunds["refunds"]
    assert (refund["stage"], refund["kind"]) == ("dwell", "credited")


def test_a_bounce_is_charged_even_a_rivals(client, adserver):
    seller(client, adserver, "S1", categories=["女装"])
    seller(client, adserver, "S2", categories=["女装"], account_ids=["acct-7"])
    rival = make_click(2, source={"ip": "5.6.7.8", "account_id": "acct-7"})
    post(client, "/v1/clicks", {"clicks": [make_click(1), rival]}, adserver)
    shopper, rival_bounce = dwell(client, adserver, ("c-1", 400), ("c-2", 400))
    assert (shopper["decision"], shopper["reasons"]) == ("charge", ["SHORT_DWELL"])
    assert (rival_bounce["decision"], rival_bounce["reasons"]) == ("charge", ["RIVAL_SELLER", "SHORT_DWELL"])


def test_a_rival_linked_only_by_a_shared_ip_is_weaker(client, adserver):
    seller(client, adserver, "S1", categories=["女装"])
    seller(client, adserver, "S2", categories=["女装"], ips=["5.6.7.8"])
    nat = {"ip": "5.6.7.8", "account_id": "shopper"}
    clicks = [make_click(n, listing_id=f"L{n}", source=nat, ts=BASE_TS + n * 60_000) for n in range(1, 7)]
    results = post(client, "/v1/clicks", {"clicks": clicks}, adserver).json_body["results"]
    assert {r["decision"] for r in results} == {"charge"}
    assert results[0]["reasons"] == ["RIVAL_SELLER"]


def test_normal_dwell_keeps_the_charge(client, adserver):
    post(client, "/v1/clicks", {"clicks": [make_click(1)]}, adserver)
    (result,) = dwell(client, adserver, ("c-1", 42_000))
    assert (result["status"], result["decision"]) == ("applied", "charge")
    view = client.http.get("/v1/clicks/c-1", headers=adserver).json_body
    assert view["dwell_ms"] == 42_000 and view["evidence"]["dwell_ms"] == 42_000


def test_dwell_before_click_is_pending_then_applied(client, adserver, strict_dwell):
    (result,) = dwell(client, adserver, ("c-1", 200))
    assert result == {"click_id": "c-1", "status": "pending", "decision": None}
    (again,) = dwell(client, adserver, ("c-1", 200))
    assert again["status"] == "duplicate"
    (scored,) = post(client, "/v1/clicks", {"clicks": [make_click(1)]}, adserver).json_body["results"]
    assert scored["decision"] == "drop" and scored["reasons"] == ["SHORT_DWELL"]
    refunds = client.http.get("/v1/merchants/S1/refunds", headers=merchant_headers("S1")).json_body
    assert refunds["refunds"][0]["stage"] == "realtime"


def test_dwell_validation(client, adserver):
    for body, path in (
        ({"dwell": [{"click_id": "c 1", "dwell_ms": 5}]}, "dwell[0].click_id"),
        ({"dwell": [{"click_id": "c1", "dwell_ms": -5}]}, "dwell[0].dwell_ms"),
        ({"dwell": [{"click_id": "c1"}]}, "dwell[0].dwell_ms"),
        ({"dwell": []}, "dwell"),
    ):
        resp = post(client, "/v1/dwell", body, adserver)
        assert resp.status_code == 400 and resp.json_body["Message"].startswith(path)


# ---- roles and auth ----


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("POST", "/v1/clicks", {"adserver"}),
        ("POST", "/v1/dwell", {"adserver"}),
        ("PUT", "/v1/sellers/S1", {"adserver"}),
        ("POST", "/v1/sweeps", {"adserver", "analyst"}),
        ("GET", "/v1/clicks/c-1", {"adserver", "analyst", "merchant"}),
        ("GET", "/v1/merchants/S1/refunds", {"merchant", "analyst"}),
        ("GET", "/v1/merchants/S1/refunds/summary", {"merchant", "analyst"}),
        ("GET", "/v1/campaigns", {"analyst"}),
    ],
)
def test_role_table(client, adserver, method, path, allowed):
    post(client, "/v1/clicks", {"clicks": [make_click(1)]}, adserver)
    bodies = {
        "/v1/clicks": {"clicks": [make_click(1)]},
        "/v1/dwell": {"dwell": [{"click_id": "c-9", "dwell_ms": 5000}]},
        "/v1/sellers/S1": {"categories": ["女装"]},
        "/v1/sweeps": {},
    }
    for role in ("adserver", "merchant", "analyst"):
        headers = auth(role, "S1" if role == "merchant" else None)
        resp = client.http.request(
            method, path, headers=headers, body=json.dumps(bodies.get(path, {})).encode()
        )
        expected = 200 if role in allowed else 403
        assert resp.status_code == expected, (role, resp.body)


def test_missing_expired_forged_and_unsigned_tokens_are_401(client):
    now = int(time.time())
    expired = jwt.encode({"sub": "x", "role": "analyst", "exp": now - 3600}, SECRET, "HS256")
    forged = jwt.encode({"sub": "x", "role": "analyst", "exp": now + 60}, "y" * 40, "HS256")
    unsigned = jwt.encode({"sub": "x", "role": "analyst", "exp": now + 60}, None, "none")
    no_exp = jwt.encode({"sub": "x", "role": "analyst"}, SECRET, "HS256")
    for value in (
        None,
        "Basic abc",
        "Bearer",
        f"Bearer {expired}",
        f"Bearer {forged}",
        f"Bearer {unsigned}",
        f"Bearer {no_exp}",
    ):
        headers = {"Authorization": value} if value else {}
        resp = client.http.get("/v1/campaigns", headers=headers)
        assert resp.status_code == 401, value
        assert resp.json_body["Code"] == "UnauthorizedError"


def test_unknown_role_and_merchant_without_id_are_403(client):
    now = int(time.time())
    for claims in ({"role": "admin"}, {"role": "merchant"}):
        tok = jwt.encode({"sub": "x", "exp": now + 60, **claims}, SECRET, "HS256")
        resp = client.http.get("/v1/merchants/S1/refunds", headers={"Authorization": f"Bearer {tok}"})
        assert resp.status_code == 403


def test_merchant_sees_only_its_own_data(client, adserver):
    post(client, "/v1/clicks", {"clicks": [make_click(1)]}, adserver)
    other = merchant_headers("S2")
    assert client.http.get("/v1/merchants/S1/refunds", headers=other).status_code == 403
    assert client.http.get("/v1/merchants/S1/refunds/summary", headers=other).status_code == 403
    assert client.http.get("/v1/clicks/c-1", headers=other).status_code == 403
    assert client.http.get("/v1/clicks/c-1", headers=merchant_headers("S1")).status_code == 200


def test_unknown_click_is_404(client, adserver):
    resp = client.http.get("/v1/clicks/nope", headers=adserver)
    assert resp.status_code == 404 and resp.json_body["Code"] == "NotFoundError"


# ---- merchant queries ----


def test_refunds_page_newest_first_with_signed_cursor(client, adserver):
    drop_clicks(client, adserver, 5)
    headers = merchant_headers("S1")
    first = client.http.get("/v1/merchants/S1/refunds?limit=2", headers=headers).json_body
    assert [r["click_id"] for r in first["refunds"]] == ["c-4", "c-3"]
    seen = [r["click_id"] for r in first["refunds"]]
    cursor = first["next_cursor"]
    while cursor:
        page = client.http.get(f"/v1/merchants/S1/refunds?limit=2&cursor={cursor}", headers=headers).json_body
        seen += [r["click_id"] for r in page["refunds"]]
        cursor = page["next_cursor"]
    assert seen == ["c-4", "c-3", "c-2", "c-1", "c-0"]
    tampered = first["next_cursor"][:-2] + ("AA" if not first["next_cursor"].endswith("AA") else "BB")
    resp = client.http.get(f"/v1/merchants/S1/refunds?cursor={tampered}", headers=headers)
    assert resp.status_code == 400 and resp.json_body["Message"].startswith("cursor")


def test_the_last_page_of_refunds_has_no_cursor(client, adserver):
    # The API's promise (docs/API.md): next_cursor is null on the last page, also when that page
    # is full, so a client never asks for an empty one.
    drop_clicks(client, adserver, 4)
    headers = merchant_headers("S1")
    first = client.http.get("/v1/merchants/S1/refunds?limit=2", headers=headers).json_body
    assert first["next_cursor"] is not None
    last = client.http.get(
        f"/v1/merchants/S1/refunds?limit=2&cursor={first['next_cursor']}", headers=headers
    ).json_body
    assert [r["click_id"] for r in last["refunds"]] == ["c-1", "c-0"]
    assert last["next_cursor"] is None
    whole = client.http.get("/v1/merchants/S1/refunds?limit=4", headers=headers).json_body
    assert len(whole["refunds"]) == 4 and whole["next_cursor"] is None


def test_cursor_from_another_merchant_is_refused(client, adserver):
    drop_clicks(client, adserver, 3, advertiser="S1")
    drop_clicks(client, adserver, 3, advertiser="S2", start=10)
    cursor = client.http.get("/v1/merchants/S1/refunds?limit=1", headers=merchant_headers("S1")).json_body[
        "next_cursor"
    ]
    resp = client.http.get(
        f"/v1/merchants/S2/refunds?limit=1&cursor={cursor}", headers=merchant_headers("S2")
    )
    assert resp.status_code == 400


def test_refunds_filter_by_time_and_reason_and_csv(client, adserver):
    drop_clicks(client, adserver, 4)
    headers = merchant_headers("S1")
    frm = BASE_TS + 60_000
    to = BASE_TS + 2 * 60_000
    page = client.http.get(f"/v1/merchants/S1/refunds?from={frm}&to={to}", headers=headers).json_body
    assert [r["click_id"] for r in page["refunds"]] == ["c-2", "c-1"]
    none = client.http.get("/v1/merchants/S1/refunds?reason=SHORT_DWELL", headers=headers).json_body
    assert none["refunds"] == []
    bots = client.http.get("/v1/merchants/S1/refunds?reason=BOT_AGENT", headers=headers).json_body
    assert len(bots["refunds"]) == 4
    csv_resp = client.http.get("/v1/merchants/S1/refunds?format=csv", headers=headers)
    assert csv_resp.headers["Content-Type"].startswith("text/csv")
    lines = csv_resp.body.decode().strip().splitlines()
    assert lines[0].startswith("refund_id,click_id,advertiser_id")
    assert len(lines) == 5
    for query, field in (
        ("reason=NOPE", "reason"),
        ("limit=0", "limit"),
        ("from=soon", "from"),
        ("format=xml", "format"),
    ):
        resp = client.http.get(f"/v1/merchants/S1/refunds?{query}", headers=headers)
        assert resp.status_code == 400 and resp.json_body["Message"].startswith(field)


def test_summary_totals_reasons_and_series(client, adserver):
    drop_clicks(client, adserver, 3)
    post(client, "/v1/clicks", {"clicks": [make_click(100, ts=BASE_TS + 7200_000)]}, adserver)
    resp = client.http.get("/v1/merchants/S1/refunds/summary?bucket=hour", headers=merchant_headers("S1"))
    assert resp.status_code == 200, resp.body
    s = resp.json_body
    assert (s["clicks"], s["refunded_clicks"]) == (4, 3)
    assert s["charged_micros"] == 2_350_000
    assert s["refunded_micros"] == 3 * 2_350_000
    assert s["by_reason"] == {"BOT_AGENT": {"count": 3, "micros": 3 * 2_350_000}}
    assert sum(b["clicks"] for b in s["series"]) == 4
    assert all(b["start"].endswith(":00:00.000Z") for b in s["series"])
    bad = client.http.get("/v1/merchants/S1/refunds/summary?bucket=week", headers=merchant_headers("S1"))
    assert bad.status_code == 400


def test_sweep_answers_with_until(client, adserver):
    post(client, "/v1/clicks", {"clicks": [make_click(1)]}, adserver)
    resp = post(client, "/v1/sweeps", {}, adserver)
    assert resp.status_code == 200
    assert resp.json_body["until"] == "2013-12-08T06:03:10.120Z"
    bad = post(client, "/v1/sweeps", {"until": "never"}, adserver)
    assert bad.status_code == 400 and bad.json_body["Message"].startswith("until")
    epoch = post(client, "/v1/sweeps", {"until": 0}, adserver)  # epoch ms 0 is a time, not "default"
    assert epoch.status_code == 200 and epoch.json_body["until"] == "1970-01-01T00:00:00.000Z"


def test_a_click_stamped_ahead_does_not_move_the_default_sweep_past_now(client, adserver):
    ahead = int(time.time() * 1000) + 12 * 3_600_000  # validation allows up to a day ahead
    assert post(client, "/v1/clicks", {"clicks": [make_click(1, ts=ahead)]}, adserver).status_code == 200
    before = int(time.time() * 1000)
    until = parse_time(post(client, "/v1/sweeps", {}, adserver).json_body["until"])
    assert before <= until <= int(time.time() * 1000) < ahead
