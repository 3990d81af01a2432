"""Real-time feedback from stored campaigns: which clicks and stays of a campaign's crew are matched."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from chalicelib import sweep
from chalicelib.config import Settings
from chalicelib.detect.matcher import StoreCampaignMatcher
from chalicelib.ingest import ClickIngest
from chalicelib.models import Click, Source
from chalicelib.storage.campaigns import Campaign, campaign_store
from chalicelib.storage.memory import MemoryStore
from tests.chalicelib.detect.scenes import MINUTE, T0, UA, drip, task_group
from tests.chalicelib.detect.test_pulse import replay as replay_live
from tests.chalicelib.detect.test_pulse import shop_click, siege_events
from tests.chalicelib.test_sweep import replay, swept_member

CFG = Settings()


def crowd_on(ingest, listing, start, stay, rng):
    """Twenty strangers on a listing (of shop "S" + listing), their stays reported unless `stay` is None."""
    clicks = [
        Click(
            f"{listing}-{k}",
            start + k * 5_000,
            "S" + listing,
            listing,
            2_000_000,
            Source(
                ip=f"10.5.{k}.1", device_id=f"{listing}-d{k}", user_agent=UA, account_id=f"{listing}-a{k}"
            ),
            keyword="kw" + listing,
        )
        for k in range(20)
    ]
    for c in clicks:
        ingest.score_clicks([c])
        if stay is not None:
            ingest.report_dwell([(c.click_id, int(stay(rng)))])


def campaign_on(campaign_id, listing, shop, end, account, found_by="bursts", dwell=None):
    """A stored campaign from T0 to `end` on one listing and its shop, with one member account."""
    return Campaign(
        campaign_id,
        f"listing:{listing}",
        T0,
        end,
        end,
        listings=[listing],
        advertisers=[shop],
        accounts=[account],
        dwell=dwell,
        signals={"found_by": found_by},
    )


def test_a_member_is_dropped_on_a_listing_under_a_scripted_attack_off_the_campaigns_targets():
    store, until, who = swept_member()
    ingest = ClickIngest(store, CFG, StoreCampaignMatcher(store, CFG))
    rng = np.random.default_rng(1)
    start = until + 20 * MINUTE
    # The crew's next target, a listing the campaign has not reached: its stays follow the script.
    crowd_on(ingest, "LZ", start, lambda r: 10_000 * np.exp(r.normal(0, 0.1)), rng)
    # An honest crowd on another listing: the same volume, organic stays.
    crowd_on(ingest, "LW", start, lambda r: 250 + 30_000 * r.weibull(0.7), rng)
    # A farm on a third: scripted too, but by another script than the campaign's ten seconds.
    crowd_on(ingest, "LF", start, lambda r: r.uniform(30_000, 60_000), rng)
    at = start + 2 * MINUTE
    on_lz = Click("m-lz", at, "SLZ", "LZ", 2_000_000, who, keyword="kwLZ")
    on_lw = Click("m-lw", at, "SLW", "LW", 2_000_000, who, keyword="kwLW")
    on_lf = Click("m-lf", at, "SLF", "LF", 2_000_000, who, keyword="kwLF")
    got = {d.click_id: (d.decision, d.reasons) for d in ingest.score_clicks([on_lz, on_lw, on_lf])}
    assert got["m-lz"] == ("drop", ["COORDINATED_CAMPAIGN"])
    # Off the campaign's targets, bursting is not enough, nor another attack's script: a member
    # shopping there is charged.
    assert got["m-lw"][0] == "charge"
    assert got["m-lf"][0] == "charge"


def test_a_crews_member_is_dropped_on_its_rounds_though_nothing_bursts():
    # A task group found meeting round after round (no burst, no band): its next round is a few
    # quiet clicks per listing, so a member's click on the crew's listings or shops is dropped
    # while the crew runs, without the burst a burst campaign's member needs.
    store = MemoryStore()
    until = replay(store, task_group())
    sweep.run_sweep(store, CFG, until)
    (crew,) = [c for c in campaign_store(store).ending_after(0) if c.found_by == "crew"]
    who = Source(ip="10.9.9.9", user_agent=UA, account_id=crew.accounts[0])
    listing = crew.listings[0]
    elsewhere = next(f"L{i}" for i in range(60) if f"L{i}" not in crew.listings)
    at = crew.end_ts + 10 * MINUTE
    late = crew.end_ts + CFG.member_hold_s * 1000 + MINUTE

    def on(click_id, ts, listing_id):
        return Click(
            click_id, ts, "S" + listing_id[1:], listing_id, 2_000_000, who, keyword="kw" + listing_id
        )

    ingest = ClickIngest(store, CFG, StoreCampaignMatcher(store, CFG))
    got = {
        d.click_id: (d.decision, d.reasons)
        for d in ingest.score_clicks([on("round", at, listing), on("away", at + 1, elsewhere)])
    }
    assert got["round"] == ("drop", ["COORDINATED_CAMPAIGN"])
    assert got["away"][0] == "charge"  # not the crew's listing nor its shop: the member shopping
    later = ClickIngest(store, CFG, StoreCampaignMatcher(store, CFG))
    assert later.score_clicks([on("after", late, listing)])[0].decision == "charge"  # the crew stopped


def test_a_new_identity_on_a_shop_strangers_are_clicking_is_dropped_while_the_drip_runs():
    # A slow drip found by the sweep (no burst, no band, no member twice): its next hired click
    # comes from yet another new identity, so it is matched by what it is, a stranger on the shop.
    store = MemoryStore()
    until = replay(store, drip())
    sweep.run_sweep(store, CFG, until)
    (found,) = [c for c in campaign_store(store).ending_after(0) if c.found_by == "strangers"]
    assert found.advertisers == ["BIG"]
    at = found.end_ts + 10 * MINUTE
    late = found.end_ts + CFG.member_hold_s * 1000 + MINUTE

    def on(click_id, ts, listing, who):
        shop = "BIG" if listing in ("LX", "LY") else "S" + listing[1:]
        return Click(click_id, ts, shop, listing, 2_000_000, who, keyword="kw" + listing)

    new = Source(ip="10.8.8.8", user_agent=UA, device_id="dev-new", account_id="acct-new")
    other = Source(ip="10.8.8.9", user_agent=UA, device_id="dev-other", account_id="acct-other")
    regular = Source(ip="10.0.3.232", user_agent=UA, device_id="dev1000", account_id="acct1000")
    ingest = ClickIngest(store, CFG, StoreCampaignMatcher(store, CFG))
    got = {
        d.click_id: (d.decision, d.reasons)
        for d in ingest.score_clicks([on("next", at, "LX", new), on("regular", at, "LY", regular)])
    }
    assert got["next"] == ("drop", ["COORDINATED_CAMPAIGN"])
    assert store.get_clicks(["next"])["next"].campaign_id == found.campaign_id
    assert got["regular"][0] == "charge"  # a shopper seen before: not a stranger
    # A new identity on another shop is anyone; on the shop after the drip stopped, too.
    assert ingest.score_clicks([on("elsewhere", at + 1, "L5", other)])[0].decision == "charge"
    later = ClickIngest(store, CFG, StoreCampaignMatcher(store, CFG))
    stranger = Source(ip="10.8.8.7", user_agent=UA, device_id="dev-late")
    assert later.score_clicks([on("after", late, "LX", stranger)])[0].decision == "charge"


def test_new_identities_arriving_in_a_crowd_on_a_strangers_shop_are_charged_once_it_bursts():
    # A social post's visitors are new identities too, on the very shop a drip was found on: the
    # first few look like the drip's next hired clicks, but once the listing bursts they are a
    # crowd, the burst tests' business, and no longer dropped as strangers.
    store = MemoryStore()
    sweep.run_sweep(store, CFG, replay(store, drip()))
    (found,) = [c for c in campaign_store(store).ending_after(0) if c.found_by == "strangers"]
    at = found.end_ts + 10 * MINUTE
    ingest = ClickIngest(store, CFG, StoreCampaignMatcher(store, CFG))
    decisions = []
    for k in range(40):
        webview = Source(ip=f"10.9.{k}.1", user_agent=UA, device_id=f"webview-{k}")
        click = Click(f"post-{k}", at + k * 5_000, "BIG", "LX", 2_000_000, webview, keyword="kwLX")
        decisions += [d.decision for d in ingest.score_clicks([click])]
    assert decisions[0] == "drop"
    assert set(decisions[-20:]) == {"charge"}


def test_a_burst_campaigns_member_is_matched_while_the_target_bursts_a_crews_on_its_rounds(store):
    # Stored campaigns read back from either store: a siege's member on its shop only while the
    # listing bursts; a crew's member on the crew's listings and shops whether it bursts or not.
    end = T0 + 30 * MINUTE
    campaigns = campaign_store(store)
    campaigns.merge(campaign_on("cmp-siege", "L7", "S7", end, "s-1"))
    campaigns.merge(campaign_on("cmp-crew", "L1", "S1", end, "t-1", found_by="crew"))

    def click(click_id, advertiser, listing, account):
        return Click(
            click_id,
            end + 10 * MINUTE,
            advertiser,
            listing,
            1_000_000,
            Source(ip="10.1.1.1", account_id=account),
        )

    matcher = StoreCampaignMatcher(store, CFG)
    quiet = [
        click("crew-shop", "S1", "L2", "t-1"),
        click("crew-away", "S9", "L9", "t-1"),
        click("siege-quiet", "S7", "L8", "s-1"),
    ]
    assert matcher.match(quiet) == {"crew-shop": "cmp-crew"}
    assert matcher.match([click("siege-wave", "S7", "L8", "s-1")], bursting={"L8"}) == {
        "siege-wave": "cmp-siege"
    }


def test_a_members_stay_in_the_band_is_matched_anywhere_for_a_burst_campaign_a_crews_on_its_rounds(store):
    # A siege's scripted stays follow its members to the next target; a hired crew's band is a
    # browsing stay's (second model: 18-63 s), so its members' own shopping elsewhere is theirs.
    end = T0 + 30 * MINUTE
    band = {"low_ms": 15_000, "high_ms": 60_000}
    campaigns = campaign_store(store)
    campaigns.merge(campaign_on("cmp-siege", "L1", "S1", end, "s-1", dwell=band))
    campaigns.merge(campaign_on("cmp-crew", "L1", "S1", end, "t-1", found_by="crew", dwell=band))

    def stay(account, advertiser, listing, dwell_ms=30_000):
        click = Click(
            "c", end + 10 * MINUTE, advertiser, listing, 1_000_000, Source(ip="10.1.1.1", account_id=account)
        )
        return StoreCampaignMatcher(store, CFG).match_dwell(click, dwell_ms, on_targets=False)

    assert stay("s-1", "S9", "L9") == "cmp-siege"
    assert stay("t-1", "S9", "L9") is None
    assert stay("t-1", "S1", "L2") == "cmp-crew"  # the crew's shop: its rounds
    assert stay("t-1", "S1", "L1", dwell_ms=90_000) is None  # out of the band


def test_anyones_stay_in_the_band_on_an_attacked_listing_is_matched_until_its_crowd_is_judged():
    # A crew's ten seconds on the listing it attacked: anyone's stay in the band there is the
    # attack's while the listing bursts with too few stays to judge. When the listing's own stays
    # are a crowd's (bounces and long reads: it went viral as the crew brushed it, second model
    # day 26), a shopper's ten seconds there is no proof, and is charged.
    end = T0 + 30 * MINUTE
    band = {"low_ms": 8_000, "high_ms": 14_000}

    def stay_after(crowd_stay):
        store = MemoryStore()
        campaign = replace(campaign_on("cmp-siege", "L1", "SL1", end, "s-1", dwell=band), hits={"L1": end})
        campaign_store(store).merge(campaign)
        ingest = ClickIngest(store, CFG, StoreCampaignMatcher(store, CFG))
        start = end + MINUTE
        crowd_on(ingest, "L1", start, crowd_stay, np.random.default_rng(3))
        who = Source(ip="10.6.0.1", user_agent=UA, account_id="shopper")
        shopper = Click("probe", start + 2 * MINUTE, "SL1", "L1", 2_000_000, who, keyword="kwL1")
        ingest.score_clicks([shopper])
        ingest.report_dwell([("probe", 10_000)])
        return store.get_clicks(["probe"])["probe"]

    unjudged = stay_after(None)
    assert (unjudged.decision, unjudged.evidence["campaign_id"]) == ("drop", "cmp-siege")
    assert stay_after(lambda r: 250 + 30_000 * r.weibull(0.7)).decision == "charge"


def sellers_and_buyers_sieges(store, end: int, **extra):
    """Two campaigns until `end`: on BIG one of sellers (two of its three accounts own shops), on
    BIG2 one of buyers (one shop among three); `extra` goes to both (a band)."""
    campaigns = campaign_store(store)
    sellers = dict(accounts=["s-1", "s-2", "b-1"], seller_ids=["S1", "S2"], **extra)
    buyers = dict(accounts=["b-2", "b-3", "b-4"], seller_ids=["S3"], **extra)
    campaigns.merge(Campaign("cmp-sellers", "advertiser:BIG", T0, end, end, advertisers=["BIG"], **sellers))
    campaigns.merge(Campaign("cmp-buyers", "advertiser:BIG2", T0, end, end, advertisers=["BIG2"], **buyers))
    return campaigns


def test_a_shop_owner_clicking_a_sellers_siege_in_a_wave_is_the_sieges(store):
    # A campaign whose members are mostly shop owners (2011, 2013: small sellers besieging a big
    # one): another seller on the besieged shop while it bursts is the siege's, though no sweep
    # has named him. A shopper without a shop, the shop's own owner, a seller at a quiet time, and
    # a seller on a campaign of buyers (or of phones without accounts) are not.
    end = T0 + 30 * MINUTE
    campaigns = sellers_and_buyers_sieges(store, end)
    phones = dict(devices=[f"d-{k}" for k in range(10)], seller_ids=["S4"])  # ten people, one shop
    campaigns.merge(Campaign("cmp-phones", "advertiser:BIG3", T0, end, end, advertisers=["BIG3"], **phones))

    def click(click_id, advertiser, seller):
        source = Source(ip="10.1.1.1", account_id="a-" + click_id, seller_id=seller)
        return Click(click_id, end + 10 * MINUTE, advertiser, "L-" + advertiser, 1_000_000, source)

    wave = [
        click("seller", "BIG", "S9"),
        click("buyer", "BIG", None),
        click("owner", "BIG", "BIG"),
        click("on-buyers", "BIG2", "S9"),
        click("on-phones", "BIG3", "S9"),
    ]
    matcher = StoreCampaignMatcher(store, CFG)
    assert matcher.match(wave, bursting={"L-BIG", "L-BIG2", "L-BIG3"}) == {"seller": "cmp-sellers"}
    assert matcher.match([click("seller-quiet", "BIG", "S9")]) == {}


def test_a_shop_owners_stay_in_a_sellers_sieges_band_on_its_shop_is_the_sieges_in_a_wave_or_not(store):
    # Between waves nothing bursts, so another seller's click on the besieged shop is charged; his
    # stay in the siege's prescribed band there is its script's. Out of the band, a shopper
    # without a shop, the shop's own owner, another shop, a campaign of buyers, or after the
    # siege's hold: charged.
    end = T0 + 30 * MINUTE
    sellers_and_buyers_sieges(store, end, dwell={"low_ms": 8_000, "high_ms": 14_000})

    def stay(advertiser, seller, dwell_ms=10_000, ts=end + 10 * MINUTE):
        source = Source(ip="10.1.1.1", account_id="a-new", seller_id=seller)
        click = Click("c", ts, advertiser, "L-" + advertiser, 1_000_000, source)
        return StoreCampaignMatcher(store, CFG).match_dwell(click, dwell_ms, on_targets=False)

    assert stay("BIG", "S9") == "cmp-sellers"
    assert stay("BIG", "S9", dwell_ms=30_000) is None
    assert stay("BIG", None) is None
    assert stay("BIG", "BIG") is None
    assert stay("ELSE", "S9") is None
    assert stay("BIG2", "S9") is None
    assert stay("BIG", "S9", ts=end + CFG.member_hold_s * 1000 + MINUTE) is None


def test_a_members_click_is_dropped_where_the_next_wave_on_its_shop_reaches_though_no_listing_bursts():
    """A siege's member comes back with its next wave: three clicks on each of the shop's twenty
    listings, no stay reported yet. No listing bursts and nothing is scripted; the shop bursts,
    and the member's click on a listing the wave reached is dropped. At a quiet time, while the
    campaign still runs, the same click is charged: members shop there too."""
    events, crew, _ = siege_events(np.random.default_rng(15), per_listing=3)
    events = [e for e in events if e[1] == 0]  # the crew's stays, and the regulars', unknown
    wave = sorted(c.ts for _, _, c in events if c.click_id in crew)
    store = MemoryStore()
    member = "a9999"
    campaign_store(store).merge(
        Campaign(
            "cmp-siege",
            "advertiser:SHOP",
            T0 + 200 * MINUTE,
            T0 + 300 * MINUTE,
            T0 + 300 * MINUTE,
            advertisers=["SHOP"],
            listings=["L5"],
            accounts=[member],
        )
    )
    quiet = shop_click(90_000, T0 + 320 * MINUTE, "L5", 9999)
    in_wave = shop_click(90_001, wave[len(wave) * 2 // 3], "L5", 9999)
    events += [(quiet.ts, 0, quiet), (in_wave.ts, 0, in_wave)]
    replay_live(store, events, StoreCampaignMatcher(store, CFG))
    got = store.get_clicks([quiet.click_id, in_wave.click_id])
    assert quiet.source.account_id == member
    assert got[quiet.click_id].decision == "charge"
    assert got[in_wave.click_id].decision == "drop"
    assert got[in_wave.click_id].campaign_id == "cmp-siege"
    assert got[in_wave.click_id].evidence["listing_bursting"] is False


def test_a_crews_members_arriving_together_on_its_next_keyword_are_dropped_though_nothing_bursts(store):
    """A keyword sweep's crew moves on to a keyword the campaign has not reached: one click each
    on three listings of its results page, so nothing bursts and no stay is known. Three members
    who clicked the campaign's listings before are dropped there; two are not enough, nor a
    shopper taken for a member (one click on them before), nor the crew on the campaign's own
    keyword at a quiet time, nor anyone once the campaign stopped."""
    end = T0 + 30 * MINUTE
    crew = [f"m-{k}" for k in range(4)]
    campaign_store(store).merge(
        Campaign(
            "cmp-sweep",
            "keyword:kwA",
            T0,
            end,
            end,
            listings=["LA1", "LA2"],
            advertisers=["SA1", "SA2"],
            keywords=["kwA"],
            accounts=[*crew, "shopper"],
        )
    )

    def click(click_id, ts, listing, account, keyword):
        source = Source(ip="10.1.1.1", user_agent=UA, account_id=account)
        return Click(click_id, ts, "S" + listing[1:], listing, 1_000_000, source, keyword=keyword)

    ingest = ClickIngest(store, CFG, StoreCampaignMatcher(store, CFG))
    before = [
        click(f"{a}-{n}", T0 + n * MINUTE, n and "LA2" or "LA1", a, "kwA") for a in crew for n in (0, 1)
    ]
    ingest.score_clicks([*before, click("shopper-0", T0, "LA1", "shopper", "kwA")])

    def on_next(accounts, keyword, at):
        clicks = [
            click(f"{a}-{keyword}", at + k * 1000, f"L{keyword}{k}", a, keyword)
            for k, a in enumerate(accounts)
        ]
        fresh = ClickIngest(store, CFG, StoreCampaignMatcher(store, CFG))
        return {d.click_id: d.decision for d in fresh.score_clicks(clicks)}

    at = end + 10 * MINUTE
    got = on_next([*crew[:3], "shopper"], "kwC", at)
    assert got == {"m-0-kwC": "drop", "m-1-kwC": "drop", "m-2-kwC": "drop", "shopper-kwC": "charge"}
    assert store.get_clicks(["m-0-kwC"])["m-0-kwC"].campaign_id == "cmp-sweep"
    assert set(on_next(crew[:2], "kwD", at).values()) == {"charge"}
    # On a keyword the campaign has reached, its members are matched only while a listing bursts:
    # regulars of a swept keyword are taken for members, and shop there.
    assert set(on_next(crew[:3], "kwA", at).values()) == {"charge"}
    late = end + CFG.member_hold_s * 1000 + MINUTE
    assert set(on_next(crew[:3], "kwE", late).values()) == {"charge"}


def test_a_logged_out_stay_in_a_scripted_keywords_band_on_it_is_the_softwares(store):
    # Click software comes back with a new identity each time: its one-shot devices are not
    # matched, its keyword and band are. Logged in, out of the band, on another keyword, or after
    # the campaign's hold: charged.
    end = T0 + 30 * MINUTE
    campaign = Campaign(
        "cmp-script",
        "keyword:kw0",
        T0,
        end,
        end,
        advertisers=["S1"],
        listings=["L1"],
        keywords=["kw0"],
        devices=["d-1"],
        dwell={"low_ms": 15_000, "high_ms": 30_000},
        signals={"found_by": "scripted_strangers"},
    )
    campaign_store(store).merge(campaign)

    def click(keyword="kw0", account=None, device="d-9", ts=end + 10 * MINUTE):
        source = Source(ip="10.1.1.1", device_id=device, user_agent=UA, account_id=account)
        return Click("c", ts, "S1", "L1", 1_000_000, source, keyword=keyword)

    def stay(dwell_ms=20_000, **kw):
        return StoreCampaignMatcher(store, CFG).match_dwell(click(**kw), dwell_ms, on_targets=False)

    assert stay() == "cmp-script"
    assert stay(account="a-1") is None
    assert stay(dwell_ms=60_000) is None
    assert stay(keyword="kw1") is None
    assert stay(ts=end + CFG.member_hold_s * 1000 + MINUTE) is None
    assert StoreCampaignMatcher(store, CFG).match([click(device="d-1")]) == {}
