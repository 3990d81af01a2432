"""A crew moving on: a running campaign's members arriving together on a keyword it has not reached.

A keyword sweep takes keyword after keyword, a few clicks on each listing of the results page, so
in a keyword's first minutes no listing bursts and no cohort of stays can be judged yet. What is
already known then is who the crew are. Per campaign and keyword, the store keeps a small ring of
its members there (one entry per member, at their latest click), updated once per batch like a
listing's pulse; several of them within a burst window make the keyword the crew's next target.

Pure functions of plain data, as in `pulse`.
"""

from __future__ import annotations

from collections.abc import Iterable

from chalicelib.storage.base import ActivityEntry, ListingPulse, PulseEntry

TRAIL = "c:"  # the key prefix of a campaign's trail on one keyword, beside the pulses


def trail_key(campaign_id: str, keyword: str) -> str:
    """The campaign's trail on one keyword."""
    return f"{TRAIL}{campaign_id}|{keyword}"


def advance(trail: ListingPulse, new: list[PulseEntry], keep: int) -> ListingPulse | None:
    """The trail with a batch's members in, each at their latest click (`PulseEntry.click` holds the
    member's hash); None if the batch brings nothing newer, so a retried batch writes nothing."""
    latest = {e.click: e for e in trail.entries}
    for e in new:
        if e.click not in latest or latest[e.click].ts < e.ts:
            latest[e.click] = e
    entries = sorted(latest.values())[-keep:]
    return None if entries == trail.entries else ListingPulse(trail.key, entries, 0.0, trail.version)


def members_within(trail: ListingPulse, now: int, window_ms: int) -> int:
    """Distinct members on the keyword in the window ending `now`: a crew arrives together, a
    shopper taken for a member comes alone."""
    return sum(1 for e in trail.entries if now - window_ms < e.ts <= now)


def repeat_clicks(history: Iterable[ActivityEntry], listings: frozenset[int], click: ActivityEntry) -> int:
    """A source's clicks on a campaign's listings (hashes) before this one: a shopper taken for a
    member clicked one of them once, a crew member several."""
    return len(
        {e.click for e in history if e.listing in listings and e.ts <= click.ts and e.click != click.click}
    )
