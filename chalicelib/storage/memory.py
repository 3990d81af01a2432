"""In-memory implementation of the store, with DynamoStore's semantics, for tests and the benchmark.

Items are kept the way DynamoStore keeps them (refunds under their sort key, one item per click) and
every read returns a fresh record. Evidence is JSON-clean by construction (scoring builds it from
str keys, lists and numbers) and nobody mutates it in place, so it is kept as a dict and copied at
the top level on read instead of round-tripping through JSON text: the benchmark reads every click
several times.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterable, Iterator

from chalicelib.models import Click, Refund, SellerProfile
from chalicelib.storage.base import (
    ActivityEntry,
    Advance,
    AdvertiserClick,
    ClickRecord,
    ListingPulse,
    PulseEntry,
    SourceState,
    merge_entries,
    page_of,
    refund_cursor,
    refund_key,
)
from chalicelib.storage.campaigns import MemoryCampaignStore


class MemoryStore:
    """The whole Store protocol over dicts; one lock makes each method atomic like a conditional write."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._clicks: dict[str, dict] = {}
        self._by_time: list[tuple[int, str]] = []  # (ts, click_id) of stored clicks, sorted
        self._by_advertiser: dict[str, list[tuple[int, str]]] = {}
        self._refunds: dict[str, dict[str, Refund]] = {}  # advertiser -> click_key -> refund
        self._refund_keys: dict[str, list[str]] = {}  # advertiser -> sorted click keys
        self._sources: dict[str, SourceState] = {}
        self._sellers: dict[str, SellerProfile] = {}
        self._pulses: dict[str, ListingPulse] = {}
        self._newest: int | None = None
        self.campaigns = MemoryCampaignStore()

    # ---- clicks ----

    def get_clicks(self, click_ids: list[str]) -> dict[str, ClickRecord]:
        with self._lock:
            return {cid: self._record(self._clicks[cid]) for cid in click_ids if cid in self._clicks}

    @staticmethod
    def _record(item: dict) -> ClickRecord:
        return ClickRecord(
            click_id=item["click_id"],
            click=item.get("click"),
            fingerprint=item.get("fingerprint"),
            decision=item.get("decision"),
            charged_micros=item.get("charged_micros", 0),
            score=item.get("score", 0.0),
            reasons=list(item.get("reasons", [])),
            evidence=dict(item.get("evidence", {})),
            dwell_ms=item.get("dwell_ms"),
            pending_dwell_ms=item.get("pending_dwell_ms"),
            refund_id=item.get("refund_id"),
            refund_written=bool(item.get("refund_written", False)),
            campaign_id=item.get("campaign_id"),
        )

    @staticmethod
    def _item(record: ClickRecord) -> dict:
        item = {
            "click_id": record.click_id,
            "click": record.click,  # frozen dataclass: safe to share
            "fingerprint": record.fingerprint,
            "decision": record.decision,
            "charged_micros": record.charged_micros,
            "score": round(record.score, 4),
            "reasons": list(record.reasons),
            "evidence": dict(record.evidence),
            "refund_written": record.refund_written,
        }
        for name in ("dwell_ms", "refund_id", "campaign_id"):
            if getattr(record, name) is not None:
                item[name] = getattr(record, name)
        return item

    def put_clicks(self, records: list[ClickRecord]) -> dict[str, ClickRecord]:
        found = {}
        with self._lock:
            for record in records:
                old = self._clicks.get(record.click_id)
                if old is not None and (
                    old.get("click") is not None or old.get("pending_dwell_ms") != record.pending_dwell_ms
                ):
                    found[record.click_id] = self._record(old)  # a click, or a stub not seen
                    continue
                # Like a DynamoDB put, the click replaces the pending-dwell stub it was scored with.
                self._clicks[record.click_id] = self._item(record)
                click: Click = record.click
                bisect.insort(self._by_time, (click.ts, record.click_id))
                bisect.insort(
                    self._by_advertiser.setdefault(click.advertiser_id, []),
                    (click.ts, record.click_id),
                )
        return found

    def index_clicks(self, records: list[ClickRecord], changes_only: bool = False) -> None:
        """Nothing to do: `put_clicks` indexes each click by time as it stores it."""

    def put_pending_dwell(self, click_id: str, dwell_ms: int) -> ClickRecord | None:
        with self._lock:
            item = self._clicks.get(click_id)
            if item is not None and item.get("click") is not None:
                return self._record(item)
            if item is None:
                self._clicks[click_id] = {"click_id": click_id, "pending_dwell_ms": dwell_ms}
            else:
                item.setdefault("pending_dwell_ms", dwell_ms)
            return None

    def apply_dwell(self, click_id: str, dwell_ms: int, outcome: dict | None, refund: Refund | None) -> bool:
        with self._lock:
            item = self._clicks.get(click_id)
            if item is None or item.get("click") is None or "dwell_ms" in item:
                return False
            if outcome is not None and "refund_id" in item:
                return False  # refunded meanwhile: the refund and its decision stand
            item["dwell_ms"] = dwell_ms
            if outcome is not None:
                item["score"] = round(outcome["score"], 4)
                item["reasons"] = list(outcome["reasons"])
                item["evidence"] = dict(outcome["evidence"])
            if refund is not None:
                item["refund_id"] = refund.refund_id
                item["decision"] = outcome["decision"]
            return True

    def claim_refund(self, record: ClickRecord, refund: Refund, decision: dict) -> bool:
        with self._lock:
            item = self._clicks.get(record.click_id)
            if item is None or item.get("click") is None or "refund_id" in item:
                return False
            item["refund_id"] = refund.refund_id
            item["decision"] = decision["decision"]
            item["score"] = round(decision["score"], 4)
            item["reasons"] = list(decision["reasons"])
            item["evidence"] = dict(decision["evidence"])
            if refund.campaign_id:
                item["campaign_id"] = refund.campaign_id
            item["refund_written"] = True  # as DynamoStore's claim flags it
            self.put_refund(refund)  # the lock is reentrant: claim and record are one step
            return True

    def put_refund(self, refund: Refund) -> None:
        key = refund_key(refund.click_ts, refund.click_id)
        with self._lock:
            by_key = self._refunds.setdefault(refund.advertiser_id, {})
            if key not in by_key:
                by_key[key] = Refund(**{**refund.__dict__, "reasons": list(refund.reasons)})
                bisect.insort(self._refund_keys.setdefault(refund.advertiser_id, []), key)

    def find_written_refunds(self, records: Iterable[ClickRecord]) -> None:
        # Like DynamoStore, put_refund flags nothing on the click: a written refund is its record.
        with self._lock:
            for r in records:
                if r.click is not None and r.refund_id and not r.refund_written:
                    key = refund_key(r.click.ts, r.click_id)
                    r.refund_written = key in self._refunds.get(r.click.advertiser_id, {})

    # ---- source activity and identities ----

    def get_sources(self, keys: Iterable[str]) -> dict[str, SourceState]:
        with self._lock:
            return {
                k: SourceState(k, list(s.entries), s.owners, s.version)
                for k in keys
                if (s := self._sources.get(k)) is not None
            }

    def merge_sources(
        self,
        additions: dict[str, list[ActivityEntry]],
        keep: int,
        known: dict[str, SourceState] | None = None,
    ) -> None:
        # Under the lock the merge is atomic: it merges into what is held, whatever was read.
        with self._lock:
            for key, new in additions.items():
                state = self._sources.get(key) or SourceState(key=key)
                merged = merge_entries(state.entries, new, keep)
                if merged == state.entries:
                    continue  # a retry: these clicks are already there
                self._sources[key] = SourceState(key, merged, state.owners, state.version + 1)

    def merge_pulses(
        self, additions: dict[str, list[PulseEntry]], advance: Advance
    ) -> dict[str, ListingPulse]:
        out = {}
        with self._lock:
            for key, new in additions.items():
                pulse = self._pulses.get(key) or ListingPulse(key)
                changed = advance(pulse, new)
                if changed is not None:
                    pulse = self._pulses[key] = ListingPulse(
                        key, changed.entries, changed.base, pulse.version + 1
                    )
                out[key] = ListingPulse(key, list(pulse.entries), pulse.base, pulse.version)
        return out

    def note_event_time(self, ts: int) -> None:
        with self._lock:
            if self._newest is None or self._newest < ts:
                self._newest = ts

    def newest_click_ts(self) -> int | None:
        return self._newest

    # ---- sellers ----

    def get_sellers(self, seller_ids: Iterable[str]) -> dict[str, SellerProfile]:
        with self._lock:
            return {s: self._sellers[s] for s in seller_ids if s in self._sellers}

    def put_seller(self, profile: SellerProfile) -> None:
        with self._lock:
            old = self._sellers.get(profile.seller_id)
            old_keys = old.identity_keys() if old else set()
            new_keys = profile.identity_keys()
            for key in new_keys - old_keys:
                self._relink(key, lambda owners: owners | {profile.seller_id})
            self._sellers[profile.seller_id] = profile
            for key in old_keys - new_keys:
                self._relink(key, lambda owners: owners - {profile.seller_id})

    def _relink(self, key: str, change) -> None:
        state = self._sources.get(key) or SourceState(key=key)
        self._sources[key] = SourceState(key, state.entries, frozenset(change(state.owners)), state.version)

    # ---- queries ----

    def query_refunds(self, advertiser_id, start, end, limit, after, reason):
        low = refund_key(start or 0, "")
        high = refund_key(end if end is not None else 10**15 - 1, "\uffff")
        if after is not None:
            high = min(high, after)
        with self._lock:
            keys = self._refund_keys.get(advertiser_id, [])
            by_key = self._refunds.get(advertiser_id, {})
            i = bisect.bisect_right(keys, high)
            out: list[Refund] = []
            while i > 0 and len(out) <= limit:  # one past the page: does another follow?
                i -= 1
                key = keys[i]
                if key < low:
                    break
                refund = by_key[key]
                if key == after or (reason and reason not in refund.reasons):
                    continue
                out.append(Refund(**{**refund.__dict__, "reasons": list(refund.reasons)}))
        return page_of(out, limit, refund_cursor)

    def iter_advertiser_clicks(self, advertiser_id, start, end) -> Iterator[AdvertiserClick]:
        low, high = start or 0, end if end is not None else 10**15
        with self._lock:
            rows = self._by_advertiser.get(advertiser_id, [])
            i = bisect.bisect_left(rows, (low, ""))
            picked = []
            while i < len(rows) and rows[i][0] <= high:
                item = self._clicks[rows[i][1]]
                picked.append(AdvertiserClick(rows[i][0], item["click"].cost_micros, item["charged_micros"]))
                i += 1
        yield from picked

    def iter_clicks_between(self, start: int, end: int) -> Iterator[ClickRecord]:
        with self._lock:
            i = bisect.bisect_left(self._by_time, (start, ""))
            j = bisect.bisect_left(self._by_time, (end, ""))
            picked = [self._record(self._clicks[cid]) for _, cid in self._by_time[i:j]]
        yield from picked
