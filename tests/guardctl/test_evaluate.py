"""A small, fast run of the quality benchmark: the same replay, sweeps and scoring on a tiny day."""

from __future__ import annotations

import dataclasses
import json
import time

from chalicelib.config import Settings
from guardctl import evaluate
from guardctl.simulator import simulate


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
    started = time.perf_counter()
    day = tiny_day(5)
    numbers = evaluate.score(day, evaluate.replay(day, Settings()))
    assert time.perf_counter() - started < 20
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
