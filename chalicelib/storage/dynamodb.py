"""DynamoDB implementation of the store (AWS, DynamoDB Local and moto alike)."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import heapq
import inspect
import itertools
import json
import struct
import time
import zlib
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import boto3
from boto3.dynamodb.conditions import Attr, Key
from boto3.dynamodb.types import TypeDeserializer
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.config import Settings, Tables
from chalicelib.errors import ServiceUnavailableError
from chalicelib.models import DROP, Click, Refund, SellerProfile, stable_hash32
from chalicelib.observability import logger, metrics_add
from chalicelib.storage.base import (
    ActivityEntry,
    Advance,
    AdvertiserClick,
    ClickRecord,
    ListingPulse,
    PulseEntry,
    SourceState,
    merge_entries,
    pack_entries,
    pack_pulse,
    page_of,
    refund_cursor,
    refund_key,
    unpack_entries,
    unpack_pulse,
)

# Standard retry mode backs off on throttling; past it the client gets a 503 and retries itself.
CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=5)
META_KEY = "meta#newest_event"
PULSE_PREFIX = "pulse#"  # pulses (listings l:, pools a: k: q: s:, crews' trails c:) in the sources table
MAX_MERGE_ATTEMPTS = 8
MAX_BATCH_ATTEMPTS = 8
PUT_WORKERS = 16
PAGE_PREFIX = "pg#"  # activity pages live in the clicks table under this key prefix
PAGE_TTL_S = 2 * 86400  # pages only feed the sweep's 6-hour look-back
# A merchant summary's pages (SummaryTable): per batch, advertiser and hour, each click's 64-bit
# id hash (to read a click once when several pages hold it), time, cost and charge. Kept for good,
# as the summary spans any range.
SUMMARY_ENTRY = struct.Struct(">QQQQ")
# The evidence values scoring writes when a signal did not fire: stored evidence leaves them out
# (a click item stays under one 1 KB write unit) and reading puts them back.
EVIDENCE_DEFAULTS = {
    "velocity": {},
    "velocity_exceeded": [],
    "duplicate": False,
    "seconds_since_same_listing": None,
    "earlier_stay_ms": None,
    "bot_agent": None,
    "rival": [],
    "rival_repeat_advertiser": 0,
    "campaign_id": None,
    "fresh_source": False,
    "pulse": None,
    "listing_bursting": False,
    "sellers_crowd": None,
    "dwell_pattern": False,
    "dwell_ms": None,
    "short_dwell": False,
}
TRANSIENT_CODES = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionConflictException",
    "LimitExceededException",
}


def storage_call(fn):
    """Turn every storage fault (throttling, 5xx, timeouts) into a 503 the client can retry."""

    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def generator(*args, **kwargs):
            with _as_unavailable():
                yield from fn(*args, **kwargs)

        return generator

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with _as_unavailable():
            return fn(*args, **kwargs)

    return wrapper


@contextlib.contextmanager
def _as_unavailable():
    try:
        yield
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code not in TRANSIENT_CODES and status < 500:
            raise  # a bug of ours, not a fault to retry
        raise ServiceUnavailableError(f"storage unavailable ({code})") from exc
    except BotoCoreError as exc:
        raise ServiceUnavailableError(f"storage unavailable ({type(exc).__name__})") from exc


def _conditional_failed(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def conditionally(write, **kwargs) -> bool:
    """Make a conditional write; False if its condition did not hold (other errors propagate)."""
    try:
        write(**kwargs)
        return True
    except ClientError as exc:
        if _conditional_failed(exc):
            return False
        raise


def written_or_found(write, **kwargs) -> dict | None:
    """Make a conditional write; None if it was made, else the item that failed its condition, as
    the write saw it: it comes back with the error (ALL_OLD), with no read after it to pay for."""
    try:
        write(ReturnValuesOnConditionCheckFailure="ALL_OLD", **kwargs)
        return None
    except ClientError as exc:
        if not _conditional_failed(exc):
            raise
        deserializer = TypeDeserializer()
        return {k: deserializer.deserialize(v) for k, v in exc.response["Item"].items()}


def _plain(value):
    """DynamoDB numbers come back as Decimal: ints stay ints, the rest (scores) become floats."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _decision_values(outcome: dict) -> dict:
    return {
        ":s": Decimal(str(round(outcome["score"], 4))),
        ":r": outcome["reasons"],
        ":e": dump_evidence(outcome["evidence"]),
    }


def dump_evidence(evidence: dict) -> str:
    """Compact JSON of the evidence; scoring's full evidence leaves out signals that did not fire.

    Only evidence with every scoring key is shortened, marked "~", so reading gives back
    exactly what was written.
    """
    if EVIDENCE_DEFAULTS.keys() <= evidence.keys():
        kept = {k: v for k, v in evidence.items() if k not in EVIDENCE_DEFAULTS or v != EVIDENCE_DEFAULTS[k]}
        evidence = {**kept, "~": 1}
    return json.dumps(evidence, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def load_evidence(text: str) -> dict:
    evidence = json.loads(text)
    if evidence.pop("~", None) is None:
        return evidence
    fresh = {k: v.copy() if isinstance(v, dict | list) else v for k, v in EVIDENCE_DEFAULTS.items()}
    return {**fresh, **evidence}


def _page_entry(record: ClickRecord, changes_only: bool) -> dict:
    """One click in an activity page: t ts, d decision, r refund id, w dwell, c click, v rivals."""
    entry = {"i": record.click_id, "t": record.click.ts}
    if record.refund_id:
        entry["r"] = record.refund_id
    if record.dwell_ms is not None:
        entry["w"] = record.dwell_ms
    if changes_only:
        return entry
    body = record.click.to_json()
    for name in ("click_id", "ts"):
        body.pop(name, None)
    entry.update(c=body, d=record.decision)
    rivals = [link["seller_id"] for link in record.evidence.get("rival", [])]
    if rivals:
        entry["v"] = rivals
    if record.campaign_id:
        entry["k"] = record.campaign_id
    return entry


def _click_hash64(click_id: str) -> int:
    """A click id's 64-bit digest: summary pages tell clicks apart by it, within one merchant's
    hour (any collision among 10 million clicks: p = 3e-6)."""
    return int.from_bytes(hashlib.blake2b(click_id.encode(), digest_size=8).digest(), "big")


def _shard_key(key: str, shard: int) -> str:
    """A hot source key's shard item ("shard3|net#1.2.3.0/24"): no source kind starts so."""
    return f"shard{shard}|{key}"


class DynamoStore:
    def __init__(self, tables: Tables, cfg: Settings, resource=None):
        self.cfg = cfg
        self.db = resource or boto3.resource("dynamodb", config=CLIENT_CONFIG)
        self.clicks = self.db.Table(tables.clicks)
        self.refunds = self.db.Table(tables.refunds)
        self.sources = self.db.Table(tables.sources)
        self.sellers = self.db.Table(tables.sellers)
        self.campaigns = self.db.Table(tables.campaigns)
        self.summary = self.db.Table(tables.summary)
        self.names = tables

    # ---- clicks ----

    def _batch_get(self, table_name: str, key_name: str, keys: list[str]) -> list[dict]:
        return self._batch_get_keys(table_name, [{key_name: k} for k in dict.fromkeys(keys)])

    def _batch_get_keys(self, table_name: str, keys: list[dict]) -> list[dict]:
        """BatchGetItem of distinct keys, 100 a call, retrying unprocessed keys with backoff."""
        items: list[dict] = []
        for i in range(0, len(keys), 100):
            request = {table_name: {"Keys": keys[i : i + 100]}}
            for attempt in range(MAX_BATCH_ATTEMPTS):
                resp = self.db.batch_get_item(RequestItems=request)
                items.extend(resp["Responses"].get(table_name, []))
                request = resp.get("UnprocessedKeys") or {}
                if not request:
                    break
                time.sleep(min(0.05 * 2**attempt, 1.0))
            if request:
                raise ServiceUnavailableError("storage unavailable (unprocessed keys)")
        return items

    def _batch_put(self, table_name: str, items: list[dict]) -> None:
        """Unconditional puts, 25 a call, retrying unprocessed items with backoff."""
        for i in range(0, len(items), 25):
            request = {table_name: [{"PutRequest": {"Item": item}} for item in items[i : i + 25]]}
            for attempt in range(MAX_BATCH_ATTEMPTS):
                request = self.db.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
                if not request:
                    break
                time.sleep(min(0.05 * 2**attempt, 1.0))
            if request:
                raise ServiceUnavailableError("storage unavailable (unprocessed items)")

    @storage_call
    def get_clicks(self, click_ids: list[str]) -> dict[str, ClickRecord]:
        items = self._batch_get(self.names.clicks, "click_id", click_ids)
        return {item["click_id"]: self._record(item) for item in items}

    @storage_call
    def find_written_refunds(self, records: Iterable[ClickRecord]) -> None:
        """A claimed refund is written when its record exists: `put_refund` writes no flag on the
        click (a write unit per refund); only refunds claimed but not flagged are looked up."""
        claimed = {
            (r.click.advertiser_id, refund_key(r.click.ts, r.click_id)): r
            for r in records
            if r.click is not None and r.refund_id and not r.refund_written
        }
        keys = [{"advertiser_id": a, "click_key": k} for a, k in claimed]
        for item in self._batch_get_keys(self.names.refunds, keys):
            claimed[(item["advertiser_id"], item["click_key"])].refund_written = True

    def _record(self, item: dict) -> ClickRecord:
        item = _plain(item)
        click = None
        if "click" in item:
            click = Click.from_json(item["click"], ts=item["ts"])
        return ClickRecord(
            click_id=item["click_id"],
            click=click,
            fingerprint=item.get("fingerprint"),
            decision=item.get("decision"),
            charged_micros=item.get("charged_micros", 0),
            score=float(item.get("score", 0)),
            reasons=item.get("reasons", []),
            evidence=load_evidence(item["evidence"]) if "evidence" in item else {},
            dwell_ms=item.get("dwell_ms"),
            pending_dwell_ms=item.get("pending_dwell_ms"),
            refund_id=item.get("refund_id"),
            refund_written=bool(item.get("refund_written", False)),
            campaign_id=item.get("campaign_id"),
        )

    def _item(self, record: ClickRecord) -> dict:
        # Kept under one 1 KB write unit for ordinary clicks: compact evidence, and no attribute
        # for an index (activity and summary pages carry the sweep's and the summary's view, see
        # index_clicks), so the put is the click's only write.
        click = record.click
        item = {
            "click_id": record.click_id,
            "click": click.to_json(),
            "ts": click.ts,
            "cost_micros": click.cost_micros,
            "fingerprint": record.fingerprint,
            "decision": record.decision,
            "charged_micros": record.charged_micros,
            "score": Decimal(str(round(record.score, 4))),
            "reasons": record.reasons,
            "evidence": dump_evidence(record.evidence),
            "refund_written": record.refund_written,
        }
        for name in ("dwell_ms", "refund_id", "campaign_id"):
            if getattr(record, name) is not None:
                item[name] = getattr(record, name)
        return item

    @storage_call
    def put_clicks(self, records: list[ClickRecord]) -> dict[str, ClickRecord]:
        """Store new clicks, each conditionally; return the records that were there first (a click,
        or a pending-dwell stub other than the one the click was scored with)."""
        if len(records) == 1:
            found = [self._put_click(records[0])]
        else:
            # Conditional writes cannot be batched; a pool keeps a batch of 500 to a few round trips
            # of latency (the low-level client is thread-safe, resources are not).
            with ThreadPoolExecutor(max_workers=min(PUT_WORKERS, len(records))) as pool:
                found = list(pool.map(self._put_click, records))
        return {r.click_id: old for r, old in zip(records, found, strict=True) if old is not None}

    def _put_click(self, record: ClickRecord) -> ClickRecord | None:
        # The resource's client (de)serialises Python values, like the resource itself.
        client = self.db.meta.client
        # A click replaces a pending-dwell stub only if it is the stub it was scored with: a dwell
        # kept since then must not vanish under it (the caller scores the click again with it).
        condition = {"ConditionExpression": "attribute_not_exists(click_id)"}
        if record.pending_dwell_ms is not None:
            condition = {
                "ConditionExpression": "attribute_not_exists(click_id) OR "
                "(attribute_not_exists(#c) AND pending_dwell_ms = :p)",
                "ExpressionAttributeNames": {"#c": "click"},
                "ExpressionAttributeValues": {":p": record.pending_dwell_ms},
            }
        found = written_or_found(
            client.put_item, TableName=self.names.clicks, Item=self._item(record), **condition
        )
        return None if found is None else self._record(found)

    # ---- activity pages: the sweep's view of the clicks, one item per batch and time bucket ----

    @storage_call
    def index_clicks(self, records: list[ClickRecord], changes_only: bool = False) -> None:
        """Make stored clicks visible to `iter_clicks_between` and to the merchant summary
        (`iter_advertiser_clicks`), in a few packed items.

        Pages are keyed by a digest of their content, so writing the same records again (a retry,
        a replayed request) puts the same items; a click found in several pages is read once,
        with the newest state (dwell, refund) any of them shows. `changes_only` pages carry just
        a click's dwell and refund (dwell reports, sweep refunds), not the click again: nothing
        the summary adds up changes after the click is stored.
        """
        stored = sorted((r for r in records if r.click is not None), key=lambda r: (r.click.ts, r.click_id))
        self._put_pages([_page_entry(r, changes_only) for r in stored])
        if not changes_only:
            self._batch_put(self.names.summary, self._summary_items(stored))

    def _summary_items(self, records: list[ClickRecord]) -> list[dict]:
        """One page per advertiser and hour (and `page_clicks`), on a shard chosen by its content:
        a retry writes the same items to the same shard."""
        bucket_ms = self.cfg.summary_page_s * 1000
        groups: dict[tuple[str, int], list[bytes]] = {}
        for record in records:
            click = record.click
            entry = SUMMARY_ENTRY.pack(
                _click_hash64(record.click_id), click.ts, click.cost_micros, record.charged_micros
            )
            groups.setdefault((click.advertiser_id, click.ts // bucket_ms), []).append(entry)
        items = []
        size = max(1, self.cfg.page_clicks)
        for (advertiser, _bucket), rows in sorted(groups.items()):
            for i in range(0, len(rows), size):
                body = b"".join(rows[i : i + size])
                digest = hashlib.sha256(advertiser.encode() + b"\0" + body).hexdigest()
                first_ts = SUMMARY_ENTRY.unpack_from(body)[1]  # pages sort by their first click
                items.append(
                    {
                        "adv_key": f"{advertiser}#{int(digest[:8], 16) % self.cfg.advertiser_shards}",
                        "page": f"{first_ts:015d}#{digest[:32]}",
                        "sm": zlib.compress(body, 6),
                    }
                )
        return items

    def _put_pages(self, entries: list[dict]) -> None:
        bucket_ms = self.cfg.time_bucket_s * 1000
        by_bucket: dict[int, list[dict]] = {}
        for entry in entries:
            by_bucket.setdefault(entry["t"] // bucket_ms, []).append(entry)
        items = []
        size = max(1, self.cfg.page_clicks)
        for bucket, rows in sorted(by_bucket.items()):
            for i in range(0, len(rows), size):
                chunk = rows[i : i + size]
                body = json.dumps(chunk, ensure_ascii=False, separators=(",", ":")).encode()
                digest = hashlib.sha256(body).hexdigest()
                items.append(
                    {
                        "click_id": f"{PAGE_PREFIX}{bucket}#{digest[:24]}",
                        "time_bucket": f"{bucket}#{int(digest[:8], 16) % self.cfg.time_bucket_shards}",
                        "ts": chunk[0]["t"],
                        "pg": zlib.compress(body, 6),
                        "expires_at": chunk[-1]["t"] // 1000 + PAGE_TTL_S,
                    }
                )
        self._batch_put(self.names.clicks, items)

    @storage_call
    def put_pending_dwell(self, click_id: str, dwell_ms: int) -> ClickRecord | None:
        expires = int(time.time()) + self.cfg.pending_dwell_ttl_s
        found = written_or_found(
            self.clicks.update_item,
            Key={"click_id": click_id},
            UpdateExpression="SET pending_dwell_ms = if_not_exists(pending_dwell_ms, :d), expires_at = :e",
            ConditionExpression="attribute_not_exists(#c)",
            ExpressionAttributeNames={"#c": "click"},
            ExpressionAttributeValues={":d": dwell_ms, ":e": expires},
        )
        return None if found is None else self._record(found)  # the click is there

    @storage_call
    def apply_dwell(self, click_id: str, dwell_ms: int, outcome: dict | None, refund: Refund | None) -> bool:
        # One conditional write records the dwell, the new score and (if any) the refund claim,
        # so a retry after a failure finds either all of it or none of it.
        expr = "SET dwell_ms = :d"
        cond = "attribute_exists(#c) AND attribute_not_exists(dwell_ms)"
        values: dict = {":d": dwell_ms}
        if outcome is not None:
            expr += ", score = :s, reasons = :r, evidence = :e"
            cond += " AND attribute_not_exists(refund_id)"
            values.update(_decision_values(outcome))
        if refund is not None:
            expr += ", refund_id = :rid, decision = :dec"
            values.update({":rid": refund.refund_id, ":dec": outcome["decision"]})
        return conditionally(
            self.clicks.update_item,
            Key={"click_id": click_id},
            UpdateExpression=expr,
            ConditionExpression=cond,
            ExpressionAttributeNames={"#c": "click"},
            ExpressionAttributeValues=values,
        )

    @storage_call
    def claim_refund(self, record: ClickRecord, refund: Refund, decision: dict) -> bool:
        """Claim the click's one refund and write its record in one transaction: a claim whose
        record was never written would be found by nobody (the click no longer looks charged)."""
        values = {":rid": refund.refund_id, ":d": decision["decision"], **_decision_values(decision)}
        values[":t"] = True
        expr = "SET refund_id = :rid, decision = :d, score = :s, reasons = :r, evidence = :e"
        expr += ", refund_written = :t"
        if refund.campaign_id:
            expr += ", campaign_id = :cid"
            values[":cid"] = refund.campaign_id
        claim = {
            "TableName": self.names.clicks,
            "Key": {"click_id": record.click_id},
            "UpdateExpression": expr,
            "ConditionExpression": "attribute_exists(#c) AND attribute_not_exists(refund_id)",
            "ExpressionAttributeNames": {"#c": "click"},
            "ExpressionAttributeValues": values,
        }
        write = {
            "TableName": self.names.refunds,
            "Item": self._refund_item(refund),
            "ConditionExpression": "attribute_not_exists(click_key)",
        }
        # False: refunded already, by another stage or another sweep.
        return self._transact([{"Update": claim}, {"Put": write}], guard=0)

    @storage_call
    def put_refund(self, refund: Refund) -> None:
        """Write the refund record; `find_written_refunds` finds it."""
        item = self._refund_item(refund)
        # Already there after a retry: the refund is the same one, so there is nothing to do.
        conditionally(self.refunds.put_item, Item=item, ConditionExpression="attribute_not_exists(click_key)")

    @staticmethod
    def _refund_item(refund: Refund) -> dict:
        item = {
            "advertiser_id": refund.advertiser_id,
            "click_key": refund_key(refund.click_ts, refund.click_id),
            "refund_id": refund.refund_id,
            "click_id": refund.click_id,
            "listing_id": refund.listing_id,
            "click_ts": refund.click_ts,
            "refunded_at": refund.refunded_at,
            "amount_micros": refund.amount_micros,
            "currency": refund.currency,
            "stage": refund.stage,
            "kind": refund.kind,
            "reasons": refund.reasons,
        }
        if refund.keyword is not None:
            item["keyword"] = refund.keyword
        if refund.campaign_id is not None:
            item["campaign_id"] = refund.campaign_id
        return item

    # ---- source activity and identities ----

    @storage_call
    def get_sources(self, keys: Iterable[str]) -> dict[str, SourceState]:
        """Each key's activity: its own item's ring, and its shard items' if it is hot."""
        states = {
            item["source_key"]: self._source(item)
            for item in self._batch_get(self.names.sources, "source_key", list(keys))
        }
        shard_keys = [_shard_key(k, n) for k, state in states.items() for n in range(state.shards)]
        for item in self._batch_get(self.names.sources, "source_key", shard_keys):
            part = self._source(item)
            states[part.key.split("|", 1)[1]].parts[part.key] = part
        for state in states.values():
            if state.parts:
                state.entries = merge_entries(
                    state.entries, [e for p in state.parts.values() for e in p.entries], 10**9
                )
        return states

    @staticmethod
    def _source(item: dict) -> SourceState:
        ring = item.get("ring")
        return SourceState(
            key=item["source_key"],
            entries=unpack_entries(bytes(ring.value) if ring is not None else None),
            owners=frozenset(item.get("owners", set())),
            version=int(item.get("ver", 0)),
            shards=int(item.get("shards", 0)),
        )

    @storage_call
    def merge_sources(
        self,
        additions: dict[str, list[ActivityEntry]],
        keep: int,
        known: dict[str, SourceState] | None = None,
    ) -> None:
        """One conditional write per distinct key per batch; a hot key's go to one of its shards.

        A key whose ring of `keep` clicks spans under `source_hot_span_s` (a carrier NAT ip or
        subnet) is marked hot in the same write; from then on each batch's entries for it go to
        the shard item chosen by the batch's own clicks, so concurrent consumers spread over
        `source_hot_shards` partitions, and a retry of a batch lands where the batch did.
        """
        pending = dict(additions)
        loaded = self.get_sources(pending) if known is None else known
        hot_span_ms = self.cfg.source_hot_span_s * 1000
        for _attempt in range(MAX_MERGE_ATTEMPTS):
            conflicts = []
            for key, new in pending.items():
                found = loaded.get(key) or SourceState(key=key)
                seen = {e.click for e in found.entries}
                fresh = [e for e in new if e.click not in seen]
                if not fresh:
                    continue  # a retry: these clicks are already there
                shards = None
                if found.shards:
                    target_key = _shard_key(key, min(e.click for e in fresh) % found.shards)
                    target = found.parts.get(target_key) or SourceState(key=target_key)
                else:
                    target = found
                merged = merge_entries(target.entries, fresh, keep)
                if not found.shards and len(merged) >= keep and merged[-1].ts - merged[0].ts < hot_span_ms:
                    shards = self.cfg.source_hot_shards
                if merged == target.entries:
                    continue  # older than everything the ring keeps
                if not self._write_ring(target, merged, shards):
                    conflicts.append(key)
            if not conflicts:
                return
            pending = {k: pending[k] for k in conflicts}
            loaded = self.get_sources(conflicts)  # only the keys written since they were read
        raise ServiceUnavailableError("storage unavailable (source activity contention)")

    def _write_ring(self, state: SourceState, merged: list[ActivityEntry], shards: int | None = None) -> bool:
        fields: dict = {"ring": pack_entries(merged)}
        if not state.owners:  # an identity link is kept for good (see _link)
            fields["expires_at"] = merged[-1].ts // 1000 + self.cfg.source_ttl_s
        if shards:
            fields["shards"] = shards
        return self._versioned_set(state.key, state.version, fields)

    def _versioned_set(self, source_key: str, version: int, fields: dict) -> bool:
        """Set `fields` on a sources-table item and bump its `ver`, only if it is still at
        `version` (0: no item yet); False when another writer got there first."""
        values = {f":{i}": value for i, value in enumerate(fields.values())}
        values[":v"] = version + 1
        sets = ", ".join(f"{name} = :{i}" for i, name in enumerate(fields))
        cond = "attribute_not_exists(ver)"
        if version:
            cond, values[":old"] = "ver = :old", version
        return conditionally(
            self.sources.update_item,
            Key={"source_key": source_key},
            UpdateExpression=f"SET {sets}, ver = :v",
            ConditionExpression=cond,
            ExpressionAttributeValues=values,
        )

    # ---- listing pulses (the real-time cohort check) ----

    def _load_pulses(self, keys: list[str]) -> dict[str, ListingPulse]:
        items = self._batch_get(self.names.sources, "source_key", [PULSE_PREFIX + k for k in keys])
        out = {}
        for item in items:
            key = item["source_key"][len(PULSE_PREFIX) :]
            ring = item.get("ring")
            entries = unpack_pulse(bytes(ring.value) if ring is not None else None)
            out[key] = ListingPulse(key, entries, float(item.get("quiet", 0)), int(item.get("ver", 0)))
        return out

    @storage_call
    def merge_pulses(
        self, additions: dict[str, list[PulseEntry]], advance: Advance
    ) -> dict[str, ListingPulse]:
        """One conditional write per distinct listing per batch, retried on concurrent writers.

        A pulse still contended after `MAX_MERGE_ATTEMPTS` is judged as this batch last saw it,
        unwritten: a detection aid is not worth failing the clicks (a 503, the whole batch sent
        again into the same contention). `PulseWritesLost` counts them."""
        pending = dict(additions)
        out: dict[str, ListingPulse] = {}
        unwritten: dict[str, ListingPulse] = {}
        for _attempt in range(MAX_MERGE_ATTEMPTS):
            loaded = self._load_pulses(list(pending))
            conflicts = {}
            for key, new in pending.items():
                pulse = loaded.get(key) or ListingPulse(key)
                changed = advance(pulse, new)
                if changed is None:
                    out[key] = pulse  # a retry: the batch is already in it
                elif self._write_pulse(pulse, changed):
                    out[key] = ListingPulse(key, changed.entries, changed.base, pulse.version + 1)
                else:
                    conflicts[key] = new
                    unwritten[key] = changed
            if not conflicts:
                return out
            pending = conflicts
        logger.warning("pulse writes lost to contention", extra={"pulses": sorted(pending)})
        metrics_add("PulseWritesLost", len(pending))
        return out | {key: unwritten[key] for key in pending}

    def _write_pulse(self, old: ListingPulse, new: ListingPulse) -> bool:
        fields = {
            "ring": pack_pulse(new.entries),
            "quiet": Decimal(str(round(new.base, 4))),
            "expires_at": new.entries[-1].ts // 1000 + self.cfg.source_ttl_s,
        }
        return self._versioned_set(PULSE_PREFIX + old.key, old.version, fields)

    @storage_call
    def note_event_time(self, ts: int) -> None:
        """Remember the newest event time seen: the sweep's default `until`.

        Every batch of every stream shard notes it: the maximum is spread over a few items (one
        chosen by the time itself), so no one item takes a write from every batch.
        """
        shard = stable_hash32(str(ts)) % self.cfg.event_time_shards
        conditionally(  # a newer time is already there: nothing to do
            self.sources.update_item,
            Key={"source_key": f"{META_KEY}#{shard}"},
            UpdateExpression="SET newest = :t",
            ConditionExpression="attribute_not_exists(newest) OR newest < :t",
            ExpressionAttributeValues={":t": ts},
        )

    @storage_call
    def newest_click_ts(self) -> int | None:
        keys = [f"{META_KEY}#{n}" for n in range(self.cfg.event_time_shards)]
        items = self._batch_get(self.names.sources, "source_key", keys)
        return max((int(item["newest"]) for item in items), default=None)

    # ---- sellers ----

    @storage_call
    def get_sellers(self, seller_ids: Iterable[str]) -> dict[str, SellerProfile]:
        items = _plain(self._batch_get(self.names.sellers, "seller_id", list(seller_ids)))
        return {item["seller_id"]: self._profile(item) for item in items}

    @staticmethod
    def _profile(item: dict) -> SellerProfile:
        lists = {k: tuple(item.get(k, [])) for k in ("categories", "account_ids", "device_ids", "ips")}
        return SellerProfile(seller_id=item["seller_id"], **lists)

    @storage_call
    def put_seller(self, profile: SellerProfile) -> None:
        # Links first, then the profile, then unlinking: a reader checks a link against the
        # profile, so a request cut off half way never makes a click look like a rival's.
        # The keys to unlink are kept on the profile until they are unlinked, so a retry after a
        # fault part-way through unlinking finishes the job (the stored profile is already new).
        # Concurrent PUTs of one seller take turns on the profile's version, and an unlink only
        # applies while the version that decided it is current: a racing PUT that lists the key
        # again keeps its link.
        sid = profile.seller_id
        new_keys = profile.identity_keys()
        for _attempt in range(MAX_MERGE_ATTEMPTS):
            found = self.sellers.get_item(Key={"seller_id": sid}, ConsistentRead=True).get("Item")
            item = _plain(found or {})
            old = self._profile(item) if item else None
            old_keys = old.identity_keys() if old else set()
            pending = set(item.get("unlink", ()))
            version = int(item.get("ver", 0))
            stale = (old_keys | pending) - new_keys
            for key in sorted(new_keys - old_keys):
                self._link(key, sid, "ADD")
            if old == profile:
                break  # stored already (a retry): finish its unlinking
            body = {**profile.to_json(), "ver": version + 1, **({"unlink": sorted(stale)} if stale else {})}
            condition = (
                {"ConditionExpression": "ver = :v", "ExpressionAttributeValues": {":v": version}}
                if version
                else {"ConditionExpression": "attribute_not_exists(ver)"}
            )
            if conditionally(self.sellers.put_item, Item=body, **condition):
                version += 1
                break
            # another PUT of this seller got in first: start again from it
        else:
            raise ServiceUnavailableError("storage unavailable (seller profile contention)")
        # An unlink decided by an earlier profile may have landed after our links: link again.
        for key in sorted(new_keys & pending):
            self._link(key, sid, "ADD")
        for key in sorted(stale):
            self._unlink(key, sid, version)
        if stale:
            conditionally(
                self.sellers.update_item,
                Key={"seller_id": sid},
                UpdateExpression="REMOVE unlink",
                ConditionExpression="ver = :v",
                ExpressionAttributeValues={":v": version},
            )

    def _link(self, key: str, seller_id: str, action: str) -> None:
        # A linked key never expires: its ring's TTL must not take the identity link with it.
        # Bumping the version makes a ring write that read the key before the link re-read it,
        # so it cannot put the expiry back.
        self.sources.update_item(
            Key={"source_key": key},
            UpdateExpression="ADD owners :s, ver :one REMOVE expires_at"
            if action == "ADD"
            else "DELETE owners :s ADD ver :one",
            ExpressionAttributeValues={":s": {seller_id}, ":one": 1},
        )

    def _unlink(self, key: str, seller_id: str, version: int) -> None:
        """Drop a link (as _link does), if the profile version that decided it is still current."""
        unlink = {
            "TableName": self.names.sources,
            "Key": {"source_key": key},
            "UpdateExpression": "DELETE owners :s ADD ver :one",
            "ExpressionAttributeValues": {":s": {seller_id}, ":one": 1},
        }
        current = {
            "TableName": self.names.sellers,
            "Key": {"seller_id": seller_id},
            "ConditionExpression": "ver = :v",
            "ExpressionAttributeValues": {":v": version},
        }
        # Refused: a newer profile took over, and it unlinks what it does not list.
        self._transact([{"Update": unlink}, {"ConditionCheck": current}], guard=1)

    def _transact(self, items: list[dict], guard: int) -> bool:
        """Write `items` all or nothing: False if item `guard`'s condition refused it.

        Any other cancellation (a conflict with a concurrent transaction, throttling) is a 503."""
        try:
            self.db.meta.client.transact_write_items(TransactItems=items)
            return True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
            if reasons[guard : guard + 1] == ["ConditionalCheckFailed"]:
                return False
            raise ServiceUnavailableError(f"storage unavailable (cancelled: {reasons})") from exc

    # ---- queries ----

    @storage_call
    def query_refunds(self, advertiser_id, start, end, limit, after, reason):
        low = refund_key(start or 0, "")
        high = refund_key(end if end is not None else 10**15 - 1, "\uffff")
        if after is not None:
            high = min(high, after)
        cond = Key("advertiser_id").eq(advertiser_id) & Key("click_key").between(low, high)
        out: list[Refund] = []
        last = None
        kwargs = {"KeyConditionExpression": cond, "ScanIndexForward": False}
        if reason:
            kwargs["FilterExpression"] = Attr("reasons").contains(reason)
        # One refund past the page tells whether another page follows: no cursor on the last one.
        while len(out) <= limit:
            kwargs["Limit"] = max(limit + 1 - len(out), 25)
            if last:
                kwargs["ExclusiveStartKey"] = last
            resp = self.refunds.query(**kwargs)
            for item in resp.get("Items", []):
                if item["click_key"] == after:
                    continue
                out.append(self._refund(_plain(item)))
                if len(out) > limit:
                    break
            last = resp.get("LastEvaluatedKey")
            if not last:
                break
        return page_of(out, limit, refund_cursor)

    @staticmethod
    def _refund(item: dict) -> Refund:
        return Refund(
            refund_id=item["refund_id"],
            click_id=item["click_id"],
            advertiser_id=item["advertiser_id"],
            listing_id=item["listing_id"],
            keyword=item.get("keyword"),
            click_ts=item["click_ts"],
            refunded_at=item["refunded_at"],
            amount_micros=item["amount_micros"],
            currency=item["currency"],
            stage=item["stage"],
            kind=item["kind"],
            reasons=item.get("reasons", []),
            campaign_id=item.get("campaign_id"),
        )

    @storage_call
    def iter_advertiser_clicks(self, advertiser_id, start, end) -> Iterator[AdvertiserClick]:
        """A merchant's clicks in ts order, one hour at a time, from the shards of its summary pages.

        A page starts in the hour of its clicks, so the query starts at the hour of `start`. A click
        in several pages (a redelivery in another batch) is counted once.
        """
        low, high = start or 0, end if end is not None else 10**15 - 1  # 15 digits, as page keys
        bucket_ms = self.cfg.summary_page_s * 1000
        first = low - low % bucket_ms

        def pages(n: int) -> Iterator[tuple[int, dict]]:
            cond = Key("adv_key").eq(f"{advertiser_id}#{n}") & Key("page").between(
                f"{first:015d}", f"{high:015d}#\uffff"
            )
            for item in self._query_all(self.summary, KeyConditionExpression=cond):
                yield int(item["page"].split("#", 1)[0]), item

        merged = heapq.merge(*(pages(n) for n in range(self.cfg.advertiser_shards)), key=lambda p: p[0])
        for _bucket, items in itertools.groupby(merged, key=lambda p: p[0] // bucket_ms):
            by_click: dict[int, tuple[int, int, int]] = {}
            for _ts, item in items:
                body = zlib.decompress(bytes(item["sm"].value))
                for i in range(0, len(body), SUMMARY_ENTRY.size):
                    click_hash, *values = SUMMARY_ENTRY.unpack_from(body, i)
                    by_click.setdefault(click_hash, tuple(values))
            for click_ts, cost, charged in sorted(by_click.values()):
                if low <= click_ts <= high:
                    yield AdvertiserClick(ts=click_ts, cost_micros=cost, charged_micros=charged)

    @storage_call
    def iter_clicks_between(self, start: int, end: int) -> Iterator[ClickRecord]:
        """The clicks of the activity pages of the buckets overlapping [start, end), in ts order.

        Records carry what the sweep reads: the click, decision, refund, dwell and rival flag.
        """
        bucket_s = self.cfg.time_bucket_s
        keys = []
        for bucket in range(start // 1000 // bucket_s, (end - 1) // 1000 // bucket_s + 1):
            for shard in range(self.cfg.time_bucket_shards):
                cond = Key("time_bucket").eq(f"{bucket}#{shard}")
                for item in self._query_all(self.clicks, IndexName="by_time", KeyConditionExpression=cond):
                    keys.append(item["click_id"])
        clicks: dict[str, dict] = {}
        changes: list[dict] = []
        for page in self._batch_get(self.names.clicks, "click_id", keys):
            for entry in json.loads(zlib.decompress(bytes(page["pg"].value))):
                if not start <= entry["t"] < end:
                    continue
                if "c" in entry:
                    clicks.setdefault(entry["i"], entry)
                changes.append(entry)
        state: dict[str, dict] = {}
        for entry in changes:  # dwell and refunds are set once: any page that has them is newest
            seen = state.setdefault(entry["i"], {})
            for name in ("w", "r"):
                if entry.get(name) is not None:
                    seen[name] = entry[name]
        for cid, entry in sorted(clicks.items(), key=lambda kv: (kv[1]["t"], kv[0])):
            seen = state.get(cid, {})
            refund_id = seen.get("r")
            yield ClickRecord(
                click_id=cid,
                click=Click.from_json({**entry["c"], "click_id": cid}, ts=entry["t"]),
                decision=DROP if refund_id else entry["d"],
                refund_id=refund_id,
                dwell_ms=seen.get("w"),
                evidence={"rival": [{"seller_id": s} for s in entry.get("v", [])]},
                campaign_id=entry.get("k"),
            )

    @staticmethod
    def _query_all(table, **kwargs) -> Iterator[dict]:
        while True:
            resp = table.query(**kwargs)
            yield from resp.get("Items", [])
            if "LastEvaluatedKey" not in resp:
                return
            kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]
