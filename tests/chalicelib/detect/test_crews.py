"""Crews found by their members meeting again, on hand-made task-group traffic."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from chalicelib.config import Settings
from chalicelib.detect.cohorts import distinct
from chalicelib.detect.crews import _where_it_counts, co_clicks, core, enlist, find_crews, ties
from tests.chalicelib.detect.scenes import (
    MINUTE,
    NOBODY,
    T0,
    Scene,
    clicks_of,
    persons_named,
    task_group,
    window_of,
)

CFG = Settings()


def crews_in(s, taken=()):
    """The crews of the scene, with the persons named in `taken` already a burst campaign's."""
    frame, win = window_of(s)
    return frame, win, find_crews(win, CFG, persons_named(frame, taken))


def members_of(frame, win, crew) -> set[str]:
    """The account names of the crew's persons."""
    return {frame.name("source", p)[2:] for p in np.unique(win.cols["person"][crew.rows]).tolist()}


def test_a_task_group_meeting_round_after_round_is_a_crew():
    for seed in (1, 2, 3):
        s = task_group(seed)
        frame, win, found = crews_in(s)
        (crew,) = found
        clicks = clicks_of(frame, win, crew)
        # Members who joined one round are never tied (a few are enlisted), and a shopper or two who
        # came back to the same deal pages in two rounds is: most of the crew's clicks are the group's.
        assert len(clicks & s.attack) >= 0.4 * len(s.attack)
        assert len(clicks - s.attack) <= 0.06 * len(clicks)
        members = members_of(frame, win, crew)
        assert len(members & set(s.attackers)) >= 15 and len(members - set(s.attackers)) <= 3
        assert crew.signals["found_by"] == "crew" and crew.band is None
        assert {b.column for b in crew.bursts} == {"listing"} and len(crew.bursts) >= 10


def test_members_who_joined_too_few_rounds_for_the_core_are_enlisted():
    for seed in (1, 2, 3):
        s = task_group(seed)
        frame, win = window_of(s)
        (core_only,) = find_crews(win, replace(CFG, crew_enlist_shops=10**6), NOBODY)
        (crew,) = find_crews(win, CFG, NOBODY)
        before, after = members_of(frame, win, core_only), members_of(frame, win, crew)
        # Three to five members a day join too few rounds to be tied to four others; no shopper
        # browsing the same shops is enlisted with them.
        assert before < after and len(after - before) >= 3 and after - before <= set(s.attackers)
        assert clicks_of(frame, win, crew) > clicks_of(frame, win, core_only)


def test_enlisting_needs_meetings_in_three_shops_making_half_of_what_one_clicked():
    crew = np.array([1, 2, 3, 4])
    met = [(1, 2, 10, 100), (1, 2, 11, 101), (3, 4, 12, 102), (3, 4, 13, 102)]  # the crew's own
    met += [(1, 7, 10, 100), (2, 7, 11, 101), (7, 3, 12, 102)]  # 7: three shops, all it clicked
    met += [(1, 8, 10, 100), (3, 8, 12, 102), (4, 8, 13, 102)]  # 8: three listings, two shops
    met += [(1, 9, 10, 100), (2, 9, 11, 101), (3, 9, 12, 102)]  # 9: three shops of ten listings
    met += [(1, 6, 20, 200), (2, 6, 21, 201), (3, 6, 22, 202)]  # 6: where the crew never met
    a, b, listing, shop = (np.array(column) for column in zip(*met, strict=True))
    browsed = (np.array([1, 2, 3, 4, 6, 7, 8, 9]), np.array([4, 4, 4, 4, 3, 3, 4, 10]))
    assert enlist(crew, a, b, listing, shop, browsed, CFG).tolist() == [1, 2, 3, 4, 7]


def test_honest_shoppers_meeting_by_chance_are_no_crew():
    # Busy deal pages that shoppers come back to, and a crowd of 6,000 across the whole catalogue:
    # cores of 20-300 tie by chance there, on a few hot listings or as a sliver of big crowds.
    for shoppers, deals in ((1200, 0.5), (3600, 0.5), (6000, 0.2)):
        for seed in (1, 2, 3):
            _, _, found = crews_in(task_group(seed, group=False, shoppers=shoppers, deals=deals))
            assert found == []


def test_a_crew_the_burst_campaigns_already_hold_is_not_found_again():
    s = task_group()
    _, _, found = crews_in(s, taken=["a:" + a for a in s.attackers])
    assert found == []


def test_a_group_too_small_to_be_a_crew_is_not_one():
    s = task_group(members=11, rounds=10)  # ties all eleven
    _, _, found = crews_in(s)
    assert found == []
    _, win = window_of(s)
    assert len(find_crews(win, replace(CFG, crew_min_members=11), NOBODY)) == 1


def test_co_clicks_pair_different_people_on_one_listing_within_the_window():
    listing = np.array([1, 1, 1, 2, 1, 1])
    ts = np.array([0, 2, 4, 6, 9, 30]) * MINUTE
    person = np.array([7, 8, 9, 9, 7, 8])
    first, second = co_clicks(listing, ts, person, 10 * MINUTE, reach=8)
    met = {
        (*sorted((int(person[a]), int(person[b]))), int(ts[a] // MINUTE))
        for a, b in zip(first, second, strict=True)
    }
    # Never with oneself (minutes 0 and 9), on another listing (6) or over 10 minutes on (30).
    assert met == {(7, 8, 0), (7, 9, 0), (8, 9, 2), (7, 8, 2), (7, 9, 4)}
    first, _ = co_clicks(listing, ts, person, 10 * MINUTE, reach=1)
    assert len(first) == 3  # each click pairs with at most `reach` later ones


def test_a_tie_needs_two_listings_and_two_rounds():
    # (a, b) met on L1 and L2 half an hour apart; (a, c) twice on L1; (b, c) on L1 and L2 at once.
    a = np.array([1, 1, 1, 1, 2, 2])
    b = np.array([2, 2, 3, 3, 3, 3])
    listing = np.array([1, 2, 1, 1, 1, 2])
    ts = np.array([0, 30, 0, 40, 0, 3]) * MINUTE
    low, high = ties(a, b, listing, ts, 20 * MINUTE)
    assert list(zip(low.tolist(), high.tolist(), strict=True)) == [(1, 2)]


def test_the_core_keeps_only_people_tied_to_enough_others_in_it():
    # A clique of five (each tied to 4) and a hanger-on tied to two of them.
    clique = [(i, j) for i in range(5) for j in range(i + 1, 5)]
    edges = np.array(clique + [(5, 0), (5, 1)])
    a, b = core(edges[:, 0], edges[:, 1], 4)
    assert set(np.r_[a, b].tolist()) == {0, 1, 2, 3, 4}
    a, b = core(edges[:, 0], edges[:, 1], 5)
    assert len(a) == 0


def test_a_crew_counts_only_where_it_is_a_real_share_of_the_clickers():
    # Five members on LA among five others, and on LB among 95 others: on LB they are a sliver
    # of a crowd, where people meet by chance.
    s = Scene()
    for k in range(5):
        s.add(T0 + k * MINUTE, "LA", k, 20_000)
        s.add(T0 + k * MINUTE, "LB", k, 20_000)
    for who in range(100, 105):
        s.add(T0 + 30 * MINUTE, "LA", who, 20_000)
    for who in range(200, 295):
        s.add(T0 + 30 * MINUTE, "LB", who, 20_000)
    frame, win = window_of(s)
    cols = win.cols
    crew_rows = np.flatnonzero(
        np.isin(cols["account"], [frame.names["source"].ids[f"a:acct{k}"] for k in range(5)])
    )
    clickers = np.unique(distinct(cols["person"], cols["listing"])[1], return_counts=True)
    kept = _where_it_counts(crew_rows, clickers, CFG.crew_min_share, win)
    assert {frame.name("target", int(t)) for t in cols["listing"][kept]} == {"l:LA"}
