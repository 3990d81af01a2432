"""A campaign's trail on a keyword: its members there, each at their latest click."""

from __future__ import annotations

from chalicelib.detect import trail
from chalicelib.storage.base import NO_DWELL, ActivityEntry, ListingPulse, PulseEntry

MINUTE = 60_000


def at(ts: int, member: int) -> PulseEntry:
    return PulseEntry(ts, member, NO_DWELL, False)


def test_a_member_counts_once_at_their_latest_click_and_a_retried_batch_writes_nothing():
    first = trail.advance(ListingPulse("c:x|kw"), [at(0, 1), at(MINUTE, 2), at(2 * MINUTE, 1)], keep=80)
    assert [(e.ts, e.click) for e in first.entries] == [(MINUTE, 2), (2 * MINUTE, 1)]
    assert trail.advance(first, [at(0, 1), at(MINUTE, 2)], keep=80) is None
    assert trail.members_within(first, 2 * MINUTE, 5 * MINUTE) == 2
    assert trail.members_within(first, 6 * MINUTE + 1, 5 * MINUTE) == 1  # member 2 left the window


def test_the_oldest_members_give_way_when_the_ring_is_full():
    full = trail.advance(ListingPulse("c:x|kw"), [at(k, k) for k in range(10)], keep=4)
    assert [e.click for e in full.entries] == [6, 7, 8, 9]


def test_repeat_clicks_are_a_sources_other_earlier_clicks_on_the_campaigns_listings():
    listings = frozenset({11, 12})
    this = ActivityEntry(ts=5 * MINUTE, click=99, listing=30, advertiser=3)
    history = [
        ActivityEntry(ts=MINUTE, click=1, listing=11, advertiser=1),
        ActivityEntry(ts=2 * MINUTE, click=2, listing=12, advertiser=1),
        ActivityEntry(ts=3 * MINUTE, click=3, listing=40, advertiser=4),  # elsewhere
        ActivityEntry(ts=6 * MINUTE, click=4, listing=11, advertiser=1),  # after this click
        this,
    ]
    assert trail.repeat_clicks(history, listings, this) == 2
    assert trail.repeat_clicks(history[:1], listings, this) == 1
