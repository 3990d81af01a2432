"""A smoke test of the benchmark harness (not timed): its cases run and its table prints."""

from __future__ import annotations

import pytest

from guardctl import bench


@pytest.mark.dynamodb_local
def test_capacity_cases_dollars_and_table(dynamodb_local_endpoint):
    day = bench.sim_day(quick=True)
    events = bench.traffic_slice(day, 20)
    assert {e["type"] for e in events} == {"click", "dwell"}
    env = bench.Env(dynamodb_local_endpoint)
    cases = {mode: bench.run_case(env, day, events, mode, sellers=False) for mode in ("sync_batch", "stream")}
    for case in cases.values():
        assert case["clicks"] == 20 and case["write_units"] > 0 and case["round_trips"] > 0
    usd, lines = bench.dollars(cases["stream"], "stream")
    assert usd > 0 and lines[-1].startswith("total")
    results = {
        "traffic": {"source": "test", "clicks": 20, "dwell_reports": len(events) - 20},
        "capacity": cases,
        "usd_arithmetic": {"stream": lines},
        "ru_per_click": {m: c["units_per_click"] for m, c in cases.items()},
        "sweep": [{"clicks": 10_000, "seconds": 0.1, "peak_mb": 100.0}],
    }
    text = bench.table(results)
    assert "ru_per_click.stream" in text and "sweep" in text


@pytest.mark.dynamodb_local
def test_writers_on_one_keyword_count_their_pulse_conflicts(dynamodb_local_endpoint):
    one, four = (bench.hot_keyword(dynamodb_local_endpoint, n, seconds=1.0) for n in (1, 4))
    # One writer's batches are always the keyword's newest clicks: each one is written, once.
    assert one["batches"] > 0 and one["batches_past_the_ring"] == 0
    assert one["conflict_share"] == 0 and one["most_retries"] == 0 and one["writes_lost"] == 0
    assert four["writers"] == 4 and four["batches"] >= 4
    assert 0 <= four["conflict_share"] < 1 and four["batches_past_the_ring"] >= 0
    traffic = {"source": "test", "clicks": 0, "dwell_reports": 0}
    text = bench.table({"traffic": traffic, "hot_keyword": [one, four]})
    assert "one keyword's pulse" in text


@pytest.mark.dynamodb_local
def test_every_writer_posts_a_batch_however_slow_the_machine(dynamodb_local_endpoint):
    # With no time at all, each writer still posts one batch: a loaded CI machine once saw none.
    assert bench.hot_keyword(dynamodb_local_endpoint, 2, seconds=0.0)["batches"] == 2
