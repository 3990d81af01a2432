"""Crews that never burst: the same people clicking the same listings together, round after round.

A paid task group (seed 002, 2017: a QQ group whose leader posts attack tasks on shops to paying
members) spreads a handful of clicks over many big shops, inside their honest evening traffic: no target
bursts, so the burst tests never see it. What it cannot hide is lockstep (CopyCatch, WWW 2013):
its members click the same listings within minutes of each other, and meet again on other
listings in a later round. Honest strangers meet on a listing by chance; meeting again, on
another listing, more than a round later, and with several others who do too, is a crew.

1. Co-click: two named persons on one listing within `crew_co_click_s` of each other.
2. Tie: a pair that co-clicked on two listings or more, more than `crew_round_gap_s` apart.
3. Crew: a connected part of the `crew_core_degree`-core of the ties (everyone tied to that many
   others in it), at least `crew_min_members` strong.
4. Its clicks: the co-clicks of two of its members, on listings where the crew is at least
   `crew_min_share` of the people clicking, over at least `crew_min_spread` listings a member;
   each such listing is one of its bursts.
5. Enlisted: everyone who met its members on its listings in `crew_enlist_shops` shops or more,
   those listings being at least `crew_enlist_share` of all they clicked (a member who joined
   too few rounds for the core); 4 is then taken again with them.
"""

from __future__ import annotations

import numpy as np

from chalicelib.config import Settings
from chalicelib.detect.cohorts import Burst, Found, Window, components, distinct, pair_key
from chalicelib.models import FOUND_BY_CREW


def co_clicks(
    listing: np.ndarray, ts: np.ndarray, person: np.ndarray, within_ms: int, reach: int
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of clicks (positions) by two persons on one listing within `within_ms`: meeting there
    is the only trace a crew leaves on a target it does not flood. Each click pairs with at most
    `reach` later ones, so a crowded listing (a viral one) costs no more than a busy one."""
    order = np.lexsort((ts, listing))
    lst, t, who = listing[order], ts[order], person[order]
    first, second = [], []
    at = np.arange(len(order) - 1)
    for step in range(1, reach + 1):
        at = at[at + step < len(order)]
        near = (lst[at + step] == lst[at]) & (t[at + step] - t[at] <= within_ms)
        at = at[near]
        if len(at) == 0:
            break
        other = who[at + step] != who[at]
        first.append(order[at[other]])
        second.append(order[at[other] + step])
    if not first:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(first), np.concatenate(second)


def ties(
    a: np.ndarray, b: np.ndarray, listing: np.ndarray, ts: np.ndarray, round_gap_ms: int
) -> tuple[np.ndarray, np.ndarray]:
    """Person pairs (a < b) that met on two listings or more, in rounds more than `round_gap_ms`
    apart: a chance meeting happens once; a crew's members meet again on the next task list."""
    low, high = np.minimum(a, b), np.maximum(a, b)
    key = pair_key(low, high)
    order = np.argsort(key)
    key, low, high = key[order], low[order], high[order]
    lst, t = listing[order], ts[order]
    start = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    spread = np.maximum.reduceat(t, start) - np.minimum.reduceat(t, start)
    listings = np.maximum.reduceat(lst, start) != np.minimum.reduceat(lst, start)
    tied = start[(spread > round_gap_ms) & listings]
    return low[tied], high[tied]


def core(a: np.ndarray, b: np.ndarray, degree: int) -> tuple[np.ndarray, np.ndarray]:
    """The ties among persons tied to at least `degree` others who are too (the k-core): a crew
    is many people meeting again, not one regular who met two others twice."""
    while len(a):
        nodes, inverse = np.unique(np.r_[a, b], return_inverse=True)
        weak = np.bincount(inverse, minlength=len(nodes)) < degree
        if not weak.any():
            break
        keep = ~(weak[inverse[: len(a)]] | weak[inverse[len(a) :]])
        a, b = a[keep], b[keep]
    return a, b


def find_crews(win: Window, cfg: Settings, taken: np.ndarray) -> list[Found]:
    """The crews of the window whose members are not already a burst campaign's (`taken` persons)."""
    cols = win.cols
    mine = np.flatnonzero(win.named & ~np.isin(cols["person"], taken))
    listing, ts, person = cols["listing"][mine], cols["ts"][mine], cols["person"][mine]
    shop = cols["advertiser"][mine]
    first, second = co_clicks(listing, ts, person, cfg.crew_co_click_s * 1000, cfg.crew_pair_reach)
    if len(first) == 0:
        return []
    a, b = ties(person[first], person[second], listing[first], ts[first], cfg.crew_round_gap_s * 1000)
    a, b = core(a, b, cfg.crew_core_degree)
    if len(a) == 0:
        return []
    nodes, inverse = np.unique(np.r_[a, b], return_inverse=True)
    label = components(len(nodes), inverse[: len(a)], inverse[len(a) :])
    labels, sizes = np.unique(label, return_counts=True)
    big = labels[sizes >= cfg.crew_min_members].tolist()
    if not big:
        return []
    people, listings_of = distinct(cols["person"], cols["listing"])
    clickers = np.unique(listings_of, return_counts=True)  # people per listing
    browsed = np.unique(people, return_counts=True)  # listings per person

    def meetings(crew: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The crew's co-clicks where it counts (window rows), their persons, and which co-click
        pairs were two of its members."""
        met = np.isin(person[first], crew) & np.isin(person[second], crew)
        paired = np.unique(mine[np.r_[first[met], second[met]]])
        rows = _where_it_counts(paired, clickers, cfg.crew_min_share, win)
        return rows, np.unique(cols["person"][rows]), met

    out = []
    for crew_label in big:
        rows, crew, met = meetings(nodes[label == crew_label])
        # Chance meetings also pile up where a crowd keeps coming back: many people on a few hot
        # listings. A task list rotates: a few members per listing per round, over many listings.
        spread = len(np.unique(cols["listing"][rows])) >= cfg.crew_min_spread * len(crew)
        if len(crew) < cfg.crew_min_members or not spread:
            continue
        more = enlist(crew, person[first], person[second], listing[first], shop[first], browsed, cfg)
        if len(more) > len(crew):
            rows, crew, met = meetings(more)
        out.append(_found(rows, crew, int(met.sum()), win))
    return out


def enlist(
    crew: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    listing: np.ndarray,
    shop: np.ndarray,
    browsed: tuple[np.ndarray, np.ndarray],
    cfg: Settings,
) -> np.ndarray:
    """The crew with everyone who met its members (co-click pairs `a`, `b`) on its listings in
    several shops, if those are a good share of the listings they clicked (`browsed`: persons and
    how many listings each): a member who joined a round or two is tied to too few others for the
    core, yet works task lists that span shops; an honest shopper meets a crew in a shop or two,
    among many listings of their own."""
    in_a, in_b = np.isin(a, crew), np.isin(b, crew)
    struck = np.unique(listing[in_a & in_b])
    one = (in_a != in_b) & np.isin(listing, struck)
    outsider = np.where(in_a[one], b[one], a[one])
    _, by_shop = distinct(shop[one], outsider)  # each outsider once per shop
    _, by_listing = distinct(listing[one], outsider)
    persons, shops = np.unique(by_shop, return_counts=True)
    listings_met = np.unique(by_listing, return_counts=True)[1]  # same persons, same order
    listings_all = browsed[1][np.searchsorted(browsed[0], persons)]
    keep = (shops >= cfg.crew_enlist_shops) & (listings_met >= cfg.crew_enlist_share * listings_all)
    return np.union1d(crew, persons[keep])


def _where_it_counts(
    rows: np.ndarray, clickers: tuple[np.ndarray, np.ndarray], share: float, win: Window
) -> np.ndarray:
    """The crew's clicks on listings where it is at least `share` of the people who clicked them in
    the window. People meet by chance where crowds are: a pre-sale evening's shoppers tie into a
    core on its most popular listings, each of them a few percent of the crowd there, while a
    task list's listings get most of their clicks from the group."""
    cols = win.cols
    listing = cols["listing"][rows]
    struck, crew_on = np.unique(distinct(cols["person"][rows], listing)[1], return_counts=True)
    everyone = clickers[1][np.searchsorted(clickers[0], struck)]
    return rows[np.isin(listing, struck[crew_on >= share * everyone])]


def _found(rows: np.ndarray, crew: np.ndarray, meetings: int, win: Window) -> Found:
    """The crew as a campaign: its co-clicks are both its evidence and what it is credited for."""
    cols = win.cols
    listing = cols["listing"][rows]
    order = np.argsort(listing, kind="stable")
    struck, first = np.unique(listing[order], return_index=True)
    persons, on = distinct(cols["person"][rows], listing)  # by listing, then person
    bursts = [
        Burst(
            target=int(target),
            column="listing",
            start=int(win.minute[its_rows].min()),
            end=int(win.minute[its_rows].max()),
            rows=its_rows,
            persons=its_persons,
            odds=0.0,
            repeat=1.0,
        )
        for target, its_rows, its_persons in zip(
            struck.tolist(),
            np.split(rows[order], first[1:]),
            np.split(persons, np.searchsorted(on, struck)[1:]),
            strict=True,
        )
    ]
    return Found(
        bursts=bursts,
        rows=rows,
        credited=rows,
        band=None,
        targets={"listing": set(struck.tolist()), "advertiser": set(), "keyword": set()},
        signals={
            "found_by": FOUND_BY_CREW,
            "crew_members": int(len(crew)),
            "crew_meetings": meetings,
            "bursts": len(bursts),
            "cohort_sources": int(len(crew)),  # the crew is the persons of its rows
            "member_sources": int(len(crew)),
        },
    )
