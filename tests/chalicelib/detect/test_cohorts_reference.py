"""The sweep's detection against a plain reference (per target, per burst, full-window scans).

Random small windows with injected crews; every step must give exactly the reference's answer.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

import numpy as np
import pytest

from chalicelib.config import Settings
from chalicelib.detect import cohorts, pulse, signals
from chalicelib.detect.cohorts import TARGET_COLUMNS, Burst, Window
from chalicelib.detect.frame import COLUMNS, NONE, ClickFrame
from chalicelib.detect.odds import band_share_odds
from tests.chalicelib.detect.scenes import ref_band

MINUTE = 60_000
# Small thresholds and a 2-hour look-back so a few hundred clicks hold many bursts and links.
CFG = replace(
    Settings(),
    sweep_lookback_s=7200,
    baseline_block_s=1200,
    burst_min_sources=4,
    burst_min_surprise=4.0,
    cohort_min_dwells=4,
    link_min_shared=2,
    member_hold_s=1200,
)


def random_window(seed: int) -> Window:
    rng = np.random.default_rng(seed)
    n_minutes, people = 120, 80
    rows: list[tuple] = []

    def click(minute, listing, person, dwell):
        advertiser = 20 + listing % 4
        keyword = 30 + listing % 5 if rng.random() < 0.7 else NONE
        second = int(rng.integers(0, MINUTE))
        rows.append((minute * MINUTE + second, listing, advertiser, keyword, person, dwell))

    for _ in range(int(rng.integers(100, 400))):
        click(int(rng.integers(0, n_minutes)), int(rng.integers(0, 12)), int(rng.integers(0, people)), None)
    for _ in range(int(rng.integers(1, 6))):  # crews: one band, some come back to other listings
        crew = rng.choice(people, int(rng.integers(4, 20)), replace=False)
        band = float(rng.uniform(5_000, 30_000))
        for _ in range(int(rng.integers(1, 4))):
            start, listing = int(rng.integers(0, n_minutes - 5)), int(rng.integers(0, 12))
            for person in crew:
                if rng.random() < 0.8:
                    dwell = band * float(np.exp(rng.normal(0, 0.1)))
                    click(start + int(rng.integers(0, 4)), listing, int(person), dwell)
    frame = ClickFrame()
    ts, listing, advertiser, keyword, person, dwell = zip(*rows, strict=True)
    n = len(rows)
    organic = rng.weibull(0.7, n) * 30_000
    dwell = np.array([organic[i] if d is None else d for i, d in enumerate(dwell)])
    dwell[rng.random(n) < 0.15] = np.nan
    values = {
        "ts": ts,
        "cost": np.full(n, 1_000_000),
        "dwell": dwell,
        "listing": listing,
        "advertiser": advertiser,
        "keyword": keyword,
        "person": person,
        "account": person,
        "device": np.full(n, NONE),
        "ip": np.full(n, NONE),
        "seller": np.full(n, NONE),
        "owner": np.zeros(n, dtype=bool),
        "charged": np.ones(n, dtype=bool),
        "rival": rng.random(n) < 0.1,
    }
    frame.cols = {name: np.asarray(values[name], dtype) for name, dtype in COLUMNS.items()}
    frame.click_ids = [f"c{i}" for i in range(n)]
    return Window(frame, n_minutes * MINUTE, CFG.sweep_lookback_s * 1000)


# ---- the reference: one target, one burst, one campaign at a time, masks over the window ----


def ref_bursts(win: Window, cfg: Settings) -> list[Burst]:
    width = max(1, cfg.burst_window_s // 60)
    block = max(1, cfg.baseline_block_s // 60)
    market = np.bincount(win.minute, minlength=win.n_minutes)
    market_w = signals.rolling_sum(market, width)
    floor = cfg.burst_floor_clicks
    out = []
    for column in TARGET_COLUMNS:
        targets = win.cols[column]
        for target in np.unique(targets[targets != NONE]).tolist():
            on_target = np.flatnonzero(targets == target)
            counts = np.bincount(win.minute[on_target], minlength=win.n_minutes)[None, :]
            observed = np.array(
                [counts[0, max(0, m - width + 1) : m + 1].sum() for m in range(win.n_minutes)]
            )
            share = signals.baseline_share(counts, market, block)[0]
            expected = np.maximum(share * market_w, floor)
            hot = [
                observed[m] >= cfg.burst_min_sources
                and observed[m] >= cfg.burst_min_lift * expected[m]
                and signals.poisson_surprise(observed[m : m + 1], expected[m : m + 1])[0]
                >= cfg.burst_min_surprise
                for m in range(win.n_minutes)
            ]
            per_minute = np.maximum(share * market, floor / width)
            m = 0
            while m < win.n_minutes:
                if not hot[m]:
                    m += 1
                    continue
                last = m
                while last + 1 < win.n_minutes and hot[last + 1]:
                    last += 1
                start = max(0, m - width + 1)
                minute = win.minute[on_target]
                rows = on_target[(minute >= start) & (minute <= last)]
                persons = np.unique(win.cols["person"][rows])
                if len(persons) >= cfg.burst_min_sources:
                    base = float(per_minute[start : last + 1].sum())
                    odds = max(len(rows) - base, 0.0) / base
                    out.append(Burst(target, column, start, last, rows, persons, odds))
                m = last + 1
    return out


def ref_describe(bursts: list[Burst], win: Window, cfg: Settings) -> np.ndarray:
    dwell = win.cols["dwell"]
    for b in bursts:
        b.rival = float(win.cols["rival"][b.rows].mean())
        known = dwell[b.rows]
        known = known[np.isfinite(known)]
        market_iqr = signals.log_iqr(np.delete(dwell, b.rows))  # the market without this cohort
        if len(known) < cfg.cohort_min_dwells or not market_iqr > 0:
            continue
        b.spread = signals.log_iqr(known) / market_iqr
        if b.spread <= cfg.dwell_spread_ratio and pulse.untailed(known) <= cfg.band_max_untailed:
            b.band = ref_band(known, cfg.band_core_share, cfg.band_widen)
    in_bursts = set().union(*(b.rows.tolist() for b in bursts))
    person = win.cols["person"].tolist()

    def locked(p: int) -> bool:
        theirs = [i for i, q in enumerate(person) if q == p]
        return sum(i in in_bursts for i in theirs) >= cfg.repeat_min_locked * len(theirs)

    came_back = {
        int(p)
        for a in bursts
        for b in bursts
        if b.start > a.end + cfg.repeat_gap_s // 60
        for p in set(a.persons.tolist()) & set(b.persons.tolist())
        if locked(int(p))
    }
    for b in bursts:
        b.repeat = float(np.mean([int(p) in came_back for p in b.persons]))
    return np.array(sorted(came_back), dtype=np.int32)


def ref_posterior(bursts: list[Burst], win: Window, repeated: np.ndarray, cfg: Settings) -> np.ndarray:
    cols = win.cols
    dwell = cols["dwell"]
    known = np.isfinite(dwell)
    came_back = np.isin(cols["person"], repeated)
    market_repeat = max(len(repeated) / len(np.unique(cols["person"])), 1e-3)
    market_rival = max(float(cols["rival"].mean()), 1e-3)
    cap = cfg.max_likelihood_ratio
    best = np.zeros(len(win))
    for b in bursts:
        if b.column != "listing" or not b.suspect(cfg):
            continue
        rows = b.rows
        ratio = np.full(len(rows), b.odds)
        if b.band is not None:
            in_band = (dwell >= b.band[0]) & (dwell <= b.band[1])
            market_in = max(float(in_band[known].mean()), 1e-3)
            cover = float(in_band[rows][known[rows]].mean()) if known[rows].any() else 0.0
            own = in_band[rows] & known[rows]
            ratio = np.where(own, ratio, min(b.odds, band_share_odds(cover, market_in)))
            inside = clip(cover / market_in, cap)
            outside = clip((1 - cover) / max(1 - market_in, 1e-3), cap)
            ratio *= np.where(~known[rows], 1.0, np.where(in_band[rows], inside, outside))
        back = clip(b.repeat / market_repeat, cap), clip((1 - b.repeat) / (1 - market_repeat), cap)
        ratio *= np.where(came_back[rows], *back)
        rival = clip(b.rival / market_rival, cap), clip((1 - b.rival) / (1 - market_rival), cap)
        ratio *= np.where(cols["rival"][rows], *rival)
        best[rows] = ratio
    return best


def clip(ratio: float, cap: float) -> float:
    return min(max(ratio, 1.0 / cap), cap)


def ref_link(
    bursts: list[Burst], person: np.ndarray, credited: np.ndarray, named: np.ndarray, cfg: Settings
) -> list[list[int]]:
    cohort = [set(person[b.rows[credited[b.rows]]].tolist()) for b in bursts]
    n = len(bursts)

    def next_on_target(i, j):
        """j is the next burst on i's target: near in time, or later with enough of its people."""
        target = (bursts[i].column, bursts[i].target)
        on = sorted((b.start, k) for k, b in enumerate(bursts) if (b.column, b.target) == target)
        at = [k for _, k in on]
        if target != (bursts[j].column, bursts[j].target) or abs(at.index(i) - at.index(j)) != 1:
            return False
        early, late = sorted((bursts[i], bursts[j]), key=lambda b: b.start)
        if late.start - early.end <= cfg.member_hold_s // 60:
            return True
        people = set(early.persons.tolist()) & set(late.persons.tolist())
        return sum(bool(named[p]) for p in people) >= cfg.link_min_shared

    def linked(i, j):
        if next_on_target(i, j) or next_on_target(j, i):
            return True
        shared = np.float32(len(cohort[i] & cohort[j]))
        smaller = np.float32(min(len(cohort[i]), len(cohort[j])))
        return shared >= cfg.link_min_shared and shared >= np.float32(cfg.link_containment) * smaller

    label = list(range(n))
    for i in range(n):  # flood fill from each unlabelled burst, lowest index first
        if label[i] != i:
            continue
        todo = [i]
        while todo:
            k = todo.pop()
            for j in range(n):
                if j > i and label[j] == j and linked(k, j):
                    label[j] = i
                    todo.append(j)
    groups: dict[int, list[int]] = {}
    for j in range(n):
        groups.setdefault(label[j], []).append(j)
    return sorted(groups.values(), key=lambda g: min((bursts[j].start, bursts[j].target) for j in g))


def with_a_burst(row: int, group: list[Burst], win: Window, margin: int) -> bool:
    """The click is on one of the group's burst targets, within `margin` minutes of that burst."""
    at, cols = win.minute[row], win.cols
    return any(cols[b.column][row] == b.target and b.start - margin <= at <= b.end + margin for b in group)


def margin_of(row: int, aimed: set, win: Window, cfg: Settings) -> int:
    """The member margin on a listing the attack aimed at; none on its shop's or keyword's others."""
    return cfg.member_burst_margin_min if win.cols["listing"][row] in aimed else 0


def ref_assemble(group: list[Burst], win: Window, credited: np.ndarray, came_back: np.ndarray, cfg: Settings):
    cols = win.cols
    cohort = np.unique(np.concatenate([b.rows for b in group]))
    mine = cohort[credited[cohort]]
    persons, counts = np.unique(cols["person"][mine], return_counts=True)
    returned = np.isin(persons, cols["person"][mine[came_back[mine]]])
    members = persons[(counts >= 2) | returned]
    aimed = {b.target for b in group if b.column == "listing"} | set(cols["listing"][mine].tolist())
    first, last = min(b.start for b in group), max(b.end for b in group)
    during = (win.minute >= first) & (win.minute <= last)
    rows = np.flatnonzero(during & np.isin(cols["person"], members))
    rows = [r for r in rows.tolist() if with_a_burst(r, group, win, margin_of(r, aimed, win, cfg))]
    rows = np.union1d(np.array(rows, dtype=np.int64), mine)
    hits = {}
    for listing in np.unique(cols["listing"][mine]).tolist():
        total = int(np.count_nonzero((cols["listing"] == listing) & during))
        credited_here = cols["listing"][mine] == listing
        if credited_here.sum() >= cfg.band_listing_share * max(total, 1):
            hits[listing] = int(cols["ts"][mine][credited_here].max())
    fresh = signals.first_clicks(cols["person"], cols["ts"])
    return rows, mine, hits, members, (float(fresh[mine].mean()) if len(mine) else None)


def burst_fields(b: Burst) -> tuple:
    spread = None if b.spread is None or np.isnan(b.spread) else b.spread
    return (
        b.column,
        b.target,
        b.start,
        b.end,
        b.rows.tolist(),
        b.persons.tolist(),
        b.odds,
        b.band,
        spread,
        b.repeat,
        b.rival,
    )


@pytest.mark.parametrize("seed", range(40))
def test_detection_steps_equal_the_reference(seed):
    win = random_window(seed)
    fast, ref = cohorts.find_bursts(win, CFG), ref_bursts(win, CFG)
    assert [burst_fields(b) for b in fast] == [burst_fields(b) for b in ref]
    if not fast:
        return
    repeated = cohorts.describe(fast, win, CFG)
    assert repeated.tolist() == ref_describe(ref, win, CFG).tolist()
    assert [burst_fields(b) for b in fast] == [burst_fields(b) for b in ref]
    odds = cohorts.posterior_odds(fast, win, repeated, CFG)
    np.testing.assert_array_equal(odds, ref_posterior(ref, win, repeated, CFG))
    suspects = [b for b in fast if b.suspect(CFG)]
    if not suspects:
        return
    credited = odds >= CFG.member_odds
    groups = cohorts.link(suspects, win.cols["person"], credited, win.named_person, CFG)
    index = {id(b): i for i, b in enumerate(suspects)}
    assert [[index[id(b)] for b in g] for g in groups] == ref_link(
        suspects, win.cols["person"], credited, win.named_person, CFG
    )
    came_back = np.isin(win.cols["person"], repeated)
    for group in groups:
        found = cohorts.assemble(group, win, credited, came_back, CFG)
        rows, mine, hits, members, fresh = ref_assemble(group, win, credited, came_back, CFG)
        assert found.rows.tolist() == rows.tolist()
        assert found.credited.tolist() == mine.tolist()
        assert found.hits == hits
        assert found.signals["member_sources"] == len(members)
        assert found.signals["fresh_share"] == (None if fresh is None else round(fresh, 3))


def test_the_random_windows_exercise_every_step():
    """The comparison above is only worth something if the windows burst, link and credit."""
    seen = {
        "bursts": 0,
        "banded": 0,
        "repeat": 0,
        "credited": 0,
        "multi_burst_campaigns": 0,
        "unlocked": 0,
        "members_clicks_between_bursts": 0,
        "members_clicks_off_the_aimed_listings": 0,
        "target_struck_again_later_by_others": 0,
        "target_struck_again_later_by_the_same": 0,
    }
    for seed in range(40):
        win = random_window(seed)
        bursts = cohorts.find_bursts(win, CFG)
        if bursts:  # returns refused because most of the source's clicks are outside bursts
            returns = set(cohorts.describe(bursts, win, replace(CFG, repeat_min_locked=0.0)).tolist())
            seen["unlocked"] += len(returns - set(cohorts.describe(bursts, win, CFG).tolist()))
        found = cohorts.find_campaigns(win, CFG)
        bursts = [b for f in found for b in f.bursts]
        seen["bursts"] += len(bursts)
        seen["banded"] += sum(b.band is not None for b in bursts)
        seen["repeat"] += sum(b.repeat > 0 for b in bursts)
        seen["credited"] += sum(len(f.credited) for f in found)
        seen["multi_burst_campaigns"] += sum(len(f.bursts) > 1 for f in found)
        anytime = cohorts.find_campaigns(win, replace(CFG, member_burst_margin_min=win.n_minutes))
        between = sum(len(f.rows) for f in anytime) - sum(len(f.rows) for f in found)
        seen["members_clicks_between_bursts"] += between
        on_target: dict[tuple, list] = {}
        for g, f in enumerate(found):
            for b in f.bursts:
                on_target.setdefault((b.column, b.target), []).append((b.start, b.end, g))
        for strikes in on_target.values():
            strikes.sort()
            for (_, end, g), (start, _, h) in pairwise(strikes):
                if start - end > CFG.member_hold_s // 60:
                    seen["target_struck_again_later_by_" + ("the_same" if g == h else "others")] += 1
        for f in found:
            aimed = set(f.targets["listing"]) | set(win.cols["listing"][f.credited].tolist())
            seen["members_clicks_off_the_aimed_listings"] += int(
                (~np.isin(win.cols["listing"][f.rows], list(aimed))).sum()
            )
    assert min(seen.values()) > 0, seen
