"""Strangers: a shop whose clicks come from identities that click nothing else.

A slow drip (a rival's hired clicks, a few an hour all day, each from a new device or account and
with an honest stay) stays under every velocity cap and never bursts. What it cannot hide is that
each click needs an identity of its own: over the look-back nearly all of the shop's clicks are by
identities seen once, while a shop's honest shoppers go on to other listings and shops, or come
back.

1. One-shot: a named person's only click in the window (an ip alone may be a carrier's NAT).
2. The market's share: one-shot clicks among the window's named clicks, outside every listing a
   burst reached (a crowd arriving at once, a farm's or a viral listing's, and its tail are the
   burst tests' business: strangers arrive steadily) and outside the campaigns already found.
3. A shop is the strangers' when its one-shot clicks are at least `burst_min_sources`, at least
   `stranger_min_share` of its named clicks and `stranger_min_lift` times the market's share, and
   that share is `burst_min_surprise` nats unlikely by chance.
4. Its clicks are the one-shot clicks on the shop, its members their identities; while it runs, a
   new identity's click on the shop is dropped at click time (chalicelib/detect/matcher.py).

Click software spreads wider: a new ip, device or none per click, logged out, over the ads of a
keyword or two across many shops, so no shop is mostly strangers. What it cannot hide is the stay
it was set to make. On a keyword, its strangers (logged-out clicks: an account can be banned, and
the software would need thousands) put most of their stays in one narrow band, where the
keyword's logged-in shoppers, who read the same pages, put few (organic stays are Weibull with
shape < 1: Liu, White, Dumais, SIGIR 2010):

5. The band: the shortest log-interval holding `band_core_share` of the keyword's stranger stays,
   widened by `script_band_widen` of its width each side.
6. A keyword is scripted when at least `burst_min_sources` stranger stays fall in its band, that
   band is under `dwell_spread_ratio` of the spread of the window's logged-in shoppers' stays, and
   the count is `burst_min_surprise` nats unlikely against the share of the keyword's logged-in
   shoppers' stays in the band.
7. Its clicks are the strangers' clicks on the keyword in the band (honest ones among them too:
   too few strangers come before the software to tell when it began); while it runs, a
   logged-out stay in the band on the keyword is dropped at dwell time
   (chalicelib/detect/matcher.py).
"""

from __future__ import annotations

import numpy as np

from chalicelib.config import Settings
from chalicelib.detect import signals
from chalicelib.detect.cohorts import Burst, Found, Window, one_target
from chalicelib.detect.frame import NONE
from chalicelib.models import FOUND_BY_SCRIPT, FOUND_BY_STRANGERS

# How campaigns found by their strangers are marked (`found_by`): each continues only its own kind.
STRANGERS = frozenset({FOUND_BY_STRANGERS, FOUND_BY_SCRIPT})


def _in_bursts(win: Window, bursts: list[Burst]) -> np.ndarray:
    """Whether each click is in one of the `bursts` (all of the window's, suspect or not: a crowd
    arriving at once is the burst tests' business)."""
    inside = np.zeros(len(win), dtype=bool)
    if bursts:
        inside[np.concatenate([b.rows for b in bursts])] = True
    return inside


def _on_burst_listings(win: Window, in_bursts: np.ndarray) -> np.ndarray:
    """Clicks on the listings a burst reached in the window (on them, their keyword or their shop;
    `in_bursts`: the bursts' clicks): a viral post's visitors open the listing from a social app,
    logged out, in a new webview each (so each is seen once), and go on doing so for hours as the
    post fades; a drip never bursts."""
    listing = win.cols["listing"]
    return np.isin(listing, listing[in_bursts])


def find_strangers(win: Window, cfg: Settings, taken: np.ndarray, bursts: list[Burst]) -> list[Found]:
    """The shops of the window clicked by strangers, outside the listings the `bursts` reached (all
    of the window's, suspect or not) and the persons campaigns hold (`taken`)."""
    cols = win.cols
    unheld = ~np.isin(cols["person"], taken)
    judged = win.named & unheld & ~_on_burst_listings(win, _in_bursts(win, bursts))
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
    numbers = {
        "found_by": FOUND_BY_STRANGERS,
        "one_shot_clicks": int(len(rows)),
        "named_clicks": clicks,
        "one_shot_share": round(len(rows) / clicks, 3),
        "market_one_shot_share": round(market, 3),
    }
    return one_target("advertiser", shop, rows, None, numbers, win)


def find_scripts(win: Window, cfg: Settings, taken: np.ndarray, bursts: list[Burst]) -> list[Found]:
    """The keywords of the window whose strangers stay as a script was set to, outside the `bursts`
    and the persons campaigns hold (`taken`)."""
    cols = win.cols
    stayed = np.isfinite(cols["dwell"]) & (cols["keyword"] != NONE)
    rows = np.flatnonzero(~np.isin(cols["person"], taken) & ~_in_bursts(win, bursts) & stayed)
    if len(rows) == 0:
        return []
    dwell = cols["dwell"][rows]
    stranger = cols["account"][rows] == NONE
    keywords, group = np.unique(cols["keyword"][rows], return_inverse=True)
    n = len(keywords)
    low, high = signals.dwell_band_by(
        dwell[stranger], group[stranger], n, cfg.band_core_share, cfg.script_band_widen
    )
    inside = (dwell >= low[group]) & (dwell <= high[group])  # NaN bands hold nothing
    hits = np.bincount(group[stranger], weights=inside[stranger], minlength=n)
    tried = np.bincount(group[stranger], minlength=n)
    back_in = np.bincount(group[~stranger], weights=inside[~stranger], minlength=n)
    back = np.bincount(group[~stranger], minlength=n)
    expected = (back_in + 1) / (back + 2)  # a keyword without logged-in stays expects half
    with np.errstate(invalid="ignore", divide="ignore"):
        core = np.log(high / low) / (1 + 2 * cfg.script_band_widen)
    narrow = core <= cfg.dwell_spread_ratio * signals.log_iqr(dwell[~stranger])
    hit = (hits >= cfg.burst_min_sources) & narrow
    hit[hit] = signals.binomial_surprise(hits[hit], tried[hit], expected[hit]) >= cfg.burst_min_surprise
    out = []
    for k in np.flatnonzero(hit).tolist():
        mine = rows[stranger & inside & (group == k)]
        band = (float(low[k]), float(high[k]))
        out.append(_scripted(int(keywords[k]), mine, band, int(tried[k]), float(expected[k]), win))
    return out


def _scripted(
    keyword: int, rows: np.ndarray, band: tuple[float, float], tried: int, expected: float, win: Window
) -> Found:
    """A scripted keyword as a campaign: its strangers' clicks in the band are its evidence and
    what it credits."""
    numbers = {
        "found_by": FOUND_BY_SCRIPT,
        "stranger_stays": tried,
        "in_band": int(len(rows)),
        "logged_in_band_share": round(expected, 3),
    }
    return one_target("keyword", keyword, rows, band, numbers, win)
