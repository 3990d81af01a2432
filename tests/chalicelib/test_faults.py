"""Storage faults at every step, and contention: the guard loses nothing and refunds nothing twice.

Faults are injected in botocore, on the DynamoDB client the store really uses: a `before-call`
handler answers a chosen call with a throttling or 5xx error (or raises a connect timeout) before
anything is sent, and an `after-call` handler raises a read timeout or a 500 after the call was
applied (the write landed, the answer was lost: the worst case for a retry). So the store's own
error mapping (`storage_call`) and its conditional writes are what is exercised, not a monkeypatched
Python method.

For each scenario (POST /v1/clicks, POST /v1/dwell, PUT /v1/sellers, POST /v1/sweeps, the Kinesis
consumer) a clean run on fresh tables records every DynamoDB call it makes. Then, for each call,
on fresh tables again: the same setup, the call fails once, the API must answer 503 with
`Retry-After` (the stream must report the records in `batchItemFailures`), the same request sent
again must succeed, and the final state (every table, item by item) must be the clean run's.
Calls are named by operation, table, key and expression, not by position, so the thread pool in
`put_clicks` cannot reorder them. On DynamoDB Local every write is failed twice (once not applied,
once applied then lost) and every distinct read once, the fault kinds rotating (142 cases); on
moto, whose calls are slow, every write once, alternating (70 cases, ~40 s). State is compared by
meaning where the layout is free: the newest-event marker by its maximum, the sweep's activity
pages by what `iter_clicks_between` shows.

Then: interleavings forced at a chosen call (a dwell report landing while its click is written, a
seller link landing while a click from that source is scored, then DynamoDB's TTL), and contention
(many dwell reports for one click, concurrent PUTs of one seller, two sweeps at once). moto applies
conditional writes without a lock, so the contention tests skip on it. Everything uses the
`dynamodb` fixture: `CLICKGUARD_DYNAMODB=local pytest tests/chalicelib/test_faults.py` runs it all
on DynamoDB Local.
"""

from __future__ import annotations

import base64
import json
import os
import random
import re
import threading
import time
import uuid
import zlib
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal

import boto3
import pytest
from boto3.dynamodb.types import Binary, TypeDeserializer
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError

from chalicelib import stream, wiring
from chalicelib.config import settings
from chalicelib.errors import ServiceUnavailableError
from chalicelib.ingest import ClickIngest
from chalicelib.models import refund_id_for
from chalicelib.storage import schema
from chalicelib.storage.dynamodb import CLIENT_CONFIG, DynamoStore
from chalicelib.storage.memory import MemoryStore
from chalicelib.sweep import run_sweep
from chalicelib.validation import parse_click, parse_profile
from tests.conftest import BASE_TS, atomic_conditions, kinesis_record, make_click, post, put

# ---- fault injection in botocore -------------------------------------------------------------

WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
# Not applied: the service refused or was never reached.
BEFORE = ("throttled", "throttling", "server-error", "connect-timeout")
# Applied, then the answer was lost: DynamoDB documents that a 500 may have succeeded.
AFTER = ("read-timeout", "server-error-after")
ERRORS = {
    "throttled": ("ProvisionedThroughputExceededException", 400),
    "throttling": ("ThrottlingException", 400),
    "server-error": ("InternalServerError", 500),
}
# Each table's primary key attributes, hash first, as infra/resources.json declares them.
TABLE_KEYS = {
    table: tuple(k["AttributeName"] for k in spec["KeySchema"])
    for table, spec in schema.table_specs().items()
}


@dataclass(frozen=True)
class Step:
    """One DynamoDB call: operation, table, key and expression, and which occurrence of it."""

    op: str
    table: str
    key: str
    expr: str
    n: int

    @property
    def write(self) -> bool:
        return self.op in WRITES

    def __str__(self) -> str:
        expr = f" [{self.expr}]" if self.expr else ""
        return f"{self.op} {self.table} {self.key}{expr} #{self.n}"


def _logical(table_name: str) -> str:
    return next((lid for lid in TABLE_KEYS if table_name.endswith(lid)), table_name)


def _value(attr: dict) -> str:
    kind, value = next(iter(attr.items()))
    return str(value)[:48] if kind in ("S", "N") else kind


def _key(table: str, item: dict) -> str:
    return "/".join(_value(item[k]) for k in TABLE_KEYS.get(table, ()) if k in item)


def describe(op: str, body: dict) -> tuple[str, str, str, str]:
    """(op, table, key, expression) of a DynamoDB request body."""
    if op in ("BatchGetItem", "BatchWriteItem"):
        (name, spec), *_ = body["RequestItems"].items()
        table = _logical(name)
        entries = spec["Keys"] if op == "BatchGetItem" else spec
        keys = sorted(
            _key(table, e) if op == "BatchGetItem" else _key(table, next(iter(e.values())).get("Item") or {})
            for e in entries
        )
        return op, table, f"{len(keys)}:{keys[0]}", ""
    if op == "TransactWriteItems":
        parts = []
        for entry in body["TransactItems"]:
            kind, spec = next(iter(entry.items()))
            table = _logical(spec["TableName"])
            parts.append(f"{kind}:{table}:{_key(table, spec.get('Key') or spec.get('Item') or {})}")
        return op, "+".join(sorted({p.split(":")[1] for p in parts})), "|".join(parts), ""
    table = _logical(body.get("TableName", "?"))
    if op == "Query":
        values = sorted(_value(v) for v in body.get("ExpressionAttributeValues", {}).values())
        return op, table, f"{body.get('IndexName', '')}:{','.join(values)}", ""
    item = body.get("Key") or body.get("Item") or {}
    expr = body.get("UpdateExpression") or body.get("ConditionExpression") or ""
    return op, table, _key(table, item), expr[:32]


class Faults:
    """Records every DynamoDB call of a client and fails the one it is armed with, once."""

    def __init__(self, client):
        self.client = client
        self.calls: list[Step] = []
        self.fired: list[tuple[Step, str]] = []
        self._seen: Counter = Counter()
        self._armed: tuple[Step, str] | None = None
        self._hooks: list[tuple[Callable[[Step], bool], Callable[[], None]]] = []
        self._lock = threading.Lock()
        self._ids = (f"faults-before-{id(self)}", f"faults-after-{id(self)}")
        client.meta.events.register("before-call.dynamodb", self._before, unique_id=self._ids[0])
        client.meta.events.register("after-call.dynamodb", self._after, unique_id=self._ids[1])

    def close(self) -> None:
        self.client.meta.events.unregister("before-call.dynamodb", unique_id=self._ids[0])
        self.client.meta.events.unregister("after-call.dynamodb", unique_id=self._ids[1])

    def reset(self) -> None:
        with self._lock:
            self.calls, self.fired, self._seen, self._armed = [], [], Counter(), None

    def arm(self, step: Step, mode: str) -> None:
        self.reset()
        self._armed = (step, mode)

    def before(self, matches: Callable[[Step], bool], action: Callable[[], None]) -> None:
        """Run `action` once, just before the first call that `matches` (an interleaving)."""
        self._hooks.append((matches, action))

    def _before(self, model, params, context, **_):
        raw = params.get("body") or b"{}"
        body = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
        sig = describe(model.name, body)
        with self._lock:
            self._seen[sig] += 1
            step = Step(*sig, n=self._seen[sig])
            self.calls.append(step)
            hit = self._armed is not None and self._armed[0] == step
            if hit:
                mode = self._armed[1]
                self._armed = None
                self.fired.append((step, mode))
            hooks = [h for h in self._hooks if h[0](step)]
            self._hooks = [h for h in self._hooks if h not in hooks]
        for _, action in hooks:
            action()  # outside the lock: the action makes its own calls
        if not hit:
            return None
        if mode in AFTER:
            context["injected_fault"] = mode
            return None
        if mode == "connect-timeout":
            raise ConnectTimeoutError(endpoint_url=self.client.meta.endpoint_url)
        code, status = ERRORS[mode]
        parsed = {
            "Error": {"Code": code, "Message": f"injected {mode}"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        }
        return AWSResponse(self.client.meta.endpoint_url, status, {}, None), parsed

    def _after(self, model, context, **_):
        mode = context.pop("injected_fault", None)
        if mode == "read-timeout":
            raise ReadTimeoutError(endpoint_url=self.client.meta.endpoint_url)
        if mode == "server-error-after":
            parsed = {
                "Error": {"Code": "InternalServerError", "Message": "injected after the write"},
                "ResponseMetadata": {"HTTPStatusCode": 500},
            }
            raise self.client.exceptions.InternalServerError(parsed, model.name)


def plan(calls: list[Step], full: bool | None = None) -> list[tuple[Step, str]]:
    """The faults to inject: every write, every distinct read, the fault kinds rotating.

    Full (DynamoDB Local, or CLICKGUARD_FAULTS=full): each write fails twice, once not applied and
    once applied-then-lost. Otherwise (moto, whose calls are slow) once, alternating the two.
    """
    full = FULL if full is None else full
    out, reads = [], set()
    writes = [c for c in calls if c.write]
    for i, step in enumerate(writes):
        before, after = (step, BEFORE[i % len(BEFORE)]), (step, AFTER[i % len(AFTER)])
        out += [before, after] if full else [after if i % 2 else before]
    for step in calls:
        if not step.write and (step.op, step.table) not in reads:
            reads.add((step.op, step.table))
            out.append((step, BEFORE[len(reads) % len(BEFORE)]))
    return out


# ---- fixtures: the store's client, fresh tables per attempt ------------------------------------

LOCAL = os.environ.get("CLICKGUARD_DYNAMODB") == "local"
FULL = LOCAL or os.environ.get("CLICKGUARD_FAULTS") == "full"


@pytest.fixture
def faults(dynamodb):
    injector = Faults(wiring.store().db.meta.client)
    yield injector
    injector.close()


@pytest.fixture
def fresh(dynamodb, monkeypatch):
    """fresh() -> a new table prefix in use by the app (the previous one is dropped on DynamoDB Local)."""
    made: list[str] = []

    def make() -> str:
        if LOCAL and made:
            schema.delete_tables(dynamodb, made[-1])
        prefix = f"f{uuid.uuid4().hex[:8]}-"
        schema.create_tables(dynamodb, prefix)
        monkeypatch.setenv("FRAUDGUARD_TABLE_PREFIX", prefix)
        made.append(prefix)
        return prefix

    yield make
    if LOCAL and made:
        schema.delete_tables(dynamodb, made[-1])


# ---- the state, table by table ---------------------------------------------------------------

_deserialize = TypeDeserializer().deserialize
# Wall-clock fields: when a refund was written, when a pending dwell expires.
# Wall-clock fields, and a source item's optimistic-lock counter (a retried link bumps it).
VOLATILE = {"ClicksTable": {"expires_at"}, "RefundsTable": {"refunded_at"}, "SourcesTable": {"ver"}}


def _plain(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Binary):
        return bytes(value.value)
    if isinstance(value, set):
        return sorted(_plain(v) for v in value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _item(table: str, raw: dict) -> dict:
    item = {k: _plain(_deserialize(v)) for k, v in raw.items() if k not in VOLATILE.get(table, ())}
    for name in ("evidence", "body"):
        if isinstance(item.get(name), str):
            item[name] = json.loads(item[name])
    if table == "CampaignsTable" and "members" in item:
        item["members"] = json.loads(zlib.decompress(base64.b64decode(item["members"])))
    return item


NEWEST = "meta#newest_event"  # the sweep's default `until`, kept as a max over a few shard items


def dump(client) -> dict[str, dict]:
    """Every item of the app's current tables, without wall-clock fields, keyed by primary key.

    The newest-event marker counts by its value (the max over its shard items), not by which
    shard item a request happened to write it to.
    """
    prefix = os.environ["FRAUDGUARD_TABLE_PREFIX"]
    out = {}
    for table, keys in TABLE_KEYS.items():
        items = {}
        for page in client.get_paginator("scan").paginate(TableName=prefix + table, ConsistentRead=True):
            for raw in page["Items"]:
                item = _item(table, raw)
                key = "/".join(str(item[k]) for k in keys)
                if table == "SourcesTable" and key.startswith(NEWEST):
                    newest = max(items.get(NEWEST, {}).get("newest", 0), item.get("newest", 0))
                    item, key = {"source_key": NEWEST, "newest": newest}, NEWEST
                if (table == "ClicksTable" and key.startswith(PAGES)) or table == "SummaryTable":
                    continue  # the sweep's and the summary's pages: compared below by what they show
                items[key] = item
        out[table] = items
    out["SweepView"] = sweep_view(out["ClicksTable"])
    out["SummaryView"] = summary_view(out["ClicksTable"])
    return out


PAGES = "pg#"


def sweep_view(clicks: dict) -> dict:
    """What the sweep reads of the stored clicks (`iter_clicks_between`), whatever its layout."""
    times = [item["ts"] for item in clicks.values() if "ts" in item]
    if not times:
        return {}
    return {
        r.click_id: {
            "ts": r.click.ts,
            "decision": r.decision,
            "refund_id": r.refund_id,
            "dwell_ms": r.dwell_ms,
            "rival": bool(r.evidence.get("rival")),
        }
        for r in wiring.store().iter_clicks_between(min(times), max(times) + 1)
    }


def summary_view(clicks: dict) -> dict:
    """What a merchant's summary adds up (`iter_advertiser_clicks`), whatever its layout."""
    advertisers = sorted({item["click"]["advertiser_id"] for item in clicks.values() if "click" in item})
    store = wiring.store()
    return {
        a: {
            "clicks": [
                (c.ts, c.cost_micros, c.charged_micros) for c in store.iter_advertiser_clicks(a, None, None)
            ]
        }
        for a in advertisers
    }


def differences(clean: dict, healed: dict) -> list[str]:
    out = []
    for table in clean:
        a, b = clean[table], healed[table]
        for key in sorted(a.keys() | b.keys()):
            if key not in b:
                out.append(f"{table} {key}: missing after the retry")
            elif key not in a:
                out.append(f"{table} {key}: extra after the retry: {b[key]}")
            elif a[key] != b[key]:
                for name in sorted(a[key].keys() | b[key].keys()):
                    if a[key].get(name) != b[key].get(name):
                        out.append(f"{table} {key}.{name}: {a[key].get(name)!r} -> {b[key].get(name)!r}")
    return out


def check_invariants(state: dict) -> list[str]:
    """Money invariants: every click decided; every drop refunded exactly once, by its one id."""
    problems = []
    refunds = {r["click_id"]: r for r in state["RefundsTable"].values()}
    if len(refunds) != len(state["RefundsTable"]):
        problems.append("two refund records for one click")
    for cid, item in state["ClicksTable"].items():
        if "click" not in item:
            continue  # a dwell waiting for its click
        if item.get("decision") not in ("charge", "drop"):
            problems.append(f"{cid}: stored without a decision")
        if item.get("decision") == "drop" and not item.get("refund_id"):
            problems.append(f"{cid}: dropped but not refunded")
        if item.get("refund_id"):
            refund = refunds.get(cid)
            if refund is None:
                problems.append(f"{cid}: refund {item['refund_id']} claimed but never written")
            elif refund["refund_id"] != refund_id_for(cid) or refund["amount_micros"] != item["cost_micros"]:
                problems.append(f"{cid}: refund record does not match the click")
    for cid in refunds.keys() - state["ClicksTable"].keys():
        problems.append(f"{cid}: refund without a click")
    stored: dict[str, list] = {}
    for item in state["ClicksTable"].values():
        if "click" in item:
            row = (item["ts"], item["cost_micros"], item["charged_micros"])
            stored.setdefault(item["click"]["advertiser_id"], []).append(row)
    for advertiser, rows in stored.items():
        if sorted(rows) != state["SummaryView"].get(advertiser, {}).get("clicks"):
            problems.append(f"{advertiser}: summary does not count each stored click once")
    return problems


# ---- the HTTP scenarios ----------------------------------------------------------------------


def _bot(n, **kw):
    return make_click(n, source={"user_agent": "curl/8.0"}, **kw)


@dataclass
class Scenario:
    name: str
    method: str
    path: str
    body: dict
    setup: Callable = lambda client, headers: None
    follow_up: Callable = lambda client, headers: None
    advertisers: tuple = ("S1",)
    strict: bool = True  # the retry's answer equals the clean one but for replayed/status


def _setup_clicks(client, h):
    put(client, "/v1/sellers/S1", {"categories": ["女装"]}, h)
    put(client, "/v1/sellers/S2", {"categories": ["女装"], "account_ids": ["acct-rival"]}, h)
    post(client, "/v1/dwell", {"dwell": [{"click_id": "c-3", "dwell_ms": 400}]}, h)


def _setup_dwell(client, h):
    post(client, "/v1/clicks", {"clicks": [make_click(1), make_click(2, listing_id="L2"), _bot(3)]}, h)


def _follow_dwell(client, h):
    post(client, "/v1/clicks", {"clicks": [make_click(9, listing_id="L3")]}, h)


def _setup_seller(client, h):
    profile = {
        "categories": ["女装"],
        "account_ids": ["acct-a", "acct-b"],
        "device_ids": ["dev-a"],
        "ips": ["1.1.1.1"],
    }
    put(client, "/v1/sellers/S2", profile, h)


SCENARIOS = [
    Scenario(
        "clicks",
        "POST",
        "/v1/clicks",
        {
            "clicks": [
                make_click(1),
                _bot(2),
                make_click(3, listing_id="L3"),  # its short dwell arrived first: dropped
                make_click(4, listing_id="L4", source={"account_id": "acct-rival"}),
                make_click(1),  # the same click again in the batch: a replay
            ]
        },
        setup=_setup_clicks,
    ),
    Scenario(
        "dwell",
        "POST",
        "/v1/dwell",
        {
            "dwell": [
                {"click_id": "c-1", "dwell_ms": 300},  # credited
                {"click_id": "c-2", "dwell_ms": 30_000},  # stays charged
                {"click_id": "c-3", "dwell_ms": 200},  # refunded already
                {"click_id": "c-9", "dwell_ms": 500},  # pending: its click comes later
                {"click_id": "c-1", "dwell_ms": 5000},  # duplicate
            ]
        },
        setup=_setup_dwell,
        follow_up=_follow_dwell,
    ),
    Scenario(
        "seller",
        "PUT",
        "/v1/sellers/S2",
        {"categories": ["女装", "男装"], "account_ids": ["acct-b", "acct-c"], "ips": ["2.2.2.2"]},
        setup=_setup_seller,
        advertisers=(),
    ),
]


def _send(client, scenario: Scenario, headers: dict):
    return client.http.request(
        scenario.method,
        scenario.path,
        headers=headers,
        body=json.dumps(scenario.body, ensure_ascii=False).encode(),
    )


def _refund_listing(client, advertisers, headers) -> dict:
    out = {}
    for merchant in advertisers:
        resp = client.http.get(f"/v1/merchants/{merchant}/refunds?limit=1000", headers=headers)
        assert resp.status_code == 200, resp.body
        out[merchant] = [
            {k: v for k, v in r.items() if k != "refunded_at"} for r in resp.json_body["refunds"]
        ]
    return out


def _comparable(answer: dict) -> dict:
    """A response body as the retry must repeat it: a retry may see its own first attempt's work."""
    if "results" not in answer:
        return answer
    return {
        "results": [
            {k: v for k, v in r.items() if k not in ("replayed", "status")} for r in answer["results"]
        ]
    }


@dataclass
class Outcome:
    answer: dict
    state: dict
    listing: dict
    calls: list[Step] = field(default_factory=list)


def _clean(client, dynamodb, fresh, faults, scenario, headers, analyst) -> Outcome:
    fresh()
    scenario.setup(client, headers)
    faults.reset()
    resp = _send(client, scenario, headers)
    assert resp.status_code == 200, resp.body
    calls = list(faults.calls)
    scenario.follow_up(client, headers)
    state = dump(dynamodb)
    assert check_invariants(state) == []
    return Outcome(resp.json_body, state, _refund_listing(client, scenario.advertisers, analyst), calls)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_a_retry_after_a_fault_at_any_step_heals_completely(
    client, dynamodb, fresh, faults, subtests, adserver, analyst, scenario
):
    clean = _clean(client, dynamodb, fresh, faults, scenario, adserver, analyst)
    cases = plan(clean.calls)
    assert sum(1 for s, _ in cases if s.write) >= (2 if FULL else 1) * sum(1 for c in clean.calls if c.write)
    for step, mode in cases:
        with subtests.test(msg=f"{mode} at {step}"):
            fresh()
            scenario.setup(client, adserver)
            faults.arm(step, mode)
            first = _send(client, scenario, adserver)
            assert faults.fired == [(step, mode)], f"the fault never fired: {faults.calls}"
            assert first.status_code == 503, first.body
            assert first.headers["Retry-After"] == "1"
            assert first.json_body["Code"] == "ServiceUnavailableError"
            retry = _send(client, scenario, adserver)
            assert retry.status_code == 200, retry.body
            assert _comparable(retry.json_body) == _comparable(clean.answer)
            scenario.follow_up(client, adserver)
            healed = dump(dynamodb)
            assert not (problems := check_invariants(healed)), problems
            assert not (diff := differences(clean.state, healed)), diff
            assert _refund_listing(client, scenario.advertisers, analyst) == clean.listing


def test_a_throttle_inside_the_sdk_retries_is_absorbed(client, dynamodb, faults, adserver):
    """One throttle answered by DynamoDB itself (below botocore's retry loop) never reaches the client."""
    throttled = {"n": 0}

    def once(request, **_):
        if throttled["n"] == 0 and str(request.headers.get("X-Amz-Target", "")).rstrip("'").endswith(
            "PutItem"
        ):
            throttled["n"] += 1
            body = b'{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"x"}'
            return AWSResponse(request.url, 400, {"x-amzn-ErrorType": "ThrottlingException"}, _Raw(body))
        return None

    events = faults.client.meta.events
    events.register_first("before-send.dynamodb", once, unique_id="throttle-once")
    try:
        resp = post(client, "/v1/clicks", {"clicks": [make_click(1)]}, adserver)
    finally:
        events.unregister("before-send.dynamodb", unique_id="throttle-once")
    assert throttled["n"] == 1
    assert resp.status_code == 200, resp.body
    assert resp.json_body["results"][0]["decision"] == "charge"


class _Raw:
    def __init__(self, data: bytes):
        self.data = data

    def stream(self, **_):
        yield self.data


# ---- the sweep -------------------------------------------------------------------------------


def campaign_clicks(seed: int = 7) -> list[dict]:
    """Two hours of varied shoppers, then 14 accounts on one listing in 3 minutes staying ~10 s."""
    rnd = random.Random(seed)
    out = []
    for i in range(120):
        out.append(
            make_click(
                10_000 + i,
                ts=BASE_TS + rnd.randrange(2 * 3_600_000),
                advertiser_id=f"A{i % 12}",
                listing_id=f"L{i % 20}",
                cost_micros=1_000_000,
                keyword=f"k{i % 6}",
                source={"ip": f"36.{i % 200}.{i // 200}.{i % 250 + 1}"},
                dwell_ms=int(250 + rnd.weibullvariate(30_000, 0.7)),
            )
        )
    burst = BASE_TS + 90 * 60_000
    for j in range(14):
        out.append(
            make_click(
                20_000 + j,
                ts=burst + rnd.randrange(180_000),
                listing_id="LX",
                cost_micros=3_000_000,
                source={"ip": f"59.{j}.1.{j + 1}"},
                dwell_ms=int(10_000 * (1 + rnd.gauss(0, 0.05))),
            )
        )
    return sorted(out, key=lambda c: c["ts"])


def seed_campaign(store: DynamoStore) -> None:
    """The clicks as the API would have stored them: scored in memory, written in batches."""
    cfg = store.cfg
    memory = MemoryStore()
    clicks = [parse_click(c, "click", cfg, 10**13) for c in campaign_clicks()]
    ClickIngest(memory, cfg).score_clicks(clicks)
    records = list(memory.get_clicks([c.click_id for c in clicks]).values())
    with store.clicks.batch_writer() as batch:
        for record in records:
            batch.put_item(Item=store._item(record))
    if hasattr(store, "index_clicks"):  # the sweep's own index of stored clicks, as scoring writes it
        store.index_clicks(records)
    for advertiser in sorted({c.advertiser_id for c in clicks}):
        for refund in memory.query_refunds(advertiser, None, None, 1000, None, None)[0]:
            store.put_refund(refund)
    store.note_event_time(max(c.ts for c in clicks))


@pytest.fixture
def hourly_buckets(monkeypatch):
    """Six-hour time buckets, one shard: 2 queries per sweep instead of 144 (moto's are slow)."""
    monkeypatch.setenv("FG_TIME_BUCKET_S", "21600")
    monkeypatch.setenv("FG_TIME_BUCKET_SHARDS", "1")


def test_the_sweep_scenario_finds_a_campaign(dynamodb, hourly_buckets):
    store = wiring.store()
    seed_campaign(store)
    first = run_sweep(store, settings(), None)
    assert len(first["campaigns"]) == 1 and first["refunds_written"] >= 8
    assert run_sweep(wiring.store(), settings(), None)["refunds_written"] == 0


def _mentions(step: Step, click_id: str) -> bool:
    return re.search(rf"(^|[:/#|]){re.escape(click_id)}($|[|])", step.key) is not None


def _sweep_cases(calls: list[Step], credited: list[str]) -> list[tuple[Step, str]]:
    """Every kind of sweep write (the campaign, then per credited click: claim, refund, mark...)
    at the first, a middle and the last credited click, and every read; on moto (slow queries)
    the first credited click and the campaign store's reads only."""
    order = [cid for cid in credited if any(_mentions(c, cid) for c in calls)]
    order.sort(key=lambda cid: next(i for i, c in enumerate(calls) if _mentions(c, cid)))
    chosen = [order[0], order[len(order) // 2], order[-1]] if FULL else order[:1]
    return [
        (s, m)
        for s, m in plan(calls)
        if (not s.write and (FULL or s.table == "CampaignsTable"))
        or s.table == "CampaignsTable"
        or (s.write and any(_mentions(s, cid) for cid in chosen))
    ]


def test_a_sweep_retried_after_a_fault_at_any_step_heals_completely(
    client, dynamodb, fresh, faults, subtests, adserver, analyst, hourly_buckets
):
    fresh()
    seed_campaign(wiring.store())
    faults.reset()
    resp = post(client, "/v1/sweeps", {}, adserver)
    assert resp.status_code == 200, resp.body
    clean_answer, calls = resp.json_body, list(faults.calls)
    assert clean_answer["refunds_written"] >= 8
    clean_state, clean_listing = dump(dynamodb), _refund_listing(client, ("S1",), analyst)
    assert check_invariants(clean_state) == []
    credited = [r["click_id"] for r in clean_state["RefundsTable"].values() if r["stage"] == "sweep"]
    for i, (step, mode) in enumerate(_sweep_cases(calls, credited)):
        # The retry lands on the same warm container (its cached frame) or on a new one.
        warm = i % 2 == 0
        with subtests.test(msg=f"{mode} at {step}, retried on a {'warm' if warm else 'new'} container"):
            fresh()
            seed_campaign(wiring.store())
            faults.arm(step, mode)
            first = post(client, "/v1/sweeps", {}, adserver)
            assert faults.fired == [(step, mode)]
            assert first.status_code == 503, first.body
            assert first.headers["Retry-After"] == "1"
            if not warm:
                wiring._PER_THREAD.stores.clear()  # a new container: its own store, no cached frame
            retry = post(client, "/v1/sweeps", {}, adserver)
            assert retry.status_code == 200, retry.body
            assert retry.json_body["campaigns"] == clean_answer["campaigns"]
            healed = dump(dynamodb)
            assert not (problems := check_invariants(healed)), problems
            assert not (diff := differences(clean_state, healed)), diff
            assert _refund_listing(client, ("S1",), analyst) == clean_listing


# ---- the stream ------------------------------------------------------------------------------


class ListParking:
    def __init__(self):
        self.parked: list[str] = []

    def park(self, record, reason):
        self.parked.append(record.kinesis.sequence_number)


STREAM_RECORDS = [
    kinesis_record(1, {"click": make_click(1)}),
    kinesis_record(2, {"click": _bot(2)}),
    kinesis_record(3, b"\xff poison"),
    kinesis_record(4, {"dwell": {"click_id": "c-1", "dwell_ms": 300}}),
    kinesis_record(5, {"dwell": {"click_id": "c-8", "dwell_ms": 700}}),
    kinesis_record(6, {"click": make_click(3, listing_id="L3")}),
]


def _consume(records, parking):
    return stream.handle_event(records, wiring.ingest(), parking, settings())


def test_the_stream_reports_a_fault_at_any_step_and_a_redelivery_heals(dynamodb, fresh, faults, subtests):
    fresh()
    faults.reset()
    parking = ListParking()
    assert _consume(STREAM_RECORDS, parking) == {"batchItemFailures": []}
    assert parking.parked == ["3"]
    calls = list(faults.calls)
    clean = dump(dynamodb)
    assert check_invariants(clean) == []
    for step, mode in plan(calls):
        with subtests.test(msg=f"{mode} at {step}"):
            fresh()
            parking = ListParking()
            faults.arm(step, mode)
            failed = _consume(STREAM_RECORDS, parking)["batchItemFailures"]
            assert faults.fired == [(step, mode)]
            assert failed, "a storage fault must be reported, not swallowed"
            assert "3" not in {f["itemIdentifier"] for f in failed}  # poison is parked, not retried
            # Lambda retries from the lowest failed sequence number: that record and all after it.
            first = min(int(f["itemIdentifier"]) for f in failed)
            redelivered = [r for r in STREAM_RECORDS if int(r["kinesis"]["sequenceNumber"]) >= first]
            assert _consume(redelivered, parking) == {"batchItemFailures": []}
            assert set(parking.parked) == {"3"}
            healed = dump(dynamodb)
            assert not (problems := check_invariants(healed)), problems
            assert not (diff := differences(clean, healed)), diff


# ---- contention: many writers at once ----------------------------------------------------------

THREADS = 12


def _parallel(fn, n=THREADS):
    barrier = threading.Barrier(n)

    def run(i):
        barrier.wait()
        return fn(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


@atomic_conditions
def test_many_dwell_reports_for_one_click_at_once_apply_one_and_refund_at_most_once(dynamodb):
    ingest = wiring.ingest()
    ingest.score_clicks([parse_click(make_click(1), "click", settings(), 10**13)])
    dwells = [200 + i if i % 2 else 20_000 + i for i in range(THREADS)]  # short and long stays race
    results = _parallel(lambda i: wiring.ingest().report_dwell([("c-1", dwells[i])])[0])
    applied = [(r, d) for r, d in zip(results, dwells, strict=True) if r["status"] == "applied"]
    assert len(applied) == 1, results
    assert {r["status"] for r in results} == {"applied", "duplicate"}
    winner, dwell = applied[0]
    store = wiring.store()
    final = store.get_clicks(["c-1"])["c-1"]
    assert final.dwell_ms == dwell
    assert (final.decision, final.refund_id) == (winner["decision"], winner["refund_id"])
    refunds, _ = store.query_refunds("S1", None, None, 100, None, None)
    if winner["decision"] == "drop":
        assert [(r.click_id, r.stage) for r in refunds] == [("c-1", "dwell")] and final.refund_written
    else:
        assert refunds == []


@atomic_conditions
def test_many_dwell_reports_racing_the_click_itself_keep_one_dwell(dynamodb):
    """Dwell reports that arrive while their click is being scored: pending or applied, never lost."""
    click = parse_click(make_click(1), "click", settings(), 10**13)

    def work(i):
        if i == 0:
            return wiring.ingest().score_clicks([click])[0].to_json()
        return wiring.ingest().report_dwell([("c-1", 300 + i)])[0]

    results = _parallel(work)
    store = wiring.store()
    final = store.get_clicks(["c-1"])["c-1"]
    kept = [r for r in results[1:] if r["status"] in ("applied", "pending")]
    assert kept, results
    assert final.click is not None and final.dwell_ms is not None, "a dwell answered pending/applied was lost"
    refunds, _ = store.query_refunds("S1", None, None, 100, None, None)
    assert [r.click_id for r in refunds] == (["c-1"] if final.decision == "drop" else [])


def test_a_dwell_reported_while_its_click_is_being_written_is_not_lost(client, faults, adserver):
    """The click request read no record; the dwell report then finds no click and keeps the dwell
    as pending (and says so); then the click is written. The dwell must end up on the click."""
    answers = []
    faults.before(
        lambda step: (
            step.op in ("PutItem", "UpdateItem") and step.table == "ClicksTable" and step.key == "c-1"
        ),
        lambda: answers.append(
            post(client, "/v1/dwell", {"dwell": [{"click_id": "c-1", "dwell_ms": 300}]}, adserver)
        ),
    )
    assert post(client, "/v1/clicks", {"clicks": [make_click(1)]}, adserver).status_code == 200
    (answer,) = answers
    assert answer.json_body["results"][0]["status"] == "pending"
    view = client.http.get("/v1/clicks/c-1", headers=adserver).json_body
    assert view["dwell_ms"] == 300, "the dwell answered 'pending' is gone"
    again = post(client, "/v1/dwell", {"dwell": [{"click_id": "c-1", "dwell_ms": 300}]}, adserver)
    assert again.json_body["results"][0]["status"] == "duplicate"


def _links(dynamodb, seller_id: str) -> set[str]:
    prefix = os.environ["FRAUDGUARD_TABLE_PREFIX"]
    found = set()
    for page in dynamodb.get_paginator("scan").paginate(
        TableName=prefix + "SourcesTable", ConsistentRead=True
    ):
        for raw in page["Items"]:
            item = _item("SourcesTable", raw)
            if seller_id in item.get("owners", []):
                found.add(item["source_key"])
    return found


def _profile_keys(profile: dict) -> set[str]:
    keys = {f"acct#{a}" for a in profile.get("account_ids", [])}
    keys |= {f"dev#{d}" for d in profile.get("device_ids", [])}
    return keys | {f"ip#{i}" for i in profile.get("ips", [])}


def _with_retries(fn, attempts: int = 10):
    """What a client does with a 503: send the same request again (after Retry-After)."""
    for attempt in range(attempts):
        try:
            return fn()
        except ServiceUnavailableError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))


@atomic_conditions
def test_concurrent_puts_of_one_seller_leave_one_profile_and_exactly_its_links(dynamodb):
    """Twelve PUTs of one seller at once (the service's own threads: chalice's test client is not
    thread-safe). The stored profile is one of them, and exactly its identities link to it."""
    cfg = settings()
    shared = [f"acct-shared-{i}" for i in range(6)]
    wiring.store().put_seller(parse_profile("S2", {"categories": ["女装"], "account_ids": shared}, cfg))
    rnd = random.Random(3)
    bodies = [
        {
            "categories": ["女装"],
            "account_ids": sorted(rnd.sample(shared, 3)) + [f"acct-own-{i}"],
            "device_ids": [f"dev-own-{i}"],
        }
        for i in range(THREADS)
    ]
    _parallel(lambda i: _with_retries(lambda: wiring.store().put_seller(parse_profile("S2", bodies[i], cfg))))
    profile = wiring.store().get_sellers(["S2"])["S2"].to_json()
    assert {k: v for k, v in profile.items() if k != "seller_id"} in [{"ips": [], **b} for b in bodies]
    links = _links(dynamodb, "S2")
    missing = _profile_keys(profile) - links
    stale = links - _profile_keys(profile)
    assert not missing, f"identities of the stored profile with no link (rival clicks missed): {missing}"
    assert not stale, f"links left from replaced profiles: {stale}"


@atomic_conditions
def test_two_sweeps_at_once_credit_each_click_once(dynamodb, hourly_buckets):
    seed_campaign(wiring.store())
    cfg = settings()
    # Two containers: each its own DynamoDB resource and store object (no cached frame shared).
    other = boto3.resource("dynamodb", config=CLIENT_CONFIG, region_name="us-east-1")
    stores = [DynamoStore(wiring.store().names, cfg, other), wiring.store()]
    # One sweep per container at a time: two threads on one store would share its cached frame,
    # which only a Lambda container's one-event-at-a-time guarantees is safe.
    results = _parallel(lambda i: run_sweep(stores[i], cfg, None), n=2)
    results += _parallel(lambda i: run_sweep(stores[i], cfg, None), n=2)
    written = sum(r["refunds_written"] for r in results)
    state = dump(dynamodb)
    assert check_invariants(state) == []
    sweep_refunds = [r for r in state["RefundsTable"].values() if r["stage"] == "sweep"]
    assert written == len(sweep_refunds) >= 8
    assert len(state["CampaignsTable"]) == 1
    assert {c["campaign_id"] for r in results for c in r["campaigns"]} == set(state["CampaignsTable"])


# ---- identity links and TTL ----------------------------------------------------------------------


def expire(dynamodb, now_s: int) -> int:
    """What DynamoDB's TTL does, some time after `now_s`: delete items whose expires_at has passed."""
    prefix, gone = os.environ["FRAUDGUARD_TABLE_PREFIX"], 0
    for table, keys in (("SourcesTable", ("source_key",)), ("ClicksTable", ("click_id",))):
        for page in dynamodb.get_paginator("scan").paginate(TableName=prefix + table):
            for raw in page["Items"]:
                if "expires_at" in raw and int(raw["expires_at"]["N"]) < now_s:
                    dynamodb.delete_item(TableName=prefix + table, Key={k: raw[k] for k in keys})
                    gone += 1
    return gone


def _rival_reasons(client, adserver, n: int) -> list[str]:
    click = make_click(n, listing_id=f"L{n}", source={"account_id": "acct-x", "ip": f"10.9.{n}.1"})
    (result,) = post(client, "/v1/clicks", {"clicks": [click]}, adserver).json_body["results"]
    return result["reasons"]


def test_a_seller_link_outlives_the_ttl_of_its_source_activity(client, dynamodb, adserver):
    put(client, "/v1/sellers/S1", {"categories": ["女装"]}, adserver)
    put(client, "/v1/sellers/S2", {"categories": ["女装"], "account_ids": ["acct-x"]}, adserver)
    assert _rival_reasons(client, adserver, 1) == ["RIVAL_SELLER"]
    expire(dynamodb, int(time.time()) + 30 * 86400)  # a month later: activity is gone, links stay
    assert _rival_reasons(client, adserver, 2) == ["RIVAL_SELLER"]


def test_a_seller_link_made_while_a_click_is_scored_outlives_the_ttl(client, dynamodb, faults, adserver):
    """The click read acct-x's activity (no owners yet); the seller's link lands; then the click
    writes acct-x's ring. That write must not give the linked item back its expiry."""
    put(client, "/v1/sellers/S1", {"categories": ["女装"]}, adserver)
    put(client, "/v1/sellers/S2", {"categories": ["女装"]}, adserver)
    _rival_reasons(client, adserver, 1)  # acct-x has activity, no owner
    link = {"categories": ["女装"], "account_ids": ["acct-x"]}
    faults.before(
        lambda step: step.op == "UpdateItem" and step.key == "acct#acct-x" and "ring" in step.expr,
        lambda: wiring.store().put_seller(parse_profile("S2", link, settings())),
    )
    _rival_reasons(client, adserver, 2)
    assert wiring.store().get_sellers(["S2"])["S2"].account_ids == ("acct-x",)
    expire(dynamodb, int(time.time()) + 30 * 86400)
    assert _rival_reasons(client, adserver, 3) == ["RIVAL_SELLER"]
