"""Tailless listings: a paid crowd's stays have neither quick bounces nor long reads.

A paid task group (seed 002, 2017) sends its logged-in members to a big shop's listings a few
times each, told to browse like a buyer; a careful siege's members stay as long as a shopper.
Neither bursts nor meets again often enough for the crew search (detect/crews.py), and each
member is an ordinary person with an honest-looking stay. What they cannot hide together is the
shape of those stays: members asked to browse put nearly all of theirs near one length, while a
listing's honest shoppers (Weibull shape < 1: Liu, White, Dumais, SIGIR 2010) bounce in seconds
or read on for minutes, a quarter or more of them (`signals.untailed_by`).

1. A listing is tailless when it has at least `burst_min_sources` stays in the window and the
   share of them within a fifth to three times its median is `burst_min_surprise` nats unlikely
   against that share over all the window's stays.
2. Its band: the shortest log-interval holding `band_core_share` of its stays, widened by
   `script_band_widen` of its width each side.
3. Members: named persons, outside the campaigns already found, with at least
   `tailless_min_stays` stays in the bands of tailless listings, and at least
   `tailless_min_in_band_share` of their stays on those listings in the bands. A member acts
   several times and stays as told each time; an honest shopper on such a listing stays in its
   band about one time in four, and one who comes back again and again (a shop's regular on a
   sale day) also bounces and reads on between.
4. One campaign per shop: its members' stays in the bands of its tailless listings; while it
   runs, a member's stay in its band on the shop is dropped at dwell time, and a member's click
   is charged until then: they were named by their stays (chalicelib/detect/matcher.py).
"""

from __future__ import annotations

import numpy as np

from chalicelib.config import Settings
from chalicelib.detect import signals
from chalicelib.detect.cohorts import Found, Window, one_target
from chalicelib.models import FOUND_BY_TAILLESS


def tailless_listings(dwell_ms: np.ndarray, listing: np.ndarray, cfg: Settings) -> np.ndarray:
    """The listing ids (of `listing`, one per stay) whose stays have no tails: a crowd told how
    long to stay, where honest shoppers bounce or read on."""
    ids, group = np.unique(listing, return_inverse=True)
    stays = np.bincount(group, minlength=len(ids))
    tails = signals.untailed_by(dwell_ms, group, len(ids)) * stays
    market = 1.0 - tails.sum() / max(stays.sum(), 1)
    hit = stays >= cfg.burst_min_sources
    surprise = signals.binomial_surprise(stays[hit] - tails[hit], stays[hit], market)
    hit[hit] = surprise >= cfg.burst_min_surprise
    return ids[hit]


def find_tailless(win: Window, cfg: Settings, taken: np.ndarray) -> list[Found]:
    """The shops of the window whose tailless listings the same named persons, outside the
    persons campaigns hold (`taken`), stayed in the band of again and again."""
    cols = win.cols
    stayed = np.flatnonzero(np.isfinite(cols["dwell"]) & (cols["dwell"] > 0))
    if len(stayed) == 0:
        return []
    flagged = tailless_listings(cols["dwell"][stayed], cols["listing"][stayed], cfg)
    rows = stayed[np.isin(cols["listing"][stayed], flagged)]
    if len(rows) == 0:
        return []
    listings, group = np.unique(cols["listing"][rows], return_inverse=True)
    dwell = cols["dwell"][rows]
    low, high = signals.dwell_band_by(dwell, group, len(listings), cfg.band_core_share, cfg.script_band_widen)
    inside = (dwell >= low[group]) & (dwell <= high[group])
    judged = win.named[rows] & ~np.isin(cols["person"][rows], taken)
    rows, inside = rows[judged], inside[judged]
    persons, at = np.unique(cols["person"][rows], return_inverse=True)
    stays_in = np.bincount(at, weights=inside, minlength=len(persons))
    stays = np.bincount(at, minlength=len(persons))
    member = (stays_in >= cfg.tailless_min_stays) & (stays_in >= cfg.tailless_min_in_band_share * stays)
    rows = rows[inside & member[at]]
    out = []
    for shop in np.unique(cols["advertiser"][rows]).tolist():
        mine = rows[cols["advertiser"][rows] == shop]
        on = np.isin(listings, cols["listing"][mine])
        band = (float(low[on].min()), float(high[on].max()))
        out.append(_found(shop, mine, band, int(on.sum()), win))
    return out


def _found(shop: int, rows: np.ndarray, band: tuple[float, float], listings: int, win: Window) -> Found:
    """The members' in-band stays on one shop as a campaign: its evidence and what it credits."""
    numbers = {"found_by": FOUND_BY_TAILLESS, "tailless_listings": listings, "in_band_stays": int(len(rows))}
    return one_target("advertiser", shop, rows, band, numbers, win)
