"""The campaign signals on hand-made arrays."""

from __future__ import annotations

import math

import numpy as np
import pytest

from chalicelib.detect import signals
from tests.chalicelib.detect.scenes import ref_band


def test_minute_counts_and_rolling_sum():
    counts = signals.minute_counts(np.array([1, 1, 0, 1]), np.array([0, 2, 2, 2]), 2, 4)
    assert counts.tolist() == [[0, 0, 1, 0], [1, 0, 2, 0]]
    assert signals.rolling_sum(counts, 2).tolist() == [[0, 0, 1, 1], [1, 1, 2, 2]]


def test_baseline_share_is_the_median_hour_and_ignores_a_market_wide_rise():
    # Target 0 holds 10% of the market every hour, 4x market in the last hour (a pre-sale).
    market = np.array([100, 100, 100, 400])
    counts = np.array([[10, 10, 10, 40], [0, 0, 90, 0]])
    share = signals.baseline_share(counts, market, block=1)
    assert share[0] == pytest.approx(0.1)
    # One hour of 90% (an attack or a viral spell) does not move the median.
    assert share[1] == 0.0


def test_poisson_surprise_grows_with_excess_and_is_zero_below_expectation():
    s = signals.poisson_surprise(np.array([2, 10, 40, 1]), np.array([2.0, 2.0, 2.0, 5.0]))
    assert s[0] == 0.0 and s[3] == 0.0
    assert 0 < s[1] < s[2]
    assert s[2] > 60


def test_binomial_surprise_bounds_the_exact_tail_and_is_zero_at_or_below_the_rate():
    hits, n = np.array([1, 2, 5, 12, 13, 13]), np.array([10, 10, 10, 13, 13, 20])
    s = signals.binomial_surprise(hits, n, 0.2)
    assert s[0] == 0.0 and s[1] == 0.0  # at or below the market's rate: no surprise
    for k, m, got in zip(hits.tolist(), n.tolist(), s.tolist(), strict=True):
        tail = sum(math.comb(m, j) * 0.2**j * 0.8 ** (m - j) for j in range(k, m + 1))
        assert got <= -math.log(tail) + 1e-9  # a Chernoff bound: never more surprised than exact
    assert s[4] == pytest.approx(13 * math.log(5))  # all of them: ln(1 / p) each
    assert s[3] < s[4] and s[5] < s[4]
    # A rate per group (each keyword's own) gives what each rate gives alone.
    rates = np.array([0.2, 0.05, 0.5, 0.2, 0.9, 0.3])
    each = [
        signals.binomial_surprise(hits[i : i + 1], n[i : i + 1], float(r))[0] for i, r in enumerate(rates)
    ]
    assert signals.binomial_surprise(hits, n, rates).tolist() == pytest.approx(each)


def test_row_runs_finds_each_stretch_row_by_row():
    mask = np.array([[0, 1, 1, 0, 1, 0, 0, 1], [0] * 8, [1] * 8], dtype=bool)
    row, first, last = signals.row_runs(mask)
    assert list(zip(row.tolist(), first.tolist(), last.tolist(), strict=True)) == [
        (0, 1, 2),
        (0, 4, 4),
        (0, 7, 7),
        (2, 0, 7),
    ]


def test_row_runs_match_a_scan_of_each_row():
    rng = np.random.default_rng(3)
    for _ in range(50):
        mask = rng.random((rng.integers(1, 6), rng.integers(1, 12))) < rng.random()
        expected = []
        for r, line in enumerate(mask.tolist()):
            c = 0
            while c < len(line):
                if line[c]:
                    end = c
                    while end + 1 < len(line) and line[end + 1]:
                        end += 1
                    expected.append((r, c, end))
                    c = end
                c += 1
        row, first, last = signals.row_runs(mask)
        assert list(zip(row.tolist(), first.tolist(), last.tolist(), strict=True)) == expected


def test_weibull_shape_tells_organic_from_scripted_stays():
    rng = np.random.default_rng(1)
    organic = 30_000 * rng.weibull(0.7, 2000)
    scripted = 10_000 * np.exp(rng.normal(0, 0.12, 2000))
    banded = rng.uniform(15_000, 40_000, 2000)
    assert signals.weibull_shape(organic) == pytest.approx(0.7, rel=0.15)
    assert signals.weibull_shape(scripted) > 5
    assert signals.weibull_shape(banded) > 2
    assert np.isnan(signals.weibull_shape(np.array([1.0, np.nan])))


def test_dwell_band_brackets_the_script_despite_camouflage():
    rng = np.random.default_rng(2)
    scripted = 10_000 * np.exp(rng.normal(0, 0.12, 850))
    camouflage = 30_000 * rng.weibull(0.7, 150)
    stays = np.concatenate([scripted, camouflage, [np.nan]])
    (lo,), (hi,) = signals.dwell_band_by(stays, np.zeros(len(stays), dtype=np.int64), 1, 0.5, 1.0)
    assert 7_000 < lo < 9_000 and 11_000 < hi < 14_000
    inside = (scripted >= lo) & (scripted <= hi)
    assert inside.mean() > 0.9


def test_dwell_band_by_group_equals_the_band_of_each_group_alone_exactly():
    rng = np.random.default_rng(8)
    for _ in range(30):
        n_groups = int(rng.integers(1, 8))
        dwell = np.round(rng.weibull(0.8, int(rng.integers(0, 80))) * 20) * 1000  # ties too
        dwell[rng.random(len(dwell)) < 0.2] = np.nan
        group = rng.integers(0, n_groups, len(dwell))
        core, widen = float(rng.uniform(0.2, 0.9)), float(rng.uniform(0, 2))
        low, high = signals.dwell_band_by(dwell, group, n_groups, core, widen)
        want = np.array([ref_band(dwell[group == g], core, widen) for g in range(n_groups)]).reshape(-1, 2)
        np.testing.assert_array_equal(low, want[:, 0])
        np.testing.assert_array_equal(high, want[:, 1])


def test_spans_lists_every_index_of_each_slice():
    owner, at = signals.spans(np.array([3, 0, 5]), np.array([5, 0, 8]))
    assert owner.tolist() == [0, 0, 2, 2, 2] and at.tolist() == [3, 4, 5, 6, 7]


def test_log_iqr_by_group_equals_log_iqr_of_each_group_exactly():
    rng = np.random.default_rng(5)
    for _ in range(30):
        n_groups = int(rng.integers(1, 8))
        dwell = rng.weibull(0.8, int(rng.integers(0, 80))) * 20_000
        dwell[rng.random(len(dwell)) < 0.2] = np.nan
        dwell[rng.random(len(dwell)) < 0.05] = 0.0
        group = rng.integers(0, n_groups, len(dwell))
        got = signals.log_iqr_by(dwell, group, n_groups)
        want = [signals.log_iqr(dwell[group == g]) for g in range(n_groups)]
        np.testing.assert_array_equal(got, want)


def test_log_iqr_outside_each_group_equals_log_iqr_of_the_rest_exactly():
    rng = np.random.default_rng(3)
    for _ in range(20):
        dwell = np.round(rng.weibull(0.7, 300) * 20_000)  # rounded: ties between a group and the rest
        dwell[rng.random(300) < 0.1] = np.nan
        n_groups = 6
        members = [rng.choice(300, rng.integers(0, 120), replace=False) for _ in range(n_groups)]
        rows = np.concatenate(members).astype(np.intp)
        group = np.repeat(np.arange(n_groups), [len(m) for m in members])
        got = signals.log_iqr_outside(dwell, rows, group, n_groups)
        want = [signals.log_iqr(np.delete(dwell, m)) for m in members]
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    assert np.isnan(signals.log_iqr_outside(np.array([1000.0] * 5), np.arange(3), np.zeros(3, int), 1))[0]


def test_log_iqr_needs_a_few_stays():
    assert signals.log_iqr(np.array([1000.0, 2000.0, 4000.0, 8000.0, 16000.0])) == pytest.approx(np.log(4))
    assert np.isnan(signals.log_iqr(np.array([1000.0, np.nan])))


def test_first_clicks_marks_each_sources_first():
    person = np.array([5, 5, 2, 5, 2])
    ts = np.array([30, 10, 20, 20, 5])
    assert signals.first_clicks(person, ts).tolist() == [False, True, False, False, True]


def test_untailed_by_equals_the_pulse_share_per_group():
    from chalicelib.detect.pulse import untailed

    rng = np.random.default_rng(5)
    for shape in (0.7, 1.0, 4.0):
        d = np.round(rng.weibull(shape, 200) * 30_000) + 1
        d[rng.random(200) < 0.1] = np.nan
        group = rng.integers(0, 9, 200)
        got = signals.untailed_by(d, group, 10)
        want = [untailed(d[group == g]) for g in range(10)]
        np.testing.assert_allclose(got, want, equal_nan=True)
    one = np.zeros(400, dtype=int)
    organic, script = (signals.untailed_by(rng.weibull(k, 400) * 30_000, one, 1)[0] for k in (0.7, 8))
    assert organic > 0.3 and script < 0.02
