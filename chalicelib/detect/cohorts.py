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
from functools import cached_property

import numpy as np

from chalicelib.config import Settings
from chalicelib.detect import signals
from chalicelib.detect.frame import NONE, ClickFrame
from chalicelib.detect.odds import band_share_odds

MINUTE_MS = 60_000
TARGET_COLUMNS = ("listing", "advertiser", "keyword")
CHUNK_CELLS = 1 << 20  # target x minute cells per block while finding bursts: a few MB per array


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

    @cached_property
    def clicks_by_person(self) -> tuple[np.ndarray, np.ndarray]:
        """The window's distinct persons (sorted) and each one's clicks in it."""
        return np.unique(self.cols["person"], return_counts=True)

    @cached_property
    def one_shot(self) -> np.ndarray:
        """Whether each click is its source's only one in the window: a drip needs a new identity
        per click, while a shopper goes on to other listings and shops."""
        persons, counts = self.clicks_by_person
        return counts[np.searchsorted(persons, self.cols["person"])] == 1

    @cached_property
    def named(self) -> np.ndarray:
        """Whether each click's person is an account or a device, not just an ip: behind a carrier
        NAT one ip is many shoppers, so it can neither come back nor be a campaign's member."""
        return (self.cols["account"] != NONE) | (self.cols["device"] != NONE)

    @cached_property
    def named_person(self) -> np.ndarray:
        """`named`, indexed by person id (a lookup, not a set test per campaign)."""
        person = self.cols["person"]
        out = np.zeros(int(person.max(initial=0)) + 1, dtype=bool)
        out[person[self.named]] = True
        return out

    @cached_property
    def fresh(self) -> np.ndarray:
        """Whether each click is its source's first in the window (shared by every campaign)."""
        return signals.first_clicks(self.cols["person"], self.cols["ts"])

    @cached_property
    def _by_listing(self) -> tuple[np.ndarray, np.ndarray]:
        return self._minute_order("listing")

    @cached_property
    def _by_person(self) -> tuple[np.ndarray, np.ndarray]:
        return self._minute_order("person")

    def _minute_order(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        """Rows by `column` then minute, and their sort keys: one id's clicks over a span of minutes
        are one slice. One int64 key sorts faster than a lexsort of the two columns."""
        key = self.cols[column].astype(np.int64) * self.n_minutes + self.minute
        order = np.argsort(key, kind="stable")
        return order, key[order]

    def on_listings(self, listings: np.ndarray, first: int, last: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows of the clicks on the sorted `listings` in minutes [first, last], and the listing's index."""
        return self._slices(self._by_listing, listings, first, last)

    def of_persons(self, persons: np.ndarray, first: int, last: int) -> np.ndarray:
        """Rows of the clicks by the sorted `persons` in minutes [first, last]."""
        return self._slices(self._by_person, persons, first, last)[0]

    def _slices(self, by: tuple[np.ndarray, np.ndarray], ids: np.ndarray, first: int, last: int):
        order, key = by
        at = np.asarray(ids, dtype=np.int64) * self.n_minutes
        owner, pos = signals.spans(
            np.searchsorted(key, at + first), np.searchsorted(key, at + last, side="right")
        )
        return order[pos], owner


def find_campaigns(win: Window, cfg: Settings, bursts: list[Burst] | None = None) -> list[Found]:
    """Every campaign visible in the window (of its `bursts`, when the caller found them)."""
    if len(win) == 0:
        return []
    if bursts is None:
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
    groups = link(suspects, win.cols["person"], credited & win.named, win.named_person, cfg)
    return [assemble(group, win, credited, came_back, cfg) for group in groups]


def find_bursts(win: Window, cfg: Settings) -> list[Burst]:
    """Targets whose clicks in a short window far exceed their usual share of the market's."""
    width = max(1, cfg.burst_window_s // 60)
    block = max(1, cfg.baseline_block_s // 60)
    market = np.bincount(win.minute, minlength=win.n_minutes)
    market_w = signals.rolling_sum(market, width)
    floor = cfg.burst_floor_clicks
    out: list[Burst] = []
    for column in TARGET_COLUMNS:
        targets = win.cols[column]
        has = np.flatnonzero(targets != NONE)
        if len(has) == 0:
            continue
        # Clicks by target then minute: a target's clicks over a span of minutes are one slice.
        key = targets[has].astype(np.int64) * win.n_minutes + win.minute[has]
        by_key = np.argsort(key)
        order, key = has[by_key], key[by_key]
        # Only targets with that many clicks inside one burst window can burst; the rest never
        # reach the target x minute matrices (most of a big market).
        target_of, minute = np.divmod(key, win.n_minutes)
        keep = _can_burst(key, target_of, minute, width, cfg.burst_min_sources)
        if not keep.any():
            continue
        order, key, minute, target_of = order[keep], key[keep], minute[keep], target_of[keep]
        first_of = np.r_[0, np.flatnonzero(np.diff(target_of)) + 1, len(key)]
        ids = target_of[first_of[:-1]]
        # Target by minute matrices a block of targets at a time: memory stays flat as targets grow.
        step = max(1, CHUNK_CELLS // win.n_minutes)
        runs: list[tuple[np.ndarray, ...]] = []
        for r0 in range(0, len(ids), step):
            r1 = min(r0 + step, len(ids))
            lo, hi = first_of[r0], first_of[r1]
            row = np.repeat(np.arange(r1 - r0), np.diff(first_of[r0 : r1 + 1]))
            counts = signals.minute_counts(row, minute[lo:hi], r1 - r0, win.n_minutes)
            observed = signals.rolling_sum(counts, width)
            share = signals.baseline_share(counts, market, block)
            expected = np.maximum(share[:, None] * market_w[None, :], floor)
            hot = (observed >= cfg.burst_min_sources) & (observed >= cfg.burst_min_lift * expected)
            hot[hot] = signals.poisson_surprise(observed[hot], expected[hot]) >= cfg.burst_min_surprise
            row, first, last = signals.row_runs(hot)
            runs.append((ids[r0 + row], share[row], first, last))
        target, t_share, first, last = (np.concatenate(parts) for parts in zip(*runs, strict=True))
        start = np.maximum(0, first - width + 1)
        lo = np.searchsorted(key, target * win.n_minutes + start)
        hi = np.searchsorted(key, target * win.n_minutes + last, side="right")
        burst, at = signals.spans(lo, hi)
        rows = order[at]
        rows = rows[np.lexsort((rows, burst))]  # each burst's rows in window order
        persons, owner = distinct(win.cols["person"][rows], burst)
        n_persons = np.bincount(owner, minlength=len(lo))
        rows_end, persons_end = np.cumsum(hi - lo), np.cumsum(n_persons)
        # Many clicks by few people are the per-click rules' business, not a burst.
        for i in np.flatnonzero(n_persons >= cfg.burst_min_sources).tolist():
            s, e = int(start[i]), int(last[i])
            base = float(np.maximum(t_share[i] * market[s : e + 1], floor / width).sum())
            n_rows = int(hi[i] - lo[i])
            out.append(
                Burst(
                    target=int(target[i]),
                    column=column,
                    start=s,
                    end=e,
                    rows=rows[rows_end[i] - n_rows : rows_end[i]],
                    persons=persons[persons_end[i] - n_persons[i] : persons_end[i]],
                    odds=max(n_rows - base, 0.0) / base,
                )
            )
    return out


def _can_burst(key: np.ndarray, target: np.ndarray, minute: np.ndarray, width: int, least: int) -> np.ndarray:
    """Per click (sorted by key): whether its target gets `least` clicks within `width` minutes."""
    # Clicks per (target, minute) cell, then per window ending at each cell: the cells within
    # `width` minutes of a cell are among the `width` cells before it (keys are sorted).
    cell = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    cell_key, cell_n, cell_target = key[cell], np.diff(np.r_[cell, len(key)]), target[cell]
    low = cell_key - np.minimum(minute[cell], width - 1)
    in_window = cell_n.copy()
    for back in range(1, width):
        in_window[back:] += np.where(cell_key[:-back] >= low[back:], cell_n[:-back], 0)
    first = np.flatnonzero(np.r_[True, cell_target[1:] != cell_target[:-1]])
    busy = np.maximum.reduceat(in_window, first) >= least
    return np.repeat(np.repeat(busy, np.diff(np.r_[first, len(cell)])), cell_n)


def describe(bursts: list[Burst], win: Window, cfg: Settings) -> np.ndarray:
    """Fill each burst's dwell band, repeat and rival shares; returns who came back (by person)."""
    dwell = win.cols["dwell"]
    sizes = np.array([len(b.rows) for b in bursts])
    owner = np.repeat(np.arange(len(bursts)), sizes)
    rows = np.concatenate([b.rows for b in bursts])
    rival = np.bincount(owner[win.cols["rival"][rows]], minlength=len(bursts)) / sizes
    n_known = np.bincount(owner[np.isfinite(dwell[rows])], minlength=len(bursts))
    spread = signals.log_iqr_by(dwell[rows], owner, len(bursts))
    low, high = signals.dwell_band_by(dwell[rows], owner, len(bursts), cfg.band_core_share, cfg.band_widen)
    untailed = signals.untailed_by(dwell[rows], owner, len(bursts))
    # Each cohort against the market without it: a farm that is a third of a quiet window's
    # clicks would otherwise narrow the market to its own band and pass for natural.
    market_iqr = signals.log_iqr_outside(dwell, rows, owner, len(bursts))
    for i, b in enumerate(bursts):
        b.rival = float(rival[i])
        if n_known[i] < cfg.cohort_min_dwells or not market_iqr[i] > 0:
            continue
        b.spread = float(spread[i] / market_iqr[i])
        # Two keys, as in the pulse: a narrow middle, and no organic bounces and long tail (a
        # dozen organic stays can have a narrow middle by chance; they seldom lack both ends).
        if b.spread <= cfg.dwell_spread_ratio and untailed[i] <= cfg.band_max_untailed:
            b.band = (float(low[i]), float(high[i]))
    # Lockstep: a source in two bursts at different times (one started well after the other ended),
    # with most of its clicks in bursts.
    n_persons = np.array([len(b.persons) for b in bursts])
    persons = np.concatenate([b.persons for b in bursts])
    starts = np.repeat([b.start for b in bursts], n_persons)
    ends = np.repeat([b.end for b in bursts], n_persons)
    uniq, inv = np.unique(persons, return_inverse=True)
    earliest_end = np.full(len(uniq), np.iinfo(np.int64).max)
    latest_start = np.full(len(uniq), np.iinfo(np.int64).min)
    np.minimum.at(earliest_end, inv, ends)
    np.maximum.at(latest_start, inv, starts)
    came_back = latest_start > earliest_end + cfg.repeat_gap_s // 60
    came_back &= _locked(uniq, rows, win, cfg.repeat_min_locked)
    came_back &= win.named_person[uniq]
    back = np.repeat(np.arange(len(bursts)), n_persons)[came_back[inv]]
    repeat = np.bincount(back, minlength=len(bursts)) / n_persons
    for b, share in zip(bursts, repeat.tolist(), strict=True):
        b.repeat = share
    return uniq[came_back]


def _locked(persons: np.ndarray, burst_rows: np.ndarray, win: Window, share: float) -> np.ndarray:
    """Per person (sorted, each in some burst): whether at least `share` of its clicks in the
    window fall in bursts (CopyCatch's lockstep: a crew acts when told; a regular shops between)."""
    everyone, clicks = win.clicks_by_person
    bursting, in_bursts = np.unique(win.cols["person"][np.unique(burst_rows)], return_counts=True)
    return in_bursts[np.searchsorted(bursting, persons)] >= share * clicks[np.searchsorted(everyone, persons)]


def posterior_odds(bursts: list[Burst], win: Window, repeated: np.ndarray, cfg: Settings) -> np.ndarray:
    """Per click of the window: the odds that it is a suspect burst's attack click (0 elsewhere).

    A click is judged by its listing's burst only: a keyword or an advertiser that bursts
    nominates and links bursts, but a listing gone viral with honest stays is not the attack's
    just because the keyword it was found by is being swept at the same time.
    """
    cols = win.cols
    n = len(win)
    dwell = cols["dwell"]
    came_back = np.isin(cols["person"], repeated)
    # How common each piece of evidence is in the whole market: the honest rate it is weighed by.
    people = len(win.clicks_by_person[0])
    market_repeat = max(len(repeated) / max(people, 1), 1e-3)
    market_rival = max(float(cols["rival"].mean()), 1e-3)
    cap = cfg.max_likelihood_ratio
    best = np.zeros(n)
    judged = [b for b in bursts if b.column == "listing" and b.suspect(cfg)]
    if not judged:
        return best
    sizes = np.array([len(b.rows) for b in judged])
    owner = np.repeat(np.arange(len(judged)), sizes)
    rows = np.concatenate([b.rows for b in judged])
    stay = dwell[rows]
    known = np.isfinite(stay)
    # A band's market rate: the window's known stays inside it, counted on one sorted copy
    # (bursts without a band get an empty one, and a likelihood ratio of 1 below).
    market_stays = np.sort(dwell[np.isfinite(dwell)])
    banded = [b.band if b.band is not None else (np.inf, -np.inf) for b in judged]
    low, high = (np.array(edge) for edge in zip(*banded, strict=True))
    in_band = (stay >= low[owner]) & (stay <= high[owner])
    n_market_in = np.searchsorted(market_stays, high, side="right") - np.searchsorted(market_stays, low)
    n_cover = np.bincount(owner[in_band & known], minlength=len(judged))
    n_known = np.bincount(owner[known], minlength=len(judged))
    has_band = np.array([b.band is not None for b in judged])
    market_in = np.maximum(n_market_in / max(len(market_stays), 1), 1e-3)
    cover = np.divide(n_cover, n_known, out=np.zeros(len(judged)), where=n_known > 0)
    band_in = np.where(has_band, _clip(cover / market_in, cap), 1.0)
    band_out = np.where(has_band, _clip((1 - cover) / np.maximum(1 - market_in, 1e-3), cap), 1.0)
    repeat, rival = np.array([b.repeat for b in judged]), np.array([b.rival for b in judged])
    back, away = _clip(repeat / market_repeat, cap), _clip((1 - repeat) / (1 - market_repeat), cap)
    linked, unlinked = _clip(rival / market_rival, cap), _clip((1 - rival) / (1 - market_rival), cap)
    # A click without a stay in the band has only the prior: the part of the burst the band
    # explains, not all its excess (an honest viral crowd is excess volume too).
    odds = np.array([b.odds for b in judged])
    prior = np.where(has_band, np.minimum(odds, band_share_odds(cover, market_in)), odds)
    ratio = np.where(in_band & known, odds[owner], prior[owner])
    ratio *= np.where(~known, 1.0, np.where(in_band, band_in[owner], band_out[owner]))
    ratio *= np.where(came_back[rows], back[owner], away[owner])
    ratio *= np.where(cols["rival"][rows], linked[owner], unlinked[owner])
    # A click in two bursts of its listing is judged by the later one.
    last = len(rows) - 1 - np.unique(rows[::-1], return_index=True)[1]
    best[rows[last]] = ratio[last]
    return best


def _clip(ratio: np.ndarray, cap: float) -> np.ndarray:
    return np.clip(ratio, 1.0 / cap, cap)


def link(
    bursts: list[Burst], person: np.ndarray, credited: np.ndarray, named: np.ndarray, cfg: Settings
) -> list[list[Burst]]:
    """Group bursts of one attack: the same target again, or the same credited sources."""
    sizes = np.array([len(b.rows) for b in bursts])
    rows = np.concatenate([b.rows for b in bursts])
    mine = credited[rows]
    everyone, owner = distinct(person[rows][mine], np.repeat(np.arange(len(bursts)), sizes)[mine])
    cohort = np.bincount(owner, minlength=len(bursts)).astype(np.float32)
    # Bursts sharing sources, counted pair by pair over each source's bursts (no burst x source matrix).
    a, b, shared = _shared_pairs(everyone, owner, len(bursts))
    smaller = np.minimum(cohort[a], cohort[b])
    linked = (shared >= cfg.link_min_shared) & (shared >= np.float32(cfg.link_containment) * smaller)
    # Bursts of one target: each to the next of that target while a campaign there would still be
    # held active, or later when some of the same people are back (a siege's wave may skip a
    # target). A target struck hours later by other people is another attack: a farm hired
    # against a shop that a sweep went through in the morning.
    column = np.array([TARGET_COLUMNS.index(b.column) for b in bursts])
    target = np.array([b.target for b in bursts])
    start, end = np.array([b.start for b in bursts]), np.array([b.end for b in bursts])
    order = np.lexsort((start, target, column))
    same = (column[order][1:] == column[order][:-1]) & (target[order][1:] == target[order][:-1])
    far = same & (start[order][1:] - end[order][:-1] > cfg.member_hold_s // 60)
    for i in np.flatnonzero(far).tolist():
        earlier, later = bursts[order[i]], bursts[order[i + 1]]
        common = np.intersect1d(earlier.persons, later.persons, assume_unique=True)
        far[i] = int(named[common].sum()) < cfg.link_min_shared
    same &= ~far
    labels = components(len(bursts), np.r_[a[linked], order[:-1][same]], np.r_[b[linked], order[1:][same]])
    groups: dict[int, list[Burst]] = {}
    for label, burst in zip(labels.tolist(), bursts, strict=True):
        groups.setdefault(label, []).append(burst)
    return sorted(groups.values(), key=lambda g: min((b.start, b.target) for b in g))


def _shared_pairs(
    values: np.ndarray, group: np.ndarray, n_groups: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pair of groups (a < b) holding a common value, and how many values they share."""
    order = np.lexsort((group, values))
    values, group = values[order], group[order]
    # Half the bytes to sort while pair keys fit 32 bits (up to ~46k groups).
    dtype = np.int32 if n_groups * n_groups <= np.iinfo(np.int32).max else np.int64
    group = group.astype(dtype)
    # Each entry pairs with the entries after it holding the same value: 1, 2, ... places on.
    keys = []
    at, step = np.flatnonzero(values[1:] == values[:-1]), 1
    while len(at):
        keys.append(group[at] * dtype(n_groups) + group[at + step])
        step += 1
        at = at[at + step < len(values)]
        at = at[values[at + step] == values[at]]
    key = np.concatenate(keys) if keys else np.empty(0, dtype)
    pairs, shared = np.unique(key, return_counts=True)
    return pairs // n_groups, pairs % n_groups, shared.astype(np.float32)


def components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected components of n nodes and edges (a, b): each node's label is its component's least node."""
    labels = np.arange(n)
    while True:
        low = np.minimum(labels[a], labels[b])
        before = labels.copy()
        np.minimum.at(labels, a, low)
        np.minimum.at(labels, b, low)
        labels = labels[labels]
        if (labels == before).all():
            return labels


def with_bursts(rows: np.ndarray, group: list[Burst], win: Window, margin: int | np.ndarray) -> np.ndarray:
    """Whether each click came with one of the attack's bursts on its listing, shop or keyword,
    within `margin` minutes (one for all, or one per click): a crew clicks when told to, while a
    member's shopping between waves is the same as anyone's."""
    minute = win.minute[rows]
    came = np.zeros(len(rows), dtype=bool)
    for b in group:
        on_target = win.cols[b.column][rows] == b.target
        came |= on_target & (minute >= b.start - margin) & (minute <= b.end + margin)
    return came


def owners_going_through(aimed: np.ndarray, first: int, last: int, win: Window, least: int) -> np.ndarray:
    """Rows of the shop owners who, in minutes [first, last], clicked `least` or more of one
    shop's listings among the sorted `aimed`: a besieger sent through a rival's hot listings
    clicks them between the waves too, and stays as it likes; a seller looking at a rival opens
    one or two."""
    cols = win.cols
    rows, _ = win.on_listings(aimed, first, last)
    rows = rows[cols["owner"][rows]]
    pair = pair_key(cols["seller"][rows], cols["advertiser"][rows])
    _, by_pair = distinct(cols["listing"][rows], pair)
    pairs, listings = np.unique(by_pair, return_counts=True)
    return np.sort(rows[np.isin(pair, pairs[listings >= least])])


def assemble(
    group: list[Burst], win: Window, credited: np.ndarray, came_back: np.ndarray, cfg: Settings
) -> Found:
    """The campaign of linked bursts: credited clicks plus their members' clicks on its targets.

    A member is a source with two credited clicks, or one and a return in another burst: one
    click in the band is evidence about that click, not yet about the person behind it. It is
    named by an account or a device (`Window.named`): an ip alone may be a carrier's NAT.
    """
    cols = win.cols
    cohort = np.unique(np.concatenate([b.rows for b in group]))
    mine = cohort[credited[cohort]]
    persons, counts = np.unique(cols["person"][mine], return_counts=True)
    returned = np.isin(persons, cols["person"][mine[came_back[mine]]])
    members = persons[((counts >= 2) | returned) & win.named_person[persons]]
    targets = {c: {b.target for b in group if b.column == c} for c in TARGET_COLUMNS}
    # Members' other clicks count where and when the attack struck: with one of its bursts on the
    # listing, its shop or its keyword. A member's shopping between waves, or hours later, is
    # anyone's. Where the attack aimed (the listings that burst or that credited clicks hit) the
    # member margin applies; on the shop's or keyword's other listings only the bursts themselves
    # (a keyword sweep's crew goes down the whole results page while the keyword bursts).
    aimed = np.union1d(np.fromiter(targets["listing"], dtype=np.int64), cols["listing"][mine])
    first, last = min(b.start for b in group), max(b.end for b in group)
    theirs = win.of_persons(members, first, last)
    margin = np.where(np.isin(cols["listing"][theirs], aimed), cfg.member_burst_margin_min, 0)
    rows = np.union1d(theirs[with_bursts(theirs, group, win, margin)], mine)
    rows = np.union1d(rows, owners_going_through(aimed, first, last, win, cfg.owner_rounds_listings))
    # Listings the attack dominated: where stays in its band may be credited on sight. A listing
    # its crew only brushed while honest shoppers crowded it (viral) is left to member matching.
    hit, hit_counts = np.unique(cols["listing"][mine], return_counts=True)
    _, on_hit = win.on_listings(hit, first, last)
    totals = np.bincount(on_hit, minlength=len(hit))
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
            "fresh_share": _round(float(win.fresh[mine].mean())) if len(mine) else None,
            "max_repeat_share": round(max(b.repeat for b in group), 3),
            "max_rival_share": round(max(b.rival for b in group), 3),
        },
    )


def _round_min(values) -> float | None:
    finite = [v for v in values if v is not None]
    return round(min(finite), 3) if finite else None


def _round(value: float) -> float | None:
    return round(value, 3) if np.isfinite(value) else None


def one_target(
    column: str, target: int, rows: np.ndarray, band: tuple[float, float] | None, found: dict, win: Window
) -> Found:
    """Clicks on one target as a campaign found without bursts: its evidence, what it credits, and
    its only target (`column`: "advertiser" or "keyword"); `found`: the numbers that found it."""
    persons = np.unique(win.cols["person"][rows])
    burst = Burst(
        target=target,
        column=column,
        start=int(win.minute[rows].min()),
        end=int(win.minute[rows].max()),
        rows=rows,
        persons=persons,
        odds=0.0,
    )
    targets = {"listing": set(), "advertiser": set(), "keyword": set()}
    targets[column] = {target}
    return Found(
        bursts=[burst],
        rows=rows,
        credited=rows,
        band=band,
        targets=targets,
        signals={**found, "cohort_sources": int(len(persons)), "member_sources": int(len(persons))},
    )


def pair_key(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """One int64 per (a, b) pair of non-negative interned ids: equal keys, equal pairs."""
    return a.astype(np.int64) * (int(b.max(initial=0)) + 1) + b


def distinct(values: np.ndarray, group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of each group, by group then value, and the group of each."""
    order = np.lexsort((values, group))
    values, group = values[order], group[order]
    new = np.ones(len(values), dtype=bool)
    new[1:] = (values[1:] != values[:-1]) | (group[1:] != group[:-1])
    return values[new], group[new]
