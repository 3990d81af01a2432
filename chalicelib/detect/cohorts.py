"""From a frame of recent clicks to campaigns: bursts, their cohorts, and the tests that tell attacks.

1. Burst: a target (listing, advertiser or keyword) gets many more clicks in a few minutes than
   its usual share of the market would bring (volume beyond its own baseline).
2. Suspect: the burst's cohort stays as it was told to (a narrow dwell band), comes back in other
   bursts (lockstep) or is made of rival sellers. An honest viral crowd does none of these, so
   volume alone never makes a campaign.
3. Credit: each click of a suspect burst gets posterior odds of being the attack's: the burst's
   excess over baseline (prior) times the likelihood ratios of the click's own evidence (its
   stay in or out of the band, its source back in other bursts, rival linkage). Clicks at 95%
   and their sources' other clicks on the attacked targets are the campaign's.
4. Campaign: suspect bursts that share credited sources are one attack.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from chalicelib.config import Settings
from chalicelib.detect import signals
from chalicelib.detect.frame import NONE, ClickFrame
from chalicelib.detect.odds import band_share_odds

MINUTE_MS = 60_000
TARGET_COLUMNS = ("listing", "advertiser", "keyword")


@dataclass
class Burst:
    target: int  # interned target name ("l:...", "a:...", "k:...")
    column: str
    start: int  # first and last minute (from the window start) of its clicks
    end: int
    rows: np.ndarray  # positions (in the window's arrays) of the clicks on the target then
    persons: np.ndarray
    odds: float  # prior odds that a click of the burst is not baseline traffic
    band: tuple[float, float] | None = None  # the cohort's prescribed stay, when unnatural
    spread: float | None = None  # cohort log-dwell IQR over the market's
    repeat: float = 0.0  # share of its sources also in a burst at another time
    rival: float = 0.0  # share of its clicks by rival sellers

    def suspect(self, cfg: Settings) -> bool:
        """Attackers must obey a script or come back; rival linkage only corroborates (NAT ips
        and shared family devices link honest shoppers to shops too)."""
        return self.band is not None or self.repeat >= cfg.repeat_share


@dataclass
class Found:
    """One detected campaign, in window terms: the sweep names and stores it."""

    bursts: list[Burst]
    rows: np.ndarray  # the campaign's clicks (positions in the window's arrays)
    credited: np.ndarray  # the subset whose own evidence reached the odds (the rest: members')
    band: tuple[float, float] | None
    hits: dict[int, int] = field(default_factory=dict)  # dominated listing -> last credited ts
    targets: dict[str, set[int]] = field(default_factory=dict)
    signals: dict = field(default_factory=dict)


class Window:
    """The sweep's arrays: the frame's live rows before `until`, with minutes from the start."""

    def __init__(self, frame: ClickFrame, until: int, lookback_ms: int):
        # Whole clock minutes, so a burst starts at the same minute whatever second we sweep at.
        self.start = (until - lookback_ms) // MINUTE_MS * MINUTE_MS
        self.n_minutes = (until - 1 - self.start) // MINUTE_MS + 1
        ts = frame.cols["ts"]
        self.rows = np.flatnonzero((ts >= self.start) & (ts < until))
        self.cols = {k: v[self.rows] for k, v in frame.cols.items()}
        self.minute = (self.cols["ts"] - self.start) // MINUTE_MS

    def __len__(self) -> int:
        return len(self.rows)


def find_campaigns(win: Window, cfg: Settings) -> list[Found]:
    """Every campaign visible in the window."""
    if len(win) == 0:
        return []
    bursts = find_bursts(win, cfg)
    if not bursts:
        return []
    repeated = describe(bursts, win, cfg)
    suspects = [b for b in bursts if b.suspect(cfg)]
    if not suspects:
        return []
    odds = posterior_odds(bursts, win, repeated, cfg)
    credited = odds >= cfg.member_odds
    came_back = np.isin(win.cols["person"], repeated)
    groups = link(suspects, win.cols["person"], credited, cfg)
    return [assemble(group, win, credited, came_back, cfg) for group in groups]


def find_bursts(win: Window, cfg: Settings) -> list[Burst]:
    """Targets whose clicks in a short window far exceed their usual share of the market's."""
    width = max(1, cfg.burst_window_s // 60)
    block = max(1, cfg.baseline_block_s // 60)
    market = np.bincount(win.minute, minlength=win.n_minutes)
    market_w = signals.rolling_sum(market, width)
    out: list[Burst] = []
    for column in TARGET_COLUMNS:
        targets = win.cols[column]
        has = targets != NONE
        # Only targets with enough clicks in the whole look-back can hold a burst of that size.
        uniq, totals = np.unique(targets[has], return_counts=True)
        busy = uniq[totals >= cfg.burst_min_sources]
        if len(busy) == 0:
            continue
        pick = np.flatnonzero(has & np.isin(targets, busy))
        ids, counts = signals.target_minute_counts(targets[pick], win.minute[pick], win.n_minutes)
        observed = signals.rolling_sum(counts, width)
        share = signals.baseline_share(counts, market, block)
        floor = cfg.burst_floor_clicks
        expected = np.maximum(share[:, None] * market_w[None, :], floor)
        hot = (
            (observed >= cfg.burst_min_sources)
            & (observed >= cfg.burst_min_lift * expected)
            & (signals.poisson_surprise(observed, expected) >= cfg.burst_min_surprise)
        )
        hot_targets = np.flatnonzero(hot.any(axis=1))
        if len(hot_targets) == 0:
            continue
        order = pick[np.argsort(targets[pick], kind="stable")]
        sorted_targets = targets[order]
        for i in hot_targets:
            target = int(ids[i])
            lo, hi = np.searchsorted(sorted_targets, [target, target + 1])
            on_target = order[lo:hi]
            m = win.minute[on_target]
            per_minute = np.maximum(share[i] * market, floor / width)
            for first, last in signals.runs(hot[i]):
                start = max(0, first - width + 1)
                rows = on_target[(m >= start) & (m <= last)]
                persons = np.unique(win.cols["person"][rows])
                if len(persons) < cfg.burst_min_sources:
                    continue  # many clicks, few people: the per-click rules' business
                base = float(per_minute[start : last + 1].sum())
                out.append(
                    Burst(
                        target=target,
                        column=column,
                        start=start,
                        end=last,
                        rows=rows,
                        persons=persons,
                        odds=max(len(rows) - base, 0.0) / base,
                    )
                )
    return out


def describe(bursts: list[Burst], win: Window, cfg: Settings) -> np.ndarray:
    """Fill each burst's dwell band, repeat and rival shares; returns who came back (by person)."""
    dwell = win.cols["dwell"]
    market_iqr = signals.log_iqr(dwell)
    for b in bursts:
        b.rival = float(win.cols["rival"][b.rows].mean())
        known = dwell[b.rows]
        known = known[np.isfinite(known)]
        if len(known) < cfg.cohort_min_dwells or not market_iqr > 0:
            continue
        b.spread = signals.log_iqr(known) / market_iqr
        if b.spread <= cfg.dwell_spread_ratio:
            lo, hi = signals.dwell_band(known, cfg.band_core_share, cfg.band_widen)
            b.band = (lo, hi)
    # Lockstep: a source in two bursts at different times (one started after the other ended).
    persons = np.concatenate([b.persons for b in bursts])
    starts = np.concatenate([np.full(len(b.persons), b.start) for b in bursts])
    ends = np.concatenate([np.full(len(b.persons), b.end) for b in bursts])
    uniq, inv = np.unique(persons, return_inverse=True)
    earliest_end = np.full(len(uniq), np.iinfo(np.int64).max)
    latest_start = np.full(len(uniq), np.iinfo(np.int64).min)
    np.minimum.at(earliest_end, inv, ends)
    np.maximum.at(latest_start, inv, starts)
    came_back = latest_start > earliest_end
    offset = 0
    for b in bursts:
        n = len(b.persons)
        b.repeat = float(came_back[inv[offset : offset + n]].mean())
        offset += n
    return uniq[came_back]


def posterior_odds(bursts: list[Burst], win: Window, repeated: np.ndarray, cfg: Settings) -> np.ndarray:
    """Per click of the window: the odds that it is a suspect burst's attack click (0 elsewhere).

    A click is judged by its listing's burst only: a keyword or an advertiser that bursts
    nominates and links bursts, but a listing gone viral with honest stays is not the attack's
    just because the keyword it was found by is being swept at the same time.
    """
    cols = win.cols
    n = len(win)
    dwell = cols["dwell"]
    known = np.isfinite(dwell)
    came_back = np.isin(cols["person"], repeated)
    # How common each piece of evidence is in the whole market: the honest rate it is weighed by.
    people = len(np.unique(cols["person"]))
    market_repeat = max(len(repeated) / max(people, 1), 1e-3)
    market_rival = max(float(cols["rival"].mean()), 1e-3)
    cap = cfg.max_likelihood_ratio
    best = np.zeros(n)
    for b in bursts:
        rows = b.rows
        if b.column != "listing" or not b.suspect(cfg):
            continue
        ratio = np.full(len(rows), b.odds)
        if b.band is not None:
            in_band = (dwell >= b.band[0]) & (dwell <= b.band[1])
            market_in = max(float(in_band[known].mean()), 1e-3)
            cohort_known = known[rows]
            cover = float(in_band[rows][cohort_known].mean()) if cohort_known.any() else 0.0
            # A click without a stay in the band has only the prior: the part of the burst the
            # band explains, not all its excess (an honest viral crowd is excess volume too).
            own = in_band[rows] & cohort_known
            ratio = np.where(own, ratio, min(b.odds, band_share_odds(cover, market_in)))
            ratio *= np.where(
                ~cohort_known,
                1.0,
                np.where(
                    in_band[rows],
                    _clip(cover / market_in, cap),
                    _clip((1 - cover) / max(1 - market_in, 1e-3), cap),
                ),
            )
        ratio *= np.where(
            came_back[rows],
            _clip(b.repeat / market_repeat, cap),
            _clip((1 - b.repeat) / (1 - market_repeat), cap),
        )
        ratio *= np.where(
            cols["rival"][rows],
            _clip(b.rival / market_rival, cap),
            _clip((1 - b.rival) / (1 - market_rival), cap),
        )
        best[rows] = ratio
    return best


def _clip(ratio: float, cap: float) -> float:
    return float(min(max(ratio, 1.0 / cap), cap))


def link(bursts: list[Burst], person: np.ndarray, credited: np.ndarray, cfg: Settings) -> list[list[Burst]]:
    """Group bursts of one attack: the same target again, or the same credited sources."""
    cohorts = [np.unique(person[b.rows[credited[b.rows]]]) for b in bursts]
    everyone, inv = np.unique(np.concatenate(cohorts), return_inverse=True)
    incidence = np.zeros((len(bursts), len(everyone)), dtype=np.float32)
    offset = 0
    for i, c in enumerate(cohorts):
        incidence[i, inv[offset : offset + len(c)]] = 1.0
        offset += len(c)
    shared = incidence @ incidence.T
    sizes = np.array([len(c) for c in cohorts], dtype=np.float32)
    smaller = np.minimum(sizes[:, None], sizes[None, :])
    linked = (shared >= cfg.link_min_shared) & (shared >= cfg.link_containment * smaller)
    keys = np.array([hash((b.column, b.target)) for b in bursts])
    linked |= keys[:, None] == keys[None, :]
    # Connected components by label propagation: each burst takes its smallest linked label.
    labels = np.arange(len(bursts))
    while True:
        spread = np.where(linked, labels[None, :], len(bursts)).min(axis=1)
        spread = np.minimum(spread, labels)
        if (spread == labels).all():
            break
        labels = spread[spread]
    groups: dict[int, list[Burst]] = {}
    for label, b in zip(labels.tolist(), bursts, strict=True):
        groups.setdefault(label, []).append(b)
    return sorted(groups.values(), key=lambda g: min((b.start, b.target) for b in g))


def assemble(
    group: list[Burst], win: Window, credited: np.ndarray, came_back: np.ndarray, cfg: Settings
) -> Found:
    """The campaign of linked bursts: credited clicks plus their members' clicks on its targets.

    A member is a source with two credited clicks, or one and a return in another burst: one
    click in the band is evidence about that click, not yet about the person behind it.
    """
    cols = win.cols
    cohort = np.unique(np.concatenate([b.rows for b in group]))
    mine = cohort[credited[cohort]]
    persons, counts = np.unique(cols["person"][mine], return_counts=True)
    returned = np.isin(persons, cols["person"][mine[came_back[mine]]])
    members = persons[(counts >= 2) | returned]
    # Members' other clicks count where the attack aimed: the listings that burst or that
    # credited clicks hit (a keyword's or an advertiser's other listings are too wide a net).
    targets = {c: {b.target for b in group if b.column == c} for c in TARGET_COLUMNS}
    aimed = set(targets["listing"]) | set(np.unique(cols["listing"][mine]).tolist())
    on_target = np.isin(cols["listing"], list(aimed))
    # ... and while it ran: a member's shopping on the same listing hours later is camouflage.
    first, last = min(b.start for b in group), max(b.end for b in group)
    during = (win.minute >= first) & (win.minute <= last)
    rows = np.flatnonzero(on_target & during & np.isin(cols["person"], members))
    rows = np.union1d(rows, mine)
    # Listings the attack dominated: where stays in its band may be credited on sight. A listing
    # its crew only brushed while honest shoppers crowded it (viral) is left to member matching.
    hit, hit_counts = np.unique(cols["listing"][mine], return_counts=True)
    on_hit = np.isin(cols["listing"], hit) & during
    totals = np.bincount(np.searchsorted(hit, cols["listing"][on_hit]), minlength=len(hit))
    dominated = hit[hit_counts >= cfg.band_listing_share * np.maximum(totals, 1)]
    last_ts = {
        int(listing): int(cols["ts"][mine][cols["listing"][mine] == listing].max()) for listing in dominated
    }
    banded = [b for b in group if b.band is not None]
    band = None
    if banded:
        # The band of the burst with most clicks: the organisers' instruction as most obeyed it.
        band = max(banded, key=lambda b: len(b.rows)).band
    return Found(
        bursts=group,
        rows=rows,
        credited=mine,
        band=band,
        hits=last_ts,
        targets=targets,
        signals={
            "bursts": len(group),
            "cohort_sources": int(len(np.unique(cols["person"][cohort]))),
            "member_sources": int(len(members)),
            "max_prior_odds": round(max(b.odds for b in group), 1),
            "min_dwell_spread": _round_min(b.spread for b in group),
            "dwell_shape": _round(signals.weibull_shape(cols["dwell"][mine])),
            "fresh_share": _round(float(signals.first_clicks(cols["person"], cols["ts"])[mine].mean()))
            if len(mine)
            else None,
            "max_repeat_share": round(max(b.repeat for b in group), 3),
            "max_rival_share": round(max(b.rival for b in group), 3),
        },
    )


def _round_min(values) -> float | None:
    finite = [v for v in values if v is not None]
    return round(min(finite), 3) if finite else None


def _round(value: float) -> float | None:
    return round(value, 3) if np.isfinite(value) else None
