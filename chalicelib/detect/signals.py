"""Campaign signals: pure numpy functions over plain arrays (no storage, no clock, no settings)."""

from __future__ import annotations

import numpy as np

# IQR of log Weibull(k) = (ln ln 4 - ln ln 4/3) / k: converts the log-dwell spread into a shape.
WEIBULL_LOG_IQR = float(np.log(np.log(4.0)) - np.log(np.log(4.0 / 3.0)))


def target_minute_counts(
    targets: np.ndarray, minutes: np.ndarray, n_minutes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Clicks per target per minute: the volume series every burst is measured on."""
    uniq, inv = np.unique(targets, return_inverse=True)
    counts = np.bincount(inv * n_minutes + minutes, minlength=len(uniq) * n_minutes)
    return uniq, counts.reshape(len(uniq), n_minutes).astype(np.int32)


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


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """The [first, last] index of every run of True: one burst per run of bursting minutes."""
    padded = np.concatenate(([False], mask, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def log_iqr(dwell_ms: np.ndarray) -> float:
    """Interquartile range of log stays: how spread a cohort's time on the page is."""
    d = dwell_ms[np.isfinite(dwell_ms) & (dwell_ms > 0)]
    if len(d) < 4:
        return float("nan")
    q1, q3 = np.percentile(np.log(d), [25, 75])
    return float(q3 - q1)


def weibull_shape(dwell_ms: np.ndarray) -> float:
    """Weibull shape of stays from the spread of their logs: organic < 1, a script or a band far above.

    Quartiles, not moments, so a few camouflaged stays mixed into a scripted cohort do not hide it.
    """
    spread = log_iqr(dwell_ms)
    return WEIBULL_LOG_IQR / max(spread, 1e-6) if np.isfinite(spread) else float("nan")


def dwell_band(dwell_ms: np.ndarray, core_share: float, widen: float) -> tuple[float, float]:
    """The stay a cohort was told to make: its densest log-interval, widened by its own width."""
    d = np.sort(np.log(dwell_ms[np.isfinite(dwell_ms) & (dwell_ms > 0)]))
    k = max(2, int(np.ceil(core_share * len(d))))
    if len(d) < k:
        return float("nan"), float("nan")
    widths = d[k - 1 :] - d[: len(d) - k + 1]
    i = int(np.argmin(widths))
    lo, hi = d[i], d[i + k - 1]
    pad = (hi - lo) * widen
    return float(np.exp(lo - pad)), float(np.exp(hi + pad))


def first_clicks(person: np.ndarray, ts: np.ndarray) -> np.ndarray:
    """Whether each click is its source's first in the frame: a farm's identities have no history."""
    order = np.lexsort((ts, person))
    first = np.ones(len(person), dtype=bool)
    first[order[1:]] = person[order[1:]] != person[order[:-1]]
    return first
