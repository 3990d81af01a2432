"""A small, fast run of the quality benchmark: the same replay, sweeps and scoring on a tiny day."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib import validation
from chalicelib.config import Settings
from guardctl import evaluate
from guardctl.simulator import SimConfig, SimDay, read_jsonl, simulate, write_jsonl


def tiny_day(seed: int):
    cfg = dataclasses.replace(
        evaluate.scenario(seed, hours=3.0),
        start="2013-12-08T13:00:00+08:00",
        n_shoppers=1500,
        organic_clicks=1500,
        n_advertisers=60,
        attacks=("rival_siege", "click_farm"),
        attack_scale=0.3,
        siege_hours=(1.0, 1.5),
        viral_hours=(0.5, 1.0),
        surge_hours=0.5,
    )
    return simulate(cfg)


def test_smoke_run_scores_a_tiny_day(capsys, tmp_path):
    day = tiny_day(5)
    run = evaluate.replay(day, Settings())
    stages = _stages(run.store, day)
    clicks = {c["click_id"]: c["ts"] for c in day.clicks()}
    swept = [cid for cid, stage in stages.items() if stage == "sweep"]
    assert swept and run.store.refunded_on_day.keys() == stages.keys()
    # Each refund is stamped on the day's clock: a sweep's credit at a minute's sweep after its click.
    assert all(
        run.store.refunded_on_day[cid] % 60_000 == 0 < run.store.refunded_on_day[cid] - clicks[cid]
        for cid in swept
    )
    numbers = evaluate.score(day, run)
    assert numbers["clicks"] == sum(1 for _ in day.clicks())
    assert {a["kind"] for a in numbers["attacks"]} == {"rival_siege", "click_farm"}
    assert numbers["fraud_refunded"] > 0.5
    assert set(numbers["legit_refunded"]) == set(evaluate.LEGIT)
    assert numbers["sweeps"] >= 180  # one a simulated minute
    evaluate.print_table({5: numbers}, {5})
    out = capsys.readouterr().out
    assert "held-out" in out and "siege-1" in out
    assert isinstance(evaluate.misses(numbers), list)
    json.dumps(numbers)


def test_tuning_and_held_out_seeds_are_disjoint_and_days_differ():
    assert not set(evaluate.TUNING_SEEDS) & set(evaluate.HELD_OUT_SEEDS)
    assert len(evaluate.HELD_OUT_SEEDS) >= 3
    a, b = evaluate.scenario(11), evaluate.scenario(12)
    assert a != b and a.dwell_script_ms > 0 and a.farm_dwell_ms[0] < a.farm_dwell_ms[1]


def test_a_variant_overrides_only_its_knobs_outside_the_drawn_ranges():
    drawn = evaluate.scenario(11)
    for name, knobs in evaluate.VARIANTS.items():
        day = evaluate.scenario(11, variant=name)
        changed = {f.name for f in dataclasses.fields(day) if getattr(day, f.name) != getattr(drawn, f.name)}
        assert changed == set(knobs), name
        assert all(getattr(day, k) == v for k, v in knobs.items())
    # Each moves a knob past what the seeds draw: 3-5x surges, 10-20x viral, 0.06-0.22 jitter.
    assert evaluate.VARIANTS["big-crowds"]["surge_multiplier"] > 5
    assert evaluate.VARIANTS["loose-script"]["dwell_jitter"] > 0.22


def test_the_command_line_runs_a_variant(capsys, monkeypatch):
    numbers = {
        "clicks": 1,
        "fraud_refunded": 1.0,
        "fraud_realtime": 1.0,
        "legit_refunded": dict.fromkeys(evaluate.LEGIT, 0.0),
        "legit_refunded_by_campaigns": dict.fromkeys(evaluate.LEGIT, 0.0),
        "legit_refunded_as_duplicates": dict.fromkeys(evaluate.LEGIT, 0.0),
        "attacks": [],
        "run_seconds": 0.0,
        "sweep_ms_mean": 0.0,
    }
    seen = []

    def run_seed(seed, hours, cfg, variant=None, delivery=None):
        seen.append((variant, delivery, cfg.strict_rival))
        return numbers

    monkeypatch.setattr(evaluate, "run_seed", run_seed)
    evaluate.main(["--seeds", "11", "--jobs", "1", "--variant", "loose-script", "--delivery", "late-dwell"])
    assert seen == [("loose-script", "late-dwell", False)]
    out = capsys.readouterr().out
    assert "Variant loose-script" in out and "Delivery late-dwell" in out
    assert "overridden" not in out
    assert "held-out days meeting each target (of 1): fraud refunded >= 97% 1," in out
    assert "every target 1" in out
    # The guard's FG_* settings apply to the days, as in a deployed stage, and the run says so.
    monkeypatch.setenv("FG_STRICT_RIVAL", "true")
    evaluate.main(["--seeds", "11", "--jobs", "1"])
    assert seen[-1] == (None, None, True)
    assert "Settings overridden: FG_STRICT_RIVAL=true." in capsys.readouterr().out


def _day_events():
    source = {"ip": "10.0.0.1", "device_id": "d1", "account_id": "a1", "seller_id": "S9", "user_agent": "UA"}
    click = {"type": "click", "ts_ms": 1_000, "click": {"click_id": "c1", "ts": 1_000, "source": source}}
    other = {
        "type": "click",
        "ts_ms": 20_000,
        "click": {"click_id": "c2", "ts": 20_000, "source": {"ip": "10.0.0.2"}},
    }
    stay = {"type": "dwell", "ts_ms": 11_000, "dwell": {"click_id": "c1", "dwell_ms": 10_000}}
    return [click, stay, other]


def test_a_delivery_changes_how_the_day_arrives_not_what_it_holds():
    events = _day_events()
    assert evaluate.deliver(events, evaluate.Delivery()) == events
    inline = evaluate.deliver(events, evaluate.DELIVERIES["inline-dwell"])
    assert [e["type"] for e in inline] == ["click", "click"]
    assert inline[0]["click"]["dwell_ms"] == 10_000 and "dwell_ms" not in inline[1]["click"]
    late = evaluate.deliver(events, evaluate.DELIVERIES["late-dwell"])
    arrivals = [(e["type"], e["ts_ms"]) for e in late]
    assert arrivals == [("click", 1_000), ("click", 20_000), ("dwell", 131_000)]
    bare = evaluate.deliver(events, evaluate.DELIVERIES["ip-only"])
    assert bare[0]["click"]["source"] == {"ip": "10.0.0.1", "user_agent": "UA"} and bare[1:] == events[1:]
    assert events == _day_events()  # the day itself is untouched


def test_an_attack_is_charged_what_was_not_stopped_live_and_pays_what_was_never_refunded():
    attack = {"attack_id": "siege-1", "kind": "rival_siege", "start_ms": 0, "end_ms": 600_000}
    attack["targets"] = {"advertiser_ids": ["BIG"]}
    costs = {"honest": 1_000_000, "live": 2_000_000, "swept": 3_000_000, "late": 5_000_000}
    costs["missed"] = 4_000_000
    clicks = {cid: {"advertiser_id": "BIG", "ts": 60_000, "cost_micros": c} for cid, c in costs.items()}
    clicks["elsewhere"] = {"advertiser_id": "OTHER", "ts": 60_000, "cost_micros": 9_000_000}
    labels = {cid: {"fraud": cid != "honest", "attack_id": "siege-1"} for cid in clicks}
    labels["honest"]["attack_id"] = None
    stage = {"live": "realtime", "swept": "sweep", "late": "sweep"}
    # The sweep gave "swept" back while the attack ran, and "late" only after it had ended.
    refunded_on_day = {"live": 60_000, "swept": 120_000, "late": 600_001}
    got = evaluate._attack_numbers(attack, clicks, labels, stage, refunded_on_day)
    assert got["charge_ratio"] == 13.0  # honest + swept + late + missed, over honest
    assert got["net_ratio"] == 10.0  # honest + late + missed: swept was back in the budget by the end
    assert got["paid_ratio"] == 5.0  # honest + missed
    assert got["refunded"] == round(10 / 14, 5)
    assert got["stopped_live"] == round(2 / 14, 5)  # stopped at click or dwell time, of the attack's own


def _stages(store, day) -> dict[str, str]:
    out = {}
    for advertiser in {c["advertiser_id"] for c in day.clicks()}:
        page, _ = store.query_refunds(advertiser, None, None, 10_000, None, None)
        out.update((r.click_id, r.stage) for r in page)
    return out


def _day_numbers(fraud=0.98, live=0.9, organic=0.001, surge=0.001, viral=0.0, ratios=(1.2,), nets=None):
    attacks = [
        {"attack_id": f"a-{i}", "kind": "rival_siege", "charge_ratio": r, "net_ratio": n}
        for i, (r, n) in enumerate(zip(ratios, nets or ratios, strict=True))
    ]
    # Bots are not gated.
    attacks.append({"attack_id": "bot-1", "kind": "bots", "charge_ratio": 9.0, "net_ratio": 9.0})
    legit = {"organic": organic, "seller_shopper": 0.05, "surge": surge, "viral": viral}
    return {"fraud_refunded": fraud, "fraud_realtime": live, "legit_refunded": legit, "attacks": attacks}


def test_the_days_meeting_each_target_are_counted_as_the_misses_name_them():
    results = {
        1: _day_numbers(),
        2: _day_numbers(fraud=0.96, organic=0.004, ratios=(1.2, 2.0), nets=(1.1, 1.4)),
        3: _day_numbers(live=0.79, viral=None),  # no viral traffic that day: nothing to miss
        4: _day_numbers(surge=0.0031),  # not among the days counted
    }
    got = evaluate.days_meeting(results, [1, 2, 3, 5])
    assert got == {
        "days": 3,
        "fraud_refunded": 2,
        "fraud_realtime": 2,
        "organic": 2,
        "surge": 3,
        "viral": 3,
        "charge_ratio": 2,
        "all": 1,
        "net_ratio": 3,  # reported, not gated: day 2's second attack was given back to 1.4x by its end
    }
    assert evaluate.misses(results[2]) == [
        "fraud refunded 0.960 < 0.97",
        "organic refunded 0.0040 > 0.003",
        "a-1 targets charged 2.0x honest > 1.5x",
    ]


def test_every_delivery_replays_the_tiny_day_and_the_slow_schedule_sweeps_a_fifth_as_often():
    day = tiny_day(5)
    sweeps = {}
    for name, delivery in evaluate.DELIVERIES.items():
        numbers = evaluate.score(day, evaluate.replay(day, Settings(), delivery))
        assert numbers["clicks"] == sum(1 for _ in day.clicks()) and numbers["fraud_refunded"] > 0.5, name
        sweeps[name] = numbers["sweeps"]
    assert 36 <= sweeps["sweep-every-5min"] <= sweeps["inline-dwell"] / 4


def edit_truth(path: Path, change) -> None:
    """Change a written day's labels side file in place."""
    side = path.with_name(path.name + ".labels.json")
    truth = json.loads(side.read_text(encoding="utf-8"))
    change(truth)
    side.write_text(json.dumps(truth, ensure_ascii=False), encoding="utf-8")


def test_a_labelled_day_from_a_file_scores_as_the_same_day_in_memory(capsys, tmp_path):
    day = tiny_day(5)
    path = tmp_path / "elsewhere.jsonl"
    write_jsonl(day, path)
    # Another tool's log: events out of order, bare click and dwell lines, config knobs of its own.
    lines = path.read_text(encoding="utf-8").splitlines()
    sellers = [line for line in lines if line.startswith('{"seller"')]
    events = [json.loads(line) for line in lines if not line.startswith('{"seller"')]
    bare = [{"click": e["click"]} if e["type"] == "click" else e for e in reversed(events)]
    path.write_text("\n".join(sellers + [json.dumps(e, ensure_ascii=False) for e in bare]) + "\n", "utf-8")
    edit_truth(path, lambda truth: truth.update(config={"generator": "elsewhere"}))

    expected = evaluate.score(day, evaluate.replay(day, Settings()))
    got = evaluate.run_file(str(path), Settings())
    for key in ("clicks", "fraud_refunded", "fraud_realtime", "legit_refunded", "attacks", "sweeps"):
        assert got[key] == expected[key], key

    assert evaluate.main(["--day", str(path), "--jobs", "1"]) in (0, 1)
    out = capsys.readouterr().out
    assert "elsewhere.jsonl" in out and "held-out" in out and "siege-1" in out


def test_a_day_without_labels_is_refused_by_name(tmp_path):
    path = tmp_path / "unlabelled.jsonl"
    path.write_text("", encoding="utf-8")
    with pytest.raises(SystemExit, match="unlabelled.jsonl: no labels"):
        evaluate.run_file(str(path), Settings())
    # Labels for some clicks only: refused before replaying, naming a click without one.
    day = tiny_day(5)
    write_jsonl(day, path)
    first = next(day.clicks())["click_id"]
    edit_truth(path, lambda truth: truth["labels"].pop(first))
    with pytest.raises(SystemExit, match=f"1 clicks have no label, the first {first}"):
        evaluate.run_file(str(path), Settings())


def test_an_honest_double_click_is_refunded_and_reported_as_a_duplicate():
    source = {
        "ip": "10.0.0.1",
        "device_id": "d1",
        "account_id": "a1",
        "user_agent": "Mozilla/5.0 (iPhone) AliApp(TB/10.30)",
    }
    base = {"advertiser_id": "S1", "listing_id": "L1", "cost_micros": 1_000_000, "currency": "CNY"}
    events = [
        {"type": "click", "ts_ms": ts, "click": {**base, "click_id": cid, "ts": ts, "source": source}}
        for cid, ts in (("c1", 1_700_000_000_000), ("c2", 1_700_000_002_000))
    ]
    labels = {cid: {"fraud": False, "traffic": "organic", "attack_id": None} for cid in ("c1", "c2")}
    day = SimDay(SimConfig(), {}, events, labels, [])
    numbers = evaluate.score(day, evaluate.replay(day, Settings()))
    assert numbers["legit_refunded"]["organic"] == 0.5
    assert numbers["legit_refunded_as_duplicates"]["organic"] == 0.5
    assert numbers["legit_refunded_by_campaigns"]["organic"] == 0.0


@pytest.mark.parametrize("model", ["elsewhere", "third"])
def test_a_traffic_model_built_apart_writes_a_day_the_contract_accepts(tmp_path, model):
    # `make eval-elsewhere` and `make eval-third` feed these days to the guard: every profile,
    # click and dwell report must pass the API's validation, and every click must be labelled.
    root = Path(__file__).resolve().parents[2]
    out = tmp_path / f"{model}-1.jsonl"
    gen = [sys.executable, str(root / "bench" / model / "gen.py"), "--seed", "1", "--out", str(out)]
    subprocess.run(gen, check=True, capture_output=True, cwd=tmp_path)
    day = read_jsonl(out)
    cfg = Settings()
    for seller_id, body in day.sellers.items():
        validation.parse_profile(seller_id, body, cfg)
    clicks = list(day.clicks())
    for i in range(0, len(clicks), 500):
        validation.parse_clicks({"clicks": clicks[i : i + 500]}, cfg)
    stays = [e["dwell"] for e in day.events if e["type"] == "dwell"]
    for i in range(0, len(stays), 500):
        validation.parse_dwell({"dwell": stays[i : i + 500]}, cfg)
    assert len(clicks) > 10_000 and {c["click_id"] for c in clicks} == set(day.labels)
    kinds = {a["kind"] for a in day.attacks}
    assert {"rival_siege", "keyword_sweep", "click_farm"} <= kinds
