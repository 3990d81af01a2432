"""The real-time cohort check per listing: state folding, and verdicts on hand-made traffic."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from chalicelib.config import Settings
from chalicelib.detect import pulse
from chalicelib.ingest import ClickIngest
from chalicelib.models import Click, Source
from chalicelib.storage.base import NO_DWELL, ListingPulse, PulseEntry
from chalicelib.storage.memory import MemoryStore
from tests.chalicelib.detect.scenes import MINUTE, T0, UA

CFG = Settings()


def fold(entries: list[PulseEntry], p: ListingPulse | None = None) -> ListingPulse:
    """Entries folded into a pulse in batches of one second, as ingest does."""
    p = p or ListingPulse("L1")
    by_second: dict[int, list[PulseEntry]] = {}
    for e in sorted(entries):
        by_second.setdefault(e.ts // 1000, []).append(e)
    for batch in by_second.values():
        p = pulse.advance(p, batch, CFG) or p
    return p


def quiet(rng, hours=6, per_hour=6):
    """A listing's honest traffic: a few clicks an hour with organic stays."""
    n = hours * per_hour
    ts = T0 + np.sort(rng.uniform(0, hours * 60 * MINUTE, n)).astype(int)
    return [PulseEntry(int(t), 10_000 + i, int(250 + 30_000 * rng.weibull(0.7))) for i, t in enumerate(ts)]


def crowd(rng, start, n, minutes, stay):
    """n clicks over `minutes` from `start`, each with the stay `stay(rng)`."""
    ts = start + np.sort(rng.uniform(0, minutes * MINUTE, n)).astype(int)
    return [PulseEntry(int(t), 50_000 + i, int(stay(rng))) for i, t in enumerate(ts)]


def test_folding_the_same_batch_twice_adds_nothing():
    p = fold([PulseEntry(T0, 1), PulseEntry(T0 + 5, 2)])
    assert pulse.advance(p, [PulseEntry(T0, 1)], CFG) is None
    with_stay = pulse.advance(p, [PulseEntry(T0, 1, 9_000)], CFG)
    assert [e.dwell for e in with_stay.entries] == [9_000, NO_DWELL]
    assert pulse.advance(with_stay, [PulseEntry(T0, 1, 9_000)], CFG) is None


def test_a_listing_seen_again_years_later_is_folded():
    p = fold([PulseEntry(T0 + i * MINUTE, i) for i in range(10)])
    years = 3 * 365 * 24 * 60 * MINUTE
    later = fold([PulseEntry(T0 + years + i * MINUTE, 100 + i) for i in range(10)], p)
    assert later.entries[-1].ts == T0 + years + 9 * MINUTE and later.base > 0


def test_a_farm_on_a_quiet_listing_is_caught_within_its_first_minutes():
    rng = np.random.default_rng(1)
    start = T0 + 6 * 60 * MINUTE
    p = fold(quiet(rng))
    assert pulse.verdict(p, start, CFG) is None
    farm = crowd(rng, start, 60, 2, lambda r: r.uniform(15_000, 40_000))
    p = fold(farm, p)
    v = pulse.verdict(p, start + 2 * MINUTE, CFG)
    assert v is not None and v.shape > 2
    assert v.holds(22_000) and v.holds(38_000)
    assert not v.holds(2_000) and not v.holds(200_000)
    # The baseline is the listing's rate before the farm came: an attack does not become normal.
    assert p.base < 1


def test_a_viral_listing_with_organic_stays_is_not_flagged():
    rng = np.random.default_rng(2)
    start = T0 + 6 * 60 * MINUTE
    p = fold(quiet(rng))
    seen = []
    for minute in range(0, 60, 2):  # 15x its rate for an hour, real shoppers
        p = fold(crowd(rng, start + minute * MINUTE, 3, 2, lambda r: 250 + 30_000 * r.weibull(0.7)), p)
        seen.append(pulse.verdict(p, start + (minute + 2) * MINUTE, CFG))
    assert seen == [None] * len(seen)


def test_a_scripted_stay_without_volume_is_not_flagged():
    rng = np.random.default_rng(3)
    p = fold(crowd(rng, T0, 40, 120, lambda r: 10_000 * np.exp(r.normal(0, 0.1))))
    assert pulse.verdict(p, T0 + 120 * MINUTE, CFG) is None


def test_a_crowd_is_judged_natural_and_a_farm_or_a_cohort_too_thin_to_judge_is_not():
    # A crowd of shoppers bounces and reads on (a quarter of its stays or more in the tails); a
    # farm's stays are scripted; under `pulse_min_stays` stays nothing is judged yet.
    rng = np.random.default_rng(7)
    start = T0 + 6 * 60 * MINUTE
    base = quiet(rng)

    def judged(stay, n):
        p = fold(base + crowd(rng, start, n, 2, stay))
        return pulse.verdict(p, start + 2 * MINUTE, CFG)

    shoppers = judged(lambda r: 250 + 30_000 * r.weibull(0.7), 60)
    assert shoppers is not None and not shoppers.scripted and shoppers.natural(CFG.crowd_tails)
    farm = judged(lambda r: r.uniform(15_000, 40_000), 60)
    assert farm.scripted and not farm.natural(CFG.crowd_tails)
    thin = judged(lambda r: 250 + 30_000 * r.weibull(0.7), CFG.pulse_min_stays - 6)
    assert thin is not None and thin.shape is None and not thin.natural(CFG.crowd_tails)


def test_untailed_share_of_organic_and_scripted_stays():
    rng = np.random.default_rng(4)
    organic = 250 + 30_000 * rng.weibull(0.7, 5000)
    scripted = 10_000 * np.exp(rng.normal(0, 0.2, 5000))
    assert pulse.untailed(organic) > 0.3
    assert pulse.untailed(scripted) < 0.01


def click(n: int, ts: int, listing: str, who: int) -> Click:
    return Click(
        click_id=f"c{n:05d}",
        ts=int(ts),
        advertiser_id="S" + listing,
        listing_id=listing,
        cost_micros=1_000_000,
        keyword="kw",
        category="女装",
        source=Source(
            ip=f"10.0.{who // 256 % 256}.{who % 256}",
            device_id=f"d{who}",
            user_agent=UA,
            account_id=f"a{who}",
        ),
    )


def replay(store, events, campaigns=None):
    """Clicks and dwell reports in event-time order, a batch per second, as the ad server sends them."""
    ingest = ClickIngest(store, CFG, campaigns)
    by_second: dict[int, tuple[list, list]] = {}
    for ts, kind, payload in sorted(events, key=lambda e: (e[0], e[1])):
        batch = by_second.setdefault(ts // 1000, ([], []))
        batch[kind].append(payload)
    for clicks, reports in by_second.values():
        if clicks:
            ingest.score_clicks(clicks)
        if reports:
            ingest.report_dwell(reports)


def refunds(store, listing):
    return store.query_refunds("S" + listing, None, None, 1000, None, None)[0]


def stages(store, listing):
    return {r.click_id: r.stage for r in refunds(store, listing)}


def scene_events(rng, attack_stay, n_attack):
    """Six quiet hours on two listings (returning shoppers), then a crowd on L1 from fresh identities."""
    events, n = [], 0
    for _ in range(120):
        who = int(rng.integers(1, 40))
        ts = T0 + int(rng.uniform(0, 360 * MINUTE))
        c = click(n, ts, f"L{1 + n % 2}", who)
        events += [(ts, 0, c), (ts + 20_000, 1, (c.click_id, int(250 + 30_000 * rng.weibull(0.7))))]
        n += 1
    start = T0 + 360 * MINUTE
    crowd_ids = set()
    for k in range(n_attack):
        ts = start + int(rng.uniform(0, 20 * MINUTE))
        c = click(n, ts, "L1", 1000 + k)
        dwell = int(attack_stay(rng))
        events += [(ts, 0, c), (ts + dwell, 1, (c.click_id, dwell))]
        crowd_ids.add(c.click_id)
        n += 1
    return events, crowd_ids


def test_a_farm_is_stopped_at_click_and_dwell_time_without_a_sweep():
    rng = np.random.default_rng(5)
    events, farm = scene_events(rng, lambda r: r.uniform(15_000, 40_000), 300)
    store = MemoryStore()
    replay(store, events)
    got = stages(store, "L1")
    live = [cid for cid in farm if got.get(cid) in ("realtime", "dwell")]
    assert len(live) >= 0.85 * len(farm)
    assert any(got.get(cid) == "realtime" for cid in farm)  # fresh identities dropped at click time
    honest = {cid for cid in got if cid not in farm}
    assert all(r.reasons == ["DUPLICATE_CLICK"] for r in refunds(store, "L1") if r.click_id in honest)


def test_an_honest_crowd_of_newcomers_is_not_stopped():
    rng = np.random.default_rng(6)
    events, viral = scene_events(rng, lambda r: 250 + 30_000 * r.weibull(0.7), 300)
    store = MemoryStore()
    replay(store, events)
    assert not set(stages(store, "L1")) & viral


def test_a_farm_identity_back_on_its_task_is_dropped_at_click_time():
    rng = np.random.default_rng(9)
    events, farm = scene_events(rng, lambda r: r.uniform(15_000, 40_000), 300)
    first = sorted((e for e in events if e[1] == 0 and e[2].click_id in farm), key=lambda e: e[0])
    returns = set()
    for n, (ts, _, c) in enumerate(first[150:]):  # the later half of the farm's identities
        # The task card sends them back a few minutes later: past the duplicate window.
        again = Click(f"back{n:05d}", ts + 3 * MINUTE, "SL1", "L1", 1_000_000, c.source, keyword="kw")
        events.append((again.ts, 0, again))
        returns.add(again.click_id)
    store = MemoryStore()
    replay(store, events)
    got = stages(store, "L1")
    assert sum(got.get(cid) == "realtime" for cid in returns) >= 0.8 * len(returns)


def pooled(rng, n, stay, start=T0, key="a:S1"):
    """A shop's (or keyword's) pooled stays: n stays over two minutes from `start`."""
    return ListingPulse(key, crowd(rng, start, n, 2, stay))


def test_a_thin_bursting_listing_borrows_the_band_of_its_shops_scripted_stays():
    rng = np.random.default_rng(10)
    thin = pulse.Verdict(clicks=10, expected=0.5)
    shop = pooled(rng, 30, lambda r: 10_000 * np.exp(r.normal(0, 0.08)))
    v = pulse.borrow(thin, [shop], T0 + 3 * MINUTE, CFG)
    assert v.scripted and v.pooled == "a:S1" and v.holds(10_000) and not v.holds(30_000)
    assert v.evidence()["band_pooled_from"] == "a:S1"


def test_nothing_is_borrowed_from_organic_or_stale_stays_or_by_a_listing_judged_on_its_own():
    rng = np.random.default_rng(11)
    thin = pulse.Verdict(clicks=10, expected=0.5)
    organic = pooled(rng, 30, lambda r: 250 + 30_000 * r.weibull(0.7))
    assert pulse.borrow(thin, [organic], T0 + 3 * MINUTE, CFG) == thin
    scripted = pooled(rng, 30, lambda r: 10_000 * np.exp(r.normal(0, 0.08)))
    assert pulse.borrow(thin, [scripted], T0 + 60 * MINUTE, CFG) == thin  # past the cohort span
    assert pulse.borrow(thin, [pooled(rng, 8, lambda r: 10_000)], T0 + 3 * MINUTE, CFG) == thin
    # A viral listing whose own stays are organic keeps its verdict whatever the shop sees.
    judged = pulse.Verdict(clicks=40, expected=2.0, shape=0.8)
    assert pulse.borrow(judged, [scripted], T0 + 3 * MINUTE, CFG) == judged


def ten_second_wave(rng, make_click, start, listings, per_listing, n):
    """A crowd of newcomers over listings L0.. within three minutes of `start`, `per_listing` clicks
    on each, each staying ten seconds; its clicks and dwell reports, and its click ids."""
    events, ids = [], set()
    for listing in range(listings):
        for _ in range(per_listing):
            ts = start + int(rng.uniform(0, 3 * MINUTE))
            c = make_click(n, ts, f"L{listing}", 1000 + n)
            dwell = int(10_000 * np.exp(rng.normal(0, 0.08)))
            events += [(ts, 0, c), (ts + dwell, 1, (c.click_id, dwell))]
            ids.add(c.click_id)
            n += 1
    return events, ids


def quiet_hours(rng, make_click, listings, clicks, regulars):
    """Six quiet hours over listings L0.. from a few regular shoppers, with organic stays: the
    events and the next click number."""
    events = []
    for n in range(clicks):
        ts = T0 + int(rng.uniform(0, 360 * MINUTE))
        c = make_click(n, ts, f"L{n % listings}", int(rng.integers(1, regulars)))
        events += [(ts, 0, c), (ts + 20_000, 1, (c.click_id, int(250 + 30_000 * rng.weibull(0.7))))]
    return events, clicks


def shop_click(n: int, ts: int, listing: str, who: int) -> Click:
    """A click from the shop's own page, not a search: only the shop's pool can judge it."""
    return replace(click(n, ts, listing, who), advertiser_id="SHOP", keyword=None)


def test_a_siege_spread_thin_over_a_shops_listings_is_stopped_live():
    """Twenty listings of one shop, a dozen ten-second stays on each in three minutes: no listing
    has the stays to be judged alone; the shop's pooled stays do, and its newcomers are dropped."""
    rng = np.random.default_rng(12)
    events, n = quiet_hours(rng, shop_click, listings=20, clicks=200, regulars=60)
    wave, siege = ten_second_wave(rng, shop_click, T0 + 360 * MINUTE, listings=20, per_listing=12, n=n)
    events += wave
    store = MemoryStore()
    replay(store, events)
    got = {r.click_id: r for r in store.query_refunds("SHOP", None, None, 1000, None, None)[0]}
    live = [cid for cid in siege if cid in got and got[cid].stage in ("realtime", "dwell")]
    # Judged listing by listing, none of it is stopped live; most listings burst only as the
    # wave ends, so a third is what pooling can reach.
    assert len(live) >= len(siege) / 3
    records = store.get_clicks(live)
    # The shop's bursting listings' pooled stays, or the shop's own pulse for a listing too thin.
    assert {r.evidence["pulse"]["band_pooled_from"] for r in records.values()} <= {"a:SHOP", "s:SHOP"}


def test_a_listing_is_reached_at_several_times_its_own_baseline():
    rng = np.random.default_rng(13)
    history = fold(quiet(rng, per_hour=12))  # a click every 5 minutes: one a window
    now = T0 + 361 * MINUTE
    few = fold(crowd(rng, now - 2 * MINUTE, 3, 2, lambda r: 10_000), history)
    more = fold(crowd(rng, now - 2 * MINUTE, 6, 2, lambda r: 10_000), history)
    assert not pulse.reached(history, now, CFG)
    assert not pulse.reached(few, now, CFG)  # 3 clicks against a baseline of about 1
    assert pulse.reached(more, now, CFG)
    assert not pulse.reached(ListingPulse("L9"), now, CFG)


def attack_scene(rng, make_click, listings, per_listing, quiet_clicks, regulars):
    """Six quiet hours over `listings` listings, then a crew clicking each `per_listing` times
    within three minutes with ten-second stays; beside them a busy listing keeps its own pace, a
    click a minute, its shoppers staying ten seconds once the crew comes. The events, the crew's
    click ids and the busy listing's during the attack."""
    events, n = quiet_hours(rng, make_click, listings, quiet_clicks, regulars)
    busy, start = set(), T0 + 360 * MINUTE
    for ts in range(T0, start + 10 * MINUTE, MINUTE):
        c = make_click(n, ts, "BUSY", 300 + n)
        dwell = int(250 + 30_000 * rng.weibull(0.7)) if ts < start else 10_000
        events += [(ts, 0, c), (ts + dwell, 1, (c.click_id, dwell))]
        busy.update([c.click_id] if ts >= start else [])
        n += 1
    wave, crew = ten_second_wave(rng, make_click, start, listings, per_listing, n)
    return events + wave, crew, busy


def replayed(events, ids):
    """The store after the events, the clicks `ids` as stored, and which of them were refunded."""
    store = MemoryStore()
    replay(store, events)
    clicks = store.get_clicks(list(ids))
    return store, clicks, [cid for cid in ids if clicks[cid].refund_id is not None]


def test_a_keyword_swept_a_few_clicks_a_listing_is_stopped_live_by_the_keywords_pulse():
    """No listing takes enough of the crew's clicks to burst on its own; the keyword does, and
    the stays in its cohort's band are credited on the listings it reached. The busy listing
    beside them, at its usual pace, is not reached, and its ten-second stays are charged."""
    # Thirty listings of a keyword, one shop each, six clicks on each.
    events, crew, busy = attack_scene(np.random.default_rng(14), click, 30, 6, quiet_clicks=300, regulars=200)
    store, clicks, refunded = replayed(events, crew | busy)
    live = [cid for cid in crew if cid in refunded]
    assert len(live) >= len(crew) / 2
    assert {clicks[cid].evidence["pulse"]["band_pooled_from"] for cid in live} == {"q:kw"}
    # Credited at dwell time: a newcomer is dropped at click time only by a listing's own cohort.
    assert set(stages(store, "L0").values()) | set(stages(store, "L1").values()) == {"dwell"}
    assert all(clicks[cid].refund_id is None for cid in busy)


def siege_events(rng, per_listing):
    """Twenty listings of one shop, clicked from its own page (`attack_scene`)."""
    return attack_scene(rng, shop_click, 20, per_listing, quiet_clicks=200, regulars=60)


def test_a_siege_wave_of_a_few_clicks_a_listing_is_stopped_live_by_the_shops_pulse():
    """Three clicks on each of twenty listings: none bursts, the shop does, and the stays in its
    cohort's band are credited at dwell time on the listings it reached. The busy listing beside
    them, at its usual pace, is not reached, and its ten-second stays are charged."""
    events, crew, busy = siege_events(np.random.default_rng(15), per_listing=3)
    store, clicks, refunded = replayed(events, crew | busy)
    live = [cid for cid in crew if cid in refunded]
    # The shop, its busy listing included, bursts at five times its baseline about two thirds
    # into the wave: the stays reported after that.
    assert len(live) >= len(crew) / 4
    assert {clicks[cid].evidence["pulse"]["band_pooled_from"] for cid in live} == {"s:SHOP"}
    assert {r.stage for r in store.query_refunds("SHOP", None, None, 1000, None, None)[0]} == {"dwell"}
    assert all(clicks[cid].refund_id is None for cid in busy)


def test_a_bursting_listing_with_too_few_stays_of_its_own_takes_its_shops_verdict():
    """Eight clicks on each of twenty listings: each bursts at its eighth click with far too few
    stays to be judged alone, and its shop's pooled stays come too late; the shop's own pulse
    has them all, and the stays reported on listings already bursting are credited by it."""
    events, crew, _ = siege_events(np.random.default_rng(16), per_listing=8)
    _, clicks, _ = replayed(events, crew)
    wave = sorted((c.ts, c.listing_id) for _, kind, c in events if kind == 0 and c.click_id in crew)

    def burst_before(cid: str) -> bool:
        c = clicks[cid]
        reported = c.click.ts + c.dwell_ms
        return (
            sum(1 for ts, lst in wave if lst == c.click.listing_id and ts <= reported) >= CFG.pulse_min_clicks
        )

    by_shop = [
        cid for cid in crew if (clicks[cid].evidence.get("pulse") or {}).get("band_pooled_from") == "s:SHOP"
    ]
    assert len(by_shop) >= len(crew) / 2
    assert sum(map(burst_before, by_shop)) >= 10


def test_shop_owners_are_a_crowd_at_a_share_that_falls_as_the_burst_grows():
    def crowd_of(owners, clicks):
        return pulse.sellers_crowd(pulse.Verdict(clicks, 0.5, owners=owners), CFG)

    assert crowd_of(5, 8) == {"owner_clicks": 5, "listing_clicks": 8}
    assert crowd_of(4, 8) is None
    assert crowd_of(7, 20) and not crowd_of(6, 20)
    assert crowd_of(10, 40) and not crowd_of(9, 40)


def test_a_stay_folded_into_a_shop_owners_click_keeps_it_an_owners():
    p = fold([PulseEntry(T0, 1, owner=True), PulseEntry(T0 + 5, 2)])
    with_stay = pulse.advance(p, [PulseEntry(T0, 1, 9_000)], CFG)
    assert [(e.dwell, e.owner) for e in with_stay.entries] == [(9_000, True), (NO_DWELL, False)]
    ring = pulse.Ring(with_stay.entries)
    assert np.count_nonzero(ring.in_window(T0 + 5, CFG) & ring.owner) == 1


def test_a_burst_counts_the_shop_owners_in_its_window_only():
    rng = np.random.default_rng(7)
    start = T0 + 360 * MINUTE
    early = [replace(e, owner=True) for e in crowd(rng, start - 20 * MINUTE, 6, 2, lambda r: 10_000)]
    burst = crowd(rng, start, 20, 2, lambda r: 10_000)
    burst = [replace(e, click=60_000 + i, owner=i % 4 == 0) for i, e in enumerate(burst)]
    v = pulse.verdict(fold(quiet(rng) + early + burst), start + 3 * MINUTE, CFG)
    assert v is not None and v.clicks == 20 and v.owners == 5


def owners_wave(rng, make_click, n, listings, minutes, owner_every):
    """60 clicks over `listings` in turn, within `minutes` of the end of the six quiet hours, with
    organic stays, every `owner_every`-th by a shop owner; click numbers and people from `n`: the
    events, and the ids of the owners' and the others' clicks."""
    events, start, owners, others = [], T0 + 360 * MINUTE, set(), set()
    for k in range(60):
        ts = start + int(rng.uniform(0, minutes * MINUTE))
        c = make_click(n + k, ts, listings[k % len(listings)], n + k)
        if k % owner_every == 0:
            c = replace(c, source=replace(c.source, seller_id=f"S{n + k}"))
        (owners if c.source.seller_id else others).add(c.click_id)
        dwell = int(250 + 30_000 * rng.weibull(0.7))
        events += [(ts, 0, c), (ts + dwell, 1, (c.click_id, dwell))]
    return events, owners, others


def owners_scene(rng, owner_every):
    """Six quiet hours on L1, then 60 clicks on it in 10 minutes (`owners_wave`)."""
    events, _ = scene_events(rng, lambda r: 0, 0)
    wave, owners, others = owners_wave(rng, click, 5_000, ["L1"], 10, owner_every)
    return events + wave, owners, others


def test_shop_owners_crowding_a_burst_are_dropped_at_click_time_before_any_sweep():
    rng = np.random.default_rng(11)
    events, owners, others = owners_scene(rng, 2)  # besiegers: half of them own shops
    store = MemoryStore()
    replay(store, events)
    got = {r.click_id: r for r in refunds(store, "L1")}
    live = [cid for cid in owners if cid in got and got[cid].stage == "realtime"]
    assert len(live) >= 0.8 * len(owners)
    assert all(got[cid].reasons == ["COORDINATED_CAMPAIGN"] and got[cid].campaign_id is None for cid in live)
    crowd = store.get_clicks(live)[live[0]].evidence["sellers_crowd"]
    assert crowd["owner_clicks"] >= 5 and crowd["listing_clicks"] >= 8
    # The shoppers among them stay as they like and are no one's known members: charged.
    assert not set(got) & others


def test_shop_owners_shopping_a_burst_at_their_usual_share_are_charged():
    rng = np.random.default_rng(12)
    events, owners, _ = owners_scene(rng, 20)  # a viral crowd: one shopper in 20 owns a shop
    store = MemoryStore()
    replay(store, events)
    assert not set(stages(store, "L1")) & owners


def test_shop_owners_crowding_a_shop_a_few_clicks_a_listing_are_dropped_where_it_reaches():
    """Three clicks on each of twenty listings, half by shop owners, every stay organic: no
    listing bursts and no stays are scripted, but the shop bursts and reaches its listings, and
    the owners' share of the shop's clicks makes the crowd."""
    rng = np.random.default_rng(17)
    events, n = quiet_hours(rng, shop_click, listings=20, clicks=200, regulars=60)
    wave, owners, others = owners_wave(rng, shop_click, n + 1_000, [f"L{i}" for i in range(20)], 3, 2)
    store, clicks, refunded = replayed(events + wave, owners | others)
    live = [cid for cid in owners if cid in refunded]
    # A quiet listing is reached at its third click (five times a floor of half a click).
    assert len(live) >= len(owners) / 4
    assert all(clicks[cid].evidence["sellers_crowd"]["listing_clicks"] > 3 for cid in live)
    assert not set(refunded) & others
