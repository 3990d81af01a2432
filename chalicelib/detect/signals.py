"""Campaign signals: pure numpy functions over plain arrays (no storage, no clock, no settings)."""

from __future__ import annotations

import numpy as np

# IQR of log Weibull(k) = (ln ln 4 - ln ln 4/3) / k: converts the log-dwell spread into a shape.
WEIBULL_LOG_IQR = float(np.log(np.log(4.0)) - np.log(np.log(4.0 / 3.0)))


def minute_counts(row: np.ndarray, minute: np.ndarray, n_rows: int, n_minutes: int) -> np.ndarray:
    """Clicks per target (a row index) per minute: the volume series every burst is measured on."""
    return np.bincount(row * n_minutes + minute, minlength=n_rows * n_minutes).reshape(n_rows, n_minutes)


def rolling_sum(counts: np.ndarray, width: int) -> np.ndarray:
    """Clicks in the `width` minutes ending at each minute: attacks land within minutes."""
    c = np.cumsum(counts, axis=-1, dtype=np.int64)
    out = c.copy()
    out[..., width:] -= c[..., :-width]
    return out


def baseline_share(counts: np.ndarray, market: np.ndarray, block: int) -> np.ndarray:
    """Each target's median share of market clicks over blocks (hours): its normal pull.

    The median over hours ignores the hours an attack (or a viral spell) inflates, and a share
    of the market (not a rate) keeps a market-wide rise, like a pre-sale evening, from looking
    like a burst on any one target.
    """
    n = counts.shape[-1] // block * block
    if n == 0:
        return np.zeros(counts.shape[0])
    per_block = counts[:, -n:].reshape(counts.shape[0], -1, block).sum(axis=2)
    market_block = market[-n:].reshape(-1, block).sum(axis=1)
    busy = market_block > 0
    if not busy.any():
        return np.zeros(counts.shape[0])
    return np.median(per_block[:, busy] / market_block[busy], axis=1)


def poisson_surprise(observed: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Chernoff bound -ln P(X >= observed) for Poisson(expected): how unlikely a volume is by chance."""
    k = np.asarray(observed, dtype=np.float64)
    lam = np.maximum(np.asarray(expected, dtype=np.float64), 1e-9)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = k * np.log(k / lam) - k + lam
    return np.where(k > lam, s, 0.0)


def binomial_surprise(hits: np.ndarray, n: np.ndarray, p: float | np.ndarray) -> np.ndarray:
    """Chernoff bound -ln P(X >= hits) for Binomial(n, p): how unlikely a share is by chance."""
    k, n = np.asarray(hits, dtype=np.float64), np.asarray(n, dtype=np.float64)
    q = np.divide(k, n, out=np.zeros_like(k), where=n > 0)
    p = np.clip(p, 1e-9, 1 - 1e-9)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = k * np.log(q / p) + (n - k) * np.log((1 - q) / (1 - p))
    s = np.where(q >= 1, k * np.log(1 / p), s)  # no click left over: (n - k) log(0/..) is 0
    return np.where(q > p, s, 0.0)


def row_runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row, first and last column of every run of True in a 2-d mask, row by row: one burst per run."""
    rows, cols = mask.shape
    padded = np.zeros((rows, cols + 2), dtype=np.int8)
    padded[:, 1:-1] = mask
    edges = np.diff(padded, axis=1)
    row, first = np.nonzero(edges == 1)
    _, end = np.nonzero(edges == -1)
    return row, first, end - 1


def log_iqr(dwell_ms: np.ndarray) -> float:
    """Interquartile range of log stays: how spread a cohort's time on the page is."""
    d = dwell_ms[np.isfinite(dwell_ms) & (dwell_ms > 0)]
    if len(d) < 4:
        return float("nan")
    q1, q3 = np.percentile(np.log(d), [25, 75])
    return float(q3 - q1)


def log_iqr_by(dwell_ms: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """`log_iqr` of each group's stays at once (NaN under 4): every burst's spread in one sort.

    Quartiles interpolate as np.percentile does, so each value equals log_iqr of the group alone.
    """
    values, start, n = _sorted_logs(dwell_ms, group, n_groups)
    out = np.full(n_groups, np.nan)
    has = n >= 4
    q1, q3 = (_sorted_quantile(values, start[has], n[has], q) for q in (0.25, 0.75))
    out[has] = q3 - q1
    return out


def log_iqr_outside(dwell_ms: np.ndarray, rows: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """`log_iqr` of all the stays but each group's own (`rows` of `dwell_ms`, by `group`; NaN
    under 4 left): the market each cohort is measured against, without the cohort in it.

    Quartiles interpolate as np.percentile does, so each value equals log_iqr of the rest alone.
    """
    out = np.full(n_groups, np.nan)
    ok = np.isfinite(dwell_ms) & (dwell_ms > 0)
    market = np.sort(np.log(dwell_ms[ok]))
    if len(market) == 0:
        return out
    values, start, n = _sorted_logs(dwell_ms[rows], group, n_groups)
    # Each group's stays lifted apart from the others', so one search counts any group's.
    span = market[-1] - market[0] + 1.0
    lifted = values - market[0] + np.repeat(np.arange(n_groups), n) * span
    left = len(market) - n
    has = np.flatnonzero(left >= 4)
    q1, q3 = (_outside_quantile(market, lifted, start[has], has * span, left[has], q) for q in (0.25, 0.75))
    out[has] = q3 - q1
    return out


def _outside_quantile(
    market: np.ndarray, lifted: np.ndarray, start: np.ndarray, offset: np.ndarray, n: np.ndarray, q: float
) -> np.ndarray:
    """Quantile q of the sorted `market` without each group's stays, numpy's linear interpolation."""
    below, gamma = _rank(n, q)
    lo, hi = (_kth_outside(market, lifted, start, offset, k) for k in (below, below + 1))
    return _interpolate(lo, hi, gamma)


def _kth_outside(
    market: np.ndarray, lifted: np.ndarray, start: np.ndarray, offset: np.ndarray, k: np.ndarray
) -> np.ndarray:
    """The k-th smallest (from 0) of the market without each group's stays: the first market value
    with k + 1 at or below it once the group's own are taken out (a binary search per group)."""
    lo, hi = np.zeros(len(k), np.intp), np.full(len(k), len(market) - 1, np.intp)
    while np.any(lo < hi):
        mid = (lo + hi) // 2
        v = market[mid]
        own = np.searchsorted(lifted, v - market[0] + offset, side="right") - start
        enough = np.searchsorted(market, v, side="right") - own >= k + 1
        hi, lo = np.where(enough, mid, hi), np.where(enough, lo, mid + 1)
    return market[lo]


def untailed_by(dwell_ms: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """Each group's share of stays under a fifth or over three times its median (NaN if none):
    organic stays (Weibull shape <= 1) put a quarter or more there, a script or a band almost none."""
    values, start, n = _sorted_logs(dwell_ms, group, n_groups)
    out = np.full(n_groups, np.nan)
    has = np.flatnonzero(n > 0)
    if len(has) == 0:
        return out
    # The median of the stays themselves, as np.median takes it (a single stay is read twice: the
    # padding keeps the interpolation's second read in bounds and weighs it zero).
    median = np.log(_sorted_quantile(np.r_[np.exp(values), 0.0], start[has], n[has], 0.5))
    owner = np.repeat(np.arange(len(has)), n[has])
    logs = values[spans(start[has], start[has] + n[has])[1]]
    tail = (logs < median[owner] - np.log(5.0)) | (logs > median[owner] + np.log(3.0))
    out[has] = np.bincount(owner, weights=tail, minlength=len(has)) / n[has]
    return out


def _sorted_logs(dwell_ms: np.ndarray, group: np.ndarray, n_groups: int) -> tuple[np.ndarray, ...]:
    """Logs of each group's known positive stays, sorted within groups laid end to end; starts, counts."""
    ok = np.isfinite(dwell_ms) & (dwell_ms > 0)
    values, group = np.log(dwell_ms[ok]), group[ok]
    n = np.bincount(group, minlength=n_groups)
    return values[np.lexsort((values, group))], np.cumsum(n) - n, n


def _sorted_quantile(values: np.ndarray, start: np.ndarray, n: np.ndarray, q: float) -> np.ndarray:
    """Quantile q of each sorted slice values[start:start + n], numpy's linear interpolation."""
    below, gamma = _rank(n, q)
    at = start + below
    return _interpolate(values[at], values[at + 1], gamma)


def _rank(n: np.ndarray, q: float) -> tuple[np.ndarray, np.ndarray]:
    """Where quantile q falls among n sorted values, as np.percentile places it: the index of the
    value below and the weight of the one above."""
    at = (n - 1) * q
    below = np.floor(at)
    return below.astype(np.intp), at - below


def _interpolate(lo: np.ndarray, hi: np.ndarray, gamma: np.ndarray) -> np.ndarray:
    """Between two neighbouring sorted values, by `gamma`, exactly as np.percentile computes it."""
    diff = hi - lo
    return np.where(gamma >= 0.5, hi - diff * (1 - gamma), lo + diff * gamma)


def weibull_shape(dwell_ms: np.ndarray) -> float:
    """Weibull shape of stays from the spread of their logs: organic < 1, a script or a band far above.

    Quartiles, not moments, so a few camouflaged stays mixed into a scripted cohort do not hide it.
    """
    spread = log_iqr(dwell_ms)
    return WEIBULL_LOG_IQR / max(spread, 1e-6) if np.isfinite(spread) else float("nan")


def dwell_band_by(
    dwell_ms: np.ndarray, group: np.ndarray, n_groups: int, core_share: float, widen: float
) -> tuple[np.ndarray, np.ndarray]:
    """The stay each cohort was told to make: its densest log-interval, widened by its own width.

    The interval holds `core_share` of the group's stays (at least 2; NaN when fewer stays).
    """
    values, start, n = _sorted_logs(dwell_ms, group, n_groups)
    k = np.maximum(2, np.ceil(core_share * n).astype(np.int64))
    low, high = np.full(n_groups, np.nan), np.full(n_groups, np.nan)
    has = np.flatnonzero(n >= k)
    if len(has) == 0:
        return low, high
    # Every window of k sorted stays in each group; the narrowest, the first on a tie.
    k, n_windows = k[has], n[has] - k[has] + 1
    owner, at = spans(start[has], start[has] + n_windows)
    width = values[at + k[owner] - 1] - values[at]
    narrowest = np.minimum.reduceat(width, np.cumsum(n_windows) - n_windows)
    tied = np.flatnonzero(width == narrowest[owner])
    first = tied[np.r_[True, owner[tied][1:] != owner[tied][:-1]]]
    lo, hi = values[at[first]], values[at[first] + k - 1]
    pad = (hi - lo) * widen
    low[has], high[has] = np.exp(lo - pad), np.exp(hi + pad)
    return low, high


def dwell_band(dwell_ms: np.ndarray, core_share: float, widen: float) -> tuple[float, float]:
    """The stay one cohort was told to make: `dwell_band_by` for a single group."""
    low, high = dwell_band_by(dwell_ms, np.zeros(len(dwell_ms), dtype=np.intp), 1, core_share, widen)
    return float(low[0]), float(high[0])


def spans(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every index of the slices [lo, hi) and which slice it came from: many slices in one gather."""
    n = hi - lo
    return np.repeat(np.arange(len(lo)), n), np.arange(int(n.sum())) + np.repeat(lo - (np.cumsum(n) - n), n)


def first_clicks(person: np.ndarray, ts: np.ndarray) -> np.ndarray:
    """Whether each click is its source's first in the frame: a farm's identities have no history."""
    order = np.lexsort((ts, person))
    first = np.ones(len(person), dtype=bool)
    first[order[1:]] = person[order[1:]] != person[order[:-1]]
    return first
