"""Bursts, cohorts and campaigns on hand-made traffic."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from chalicelib.config import Settings
from chalicelib.detect.cohorts import describe, find_bursts, find_campaigns, owners_going_through
from chalicelib.models import Click, Source
from tests.chalicelib.detect.scenes import MINUTE, T0, UA, clicks_of, organic_stay, scene, window_of

CFG = Settings()


def found_in(s, until=None):
    frame, win = window_of(s, until)
    return frame, win, find_campaigns(win, CFG)


def test_scripted_crew_on_one_listing_is_a_campaign_with_its_band():
    s = scene(viral=False)
    frame, win, found = found_in(s)
    (campaign,) = found
    got = clicks_of(frame, win, campaign)
    assert got <= s.attack and len(got) >= 0.9 * len(s.attack)
    low, high = campaign.band
    assert 7_000 < low < 10_000 < high < 14_000
    assert campaign.signals["dwell_shape"] > 5


def test_honest_viral_listing_is_not_a_campaign():
    s = scene(attack=False)
    _, _, found = found_in(s)
    assert found == []


def test_viral_spell_beside_an_attack_stays_out_of_it():
    s = scene()
    frame, win, found = found_in(s)
    assert len(found) == 1
    assert not clicks_of(frame, win, found[0]) & s.viral


def test_crew_coming_back_without_dwell_reports_is_caught_by_the_lockstep_repeat():
    s = scene(viral=False, repeat=True)
    frame, win, found = found_in(s)
    (campaign,) = found
    assert clicks_of(frame, win, campaign) == s.attack
    assert campaign.signals["max_repeat_share"] == 1.0
    assert len(campaign.bursts) >= 2


def test_a_farm_filling_a_quiet_window_is_measured_against_the_market_outside_it():
    # 100 honest clicks over the window, 600 of a hired band (15-40 s) on LX in 30 minutes: the
    # window's stays are mostly the farm's, so measured against them all its band looks natural.
    s = scene(attack=False, viral=False, quiet=100)
    rng = np.random.default_rng(7)
    for k in range(600):
        s.add(T0 + 180 * MINUTE + rng.uniform(0, 30 * MINUTE), "LX", k, rng.uniform(15_000, 40_000), "attack")
    frame, win, found = found_in(s)
    (campaign,) = found
    assert clicks_of(frame, win, campaign) <= s.attack
    low, high = campaign.band
    assert 10_000 < low < 20_000 and 35_000 < high < 60_000


def test_quiet_market_has_no_campaign():
    _, _, found = found_in(scene(attack=False, viral=False))
    assert found == []


def test_attack_not_yet_started_is_not_seen():
    s = scene(viral=False)
    first = min(c.ts for c in s.clicks if c.click_id in s.attack)
    _, _, found = found_in(s, until=first)
    assert found == []


def test_honest_crowd_with_a_narrow_middle_by_chance_keeps_its_bounces_and_tail():
    # The first stays of a viral spell: their middle half is as narrow as a script's, but a
    # quarter of them are bounces or long reads, as organic stays are. Not a campaign.
    s = scene(attack=False, viral=False)
    stays = [116978, 55054, 879, 2360, 56813, 30859, 32923, 266469, 26955, 60428, 13521, 31468, 65682]
    stays += [58220, 36271]
    start = T0 + 180 * MINUTE
    for i, dwell in enumerate(stays):
        s.add(start + i * 12_000, "LV", 50_000 + i, dwell, "viral")
    frame, win, found = found_in(s)
    bursts = find_bursts(win, CFG)
    describe(bursts, win, CFG)
    (crowd,) = [b for b in bursts if frame.name("target", b.target) == "l:LV"]
    assert crowd.spread <= CFG.dwell_spread_ratio  # the first key alone would take it for a script
    assert crowd.band is None and found == []


def test_shoppers_in_two_bursts_minutes_apart_have_not_come_back():
    # Shoppers of one honest spell browse on to another listing that bursts a few minutes after
    # the first ended (a keyword's listings one after another): no lockstep. The crew of the
    # repeat scene comes back 40 minutes later: lockstep.
    s = scene(attack=False, viral=False)
    start = T0 + 180 * MINUTE
    browsers = []
    for i in range(60):
        ts = start + i * 8_000  # LV for 8 minutes
        s.add(ts, "LV", 50_000 + i, 1000 + 30_000 * (i % 7) / 3)
    for i in range(40):
        who = 50_020 + i if i < 20 else 60_000 + i  # 20 of LV's shoppers, then newcomers
        browsers += [f"acct{who}"] if i < 20 else []
        s.add(start + 15 * MINUTE + i * 12_000, "LW", who, 1000 + 30_000 * (i % 5) / 2)
    frame, win, _ = found_in(s)

    def came_back(cfg):
        bursts = find_bursts(win, cfg)
        assert {frame.name("target", b.target) for b in bursts} >= {"l:LV", "l:LW"}
        return {frame.name("source", p) for p in describe(bursts, win, cfg)}

    assert not came_back(CFG) & {"a:" + b for b in browsers}
    assert {"a:" + b for b in browsers} <= came_back(replace(CFG, repeat_gap_s=0))
    crew = scene(viral=False, repeat=True)
    frame, win, _ = found_in(crew)
    assert {frame.name("source", p) for p in describe(find_bursts(win, CFG), win, CFG)} >= {
        "a:" + a for a in crew.attackers
    }


def test_a_regular_in_two_waves_who_shops_between_them_has_not_come_back():
    # A regular of the attacked shop is in both of the crew's bursts, 40 minutes apart, but most
    # of his clicks in the window are outside any burst: not lockstep. The crew's are all in them.
    s = scene(viral=False, repeat=True)
    start = T0 + 180 * MINUTE
    regular = 90_001
    s.add(start + 1 * MINUTE, "LX", regular, 9_000)
    s.add(start + 41 * MINUTE, "LY", regular, None)
    for i in range(3):
        s.add(start - (60 + 30 * i) * MINUTE, f"L{i}", regular, 40_000)
    frame, win, _ = found_in(s)

    def came_back(cfg):
        return {frame.name("source", p) for p in describe(find_bursts(win, cfg), win, cfg)}

    assert f"a:acct{regular}" not in came_back(CFG)
    assert f"a:acct{regular}" in came_back(replace(CFG, repeat_min_locked=0.0))
    assert {"a:" + a for a in s.attackers} <= came_back(CFG)


def test_a_members_click_between_the_attacks_bursts_is_not_the_attacks():
    # The crew hits LX, then LY of the same shop 40 minutes later. One of them also clicks LX
    # 20 minutes after its burst, alone: between the waves, as any shopper of the shop does.
    s = scene(viral=False, repeat=True)
    start = T0 + 180 * MINUTE
    between = s.add(start + 24 * MINUTE, "LX", 0, 40_000).click_id
    frame, win, _ = found_in(s)

    def credited(margin_min):
        (found,) = find_campaigns(win, replace(CFG, member_burst_margin_min=margin_min))
        return clicks_of(frame, win, found)

    assert credited(60) - credited(5) == {between}  # the crew's own clicks are the attack's either way
    assert len(credited(5) & s.attack) >= 0.8 * len(s.attack)


def test_an_ip_alone_is_never_a_member_nor_comes_back():
    # Shoppers behind one carrier NAT ip, without a login or a device id, click in both of the
    # crew's bursts and once more after: as one "person" they would have come back as a crew does.
    s = scene(viral=False, repeat=True)
    start = T0 + 180 * MINUTE
    nat = Source(ip="100.64.0.1", user_agent=UA)
    for n, (minute, listing, stay) in enumerate([(2, "LX", 10_000), (41, "LY", None), (50, "LY", 60_000)]):
        click = Click(
            f"nat{n}", start + minute * MINUTE, "BIG", listing, 2_000_000, nat, keyword=f"kw{listing}"
        )
        s.clicks.append(click)
        if stay:
            s.dwell[click.click_id] = stay
    frame, win, (found,) = found_in(s)
    assert "i:100.64.0.1" not in {frame.name("source", p) for p in describe(find_bursts(win, CFG), win, CFG)}
    assert "nat2" not in clicks_of(frame, win, found)  # not a member's click
    assert {"a:" + a for a in s.attackers} & {
        frame.name("source", p) for p in describe(find_bursts(win, CFG), win, CFG)
    }


def test_a_members_click_on_another_listing_of_the_shop_counts_during_the_burst_only():
    # A crew member also clicks LZ, a listing of the besieged shop the crew never hit together:
    # once while the crew bursts on the shop (going down its listings), once 20 minutes after,
    # alone (shopping). On the listings the attack aimed, the member margin keeps both.
    s = scene(viral=False, repeat=True)
    start = T0 + 180 * MINUTE
    member = s.clicks[next(i for i, c in enumerate(s.clicks) if c.click_id in s.attack)].source
    during, after = (
        Click(cid, start + minutes * MINUTE, "BIG", "LZ", 2_000_000, member, keyword="kwLZ")
        for cid, minutes in (("lz-during", 2), ("lz-after", 22))
    )
    s.clicks += [during, after]
    frame, win, (found,) = found_in(s)
    credited = clicks_of(frame, win, found)
    assert "lz-during" in credited
    assert "lz-after" not in credited


def test_a_shop_owner_going_through_the_besieged_shops_listings_between_the_waves_is_the_attacks():
    # The crew hits BIG's LX, then its LY 40 minutes later. Between the waves, with stays of
    # their own: a rival shop's owner clicks both; another owner clicks LX only; BIG's own owner
    # and a shopper with no shop click both.
    s = scene(viral=False, repeat=True)
    start = T0 + 180 * MINUTE

    def visit(name, seller, listing, minute):
        source = Source(ip="10.9.9.9", user_agent=UA, account_id=name, seller_id=seller)
        s.clicks.append(
            Click(f"{name}-{listing}", start + minute * MINUTE, "BIG", listing, 2_000_000, source)
        )
        s.dwell[f"{name}-{listing}"] = 45_000

    for name, seller, listings in (
        ("rival", "S77", ("LX", "LY")),
        ("glance", "S78", ("LX",)),
        ("self", "BIG", ("LX", "LY")),
        ("buyer", None, ("LX", "LY")),
    ):
        for n, listing in enumerate(listings):
            visit(name, seller, listing, 15 + 10 * n)
    frame, win, (found,) = found_in(s)
    aimed = np.unique(win.cols["listing"][found.credited])
    first, last = min(b.start for b in found.bursts), max(b.end for b in found.bursts)

    def going_through(least):
        return {frame.click_ids[i] for i in win.rows[owners_going_through(aimed, first, last, win, least)]}

    assert going_through(2) == {"rival-LX", "rival-LY"}
    assert going_through(3) == set()
    (wider,) = find_campaigns(win, replace(CFG, owner_rounds_listings=2))
    assert clicks_of(frame, win, wider) - clicks_of(frame, win, found) == {"rival-LX", "rival-LY"}


def second_crew_on_lx(returning: int) -> tuple:
    """The scene's crew on LX, then 100 minutes after its burst a crew of 60 others there, with
    `returning` of the first crew among them (too few to link by sources alone)."""
    s = scene(viral=False)
    rng = np.random.default_rng(7)
    for who in range(90_000, 90_500):  # the market goes on, quietly
        listing = f"L{rng.integers(18)}"
        s.add(T0 + rng.uniform(210, 330) * MINUTE, listing, who, organic_stay(rng))
    later = T0 + 290 * MINUTE
    second = set()
    for k in list(range(returning)) + list(range(5000, 5060 - returning)):
        second.add(
            s.add(later + rng.uniform(0, 4 * MINUTE), "LX", k, 10_000 * np.exp(rng.normal(0, 0.1))).click_id
        )
    return s, second


def test_a_target_struck_again_hours_later_by_other_people_is_another_attack():
    # A farm hired against a shop that a sweep went through in the morning is not the sweep.
    s, second = second_crew_on_lx(returning=0)
    frame, win, found = found_in(s)
    first, then = (clicks_of(frame, win, f) for f in found)
    assert first <= s.attack and len(first) >= 0.8 * len(s.attack)
    assert then <= second and len(then) >= 0.8 * len(second)


def test_a_target_struck_again_hours_later_with_some_of_the_same_people_is_the_same_attack():
    # A siege's wave may skip a target for a while: six of the sixty back make it the same siege.
    s, second = second_crew_on_lx(returning=6)
    frame, win, found = found_in(s)
    (campaign,) = found
    got = clicks_of(frame, win, campaign)
    assert len(got & s.attack) >= 0.8 * len(s.attack) and len(got & second) >= 0.8 * len(second)
