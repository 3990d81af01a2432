"""Shops whose tailless listings the same persons stay on as told (a paid task group), on
hand-made traffic."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from chalicelib.config import Settings
from chalicelib.detect.tailless import find_tailless, tailless_listings
from tests.chalicelib.detect.scenes import NOBODY, browsing_crowd, clicks_of, persons_named, window_of

CFG = Settings()


def found_in(s, taken=(), cfg=CFG):
    """The scene's window, and what the tailless search finds in it outside the `taken` names."""
    frame, win = window_of(s)
    return frame, win, find_tailless(win, cfg, persons_named(frame, taken))


def test_a_listing_whose_stays_have_no_tails_is_told_from_organic_ones():
    rng = np.random.default_rng(1)
    organic = 1000 + 30_000 * rng.weibull(0.7, 400)
    browsing = np.r_[70_000 * np.exp(rng.normal(0, 0.4, 80)), 1000 + 30_000 * rng.weibull(0.7, 20)]
    dwell = np.r_[organic, browsing]
    listing = np.r_[np.arange(400) % 4, np.full(100, 7)]
    assert tailless_listings(dwell, listing, CFG).tolist() == [7]
    assert tailless_listings(dwell[:400], listing[:400], CFG).tolist() == []


def test_a_paid_crowd_browsing_one_shop_is_found_by_its_stays_in_the_band():
    for seed in (1, 2, 3):
        s = browsing_crowd(seed)
        frame, win, found = found_in(s)
        (f,) = found
        assert f.signals["found_by"] == "tailless" and f.signals["tailless_listings"] == 2
        assert {frame.name("target", t) for t in f.targets["advertiser"]} == {"a:BIG"}
        low, high = f.band
        assert low < 70_000 < high
        # Members whose three stays all fell in the band (about 50 of 80); no honest shopper.
        clicks = clicks_of(frame, win, f)
        assert clicks <= s.attack and len(clicks) >= 140
        assert f.signals["member_sources"] == len(clicks) // 3


def test_honest_shoppers_coming_back_to_the_same_listings_are_no_crowd():
    for seed in (1, 2, 3):
        for comeback in (0.2, 0.8):
            _, _, found = found_in(browsing_crowd(seed, attack=False, comeback=comeback))
            assert found == []


def test_a_regular_coming_back_again_and_again_is_no_member():
    for seed in (1, 2, 3):
        s = browsing_crowd(seed, regulars=5)
        frame, win, (f,) = found_in(s)
        assert clicks_of(frame, win, f) <= s.attack
        # Counted by their stays in the band alone, some regulars would be members.
        (loose,) = find_tailless(win, replace(CFG, tailless_min_in_band_share=0), NOBODY)
        assert not clicks_of(frame, win, loose) <= s.attack


def test_a_member_is_one_who_stays_in_the_band_again_and_again():
    s = browsing_crowd(1)
    _, win, found = found_in(s)
    assert find_tailless(win, replace(CFG, tailless_min_stays=4), NOBODY) == []
    (wider,) = find_tailless(win, replace(CFG, tailless_min_stays=2), NOBODY)
    assert len(wider.rows) > len(found[0].rows)


def test_too_few_stays_on_a_listing_are_not_read():
    _, win, _ = found_in(browsing_crowd(1))
    assert find_tailless(win, replace(CFG, burst_min_sources=1000), NOBODY) == []


def test_persons_a_campaign_already_holds_are_not_found_again():
    s = browsing_crowd(1)
    _, _, found = found_in(s, taken=["a:" + a for a in s.attackers])
    assert found == []
