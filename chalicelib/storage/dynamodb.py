"""DynamoDB implementation of the store (AWS, DynamoDB Local and moto alike)."""

from __future__ import annotations

import contextlib
import functools
import inspect
import json
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import boto3
from boto3.dynamodb.conditions import Attr, Key
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.config import Settings, Tables
from chalicelib.errors import ServiceUnavailableError
from chalicelib.models import Click, Refund, SellerProfile
from chalicelib.storage.base import (
    ActivityEntry,
    AdvertiserClick,
    ClickRecord,
    SourceState,
    merge_entries,
    pack_entries,
    unpack_entries,
)

# Standard retry mode backs off on throttling; past it the client gets a 503 and retries itself.
CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=5)
META_KEY = "meta#newest_event"
MAX_MERGE_ATTEMPTS = 8
PUT_WORKERS = 16
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
        ":e": json.dumps(outcome["evidence"], sort_keys=True, ensure_ascii=False),
    }


def refund_key(ts: int, click_id: str) -> str:
    """Refunds sort by click time, then click id: zero-padded so strings order like numbers."""
    return f"{ts:015d}#{click_id}"


class DynamoStore:
    def __init__(self, tables: Tables, cfg: Settings, resource=None):
        self.cfg = cfg
        self.db = resource or boto3.resource("dynamodb", config=CLIENT_CONFIG)
        self.clicks = self.db.Table(tables.clicks)
        self.refunds = self.db.Table(tables.refunds)
        self.sources = self.db.Table(tables.sources)
        self.sellers = self.db.Table(tables.sellers)
        self.campaigns = self.db.Table(tables.campaigns)
        self.names = tables

    # ---- clicks ----

    def _batch_get(self, table_name: str, key_name: str, keys: list[str]) -> list[dict]:
        items: list[dict] = []
        unique = list(dict.fromkeys(keys))
        for i in range(0, len(unique), 100):
            request = {table_name: {"Keys": [{key_name: k} for k in unique[i : i + 100]]}}
            for attempt in range(8):
                resp = self.db.batch_get_item(RequestItems=request)
                items.extend(resp["Responses"].get(table_name, []))
                request = resp.get("UnprocessedKeys") or {}
                if not request:
                    break
                time.sleep(min(0.05 * 2**attempt, 1.0))
            if request:
                raise ServiceUnavailableError("storage unavailable (unprocessed keys)")
        return items

    @storage_call
    def get_clicks(self, click_ids: list[str]) -> dict[str, ClickRecord]:
        items = self._batch_get(self.names.clicks, "click_id", click_ids)
        return {item["click_id"]: self._record(item) for item in items}

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
            evidence=json.loads(item["evidence"]) if "evidence" in item else {},
            dwell_ms=item.get("dwell_ms"),
            pending_dwell_ms=item.get("pending_dwell_ms"),
            refund_id=item.get("refund_id"),
            refund_written=bool(item.get("refund_written", False)),
            campaign_id=item.get("campaign_id"),
        )

    def _item(self, record: ClickRecord) -> dict:
        click = record.click
        bucket_s = self.cfg.time_bucket_s
        shard = int(record.fingerprint[:8], 16) % self.cfg.time_bucket_shards
        item = {
            "click_id": record.click_id,
            "click": click.to_json(),
            "ts": click.ts,
            "advertiser_id": click.advertiser_id,
            "time_bucket": f"{click.ts // 1000 // bucket_s}#{shard}",
            "cost_micros": click.cost_micros,
            "fingerprint": record.fingerprint,
            "decision": record.decision,
            "charged_micros": record.charged_micros,
            "score": Decimal(str(round(record.score, 4))),
            "reasons": record.reasons,
            "evidence": json.dumps(record.evidence, sort_keys=True, ensure_ascii=False),
            "refund_written": record.refund_written,
        }
        for name in ("dwell_ms", "refund_id", "campaign_id"):
            if getattr(record, name) is not None:
                item[name] = getattr(record, name)
        return item

    @storage_call
    def put_clicks(self, records: list[ClickRecord]) -> dict[str, ClickRecord]:
        """Store new clicks, each conditionally; return the records that were there first."""
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
        try:
            client.put_item(
                TableName=self.names.clicks,
                Item=self._item(record),
                ConditionExpression="attribute_not_exists(click_id) OR attribute_not_exists(#c)",
                ExpressionAttributeNames={"#c": "click"},
            )
            return None
        except ClientError as exc:
            if not _conditional_failed(exc):
                raise
        item = client.get_item(
            TableName=self.names.clicks, Key={"click_id": record.click_id}, ConsistentRead=True
        )["Item"]
        return self._record(item)

    @storage_call
    def put_pending_dwell(self, click_id: str, dwell_ms: int) -> ClickRecord | None:
        expires = int(time.time()) + self.cfg.pending_dwell_ttl_s
        try:
            self.clicks.update_item(
                Key={"click_id": click_id},
                UpdateExpression="SET pending_dwell_ms = if_not_exists(pending_dwell_ms, :d), "
                "expires_at = :e",
                ConditionExpression="attribute_not_exists(#c)",
                ExpressionAttributeNames={"#c": "click"},
                ExpressionAttributeValues={":d": dwell_ms, ":e": expires},
            )
            return None
        except ClientError as exc:
            if not _conditional_failed(exc):
                raise
            return self.get_clicks([click_id])[click_id]

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
        try:
            self.clicks.update_item(
                Key={"click_id": click_id},
                UpdateExpression=expr,
                ConditionExpression=cond,
                ExpressionAttributeNames={"#c": "click"},
                ExpressionAttributeValues=values,
            )
            return True
        except ClientError as exc:
            if _conditional_failed(exc):
                return False
            raise

    @storage_call
    def claim_refund(self, record: ClickRecord, refund: Refund, decision: dict) -> bool:
        values = {":rid": refund.refund_id, ":d": decision["decision"], **_decision_values(decision)}
        expr = "SET refund_id = :rid, decision = :d, score = :s, reasons = :r, evidence = :e"
        if refund.campaign_id:
            expr += ", campaign_id = :cid"
            values[":cid"] = refund.campaign_id
        try:
            self.clicks.update_item(
                Key={"click_id": record.click_id},
                UpdateExpression=expr,
                ConditionExpression="attribute_exists(#c) AND attribute_not_exists(refund_id)",
                ExpressionAttributeNames={"#c": "click"},
                ExpressionAttributeValues=values,
            )
            return True
        except ClientError as exc:
            if _conditional_failed(exc):
                return False
            raise

    @storage_call
    def put_refund(self, refund: Refund) -> None:
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
        try:
            self.refunds.put_item(Item=item, ConditionExpression="attribute_not_exists(click_key)")
        except ClientError as exc:
            if not _conditional_failed(exc):
                raise
        self.clicks.update_item(
            Key={"click_id": refund.click_id},
            UpdateExpression="SET refund_written = :t",
            ExpressionAttributeValues={":t": True},
        )

    # ---- source activity and identities ----

    @storage_call
    def get_sources(self, keys: Iterable[str]) -> dict[str, SourceState]:
        items = self._batch_get(self.names.sources, "source_key", list(keys))
        return {item["source_key"]: self._source(item) for item in items}

    @staticmethod
    def _source(item: dict) -> SourceState:
        ring = item.get("ring")
        return SourceState(
            key=item["source_key"],
            entries=unpack_entries(bytes(ring.value) if ring is not None else None),
            owners=frozenset(item.get("owners", set())),
            version=int(item.get("ver", 0)),
        )

    @storage_call
    def merge_sources(self, additions: dict[str, list[ActivityEntry]], keep: int) -> None:
        pending = dict(additions)
        states = self.get_sources(pending)
        for _attempt in range(MAX_MERGE_ATTEMPTS):
            conflicts = []
            for key, new in pending.items():
                state = states.get(key) or SourceState(key=key)
                merged = merge_entries(state.entries, new, keep)
                if merged == state.entries:
                    continue  # a retry: these clicks are already there
                if not self._write_ring(state, merged):
                    conflicts.append(key)
            if not conflicts:
                return
            pending = {k: pending[k] for k in conflicts}
            states = self.get_sources(conflicts)
        raise ServiceUnavailableError("storage unavailable (source activity contention)")

    def _write_ring(self, state: SourceState, merged: list[ActivityEntry]) -> bool:
        expires = merged[-1].ts // 1000 + self.cfg.source_ttl_s
        cond = "attribute_not_exists(ver)" if state.version == 0 else "ver = :old"
        values = {":r": pack_entries(merged), ":v": state.version + 1, ":e": expires}
        if state.version:
            values[":old"] = state.version
        try:
            self.sources.update_item(
                Key={"source_key": state.key},
                UpdateExpression="SET ring = :r, ver = :v, expires_at = :e",
                ConditionExpression=cond,
                ExpressionAttributeValues=values,
            )
            return True
        except ClientError as exc:
            if _conditional_failed(exc):
                return False
            raise

    @storage_call
    def note_event_time(self, ts: int) -> None:
        """Remember the newest event time seen: the sweep's default `until`."""
        try:
            self.sources.update_item(
                Key={"source_key": META_KEY},
                UpdateExpression="SET newest = :t",
                ConditionExpression="attribute_not_exists(newest) OR newest < :t",
                ExpressionAttributeValues={":t": ts},
            )
        except ClientError as exc:
            if not _conditional_failed(exc):
                raise

    @storage_call
    def newest_click_ts(self) -> int | None:
        item = self.sources.get_item(Key={"source_key": META_KEY}).get("Item")
        return int(item["newest"]) if item else None

    # ---- sellers ----

    @storage_call
    def get_sellers(self, seller_ids: Iterable[str]) -> dict[str, SellerProfile]:
        items = _plain(self._batch_get(self.names.sellers, "seller_id", list(seller_ids)))
        return {
            item["seller_id"]: SellerProfile(
                seller_id=item["seller_id"],
                **{k: tuple(item.get(k, [])) for k in ("categories", "account_ids", "device_ids", "ips")},
            )
            for item in items
        }

    @storage_call
    def put_seller(self, profile: SellerProfile) -> None:
        # Links first, then the profile, then unlinking: a reader checks a link against the
        # profile, so a request cut off half way never makes a click look like a rival's.
        old = self.get_sellers([profile.seller_id]).get(profile.seller_id)
        old_keys = old.identity_keys() if old else set()
        new_keys = profile.identity_keys()
        for key in sorted(new_keys - old_keys):
            self._link(key, profile.seller_id, "ADD")
        self.sellers.put_item(Item=profile.to_json())
        for key in sorted(old_keys - new_keys):
            self._link(key, profile.seller_id, "DELETE")

    def _link(self, key: str, seller_id: str, action: str) -> None:
        self.sources.update_item(
            Key={"source_key": key},
            UpdateExpression=f"{action} owners :s",
            ExpressionAttributeValues={":s": {seller_id}},
        )

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
        while len(out) < limit:
            kwargs["Limit"] = max(limit - len(out), 25)
            if last:
                kwargs["ExclusiveStartKey"] = last
            resp = self.refunds.query(**kwargs)
            for item in resp.get("Items", []):
                if item["click_key"] == after:
                    continue
                out.append(self._refund(_plain(item)))
                if len(out) == limit:
                    break
            last = resp.get("LastEvaluatedKey")
            if not last:
                break
        full = len(out) == limit
        return out, refund_key(out[-1].click_ts, out[-1].click_id) if full else None

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
        cond = Key("advertiser_id").eq(advertiser_id) & Key("ts").between(
            start or 0, end if end is not None else 10**15
        )
        for item in self._query_all(self.clicks, IndexName="by_advertiser", KeyConditionExpression=cond):
            yield AdvertiserClick(
                ts=int(item["ts"]),
                cost_micros=int(item["cost_micros"]),
                charged_micros=int(item.get("charged_micros", 0)),
            )

    @storage_call
    def iter_clicks_between(self, start: int, end: int) -> Iterator[ClickRecord]:
        bucket_s = self.cfg.time_bucket_s
        for bucket in range(start // 1000 // bucket_s, (end - 1) // 1000 // bucket_s + 1):
            for shard in range(self.cfg.time_bucket_shards):
                cond = Key("time_bucket").eq(f"{bucket}#{shard}") & Key("ts").between(start, end - 1)
                for item in self._query_all(self.clicks, IndexName="by_time", KeyConditionExpression=cond):
                    yield self._record(item)

    @staticmethod
    def _query_all(table, **kwargs) -> Iterator[dict]:
        while True:
            resp = table.query(**kwargs)
            yield from resp.get("Items", [])
            if "LastEvaluatedKey" not in resp:
                return
            kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]
