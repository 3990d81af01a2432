"""A listing's pulse: the real-time cohort check that stops an attack in its first minutes.

Per listing, the store keeps a small ring of its recent clicks and stays and its quiet-time click
rate, updated once per batch (`advance`). From that state `verdict` tells, at click and at dwell
time, whether the listing is under attack right now: its clicks in the last few minutes are far
above its own baseline, and the stays of its recent clicks lack the quick bounces and the long
tail of organic stays (Weibull with shape < 1). An honest viral crowd has the volume but not the
stays, so volume alone never trips it.

A keyword and a shop have pulses of their own too: a sweep clicking every ad of a results page,
or a siege spread over a shop's listings, brings a few clicks to each listing, too few for any
one to burst, while the keyword's or the shop's clicks do. A listing that such an attack has
reached (`reached`), or that bursts with too few stays yet to be judged alone, is judged by the
keyword's or shop's cohort (`through`).

Everything here is a pure function of plain data: the entries and the settings.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from chalicelib.config import Settings
from chalicelib.detect import signals
from chalicelib.storage.base import NO_DWELL, ListingPulse, PulseEntry

KEYWORD_PULSE = "q:"  # the key prefix of a keyword's own pulse (`keyword_key`)
SHOP_PULSE = "s:"  # and of a shop's (`shop_key`)


@dataclass(frozen=True)
class Verdict:
    """A bursting listing now: its volume and, when its cohort's stays are scripted, their band."""

    clicks: int
    expected: float
    shape: float | None = None
    band: tuple[float, float] | None = None
    # Whose stays gave the band: the shop's ("a:...") or keyword's ("k:...") bursting listings,
    # or the keyword's ("q:...") or shop's ("s:...") own pulse when it is under attack.
    pooled: str | None = None
    owners: int = 0  # of `clicks`, those by shop owners other than the advertiser
    tails: float | None = None  # of its own cohort's stays, the share a crowd's bounces and long reads make

    @property
    def scripted(self) -> bool:
        return self.band is not None

    def natural(self, crowd_tails: float) -> bool:
        """Its own cohort was judged, is not scripted, and has a crowd's bounces and long reads."""
        return self.band is None and self.tails is not None and self.tails >= crowd_tails

    @property
    def wide(self) -> bool:
        """Judged by its keyword's or shop's whole cohort (`through`), not by its listing's own."""
        return self.pooled is not None and self.pooled.startswith((KEYWORD_PULSE, SHOP_PULSE))

    def holds(self, dwell_ms: int) -> bool:
        """A stay inside the scripted cohort's band."""
        return self.band is not None and self.band[0] <= dwell_ms <= self.band[1]

    def evidence(self) -> dict:
        return {
            "listing_clicks": self.clicks,
            "listing_expected": round(self.expected, 2),
            "cohort_shape": None if self.shape is None else round(self.shape, 2),
            "band_ms": None if self.band is None else [round(self.band[0]), round(self.band[1])],
            "band_pooled_from": self.pooled,
        }


def merge(entries: list[PulseEntry], new: list[PulseEntry], keep_clicks: int, keep_stays: int):
    """Entries of both, one per click (a stay fills its click's entry); merging twice is a no-op.

    The newest `keep_clicks` clicks are kept for the volume, and the newest `keep_stays` stays
    for the cohort test, even when a hot listing's clicks have moved on past them.
    """
    by_click = {e.click: e for e in entries}
    for e in new:
        old = by_click.get(e.click)
        if old is None or (old.dwell == NO_DWELL and e.dwell != NO_DWELL):
            by_click[e.click] = replace(e, ts=old.ts, owner=old.owner or e.owner) if old else e
    ordered = sorted(by_click.values())
    recent = set(ordered[-keep_clicks:])
    stays = [e for e in ordered if e.dwell != NO_DWELL][-keep_stays:]
    return sorted(recent.union(stays))


def quiet_rate(ts: np.ndarray, now: int, window_ms: int) -> float | None:
    """Clicks per window before the current one, over the span the ring covers: its own baseline."""
    old = np.sort(ts[ts <= now - window_ms])
    if len(old) < 2:
        return None
    span = now - window_ms - int(old[0])
    return len(old) * window_ms / span if span > 0 else None


def bursting(clicks: int, expected: float, cfg: Settings) -> bool:
    """Far more clicks in the window than the listing's baseline brings, and not by chance."""
    return (
        clicks >= cfg.pulse_min_clicks
        and clicks >= cfg.burst_min_lift * expected
        and float(signals.poisson_surprise(clicks, expected)) >= cfg.pulse_min_surprise
    )


def untailed(dwell_ms: np.ndarray) -> float:
    """Share of stays under a fifth or over three times their median: organic stays put about a
    quarter there or more (Weibull shape <= 1), a scripted stay or a hired band almost none."""
    d = dwell_ms[np.isfinite(dwell_ms) & (dwell_ms > 0)]
    if len(d) == 0:
        return float("nan")
    m = float(np.median(d))
    return float(np.mean((d < m / 5) | (d > 3 * m)))


def expected_clicks(pulse: ListingPulse, cfg: Settings) -> float:
    """What the listing's own baseline brings in a window, with a floor for a quiet listing."""
    return max(pulse.base, cfg.burst_floor_clicks)


class Ring:
    """A pulse's entries as arrays (each click's time, stay and owner bit), each read from the
    entries once, and only when asked for: a verdict needs all three, `advance` and `reached`
    only the times."""

    def __init__(self, entries: list[PulseEntry]):
        self.entries = entries

    @cached_property
    def ts(self) -> np.ndarray:
        return np.fromiter((e.ts for e in self.entries), np.int64, len(self.entries))

    @cached_property
    def dwell(self) -> np.ndarray:
        return np.fromiter((e.dwell for e in self.entries), np.float64, len(self.entries))

    @cached_property
    def owner(self) -> np.ndarray:
        return np.fromiter((e.owner for e in self.entries), np.bool_, len(self.entries))

    def in_window(self, now: int, cfg: Settings) -> np.ndarray:
        """Which clicks fall in the burst window ending `now`: an attack lands within minutes."""
        return (self.ts > now - cfg.burst_window_s * 1000) & (self.ts <= now)

    def window_clicks(self, now: int, cfg: Settings) -> int:
        """How many clicks fall in the burst window ending `now`."""
        return int(np.count_nonzero(self.in_window(now, cfg)))

    def cohort(self, now: int, cfg: Settings) -> np.ndarray:
        """The stays of its clicks in the cohort span before `now`: who came with the burst."""
        return self.dwell[(self.dwell != NO_DWELL) & (now - self.ts < cfg.pulse_cohort_s * 1000)]


def advance(pulse: ListingPulse, new: list[PulseEntry], cfg: Settings) -> ListingPulse | None:
    """The pulse with a batch's clicks and stays merged in; None if the batch adds nothing.

    The baseline moves only while the listing is not bursting, and rises at most
    `pulse_base_growth` times an hour: an attack that fills the ring is measured against the
    listing's rate before it began, and so is its next wave.
    """
    entries = merge(pulse.entries, new, cfg.pulse_keep_clicks, cfg.pulse_keep_stays)
    if entries == pulse.entries:
        return None
    out = ListingPulse(pulse.key, entries, pulse.base, pulse.version)
    ring = Ring(entries)
    now = int(ring.ts.max())
    if not bursting(ring.window_clicks(now, cfg), expected_clicks(pulse, cfg), cfg):
        rate = quiet_rate(ring.ts, now, cfg.burst_window_s * 1000)
        if rate is not None and pulse.base > 0 and pulse.entries:
            # Capped at a day: past it the bound no longer binds (and a gap of years would overflow).
            hours = min(max(now - pulse.entries[-1].ts, 0) / 3_600_000, 24.0)
            rate = min(rate, pulse.base * cfg.pulse_base_growth**hours)
        if rate is not None:
            out.base = rate
    return out


def scripted_band(cohort: np.ndarray, cfg: Settings) -> tuple[float, float, tuple[float, float] | None]:
    """The cohort's Weibull shape, its tails share (`untailed`), and its band when its stays are
    unnatural: a narrow middle (shape far above organic's < 1) and neither the quick bounces nor
    the long tail."""
    shape, tails = signals.weibull_shape(cohort), untailed(cohort)
    if not (shape >= cfg.pulse_min_shape and tails <= cfg.pulse_max_untailed):
        return shape, tails, None
    return shape, tails, signals.dwell_band(cohort, cfg.band_core_share, cfg.band_widen)


def sellers_crowd(v: Verdict, cfg: Settings) -> dict | None:
    """Shop owners crowd the burst far beyond their share of honest clicks, and not by chance: the
    2011 and 2013 besiegers were small sellers, a viral or pre-sale crowd is shoppers. The
    evidence when they do, else None."""
    surprise = float(signals.binomial_surprise(v.owners, v.clicks, cfg.pulse_owner_share))
    if surprise < cfg.pulse_min_surprise:
        return None
    return {"owner_clicks": v.owners, "listing_clicks": v.clicks}


def verdict(pulse: ListingPulse, now: int, cfg: Settings) -> Verdict | None:
    """The listing's state at `now`: None unless bursting; scripted when its stays are unnatural."""
    if not pulse.entries:
        return None
    ring = Ring(pulse.entries)
    window = ring.in_window(now, cfg)
    clicks, expected = int(np.count_nonzero(window)), expected_clicks(pulse, cfg)
    if not bursting(clicks, expected, cfg):
        return None
    owners = int(np.count_nonzero(window & ring.owner))
    cohort = ring.cohort(now, cfg)
    if len(cohort) < cfg.pulse_min_stays:
        return Verdict(clicks, expected, owners=owners)
    shape, tails, band = scripted_band(cohort, cfg)
    return Verdict(clicks, expected, shape, band, owners=owners, tails=tails)


def keyword_key(keyword: str) -> str:
    """A keyword's own pulse: every click on its listings, bursting or not (not `k:`, which pools
    the stays of its bursting listings only)."""
    return KEYWORD_PULSE + keyword


def shop_key(advertiser_id: str) -> str:
    """A shop's own pulse: every click on its listings, bursting or not (not `a:`, which pools
    the stays of its bursting listings only)."""
    return SHOP_PULSE + advertiser_id


def reached(listing: ListingPulse, now: int, cfg: Settings) -> bool:
    """The listing takes several times its own baseline now, too few clicks yet for a burst of its
    own: a sweep clicking every ad of a keyword's results page, or a siege wave over a shop's
    listings, leaves a few on each at first."""
    if not listing.entries:
        return False
    return Ring(listing.entries).window_clicks(now, cfg) >= cfg.burst_min_lift * expected_clicks(listing, cfg)


def through(v: Verdict, key: str) -> Verdict:
    """The verdict of a listing reached by an attack on its keyword or shop (`key`, the wide
    pulse's): that pulse's cohort, volume and band, named in the evidence."""
    return replace(v, pooled=key)


def group_keys(advertiser_id: str, keyword: str | None) -> list[str]:
    """The pulses a listing's stays are pooled in while it bursts: its shop's and its keyword's."""
    return ["a:" + advertiser_id] + ([] if keyword is None else ["k:" + keyword])


def borrow(v: Verdict, groups: list[ListingPulse], now: int, cfg: Settings) -> Verdict:
    """A bursting listing with too few stays of its own to judge takes the band of its shop's or
    keyword's bursting listings when their pooled stays are scripted: a siege spreads over a
    shop's listings and a sweep over a keyword's, a few dozen clicks on each, so each listing's
    own cohort fills only as the wave ends. A listing with enough stays is judged on its own
    (an honest viral crowd stays as it likes whatever the shop's other listings see)."""
    if v.shape is not None:
        return v
    for group in groups:
        cohort = Ring(group.entries).cohort(now, cfg)
        if len(cohort) < cfg.pulse_min_stays:
            continue
        shape, _, band = scripted_band(cohort, cfg)
        if band is not None:
            return replace(v, shape=shape, band=band, pooled=group.key)
    return v
