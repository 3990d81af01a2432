"""The storage interface the services are given, and the records that cross it.

Two implementations: `dynamodb.DynamoStore` (AWS, DynamoDB Local, moto) and `memory.MemoryStore`
(unit tests and the in-process quality benchmark). Both keep the same guarantees:
- a click is stored once: `put_clicks` is conditional and returns the records already there;
- a click is refunded at most once, ever: `claim_refund` is conditional on the click record;
- source activity merges are idempotent: entries are keyed by click, so a retry adds nothing.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from chalicelib.models import Click, Refund, SellerProfile

T = TypeVar("T")

ENTRY = struct.Struct(">QIII")  # ts_ms, click hash, listing hash, advertiser hash


@dataclass(frozen=True, order=True)
class ActivityEntry:
    """One click in a source's recent activity: when, which click, which listing and advertiser."""

    ts: int
    click: int
    listing: int
    advertiser: int


def pack_entries(entries: Iterable[ActivityEntry]) -> bytes:
    return b"".join(ENTRY.pack(e.ts, e.click, e.listing, e.advertiser) for e in entries)


def unpack_entries(blob: bytes | None) -> list[ActivityEntry]:
    if not blob:
        return []
    return [ActivityEntry(*ENTRY.unpack_from(blob, i)) for i in range(0, len(blob), ENTRY.size)]


def merge_entries(old: list[ActivityEntry], new: Iterable[ActivityEntry], keep: int) -> list[ActivityEntry]:
    """The newest `keep` entries of both, one per click: merging the same click twice is a no-op."""
    by_click = {e.click: e for e in old}
    for e in new:
        by_click.setdefault(e.click, e)
    return sorted(by_click.values())[-keep:]


def refund_key(ts: int, click_id: str) -> str:
    """Refunds sort by click time, then click id: zero-padded so strings order like numbers."""
    return f"{ts:015d}#{click_id}"


def page_of(found: list[T], limit: int, key: Callable[[T], str]) -> tuple[list[T], str | None]:
    """A page of items read one past `limit`: the key to resume from only if another follows, so
    the last page carries no cursor (refunds and campaigns page alike)."""
    page = found[:limit]
    return page, key(page[-1]) if len(found) > limit else None


def refund_cursor(refund: Refund) -> str:
    """The key a page of refunds resumes after."""
    return refund_key(refund.click_ts, refund.click_id)


@dataclass
class SourceState:
    """What is known of one source key: its recent clicks and the sellers it belongs to.

    A hot key's entries are spread over `shards` shard items (DynamoStore), kept in `parts` by
    their keys; `entries` holds them all, with the key's own.
    """

    key: str
    entries: list[ActivityEntry] = field(default_factory=list)
    owners: frozenset[str] = frozenset()
    version: int = 0
    shards: int = 0
    parts: dict[str, SourceState] = field(default_factory=dict)


NO_DWELL = -1


@dataclass(frozen=True, order=True)
class PulseEntry:
    """One click on a listing: when, which click (hash), its stay once reported, and whether a shop
    owner other than the advertiser clicked (the 2011 and 2013 besiegers were small sellers)."""

    ts: int
    click: int
    dwell: int = NO_DWELL
    owner: bool = False


@dataclass
class ListingPulse:
    """What is kept per listing for the real-time cohort check (chalicelib.detect.pulse)."""

    key: str
    entries: list[PulseEntry] = field(default_factory=list)
    base: float = 0.0  # clicks per burst window while the listing is not bursting
    version: int = 0


# A listing's pulse with a batch's entries folded in, or None when they add nothing new.
Advance = Callable[[ListingPulse, list[PulseEntry]], "ListingPulse | None"]


# A ring packed with its owner bits starts with this byte. A ring written before them starts with
# its first click's time, a varint of several bytes whose first has the high bit set.
PULSE_FORMAT_OWNERS = 1


def pack_pulse(entries: Iterable[PulseEntry]) -> bytes:
    """Entries as varints: the time as a step from the previous entry's, the click hash in 4 bytes,
    the stay + 1 (NO_DWELL is 0) doubled plus the owner bit. Steps and stays are small, so a full
    ring of 80 entries packs in about 800 bytes and its item costs one write unit, not two;
    nothing is rounded or capped."""
    out = bytearray([PULSE_FORMAT_OWNERS])
    previous = 0
    for e in entries:
        step = e.ts - previous
        _put_varint(out, step * 2 if step >= 0 else -step * 2 - 1)  # zigzag: any order packs
        out += e.click.to_bytes(4, "big")
        _put_varint(out, (e.dwell - NO_DWELL) * 2 + e.owner)
        previous = e.ts
    return bytes(out)


def unpack_pulse(blob: bytes | None) -> list[PulseEntry]:
    """The entries `pack_pulse` packed; a ring stored before the owner bits reads as owners none."""
    entries: list[PulseEntry] = []
    owners = bool(blob) and blob[0] == PULSE_FORMAT_OWNERS
    at, ts = int(owners), 0
    while blob and at < len(blob):
        zigzag, at = _get_varint(blob, at)
        ts += zigzag // 2 if zigzag % 2 == 0 else -(zigzag + 1) // 2
        click = int.from_bytes(blob[at : at + 4], "big")
        stay, at = _get_varint(blob, at + 4)
        owner = owners and stay % 2 == 1
        entries.append(PulseEntry(ts, click, (stay // 2 if owners else stay) + NO_DWELL, owner))
    return entries


def _put_varint(out: bytearray, value: int) -> None:
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)


def _get_varint(blob: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = blob[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, at
        shift += 7


@dataclass
class ClickRecord:
    """A stored click with its current decision; `click` is None for a dwell waiting for its click."""

    click_id: str
    click: Click | None = None
    fingerprint: str | None = None
    decision: str | None = None
    charged_micros: int = 0
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)
    evidence: dict = field(default_factory=dict)
    dwell_ms: int | None = None
    pending_dwell_ms: int | None = None
    refund_id: str | None = None
    refund_written: bool = False
    campaign_id: str | None = None


@dataclass
class AdvertiserClick:
    """The few fields of a click that a merchant's summary adds up."""

    ts: int
    cost_micros: int
    charged_micros: int


class Store(Protocol):
    """What the services need from storage; every method raises ServiceUnavailableError on faults."""

    def get_clicks(self, click_ids: list[str]) -> dict[str, ClickRecord]:
        """The stored records; `refund_written` may read False for a written refund (a realtime or
        dwell refund's record is not flagged on the click): see `find_written_refunds`."""

    def find_written_refunds(self, records: Iterable[ClickRecord]) -> None:
        """Set `refund_written` on those of the records whose claimed refund's record exists."""

    def put_clicks(self, records: list[ClickRecord]) -> dict[str, ClickRecord]:
        """Store new clicks; return the records that were there first.

        A record's `pending_dwell_ms` names the pending-dwell stub it was scored with: a click
        replaces that stub only. A stub that appeared or changed since comes back (click None)."""

    def put_pending_dwell(self, click_id: str, dwell_ms: int) -> ClickRecord | None:
        """Keep a dwell for a click not seen yet; return the stored record if the click exists."""

    def apply_dwell(self, click_id: str, dwell_ms: int, outcome: dict | None, refund: Refund | None) -> bool:
        """Record a click's first dwell with its new score (and refund claim) in one write.

        False if the click already had a dwell, or if `outcome` is given and it was refunded
        meanwhile: a refunded click keeps its decision.
        """

    def claim_refund(self, record: ClickRecord, refund: Refund, decision: dict) -> bool:
        """Mark the click refunded (at most once, ever), apply the new decision fields and write the
        refund record, all or nothing: a claim whose record was never written is found by nobody."""

    def put_refund(self, refund: Refund) -> None:
        """Write the refund record (idempotent): from then on `find_written_refunds` finds it."""

    def get_sources(self, keys: Iterable[str]) -> dict[str, SourceState]: ...

    def merge_sources(
        self,
        additions: dict[str, list[ActivityEntry]],
        keep: int,
        known: dict[str, SourceState] | None = None,
    ) -> None:
        """Add entries to each source's activity, idempotently, retrying on concurrent writers.

        `known`: what `get_sources` gave for these keys (a key it lacks had no item), so they are
        not read again; a key written since fails its conditional write and is read again."""

    def merge_pulses(
        self, additions: dict[str, list[PulseEntry]], advance: Advance
    ) -> dict[str, ListingPulse]:
        """Fold a batch's entries into each listing's pulse with `advance` (None: nothing new),
        one conditional write per distinct listing, retrying on concurrent writers; returns the
        pulses as stored after the batch (one still contended after the retries: as the batch
        saw it, unwritten). Idempotent: `advance` adds nothing it already holds."""

    def get_sellers(self, seller_ids: Iterable[str]) -> dict[str, SellerProfile]: ...

    def put_seller(self, profile: SellerProfile) -> None:
        """Replace a seller profile and the identity links from its accounts, devices and ips."""

    def query_refunds(
        self,
        advertiser_id: str,
        start: int | None,
        end: int | None,
        limit: int,
        after: str | None,
        reason: str | None,
    ) -> tuple[list[Refund], str | None]:
        """Refunds newest click first; `after` and the returned key are click keys to resume from."""

    def iter_advertiser_clicks(
        self, advertiser_id: str, start: int | None, end: int | None
    ) -> Iterator[AdvertiserClick]: ...

    def index_clicks(self, records: list[ClickRecord], changes_only: bool = False) -> None:
        """Make stored records visible to `iter_clicks_between` (idempotent: call it again freely).

        Scoring calls it after storing a batch (replays included, so a retry heals a batch cut
        off before it), dwell reports with `changes_only` for the dwell and refunds they set.
        """

    def iter_clicks_between(self, start: int, end: int) -> Iterator[ClickRecord]:
        """Every stored click with start <= ts < end (for the sweep).

        Records carry the click, decision, refund id, dwell and `evidence["rival"]`; other fields
        may be left at their defaults (DynamoStore reads them from packed activity pages).
        """

    def note_event_time(self, ts: int) -> None:
        """Remember the newest event time seen (the sweep's default `until`)."""

    def newest_click_ts(self) -> int | None: ...
