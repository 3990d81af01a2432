"""Shops clicked by strangers (a slow drip), and keywords whose strangers stay as a script was
set to (click software), on hand-made traffic."""

from __future__ import annotations

from dataclasses import replace

from chalicelib.config import Settings
from chalicelib.detect.cohorts import find_bursts
from chalicelib.detect.strangers import find_scripts, find_strangers
from tests.chalicelib.detect.scenes import (
    MINUTE,
    NOBODY,
    T0,
    clicks_of,
    drip,
    persons_named,
    software,
    window_of,
)

CFG = Settings()


def found_in(s, taken=(), cfg=CFG, finder=find_strangers):
    """The scene's window, and what `finder` finds in it outside its bursts and the `taken` names."""
    frame, win = window_of(s)
    return frame, win, finder(win, cfg, persons_named(frame, taken), find_bursts(win, cfg))


def test_a_slow_drip_of_new_identities_on_one_shop_is_found():
    for seed in (1, 2, 3):
        s = drip(seed)
        frame, win, found = found_in(s)
        (f,) = found
        clicks = clicks_of(frame, win, f)
        # Honest one-visit shoppers on the shop are in it too: a few, against the whole drip.
        assert clicks >= s.attack and len(clicks - s.attack) <= 6
        assert {frame.name("target", t) for t in f.targets["advertiser"]} == {"a:BIG"}
        assert f.signals["found_by"] == "strangers" and f.band is None
        assert f.signals["one_shot_share"] >= CFG.stranger_min_share
        assert f.signals["market_one_shot_share"] < 0.1


def test_honest_shops_and_a_viral_crowd_of_first_time_shoppers_are_not_strangers():
    for seed in (1, 2, 3):
        _, _, found = found_in(drip(seed, attack=False, viral=True))
        assert found == []


def test_where_most_shoppers_click_once_a_drip_cannot_be_told_from_them():
    # The market's own share sets the bar (3x it): no shop is the strangers' when most honest
    # shoppers click one ad and leave, drip or not.
    _, _, found = found_in(drip(1, one_visit=0.8))
    assert found == []
    _, _, found = found_in(drip(1, attack=False, one_visit=0.8))
    assert found == []


def test_a_drip_too_small_to_tell_is_not_found():
    s = drip(1)
    _, win, _ = found_in(s)
    assert find_strangers(win, replace(CFG, burst_min_sources=61), NOBODY, []) == []


def test_strangers_a_campaign_already_holds_are_not_found_again():
    s = drip(1)
    _, _, found = found_in(s, taken=["a:" + a for a in s.attackers])
    assert found == []


def test_a_crowd_of_new_identities_in_a_burst_is_left_to_the_burst_tests():
    # A farm's fresh identities arrive at once: its shop's one-shot share stays high for the
    # whole look-back, but strangers arrive steadily, and the farm is the bursts' and the pulse's.
    s = drip(1, attack=False, farm=True)
    _, win, found = found_in(s)
    assert found == []
    assert len(find_strangers(win, CFG, NOBODY, [])) == 1  # counted with the burst, it would be


def test_a_social_posts_visitors_are_no_drip_during_the_post_or_as_it_fades():
    # Each opens the listing logged out in a new webview, so each is seen once: after the rush,
    # the fading tail alone would be most of the shop's clicks, all strangers. The listing burst,
    # so all of its clicks in the look-back are the burst tests' business.
    for seed in (1, 2, 3):
        s = drip(seed, attack=False, post=True)
        for minute in range(150, 330, 10):
            _, win = window_of(s, T0 + minute * MINUTE)
            assert find_strangers(win, CFG, NOBODY, find_bursts(win, CFG)) == [], (seed, minute)
        _, win = window_of(s)
        assert len(find_strangers(win, CFG, NOBODY, [])) == 1  # counted with the post, it would be


def scripts_in(s, taken=(), cfg=CFG):
    return found_in(s, taken, cfg, find_scripts)


def test_click_software_on_a_keyword_is_found_by_its_strangers_stays():
    # A new device per click, logged out, spread over ten shops: no shop is mostly strangers, and
    # nothing bursts; but its stays sit in one narrow band where the keyword's shoppers put few.
    for seed in (1, 2, 3):
        s = software(seed)
        frame, win, found = scripts_in(s)
        (f,) = found
        assert f.signals["found_by"] == "scripted_strangers"
        assert {frame.name("target", t) for t in f.targets["keyword"]} == {"k:kw0"}
        assert f.targets["advertiser"] == set() and f.targets["listing"] == set()
        low, high = f.band
        assert 12_000 < low <= 16_500 and 25_500 <= high < 35_000
        clicks = clicks_of(frame, win, f)
        assert len(clicks & s.attack) >= 95
        # Honest logged-out stays that fall in the band on kw0 are in it too (23-33 of 106-124
        # here, against 100: this scene's shoppers are 15 % logged out), and nothing else.
        honest = [c for c in s.clicks if c.click_id in clicks - s.attack]
        logged_out = [c for c in s.clicks if c.keyword == "kw0" and c.source.account_id is None]
        assert len(honest) <= 0.3 * (len(logged_out) - 100)
        assert all(c.keyword == "kw0" and c.source.account_id is None for c in honest)
        assert all(low <= s.dwell[c.click_id] <= high for c in honest)
        assert find_strangers(win, CFG, NOBODY, find_bursts(win, CFG)) == []


def test_honest_strangers_stays_are_no_script_however_many_are_logged_out():
    for seed in (1, 2, 3):
        for logged_out in (0.15, 0.6):
            _, _, found = scripts_in(software(seed, attack=False, logged_out=logged_out))
            assert found == []


def test_logged_in_shoppers_who_stay_as_the_software_does_leave_it_no_excess():
    # The software's band is measured against the keyword's logged-in stays: where they too sit
    # in it, its stays are no surprise.
    s = software(1)
    for c in s.clicks:
        if c.source.account_id and c.keyword == "kw0":
            s.dwell[c.click_id] = 21_000
    _, _, found = scripts_in(s)
    assert found == []


def test_a_script_too_small_or_already_held_is_not_found():
    s = software(1)
    assert scripts_in(s, cfg=replace(CFG, burst_min_sources=130))[2] == []
    devices = [c.source.device_id for c in s.clicks if c.click_id in s.attack]
    assert scripts_in(s, taken=["d:" + d for d in devices])[2] == []
