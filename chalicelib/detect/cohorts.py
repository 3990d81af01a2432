"""From a frame of recent clicks to campaigns: bursts, their cohorts, and the tests that tell attacks.

1. Burst: a target (listing, advertiser or keyword) gets many more clicks in a few minutes than
   its usual share of the market would bring (volume beyond its own baseline).
2. Cohort: who clicked it during the burst. An attack's cohort stays as it was told to (a narrow
   dwell band), comes back in other bursts (lockstep), or is made of rival sellers; an honest
   viral crowd does none of these, so a burst alone never makes a campaign.
3. Campaign: bursts whose cohorts overlap are one attack; its members are the cohort's sources
   that carry the evidence themselves (came back, stayed the prescribed time, or are rivals).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from chalicelib.config import Settings
from chalicelib.detect import signals
from chalicelib.detect.frame import NONE, ClickFrame

MINUTE_MS = 60_000
TARGET_COLUMNS = ("listing", "advertiser", "keyword")


@dataclass
class Burst:
    target: int  # interned target name ("l:...", "a:...", "k:...")
    column: str
    start: int  # first and last minute (from the look-back start) of its clicks
    end: int
    rows: np.ndarray  # positions (in the sweep's arrays) of the clicks on the target then
    persons: np.ndarray
    lift: float
    spread: float  # cohort's log-dwell IQR over the market's
    rival: float
    repeat: float = 0.0

    @property
    def unnatural_dwell(self) -> bool:
        return bool(np.isfinite(self.spread))


@dataclass
class Found:
    """One detected campaign, in frame terms: the sweep names and stores it."""

    bursts: list[Burst]
    rows: np.ndarray  # the members' clicks on the targets (positions in the sweep's arrays)
    persons: np.ndarray
    band: tuple[float, float] | None
    targets: dict[str, set[int]] = field(default_factory=dict)
    signals: dict = field(default_factory=dict)


class Window:
    """The sweep's arrays: the frame's live rows before `until`, with minutes from the start."""

    def __init__(self, frame: ClickFrame, until: int, lookback_ms: int):
        rows = frame.live()
        rows = rows[frame.cols["ts"][rows] < until]
        rows = rows[frame.cols["ts"][rows] >= (until - lookback_ms) // MINUTE_MS * MINUTE_MS]
        self.rows = rows
        # Whole clock minutes, so a burst starts at the same minute whatever second we sweep at.
        self.start = (until - lookback_ms) // MINUTE_MS * MINUTE_MS
        self.n_minutes = (until - 1 - self.start) // MINUTE_MS + 1
        cols = {k: v[rows] for k, v in frame.cols.items()}
        self.cols = cols
        self.minute = ((cols["ts"] - self.start) // MINUTE_MS).astype(np.int64)

    def __len__(self) -> int:
        return len(self.rows)


def find_campaigns(win: Window, cfg: Settings) -> list[Found]:
    """Every campaign visible in the window, strongest evidence first."""
    if len(win) == 0:
        return []
    bursts = find_bursts(win, cfg)
    if not bursts:
        return []
    mark_repeats(bursts)
    dwell = win.cols["dwell"]
    market_iqr = _log_iqr(dwell)
    for b in bursts:
        b.spread = _spread(dwell[b.rows], market_iqr, cfg)
    suspect = [
        b for b in bursts if b.unnatural_dwell or b.repeat >= cfg.repeat_share or b.rival >= cfg.rival_share
    ]
    return [assemble(group, win, cfg) for group in link(suspect, cfg)]


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
        pick = has & np.isin(targets, busy)
        ids, counts = signals.target_minute_counts(targets[pick], win.minute[pick], win.n_minutes)
        observed = signals.rolling_sum(counts, width)
        share = signals.baseline_share(counts, market, block)
        expected = np.maximum(share[:, None] * market_w[None, :], cfg.burst_floor_clicks)
        hot = (
            (observed >= cfg.burst_min_sources)
            & (observed >= cfg.burst_min_lift * expected)
            & (signals.poisson_surprise(observed, expected) >= cfg.burst_min_surprise)
        )
        order = np.argsort(targets, kind="stable")
        sorted_targets = targets[order]
        for i in np.flatnonzero(hot.any(axis=1)):
            target = int(ids[i])
            lo, hi = np.searchsorted(sorted_targets, [target, target + 1])
            on_target = order[lo:hi]
            for first, last in signals.runs(hot[i]):
                start = max(0, first - width + 1)
                m = win.minute[on_target]
                rows = on_target[(m >= start) & (m <= last)]
                persons = np.unique(win.cols["person"][rows])
                if len(persons) < cfg.burst_min_sources:
                    continue  # many clicks, few people: per-click rules' business
                lift = float((observed[i, first : last + 1] / expected[i, first : last + 1]).max())
                out.append(
                    Burst(
                        target=target,
                        column=column,
                        start=start,
                        end=last,
                        rows=rows,
                        persons=persons,
                        lift=lift,
                        spread=float("nan"),
                        rival=float(win.cols["rival"][rows].mean()),
                    )
                )
    return out


def mark_repeats(bursts: list[Burst]) -> None:
    """Each burst's share of sources also seen in a burst at another time (lockstep repeats)."""
    persons = np.concatenate([b.persons for b in bursts])
    starts = np.concatenate([np.full(len(b.persons), b.start) for b in bursts])
    ends = np.concatenate([np.full(len(b.persons), b.end) for b in bursts])
    uniq, inv = np.unique(persons, return_inverse=True)
    earliest_end = np.full(len(uniq), np.iinfo(np.int64).max)
    latest_start = np.full(len(uniq), np.iinfo(np.int64).min)
    np.minimum.at(earliest_end, inv, ends)
    np.maximum.at(latest_start, inv, starts)
    # Two bursts at different times: one started after another had ended.
    repeated = latest_start > earliest_end
    offset = 0
    for b in bursts:
        n = len(b.persons)
        b.repeat = float(repeated[inv[offset : offset + n]].mean())
        offset += n


def _log_iqr(dwell: np.ndarray) -> float:
    d = dwell[np.isfinite(dwell) & (dwell > 0)]
    if len(d) < 4:
        return float("nan")
    q1, q3 = np.percentile(np.log(d), [25, 75])
    return float(q3 - q1)


def _spread(dwell: np.ndarray, market_iqr: float, cfg: Settings) -> float:
    """The cohort's log-dwell spread over the market's when it is unnaturally narrow, else NaN."""
    known = dwell[np.isfinite(dwell)]
    if len(known) < cfg.cohort_min_dwells or not market_iqr > 0:
        return float("nan")
    ratio = _log_iqr(known) / market_iqr
    return ratio if ratio <= cfg.dwell_spread_ratio else float("nan")


def link(bursts: list[Burst], cfg: Settings) -> list[list[Burst]]:
    """Group bursts of one attack: the same target again, or cohorts that largely coincide."""
    parent = list(range(len(bursts)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, a in enumerate(bursts):
        for j in range(i + 1, len(bursts)):
            b = bursts[j]
            shared = len(np.intersect1d(a.persons, b.persons, assume_unique=True))
            same = (a.column, a.target) == (b.column, b.target)
            if same or (
                shared >= cfg.link_min_shared
                and shared >= cfg.link_containment * min(len(a.persons), len(b.persons))
            ):
                parent[root(j)] = root(i)
    groups: dict[int, list[Burst]] = {}
    for i, b in enumerate(bursts):
        groups.setdefault(root(i), []).append(b)
    return sorted(groups.values(), key=lambda g: min((b.start, b.target) for b in g))


def assemble(group: list[Burst], win: Window, cfg: Settings) -> Found:
    """The campaign of linked bursts: its band, its members, and their clicks on its targets."""
    cols = win.cols
    cohort = np.unique(np.concatenate([b.rows for b in group]))
    dwell = cols["dwell"]
    band = None
    if any(b.unnatural_dwell for b in group):
        narrow = np.unique(np.concatenate([b.rows for b in group if b.unnatural_dwell]))
        lo, hi = signals.dwell_band(dwell[narrow], cfg.band_core_share, cfg.band_widen)
        band = (lo, hi) if np.isfinite(lo) else None
    # Members carry the evidence themselves: back in another of its bursts, the prescribed
    # stay, or a rival's identity. Honest shoppers caught up in a burst show none of these.
    evidence = cols["rival"][cohort].copy()
    if band is not None:
        evidence |= (dwell[cohort] >= band[0]) & (dwell[cohort] <= band[1])
    persons = cols["person"][cohort]
    members = set(persons[evidence].tolist())
    if len(group) > 1:
        spans = {}
        for b in group:
            for p in b.persons.tolist():
                spans.setdefault(p, []).append((b.start, b.end))
        members |= {
            p
            for p, s in spans.items()
            if max(a for a, _ in s) > min(e for _, e in s)  # seen in bursts at different times
        }
    targets = {c: {b.target for b in group if b.column == c} for c in TARGET_COLUMNS}
    on_target = np.zeros(len(win), dtype=bool)
    for c in TARGET_COLUMNS:
        if targets[c]:
            on_target |= np.isin(cols[c], list(targets[c]))
    first = min(b.start for b in group)
    member_rows = np.flatnonzero(
        on_target
        & (win.minute >= first)
        & np.isin(cols["person"], np.fromiter(members, dtype=np.int32, count=len(members)))
    )
    return Found(
        bursts=group,
        rows=member_rows,
        persons=np.unique(cols["person"][member_rows]),
        band=band,
        targets=targets,
        signals={
            "bursts": len(group),
            "cohort_sources": int(len(np.unique(persons))),
            "max_lift": round(max(b.lift for b in group), 1),
            "min_dwell_spread": _round_min(b.spread for b in group),
            "max_repeat_share": round(max(b.repeat for b in group), 3),
            "max_rival_share": round(max(b.rival for b in group), 3),
        },
    )


def _round_min(values) -> float | None:
    finite = [v for v in values if np.isfinite(v)]
    return round(min(finite), 3) if finite else None
