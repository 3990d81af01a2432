"""Detected campaigns: a small store interface, its DynamoDB and in-memory implementations.

A campaign's id is derived from what it attacks and when it began, so every sweep that sees the
same attack names the same campaign and merges into it: targets and members only grow, the span
only widens.
"""

from __future__ import annotations

import base64
import json
import threading
import zlib
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal
from typing import Protocol

from boto3.dynamodb.conditions import Key

from chalicelib.errors import ServiceUnavailableError
from chalicelib.models import FOUND_BY_BURSTS
from chalicelib.storage.base import page_of
from chalicelib.storage.dynamodb import conditionally, storage_call
from chalicelib.timefmt import format_time

MEMBER_KINDS = ("accounts", "devices", "ips", "seller_ids")
TARGET_KINDS = ("advertisers", "listings", "keywords")
PARTITION = "campaign"  # campaigns are a few per hour at most: one GSI partition holds them all
MAX_MERGE_ATTEMPTS = 8


@dataclass
class Campaign:
    campaign_id: str
    anchor: str  # the target it was found on, "listing:<id>", "advertiser:<id>" or "keyword:<kw>"
    start_ts: int  # first and last click of a member on a target (event time)
    end_ts: int
    detected_ts: int  # the `until` of the sweep that first found it
    clicks: int = 0
    micros: int = 0
    advertisers: list[str] = field(default_factory=list)
    listings: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)
    devices: list[str] = field(default_factory=list)
    ips: list[str] = field(default_factory=list)
    seller_ids: list[str] = field(default_factory=list)
    # The cohort's dwell band when it is unnatural ({"low_ms", "high_ms"}), else None.
    dwell: dict | None = None
    # Each attacked listing's last credited click: stays on it are matched against the band
    # only while it is under attack, not for as long as the campaign goes on elsewhere.
    hits: dict[str, int] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    signals: dict = field(default_factory=dict)  # the numbers that made it a campaign
    # An attack's first minutes, found by a sweep before its main body, become part of the
    # campaign that continues them: the one folded away names it (`folded_into`), and that
    # campaign lists the ids folded into it (`folded`), which refunds may still carry.
    folded_into: str | None = None
    folded: list[str] = field(default_factory=list)
    version: int = 0

    @property
    def found_by(self) -> str:
        """What found it: one of the `FOUND_BY_*` names (chalicelib.models)."""
        return self.signals.get("found_by", FOUND_BY_BURSTS)

    def copy(self) -> Campaign:
        """An independent copy (lists and dicts copied; their items are immutable)."""
        return replace(
            self,
            **{k: list(getattr(self, k)) for k in TARGET_KINDS + MEMBER_KINDS + ("reasons", "folded")},
            dwell=dict(self.dwell) if self.dwell else None,
            hits=dict(self.hits),
            signals=dict(self.signals),
        )

    def content(self) -> dict:
        """Everything but the version: what tells whether a merge changed anything."""
        return {k: v for k, v in vars(self).items() if k != "version"}

    def merged(self, other: Campaign) -> Campaign:
        """This campaign grown by what a later sweep saw of the same attack."""
        out = self.copy()
        out.start_ts = min(self.start_ts, other.start_ts)
        out.end_ts = max(self.end_ts, other.end_ts)
        out.detected_ts = min(self.detected_ts, other.detected_ts)
        # A sweep sees the attack only within its look-back: the biggest count is the best one.
        out.clicks = max(self.clicks, other.clicks)
        out.micros = max(self.micros, other.micros)
        for name in TARGET_KINDS + MEMBER_KINDS:
            setattr(out, name, sorted(set(getattr(self, name)) | set(getattr(other, name))))
        out.dwell = other.dwell or self.dwell
        out.hits = {k: max(self.hits.get(k, 0), other.hits.get(k, 0)) for k in self.hits | other.hits}
        out.reasons = sorted(set(self.reasons) | set(other.reasons))
        out.signals = {**self.signals, **other.signals}
        out.folded_into = other.folded_into or self.folded_into
        out.folded = sorted(set(self.folded) | set(other.folded))
        return out

    def summary(self) -> dict:
        """The contract's CampaignSummary: what it attacked, when, how much, how many sources."""
        return {
            "campaign_id": self.campaign_id,
            "start": format_time(self.start_ts),
            "end": format_time(self.end_ts),
            "detected_at": format_time(self.detected_ts),
            "targets": {k: list(getattr(self, k)) for k in TARGET_KINDS},
            "clicks": self.clicks,
            "micros": self.micros,
            "member_counts": {k: len(getattr(self, k)) for k in MEMBER_KINDS},
            "reasons": list(self.reasons),
        }

    def to_json(self) -> dict:
        """The full campaign for GET /v1/campaigns/{id}: the summary plus members and evidence."""
        return {
            **self.summary(),
            "anchor": self.anchor,
            "members": {k: list(getattr(self, k)) for k in MEMBER_KINDS},
            "dwell": self.dwell,
            "signals": self.signals,
            "folded": list(self.folded),
        }


class CampaignStore(Protocol):
    def get(self, campaign_id: str) -> Campaign | None: ...

    def merge(self, campaign: Campaign) -> tuple[Campaign, bool]:
        """Store the campaign or grow the stored one; returns it and whether anything changed."""

    def ending_after(self, ts: int) -> list[Campaign]:
        """Campaigns whose last click is at or after `ts` (the active ones, for real-time matching),
        not folded into another."""

    def page(
        self, start: int | None, end: int | None, limit: int, after: str | None
    ) -> tuple[list[Campaign], str | None]:
        """Campaigns overlapping [start, end], not folded into another, latest end first; `after`
        resumes a previous page."""


def page_key(c: Campaign) -> str:
    return f"{c.end_ts:015d}#{c.campaign_id}"


class MemoryCampaignStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, Campaign] = {}

    def get(self, campaign_id: str) -> Campaign | None:
        with self._lock:
            found = self._items.get(campaign_id)
            return found.copy() if found else None

    def merge(self, campaign: Campaign) -> tuple[Campaign, bool]:
        with self._lock:
            old = self._items.get(campaign.campaign_id)
            new = old.merged(campaign) if old else campaign.copy()
            changed = old is None or new.content() != old.content()
            if changed:
                new.version = (old.version if old else 0) + 1
                self._items[campaign.campaign_id] = new
            return self._items[campaign.campaign_id].copy(), changed

    def ending_after(self, ts: int) -> list[Campaign]:
        with self._lock:
            return [c.copy() for c in self._items.values() if c.end_ts >= ts and not c.folded_into]

    def page(self, start, end, limit, after):
        with self._lock:
            found = sorted(
                (c for c in self._items.values() if _overlaps(c, start, end) and not c.folded_into),
                key=page_key,
                reverse=True,
            )
        if after is not None:
            found = [c for c in found if page_key(c) < after]
        page, cursor = page_of(found, limit, page_key)
        return [c.copy() for c in page], cursor


def _overlaps(c: Campaign, start: int | None, end: int | None) -> bool:
    return (start is None or c.end_ts >= start) and (end is None or c.start_ts <= end)


class DynamoCampaignStore:
    """Campaigns in the CampaignsTable; members are zlib-packed JSON (thousands of ids per attack)."""

    def __init__(self, table):
        self.table = table

    @storage_call
    def get(self, campaign_id: str) -> Campaign | None:
        item = self.table.get_item(Key={"campaign_id": campaign_id}, ConsistentRead=True)
        return _from_item(item["Item"]) if "Item" in item else None

    @storage_call
    def merge(self, campaign: Campaign) -> tuple[Campaign, bool]:
        for _ in range(MAX_MERGE_ATTEMPTS):
            old = self.get(campaign.campaign_id)
            new = old.merged(campaign) if old else campaign.copy()
            if old is not None and new.content() == old.content():
                return old, False
            new.version = (old.version if old else 0) + 1
            cond = "attribute_not_exists(campaign_id)" if old is None else "ver = :old"
            kwargs = {"ConditionExpression": cond}
            if old is not None:
                kwargs["ExpressionAttributeValues"] = {":old": old.version}
            if conditionally(self.table.put_item, Item=_to_item(new), **kwargs):
                return new, True
        raise ServiceUnavailableError("storage unavailable (campaign contention)")

    @storage_call
    def _query(self, low_end: int, high_end: int | None = None, **kwargs):
        cond = Key("part").eq(PARTITION)
        cond &= Key("end_ts").gte(low_end) if high_end is None else Key("end_ts").between(low_end, high_end)
        kwargs = {"IndexName": "by_end", "KeyConditionExpression": cond, **kwargs}
        while True:
            resp = self.table.query(**kwargs)
            yield from resp.get("Items", [])
            if "LastEvaluatedKey" not in resp:
                return
            kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]

    def ending_after(self, ts: int) -> list[Campaign]:
        return [c for c in map(_from_item, self._query(ts)) if not c.folded_into]

    def page(self, start, end, limit, after):
        out: list[Campaign] = []
        for item in self._query(start or 0, None, ScanIndexForward=False):
            c = _from_item(item)
            if after is not None and page_key(c) >= after:
                continue
            if (end is not None and c.start_ts > end) or c.folded_into:
                continue
            out.append(c)
            if len(out) > limit:  # one past the page: another follows
                break
        return page_of(out, limit, page_key)


def _to_item(c: Campaign) -> dict:
    body = asdict(c)
    members = {k: body.pop(k) for k in MEMBER_KINDS}
    packed = zlib.compress(json.dumps(members, separators=(",", ":")).encode())
    return {
        "campaign_id": c.campaign_id,
        "part": PARTITION,
        "end_ts": c.end_ts,
        "ver": c.version,
        "members": base64.b64encode(packed).decode(),
        "body": json.dumps(
            {k: v for k, v in body.items() if k not in ("campaign_id", "end_ts", "version")},
            ensure_ascii=False,
            sort_keys=True,
        ),
    }


def _from_item(item: dict) -> Campaign:
    body = json.loads(item["body"])
    members = json.loads(zlib.decompress(base64.b64decode(item["members"])))
    return Campaign(
        campaign_id=item["campaign_id"],
        end_ts=int(item["end_ts"]),
        version=int(item["ver"]) if isinstance(item["ver"], Decimal | int) else item["ver"],
        **body,
        **members,
    )


def campaign_store(store) -> CampaignStore:
    """The campaign store beside a click store: its own in memory, the CampaignsTable on DynamoDB."""
    found = store.campaigns
    return found if isinstance(found, MemoryCampaignStore) else DynamoCampaignStore(found)
