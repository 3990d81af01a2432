"""The sweep end to end on MemoryStore and on DynamoStore (moto): crediting, idempotency, feedback."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from chalicelib import sweep
from chalicelib.config import Settings
from chalicelib.detect.matcher import StoreCampaignMatcher
from chalicelib.ingest import ClickIngest
from chalicelib.models import Click, Source
from chalicelib.storage.campaigns import Campaign, campaign_store
from chalicelib.storage.memory import MemoryStore
from tests.chalicelib.detect.scenes import MINUTE, UA, browsing_crowd, drip, scene, software, task_group

CFG = Settings()
# The sweep's own tests: with the live pulse off, the crew is still charged when the sweep comes.
NO_PULSE = replace(CFG, pulse_min_clicks=10**9)
SECRET = "s" * 40


def replay(store, s):
    """Clicks a minute at a time, each minute's dwell reports after them."""
    ingest = ClickIngest(store, NO_PULSE)
    clicks = s.ordered()
    for start in range(0, len(clicks), 100):
        batch = clicks[start : start + 100]
        ingest.score_clicks(batch)
        reports = [(c.click_id, s.dwell[c.click_id]) for c in batch if c.click_id in s.dwell]
        if reports:
            ingest.report_dwell(reports)
    return max(c.ts for c in clicks) + MINUTE


def refunds(store, advertiser):
    page, _ = store.query_refunds(advertiser, None, None, 1000, None, None)
    return {r.click_id: r for r in page}


def test_sweep_credits_the_crew_once_and_is_idempotent(store):
    s = scene(quiet=300)
    until = replay(store, s)
    first = sweep.run_sweep(store, CFG, until)
    assert first["refunds_written"] >= 0.8 * len(s.attack)
    (summary,) = first["campaigns"]
    assert summary["targets"]["listings"] == ["LX"]
    credited = refunds(store, "BIG")
    assert set(credited) <= s.attack
    r = next(iter(credited.values()))
    assert (r.stage, r.kind, r.campaign_id) == ("sweep", "credited", summary["campaign_id"])
    assert r.reasons[0] == "COORDINATED_CAMPAIGN" and "DWELL_PATTERN" in r.reasons
    viral_refunded = [c for a in ("SV",) for c in refunds(store, a)]
    assert viral_refunded == []

    again = sweep.run_sweep(store, CFG, until)
    assert again["refunds_written"] == 0
    assert [c["campaign_id"] for c in again["campaigns"]] == [summary["campaign_id"]]
    assert again["campaigns"][0]["clicks"] == summary["clicks"]

    full = sweep.get_campaign(store, summary["campaign_id"])
    members = set(full["members"]["accounts"])
    assert members <= set(s.attackers) and len(members) >= 0.8 * len(s.attackers)
    assert full["dwell"]["low_ms"] < 10_000 < full["dwell"]["high_ms"]
    assert sweep.get_campaign(store, "cmp-unknown") is None


def test_a_click_of_the_last_minute_waits_for_its_stay_until_the_next_sweep():
    store = MemoryStore()
    s = scene(quiet=300, viral=False, repeat=True)  # the crew's round on LY has no stays
    replay(store, s)
    last = max(c.ts for c in s.clicks)
    waiting = {c.click_id for c in s.clicks if c.ts > last + 1 - CFG.sweep_stay_wait_s * 1000}
    assert waiting and waiting <= s.attack

    sweep.run_sweep(store, CFG, last + 1)
    credited = set(refunds(store, "BIG"))
    assert not credited & waiting
    assert len(credited) >= 0.8 * (len(s.attack) - len(waiting))

    sweep.run_sweep(store, CFG, last + 1 + MINUTE)
    assert waiting <= set(refunds(store, "BIG"))


def test_a_second_process_sweeping_the_same_data_names_the_same_campaign():
    store = MemoryStore()
    s = scene(quiet=300, viral=False)
    until = replay(store, s)
    mine = sweep.run_sweep(store, CFG, until)
    sweep._frames.clear()  # another container: no cached frame
    theirs = sweep.run_sweep(store, CFG, until)
    assert theirs["refunds_written"] == 0
    assert [c["campaign_id"] for c in theirs["campaigns"]] == [c["campaign_id"] for c in mine["campaigns"]]


def test_sweeps_at_once_in_one_process_credit_each_click_once(store):
    s = scene(quiet=300, viral=False)
    until = replay(store, s)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: sweep.run_sweep(store, CFG, until), range(4)))
    assert sum(r["refunds_written"] for r in results) == len(refunds(store, "BIG")) > 0
    assert len({c["campaign_id"] for r in results for c in r["campaigns"]}) == 1


def test_feedback_drops_a_members_next_click_on_the_target():
    store = MemoryStore()
    s = scene(quiet=300, viral=False)
    until = replay(store, s)
    sweep.run_sweep(store, CFG, until)
    member = next(c for c in s.clicks if c.click_id in s.attack)
    # The crew's next wave: the listing bursts again, and a member coming back with it is dropped.
    wave = [
        Click(
            click_id=f"wave-{k}",
            ts=until + 40 * MINUTE - MINUTE + k * 1000,
            advertiser_id="BIG",
            listing_id="LX",
            cost_micros=2_000_000,
            keyword="kwLX",
            source=Source(ip=f"10.6.6.{k}", device_id=f"w{k}", user_agent=UA, account_id=f"w{k}"),
        )
        for k in range(12)
    ]
    ClickIngest(store, CFG).score_clicks(wave)
    again = Click(
        click_id="next-1",
        ts=until + 40 * MINUTE,  # past the duplicate window: only the campaign can drop it
        advertiser_id="BIG",
        listing_id="LX",
        cost_micros=2_000_000,
        keyword="kwLX",
        source=Source(
            ip="10.9.9.9",
            device_id=member.source.device_id,
            user_agent=UA,
            account_id=member.source.account_id,
        ),
    )
    (decision,) = ClickIngest(store, CFG, StoreCampaignMatcher(store, CFG)).score_clicks([again])
    assert decision.decision == "drop"
    assert decision.reasons == ["COORDINATED_CAMPAIGN"]
    stranger = Click(
        click_id="next-2",
        ts=until + MINUTE,
        advertiser_id="S3",
        listing_id="L3",
        cost_micros=2_000_000,
        source=Source(ip="10.8.8.8", device_id="fresh", user_agent=UA, account_id="fresh"),
    )
    (honest,) = ClickIngest(store, CFG, StoreCampaignMatcher(store, CFG)).score_clicks([stranger])
    assert honest.decision == "charge"


def swept_member() -> tuple[MemoryStore, int, Source]:
    """A store after one sweep over an attack scene, its end, and an attacker's identity on a new ip."""
    store = MemoryStore()
    s = scene(quiet=300, viral=False)
    until = replay(store, s)
    sweep.run_sweep(store, CFG, until)
    member = next(c for c in s.clicks if c.click_id in s.attack)
    who = Source(
        ip="10.9.9.9", device_id=member.source.device_id, user_agent=UA, account_id=member.source.account_id
    )
    return store, until, who


def test_feedback_drops_a_member_on_the_next_listing_the_crew_moves_to():
    store, until, who = swept_member()

    def on_ly(click_id, ts, source):
        # LY: the attacked shop's other listing, which the campaign has not hit yet.
        return Click(click_id, ts, "BIG", "LY", 2_000_000, source, keyword="kwLY")

    ingest = ClickIngest(store, CFG, StoreCampaignMatcher(store, CFG))
    # While LY is quiet the member's click there is shopping, and charged.
    assert ingest.score_clicks([on_ly("quiet-ly", until + MINUTE, who)])[0].decision == "charge"
    crowd = [
        on_ly(
            f"crowd-{k}",
            until + 20 * MINUTE + k * 1000,
            Source(ip=f"10.6.6.{k}", device_id=f"w{k}", user_agent=UA),
        )
        for k in range(12)
    ]
    ingest.score_clicks(crowd)
    # The crew moves on to LY and it bursts: the member coming with it is dropped at click time.
    (decision,) = ingest.score_clicks([on_ly("next-ly", until + 21 * MINUTE, who)])
    assert (decision.decision, decision.reasons) == ("drop", ["COORDINATED_CAMPAIGN"])


def test_a_stay_in_the_band_on_the_attacked_listing_is_credited_at_dwell_time():
    store = MemoryStore()
    s = scene(quiet=300, viral=False)
    sweep.run_sweep(store, CFG, replay(store, s))
    last_attack = max(c.ts for c in s.clicks if c.click_id in s.attack)
    shopper = Source(ip="10.7.7.7", device_id="new-dev", user_agent=UA, account_id="new-acct")
    earlier = Click("prev-3", last_attack - 60 * MINUTE, "S3", "L3", 2_000_000, shopper)
    newcomer = Click(
        click_id="next-3",
        ts=last_attack + MINUTE,  # while the listing is still under attack
        advertiser_id="BIG",
        listing_id="LX",
        cost_micros=2_000_000,
        source=shopper,
    )
    ingest = ClickIngest(store, CFG, StoreCampaignMatcher(store, CFG))
    ingest.score_clicks([earlier])
    # A shopper seen before is charged at click time, and credited if the stay fits the script.
    assert ingest.score_clicks([newcomer])[0].decision == "charge"
    (result,) = ingest.report_dwell([("next-3", 10_100)])
    assert result["decision"] == "drop"
    refund = refunds(store, "BIG")["next-3"]
    assert (refund.stage, refund.kind) == ("dwell", "credited")
    assert refund.campaign_id and "DWELL_PATTERN" in refund.reasons


def test_a_members_stay_known_at_click_time_is_decided_as_its_report_would_be():
    # An ad server replaying logs sends the stay inside the click: the member's stay in the
    # campaign's band is dropped at click time, as the same stay reported later is credited.
    def on(n, dwell_ms=None):  # a quiet listing each, so no click is another's duplicate
        return Click(f"c-L{n}", until + MINUTE, f"S{n}", f"L{n}", 2_000_000, who, dwell_ms=dwell_ms)

    store, until, who = swept_member()
    ingest = ClickIngest(store, CFG, StoreCampaignMatcher(store, CFG))
    assert ingest.score_clicks([on(3)])[0].decision == "charge"
    (reported,) = ingest.report_dwell([("c-L3", 10_100)])
    (inline,) = ingest.score_clicks([on(4, 10_100)])
    assert (inline.decision, inline.reasons) == (reported["decision"], reported["reasons"])
    assert inline.decision == "drop" and set(inline.reasons) == {"COORDINATED_CAMPAIGN", "DWELL_PATTERN"}
    assert ingest.score_clicks([on(5, 95_000)])[0].decision == "charge"  # a long read: not the script


def test_honest_viral_listing_gets_no_campaign():
    store = MemoryStore()
    until = replay(store, scene(attack=False))
    result = sweep.run_sweep(store, CFG, until)
    assert result == {"until": result["until"], "campaigns": [], "refunds_written": 0}


def test_campaigns_list_pages_by_latest_activity(store):
    s = scene(quiet=150, viral=False, repeat=True)
    until = replay(store, s)
    sweep.run_sweep(store, CFG, until)
    # The same crew an hour later on another listing: one more campaign or the same one grown.
    listed = sweep.list_campaigns(store, None, None, 1, None, SECRET)
    assert len(listed["campaigns"]) == 1
    assert listed["next_cursor"] is None
    empty = sweep.list_campaigns(store, until + 10 * MINUTE, None, 10, None, SECRET)
    assert empty == {"campaigns": [], "next_cursor": None}


def test_a_draft_continues_the_campaign_sharing_most_of_its_crew():
    # A farm's next sweep shares a listing its decoy clicks brushed with an older sweep campaign,
    # and its whole crew with its own campaign begun minutes before: it is the farm's.
    def campaign(cid, start, listings, crew):
        return Campaign(
            cid, "listing:L1", start, start + 20 * MINUTE, start, listings=listings, accounts=crew
        )

    farm_crew = [f"f{i}" for i in range(40)]
    older = campaign("cmp-sweep", 0, ["L1", "L2", "L7"], [f"s{i}" for i in range(40)])
    farm = campaign("cmp-farm", 60 * MINUTE, ["L9"], farm_crew[:30])
    draft = campaign("", 61 * MINUTE, ["L7", "L9"], farm_crew)
    assert sweep._existing_id(draft, [older, farm], CFG) == "cmp-farm"
    assert sweep._existing_id(draft, [older], CFG) == "cmp-sweep"  # a shared listing, in its hold
    alone = campaign("", 61 * MINUTE, ["L8"], farm_crew)
    assert sweep._existing_id(alone, [older], CFG) is None


def test_a_crew_that_never_bursts_is_credited_once_as_its_own_campaign():
    # On MemoryStore only: four hours of a busy evening through moto take minutes, and the crew
    # reaches storage through the same merge and claim as the burst campaigns tested on both.
    store = MemoryStore()
    s = task_group()
    until = replay(store, s)
    first = sweep.run_sweep(store, CFG, until)
    ids = [c["campaign_id"] for c in first["campaigns"]]
    assert len(ids) == len(set(ids))  # one summary per campaign, however many groups it took
    full = {cid: sweep.get_campaign(store, cid) for cid in ids}
    (crew,) = [c for c in full.values() if c["signals"].get("found_by") == "crew"]
    assert crew["dwell"] is None
    assert len(set(crew["members"]["accounts"]) & set(s.attackers)) >= 15
    # A listing or two of the tail burst when the group's round lands on it: those few members
    # are a burst campaign's, and the crew is found among the rest.
    refunded = {cid: r for a in {c.advertiser_id for c in s.clicks} for cid, r in refunds(store, a).items()}
    credited = {cid: r for cid, r in refunded.items() if r.stage == "sweep"}
    assert len(set(credited) & s.attack) >= 0.4 * len(s.attack)
    assert len(set(credited) - s.attack) <= 0.06 * len(credited)
    assert {r.campaign_id for r in credited.values()} <= set(ids)
    assert all(r.reasons[0] == "COORDINATED_CAMPAIGN" for r in credited.values())

    again = sweep.run_sweep(store, CFG, until)
    assert again["refunds_written"] == 0
    assert sorted(c["campaign_id"] for c in again["campaigns"]) == sorted(ids)


def test_a_crew_found_without_bursts_continues_only_a_campaign_sharing_its_crew():
    # A task group rotates over big shops that a siege is besieging too: sharing a listing with
    # the siege's campaign does not make the group part of the siege, either way round.
    def campaign(cid, start, listings, crew, by_crew=False):
        return Campaign(
            cid,
            "listing:L1",
            start,
            start + 20 * MINUTE,
            start,
            listings=listings,
            accounts=crew,
            signals={"found_by": "crew"} if by_crew else {},
        )

    group = [f"t{i}" for i in range(40)]
    siege = campaign("cmp-siege", 0, ["L1", "L2"], [f"s{i}" for i in range(40)])
    draft = campaign("", 30 * MINUTE, ["L2", "L9"], group, by_crew=True)
    assert sweep._existing_id(draft, [siege], CFG) is None
    earlier = campaign("cmp-group", 0, ["L7"], group[:20], by_crew=True)
    assert sweep._existing_id(draft, [siege, earlier], CFG) == "cmp-group"
    wave = campaign("", 30 * MINUTE, ["L7"], [f"s{i}" for i in range(40)])
    assert sweep._existing_id(wave, [earlier], CFG) is None
    # A siege's campaign that took in six of the group where its round crossed the besieged
    # shop: enough shared for bursts, too few of the siege's people for the crew to continue it.
    mixed = campaign("cmp-siege", 0, ["L1", "L2"], [f"s{i}" for i in range(40)] + group[:6])
    assert sweep._existing_id(draft, [mixed], CFG) is None
    assert sweep._existing_id(campaign("", 30 * MINUTE, ["L1"], mixed.accounts), [earlier], CFG) is None
    # The group's own burst, a few outsiders in it, is the crew's.
    own = campaign("cmp-burst", 0, ["L2"], group[:20] + [f"s{i}" for i in range(4)])
    assert sweep._existing_id(draft, [own], CFG) == "cmp-burst"


def swept_once(s):
    """The scene replayed into a MemoryStore (six hours of a market through moto take minutes) and
    swept once: the store, the sweep's time and response, and its one campaign in full."""
    store = MemoryStore()
    until = replay(store, s)
    first = sweep.run_sweep(store, CFG, until)
    (summary,) = first["campaigns"]
    return store, until, first, sweep.get_campaign(store, summary["campaign_id"])


def test_a_slow_drip_is_credited_once_as_strangers_on_its_shop():
    s = drip()
    store, until, _, full = swept_once(s)
    assert full["signals"]["found_by"] == "strangers" and full["dwell"] is None
    assert full["targets"]["advertisers"] == ["BIG"] and full["targets"]["keywords"] == []
    assert set(full["members"]["accounts"]) >= set(s.attackers)
    credited = refunds(store, "BIG")
    assert set(credited) >= s.attack and len(set(credited) - s.attack) <= 6
    assert all(r.stage == "sweep" and r.reasons[0] == "COORDINATED_CAMPAIGN" for r in credited.values())
    again = sweep.run_sweep(store, CFG, until)
    assert again["refunds_written"] == 0
    assert [c["campaign_id"] for c in again["campaigns"]] == [full["campaign_id"]]


def test_click_software_is_credited_once_as_a_scripted_keyword_and_its_next_stay_dropped():
    # Its refunds are spread over the shops of kw0.
    s = software()
    store, until, first, full = swept_once(s)
    assert full["signals"]["found_by"] == "scripted_strangers"
    assert full["targets"]["keywords"] == ["kw0"] and full["dwell"]["low_ms"] < 16_000
    credited = {}
    for shop in full["targets"]["advertisers"]:
        credited |= refunds(store, shop)
    assert len(set(credited) & s.attack) >= 95 and first["refunds_written"] == len(credited)
    assert {tuple(r.reasons) for r in credited.values()} == {("COORDINATED_CAMPAIGN", "DWELL_PATTERN")}
    again = sweep.run_sweep(store, CFG, until)
    assert again["refunds_written"] == 0
    assert [c["campaign_id"] for c in again["campaigns"]] == [full["campaign_id"]]
    ingest = ClickIngest(store, CFG, StoreCampaignMatcher(store, CFG))
    who = Source(ip="10.9.9.9", device_id="new-device", user_agent=UA)
    ingest.score_clicks([Click("next", until, "S3", "L3", 1_000_000, who, keyword="kw0")])
    ingest.report_dwell([("next", 20_000)])
    assert store.get_clicks(["next"])["next"].evidence["campaign_id"] == full["campaign_id"]


def test_a_paid_crowd_on_tailless_listings_is_credited_once_and_its_next_stay_dropped():
    s = browsing_crowd()
    store, until, first, full = swept_once(s)
    assert full["signals"]["found_by"] == "tailless"
    assert full["targets"]["advertisers"] == ["BIG"] and full["targets"]["listings"] == ["LX", "LY"]
    assert full["dwell"]["low_ms"] < 70_000 < full["dwell"]["high_ms"]
    credited = refunds(store, "BIG")
    assert set(credited) <= s.attack and len(credited) >= 140 and first["refunds_written"] == len(credited)
    assert {tuple(r.reasons) for r in credited.values()} == {("COORDINATED_CAMPAIGN", "DWELL_PATTERN")}
    again = sweep.run_sweep(store, CFG, until)
    assert again["refunds_written"] == 0
    assert [c["campaign_id"] for c in again["campaigns"]] == [full["campaign_id"]]
    # Members were named by their stays: a member's next click on the shop is charged, and dropped
    # once its stay lands in the band; a stay outside it, or a newcomer's in it, stays charged.
    member = full["members"]["accounts"][0]
    ingest = ClickIngest(store, CFG, StoreCampaignMatcher(store, CFG))
    again_member = Source("10.9.9.8", "dev" + member.removeprefix("acct"), UA, member)
    newcomer = Source("10.9.9.9", "dev-new", UA, "acct-new")
    clicks = [Click("m1", until, "BIG", "LX", 1_000_000, again_member)]
    clicks.append(Click("m2", until + 2 * MINUTE, "BIG", "LY", 1_000_000, again_member))
    clicks.append(Click("new", until, "BIG", "LX", 1_000_000, newcomer))
    assert {d.decision for d in ingest.score_clicks(clicks)} == {"charge"}
    ingest.report_dwell([("m1", 70_000), ("m2", 2_000), ("new", 70_000)])
    stored = store.get_clicks(["m1", "m2", "new"])
    assert stored["m1"].evidence["campaign_id"] == full["campaign_id"] and stored["m1"].refund_id
    assert stored["m2"].refund_id is None and stored["new"].refund_id is None


def test_strangers_continue_only_strangers_and_are_never_named_as_a_farm():
    # A farm's identities are one-shot too: strangers left on its shop after its campaign took
    # the rest share its crew and listing, and its first minutes' name, but are not the farm;
    # nor are scripted strangers a drip, or the other way round.
    def campaign(cid, listings, crew, found_by=None):
        return Campaign(
            cid,
            "advertiser:S9",
            0,
            20 * MINUTE,
            0,
            listings=listings,
            accounts=crew,
            signals={"found_by": found_by} if found_by else {},
        )

    crew = [f"f{i}" for i in range(40)]
    farm = campaign("cmp-farm", ["L9"], crew)
    draft = campaign("", ["L9"], crew[:20], "strangers")
    assert sweep._existing_id(draft, [farm], CFG) is None
    assert sweep._existing_id(campaign("", ["L9"], crew), [draft], CFG) is None
    assert (
        sweep._existing_id(draft, [farm, campaign("cmp-drip", ["L8"], crew[10:30], "strangers")], CFG)
        == "cmp-drip"
    )
    scripted = campaign("", ["L9"], crew[10:30], "scripted_strangers")
    assert (
        sweep._existing_id(scripted, [farm, campaign("cmp-drip", ["L8"], crew[10:30], "strangers")], CFG)
        is None
    )
    kinds = ("bursts", "crew", "strangers", "scripted_strangers", "tailless")
    assert len({sweep._new_id("advertiser:S9", 0, kind) for kind in kinds}) == 5
    tailless = campaign("", ["L9"], crew[10:30], "tailless")
    assert sweep._existing_id(tailless, [farm, campaign("cmp-crew", ["L9"], crew, "crew")], CFG) is None
    own = campaign("cmp-own", ["L8"], crew[10:30], "tailless")
    assert sweep._existing_id(tailless, [own], CFG) == "cmp-own"


def test_a_part_is_folded_only_into_a_kind_it_could_continue():
    # Tailless and strangers' campaigns continue only their own kind; nor is one of them folded
    # into a burst campaign that holds its listings, span and people (it would take its name).
    def campaign(cid, start, end, crew, found_by):
        signals = {"found_by": found_by}
        return Campaign(cid, "listing:LX", start, end, end, listings=["LX"], accounts=crew, signals=signals)

    crew = [f"m{i}" for i in range(30)]
    draft = campaign("", 0, 60 * MINUTE, crew, "bursts")
    parts = [campaign(f"cmp-{kind}", MINUTE, 10 * MINUTE, crew[:10], kind) for kind in ("bursts", "crew")]
    apart = [campaign(f"cmp-{kind}", MINUTE, 10 * MINUTE, crew[:10], kind) for kind in sweep.OWN_KIND_ONLY]
    assert sweep._parts_of(draft, parts + apart, "cmp-draft") == parts
    tailless = campaign("", 0, 60 * MINUTE, crew, "tailless")
    assert [c.campaign_id for c in sweep._parts_of(tailless, parts + apart, "")] == ["cmp-tailless"]


def test_an_attacks_first_minutes_found_apart_are_folded_into_the_campaign_that_continues_them(store):
    # Two campaigns stored from earlier sweeps: the attack as a later sweep saw it, and its first
    # minutes on LX, found before the main body (a few members, inside its span). The next sweep
    # of the whole attack continues the first and folds the other into it.
    s = scene(quiet=300, viral=False)
    until = replay(store, s)
    attack = [c for c in s.ordered() if c.click_id in s.attack]
    start, end = attack[0].ts, attack[-1].ts
    campaigns = campaign_store(store)
    body = Campaign("cmp-body", "listing:LX", start, end, until, listings=["LX"], accounts=s.attackers[:40])
    first = Campaign("cmp-first", "listing:LX", start + MINUTE, start + 2 * MINUTE, start, listings=["LX"])
    first.accounts, first.hits = s.attackers[40:43], {"LX": start + 2 * MINUTE}
    campaigns.merge(body)
    campaigns.merge(first)

    result = sweep.run_sweep(store, CFG, until)
    assert [c["campaign_id"] for c in result["campaigns"]] == ["cmp-body"]
    listed = sweep.list_campaigns(store, None, None, 10, None, SECRET)["campaigns"]
    assert [c["campaign_id"] for c in listed] == ["cmp-body"]
    full = sweep.get_campaign(store, "cmp-first")  # a refund may carry the folded id
    assert full["campaign_id"] == "cmp-body" and full["folded"] == ["cmp-first"]
    assert set(s.attackers[40:43]) <= set(full["members"]["accounts"])
    assert [c.campaign_id for c in campaigns.ending_after(0)] == ["cmp-body"]
    assert {r.campaign_id for r in refunds(store, "BIG").values()} == {"cmp-body"}

    versions = {c: campaigns.get(c).version for c in ("cmp-body", "cmp-first")}
    again = sweep.run_sweep(store, CFG, until)
    assert again["refunds_written"] == 0
    assert {c: campaigns.get(c).version for c in versions} == versions
