"""Strangers: a shop whose clicks come from identities that click nothing else.

A slow drip (a rival's hired clicks, a few an hour all day, each from a new device or account and
with an honest stay) stays under every velocity cap and never bursts. What it cannot hide is that
each click needs an identity of its own: over the look-back nearly all of the shop's clicks are by
identities seen once, while a shop's honest shoppers go on to other listings and shops, or come
back.

1. One-shot: a named person's only click in the window (an ip alone may be a carrier's NAT).
2. The market's share: one-shot clicks among the window's named clicks, outside every burst (a
   crowd arriving at once, a farm's or a viral listing's, is the burst tests' business: strangers
   arrive steadily) and outside the campaigns already found.
3. A shop is the strangers' when its one-shot clicks are at least `burst_min_sources`, at least
   `stranger_min_share` of its named clicks and `stranger_min_lift` times the market's share, and
   that share is `burst_min_surprise` nats unlikely by chance.
4. Its clicks are the one-shot clicks on the shop, its members their identities; while it runs, a
   new identity's click on the shop is dropped at click time (chalicelib/detect/matcher.py).
"""

from __future__ import annotations

import numpy as np

from chalicelib.config import Settings
from chalicelib.detect import signals
from chalicelib.detect.cohorts import Burst, Found, Window


def find_strangers(win: Window, cfg: Settings, taken: np.ndarray, bursts: list[Burst]) -> list[Found]:
    """The shops of the window clicked by strangers, outside the `bursts` (all of the window's,
    suspect or not) and the persons campaigns hold (`taken`)."""
    cols = win.cols
    judged = win.named & ~np.isin(cols["person"], taken)
    if bursts:
        judged[np.concatenate([b.rows for b in bursts])] = False
    if not judged.any():
        return []
    one_shot = judged & win.one_shot
    market = float(one_shot.sum() / judged.sum())
    shops, at = np.unique(cols["advertiser"][judged], return_inverse=True)
    clicks = np.bincount(at, minlength=len(shops))
    strangers = np.bincount(at, weights=one_shot[judged], minlength=len(shops))
    share = strangers / clicks
    hit = (strangers >= cfg.burst_min_sources) & (
        share >= max(cfg.stranger_min_share, cfg.stranger_min_lift * market)
    )
    hit[hit] = signals.binomial_surprise(strangers[hit], clicks[hit], market) >= cfg.burst_min_surprise
    out = []
    for i in np.flatnonzero(hit).tolist():
        rows = np.flatnonzero(one_shot & (cols["advertiser"] == shops[i]))
        out.append(_found(int(shops[i]), rows, int(clicks[i]), market, win))
    return out


def _found(shop: int, rows: np.ndarray, clicks: int, market: float, win: Window) -> Found:
    """The strangers on one shop as a campaign: their clicks are its evidence and what it credits."""
    persons = np.unique(win.cols["person"][rows])
    burst = Burst(
        target=shop,
        column="advertiser",
        start=int(win.minute[rows].min()),
        end=int(win.minute[rows].max()),
        rows=rows,
        persons=persons,
        odds=0.0,
    )
    return Found(
        bursts=[burst],
        rows=rows,
        credited=rows,
        band=None,
        targets={"listing": set(), "advertiser": {shop}, "keyword": set()},
        signals={
            "found_by": "strangers",
            "one_shot_clicks": int(len(rows)),
            "named_clicks": clicks,
            "one_shot_share": round(len(rows) / clicks, 3),
            "market_one_shot_share": round(market, 3),
            "cohort_sources": int(len(persons)),
            "member_sources": int(len(persons)),
        },
    )
