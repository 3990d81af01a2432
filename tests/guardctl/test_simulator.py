"""The traffic simulator: determinism, contract-valid clicks, labels and the behaviour it claims to model."""

import dataclasses
import ipaddress
import json
import math
import re
from collections import Counter

import numpy as np
import pytest

from guardctl.simulator import SimConfig, SimDay, read_jsonl, simulate, stream_jsonl, write_jsonl

ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
CLICK_KEYS = {
    "click_id",
    "ts",
    "advertiser_id",
    "listing_id",
    "cost_micros",
    "currency",
    "keyword",
    "category",
    "source",
}
SOURCE_LIMITS = {"ip": 64, "device_id": 256, "user_agent": 1024, "account_id": 128, "seller_id": 128}
SMALL = SimConfig(
    hours=6,
    start="2013-12-08T12:00:00+08:00",
    organic_clicks=2_000,
    n_shoppers=1_500,
    n_advertisers=120,
    siege_members=(100, 200),
    sweep_participants=(60, 120),
    farm_accounts=(300, 500),
)


@pytest.fixture(scope="module")
def day() -> SimDay:
    return simulate()


@pytest.fixture(scope="module")
def small() -> SimDay:
    return simulate(SMALL)


@pytest.fixture(scope="module")
def quiet(day) -> SimDay:
    """The default day without the pre-sale surge and the viral listing; everything else is the same."""
    return simulate(dataclasses.replace(day.config, presale_surge=False, viral_listing=False))


def dwell_by_click(d: SimDay) -> dict[str, int]:
    return {e["dwell"]["click_id"]: e["dwell"]["dwell_ms"] for e in d.events if e["type"] == "dwell"}


def dwells(d: SimDay, **label) -> np.ndarray:
    by_click = dwell_by_click(d)
    return np.array(
        [
            by_click[c]
            for c, lab in d.labels.items()
            if c in by_click and all(lab[k] == v for k, v in label.items())
        ]
    )


def weibull_shape(x: np.ndarray) -> float:
    # Two-quantile fit: ln(-ln(1-F)) is linear in ln(x) with slope equal to the shape.
    q1, q3 = np.quantile(x, [0.25, 0.75])
    return (math.log(-math.log(0.25)) - math.log(-math.log(0.75))) / (math.log(q3) - math.log(q1))


def honest_in_window(d: SimDay, a: int, b: int, listing_id: str | None = None) -> int:
    return sum(
        1
        for c in d.clicks()
        if a <= c["ts"] < b and listing_id in (None, c["listing_id"]) and not d.labels[c["click_id"]]["fraud"]
    )


def test_same_seed_gives_the_same_day(small):
    a, b = small, simulate(SMALL)
    assert a.events == b.events
    assert a.labels == b.labels
    assert a.sellers == b.sellers
    assert a.attacks == b.attacks


def test_different_seeds_give_different_days(small):
    a, b = small, simulate(dataclasses.replace(SMALL, seed=2))
    assert [c["listing_id"] for c in a.clicks()] != [c["listing_id"] for c in b.clicks()]
    by_kind = {(x["kind"], y["kind"]): (x, y) for x, y in zip(a.attacks, b.attacks, strict=False)}
    siege_a, siege_b = by_kind[("rival_siege", "rival_siege")]
    assert siege_a["targets"]["advertiser_ids"] != siege_b["targets"]["advertiser_ids"]
    assert siege_a["start_ms"] != siege_b["start_ms"]
    assert siege_a["clicks"] != siege_b["clicks"]


def test_default_day_size_and_mix(day):
    traffic = Counter(lab["traffic"] for lab in day.labels.values())
    assert 20_000 <= len(day.labels) <= 60_000
    assert set(traffic) == {"organic", "seller_shopper", "surge", "viral", "attack", "bot"}
    assert {a["kind"] for a in day.attacks} == {"rival_siege", "keyword_sweep", "click_farm", "bots"}


def test_every_click_follows_the_contract(day):
    ids = set()
    s0, s1 = day.scenario["start_ms"], day.scenario["end_ms"]
    for c in day.clicks():
        assert set(c) == CLICK_KEYS  # dwell arrives later, as its own event
        assert ID_RE.match(c["click_id"]) and c["click_id"] not in ids
        ids.add(c["click_id"])
        assert type(c["ts"]) is int and s0 <= c["ts"] < s1
        for f in ("advertiser_id", "listing_id"):
            assert isinstance(c[f], str) and 1 <= len(c[f]) <= 128
        assert type(c["cost_micros"]) is int and 0 <= c["cost_micros"] <= 10**12
        assert 10_000 <= c["cost_micros"] <= 20_000_000 and c["cost_micros"] % 10_000 == 0
        assert c["currency"] == "CNY" and len(c["keyword"]) <= 256 and len(c["category"]) <= 128
        src = c["source"]
        assert "ip" in src and set(src) <= set(SOURCE_LIMITS)
        ipaddress.ip_address(src["ip"])
        assert all(isinstance(v, str) and len(v) <= SOURCE_LIMITS[k] for k, v in src.items())


def test_events_are_time_ordered_and_dwell_follows_its_click(day):
    ts = [e["ts_ms"] for e in day.events]
    assert ts == sorted(ts)
    click_ts = {c["click_id"]: c["ts"] for c in day.clicks()}
    reported = 0
    for e in day.events:
        if e["type"] == "dwell":
            reported += 1
            dw = e["dwell"]
            assert type(dw["dwell_ms"]) is int and 0 <= dw["dwell_ms"] <= 86_400_000
            assert e["ts_ms"] == click_ts[dw["click_id"]] + dw["dwell_ms"]
    assert 0.7 < reported / len(click_ts) < 0.95  # some users close the app before the report


def test_labels_cover_every_click_and_match_attacks(day):
    assert set(day.labels) == {c["click_id"] for c in day.clicks()}
    attack_ids = {a["attack_id"]: a for a in day.attacks}
    per_attack = Counter()
    for lab in day.labels.values():
        assert lab["fraud"] == (lab["traffic"] in ("attack", "bot"))
        assert (lab["attack_id"] is not None) == lab["fraud"]
        if lab["fraud"]:
            assert attack_ids[lab["attack_id"]]["kind"] == lab["attack"]
            per_attack[lab["attack_id"]] += 1
    assert per_attack == {aid: a["clicks"] for aid, a in attack_ids.items()}


def test_organic_dwell_is_weibull_with_shape_below_one(day):
    x = dwells(day, traffic="organic")
    assert 0.55 < weibull_shape(x) < 0.9
    assert (x < 3_000).mean() > 0.1  # bounces
    assert (x > 120_000).mean() > 0.03  # long tail


def test_siege_dwell_clusters_near_the_script(day):
    x = dwells(day, attack="rival_siege")
    assert abs(np.median(x) - 10_000) < 1_000
    q1, q3 = np.quantile(x, [0.25, 0.75])
    assert q3 - q1 < 3_000
    assert weibull_shape(x) > 3  # nothing like the honest shape


def test_dwell_script_and_camouflage_knobs():
    cfg = dataclasses.replace(
        SMALL, attacks=("rival_siege",), dwell_script_ms=7_000, dwell_jitter=0.05, camouflage=0.0
    )
    x = dwells(simulate(cfg), attack="rival_siege")
    assert ((x > 5_500) & (x < 9_000)).all()
    camo = dwells(simulate(dataclasses.replace(cfg, camouflage=1.0)), attack="rival_siege")
    assert weibull_shape(camo) < 1


def test_click_farm_uses_fresh_scattered_sources(day):
    farm = [c for c in day.clicks() if day.labels[c["click_id"]]["attack"] == "click_farm"]
    attack = next(a for a in day.attacks if a["kind"] == "click_farm")
    accounts = {c["source"]["account_id"] for c in farm}
    ips = {c["source"]["ip"] for c in farm}
    assert 1_000 <= len(accounts) <= 3_000
    assert len(ips) > 0.8 * len(accounts)
    assert len({ip.rsplit(".", 1)[0] for ip in ips}) > 0.8 * len(ips)
    assert len({c["source"]["device_id"] for c in farm}) > 0.8 * len(accounts)
    others = {c["source"].get("account_id") for c in day.clicks() if not day.labels[c["click_id"]]["fraud"]}
    assert not accounts & others  # no history on the marketplace
    target = Counter(c["listing_id"] for c in farm).most_common(1)[0]
    assert target[0] == attack["targets"]["listing_ids"][0] and target[1] > 0.8 * len(farm)
    assert attack["end_ms"] - attack["start_ms"] <= 45 * 60_000
    x = dwells(day, attack="click_farm")
    assert x.min() >= 15_000 and x.max() <= 40_000


def test_sweep_hits_several_advertisers_per_keyword_in_turn(day):
    sweep = next(a for a in day.attacks if a["kind"] == "keyword_sweep")
    schedule = sweep["planned"]["schedule"]
    assert len(schedule) >= 4
    assert all(len(s["advertiser_ids"]) >= 2 for s in schedule)
    assert all(a["end_ms"] <= b["start_ms"] for a, b in zip(schedule, schedule[1:], strict=False))
    costs = [c["cost_micros"] for c in day.clicks() if day.labels[c["click_id"]]["attack"] == "keyword_sweep"]
    organic = [c["cost_micros"] for c in day.clicks() if day.labels[c["click_id"]]["traffic"] == "organic"]
    assert np.mean(costs) > 1.5 * np.mean(organic)  # high-price keywords


def test_bots_look_like_bots(day):
    bots = [a for a in day.attacks if a["kind"] == "bots"]
    assert bots
    for a in bots:
        clicks = [c for c in day.clicks() if day.labels[c["click_id"]]["attack_id"] == a["attack_id"]]
        ua = clicks[0]["source"].get("user_agent", "")
        if a["variant"] == "no_ua":
            assert all("user_agent" not in c["source"] for c in clicks)
        elif a["variant"] == "velocity":
            assert np.median(np.diff([c["ts"] for c in clicks])) < 5_000
        else:
            assert re.search(r"spider|bot|Headless|PhantomJS|python|Java|curl|HttpClient", ua, re.I)


def test_seller_profiles_know_advertisers_and_only_some_attackers(day):
    advertisers = {c["advertiser_id"] for c in day.clicks()}
    assert advertisers <= set(day.sellers)
    for profile in day.sellers.values():
        assert set(profile) == {"categories", "account_ids", "device_ids", "ips"}
        assert profile["categories"] and all(len(v) <= 1000 for v in profile.values())
    siege = next(a for a in day.attacks if a["kind"] == "rival_siege")
    known = sum(s in day.sellers for s in siege["members"]["seller_ids"]) / len(
        siege["members"]["seller_ids"]
    )
    assert 0.3 < known < 0.7
    honest = [c for c in day.clicks() if day.labels[c["click_id"]]["traffic"] == "seller_shopper"]
    assert sum("seller_id" in c["source"] for c in honest) > 0.2 * len(honest)


def test_surge_multiplier_holds(day, quiet):
    s = day.scenario["surge"]
    assert quiet.scenario["surge"] is None
    ratio = honest_in_window(day, s["start_ms"], s["end_ms"]) / honest_in_window(
        quiet, s["start_ms"], s["end_ms"]
    )
    assert 3.4 < ratio < 4.6


def test_viral_multiplier_holds(day, quiet):
    v = day.scenario["viral"]
    window = (v["start_ms"], v["end_ms"], v["listing_id"])
    assert 8 < honest_in_window(day, *window) / max(1, honest_in_window(quiet, *window)) < 30
    viral = [lab for lab in day.labels.values() if lab["traffic"] == "viral"]
    assert viral and not any(lab["fraud"] for lab in viral)


def test_short_span_without_evening_has_no_surge_but_keeps_attacks():
    d = simulate(dataclasses.replace(SMALL, hours=3, start="2013-12-08T02:00:00+08:00"))
    assert d.scenario["surge"] is None
    assert {a["kind"] for a in d.attacks} == {"rival_siege", "keyword_sweep", "click_farm", "bots"}


def test_unknown_attack_is_refused():
    with pytest.raises(ValueError, match="unknown attack"):
        simulate(SimConfig(attacks=("rival_siege", "ddos")))


def test_jsonl_round_trip(small, tmp_path):
    d = small
    path = tmp_path / "day.jsonl"
    write_jsonl(d, path)
    first = next(stream_jsonl(path))
    assert set(first) == {"seller"} and "seller_id" in first["seller"]
    lines = path.read_text(encoding="utf-8").splitlines()
    assert all("seller" in json.loads(x) for x in lines[: len(d.sellers)])
    back = read_jsonl(path)
    assert back.sellers == d.sellers
    assert back.events == d.events
    assert back.labels == d.labels
    assert back.attacks == d.attacks
    assert back.scenario == d.scenario
    assert back.config == d.config
