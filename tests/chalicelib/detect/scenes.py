"""Hand-made traffic for detection tests: a quiet market, a scripted attack, an honest viral spell."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from chalicelib.config import Settings
from chalicelib.detect.cohorts import Window
from chalicelib.detect.frame import ClickFrame
from chalicelib.models import Click, Source
from chalicelib.storage.base import ClickRecord

T0 = 1386432000000  # 2013-12-08T00:00+08:00
MINUTE = 60_000
UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 7_0_4 like Mac OS X) AliApp(TB/4.1.2)"
NOBODY = np.empty(0, np.int32)  # no person held by a campaign: what a finder is told is taken


@dataclass
class Scene:
    clicks: list[Click] = field(default_factory=list)
    dwell: dict[str, int] = field(default_factory=dict)
    attack: set[str] = field(default_factory=set)
    viral: set[str] = field(default_factory=set)
    attackers: list[str] = field(default_factory=list)

    def add(self, ts, listing, who, dwell, kind=None, keyword=None, logged_in=True):
        click = Click(
            click_id=f"c{len(self.clicks):05d}",
            ts=int(ts),
            advertiser_id="BIG" if listing in ("LX", "LY") else f"S{listing[1:]}",
            listing_id=listing,
            cost_micros=2_000_000,
            keyword=keyword or f"kw{listing}",
            category="女装",
            source=Source(
                ip=f"10.{who // 65536 % 256}.{who // 256 % 256}.{who % 256}",
                device_id=f"dev{who}",
                user_agent=UA,
                account_id=f"acct{who}" if logged_in else None,
            ),
        )
        self.clicks.append(click)
        if dwell is not None:
            self.dwell[click.click_id] = int(dwell)
        if kind == "attack":
            self.attack.add(click.click_id)
        elif kind == "viral":
            self.viral.add(click.click_id)
        return click

    def ordered(self) -> list[Click]:
        return sorted(self.clicks, key=lambda c: (c.ts, c.click_id))


def organic_stay(rng: np.random.Generator) -> float:
    """A shopper's stay in ms: a second to load, then Weibull with shape 0.7 and scale 30 s (most
    leave early, a long tail reads on: Liu, White, Dumais, SIGIR 2010)."""
    return 1000 + 30_000 * rng.weibull(0.7)


def scene(
    seed: int = 1, attack: bool = True, viral: bool = True, repeat: bool = False, quiet: int = 900
) -> Scene:
    """Three quiet hours on 20 listings, then a crew of 60 on LX staying ~10 s (and, with
    `repeat`, again on LY 40 minutes later with no dwell reported), and LV going viral."""
    rng = np.random.default_rng(seed)
    s = Scene()
    listings = [f"L{i}" for i in range(18)] + ["LX", "LV"]
    who = 1000
    for _ in range(quiet):  # about 4 honest clicks a minute for 3.5 hours by default
        ts = T0 + rng.uniform(0, 210 * MINUTE)
        s.add(ts, listings[rng.integers(len(listings))], who, organic_stay(rng))
        who += 1
    start = T0 + 180 * MINUTE
    if attack:
        for k in range(60):
            s.attackers.append(f"acct{k}")
            ts = start + rng.uniform(0, 4 * MINUTE)
            s.add(ts, "LX", k, 10_000 * np.exp(rng.normal(0, 0.1)), "attack")
            if repeat:
                s.add(ts + 40 * MINUTE, "LY", k, None, "attack")
    if viral:
        for _ in range(120):  # LV at about 15x its share, real shoppers, organic stays
            ts = start + rng.uniform(0, 30 * MINUTE)
            s.add(ts, "LV", who, organic_stay(rng), "viral")
            who += 1
    return s


def window_of(s: Scene, until: int | None = None) -> tuple[ClickFrame, Window]:
    """The scene as a sweep sees it: its clicks charged, in a frame, and the look-back window
    ending at `until` (a minute after its last click by default)."""
    frame = ClickFrame()
    frame.upsert(
        ClickRecord(click_id=c.click_id, click=c, decision="charge", dwell_ms=s.dwell.get(c.click_id))
        for c in s.ordered()
    )
    until = until or max(c.ts for c in s.clicks) + MINUTE
    return frame, Window(frame, until, Settings().sweep_lookback_s * 1000)


def clicks_of(frame: ClickFrame, win: Window, found) -> set[str]:
    """The click ids of what a detector found (its window `rows`)."""
    return {frame.click_ids[i] for i in win.rows[found.rows]}


def persons_named(frame: ClickFrame, names) -> np.ndarray:
    """The frame's person ids of these source names ("a:acct7"), sorted: a campaign's holding."""
    ids = frame.names["source"].ids
    return np.array(sorted(ids[name] for name in names if name in ids), dtype=np.int32)


def ref_band(dwell_ms: np.ndarray, core_share: float, widen: float) -> tuple[float, float]:
    """One cohort's band the slow way, to test the grouped one: the densest window of sorted log stays."""
    d = np.sort(np.log(dwell_ms[np.isfinite(dwell_ms) & (dwell_ms > 0)]))
    k = max(2, int(np.ceil(core_share * len(d))))
    if len(d) < k:
        return float("nan"), float("nan")
    widths = d[k - 1 :] - d[: len(d) - k + 1]
    i = int(np.argmin(widths))
    pad = (d[i + k - 1] - d[i]) * widen
    return float(np.exp(d[i] - pad)), float(np.exp(d[i + k - 1] + pad))


def task_group(
    seed: int = 1,
    group: bool = True,
    members: int = 40,
    rounds: int = 6,
    shoppers: int = 800,
    deals: float = 0.5,
) -> Scene:
    """Four evening hours on 60 listings of 60 shops, honest shoppers browsing a few each (a share
    `deals` of them down one of three deals' search pages), a fifth coming back; with `group`, a
    paid task group: every 25 minutes the leader posts 6 of a pool of 36 listings outside the
    deals, and each member joins a round with p 0.5 and does 3 of its tasks within 12 minutes,
    staying 15-150 s (no script, no burst: a few clicks per listing a round)."""
    rng = np.random.default_rng(seed)
    s = Scene()
    listings = [f"L{i}" for i in range(60)]
    # A pre-sale evening's search pages: six top listings that every shopper of the deal browses.
    pages = [listings[6 * d : 6 * d + 6] for d in range(3)]
    who = 1000
    for _ in range(shoppers):  # 800: 3-4 clicks a minute, 1-5 listings each
        ts = T0 + rng.uniform(0, 240 * MINUTE)
        visits = 1 + 2 * int(rng.random() < 0.2)
        page = pages[rng.integers(3)] if rng.random() < deals else listings
        for v in range(visits):  # coming back to the same deal to compare again
            at = ts + v * rng.uniform(20, 90) * MINUTE
            for listing in rng.choice(page, size=int(rng.integers(1, 6)), replace=False):
                s.add(at, str(listing), who, organic_stay(rng))
                at += rng.uniform(0.3, 3) * MINUTE
        who += 1
    if group:
        pool = listings[24:]
        s.attackers = [f"acct{k}" for k in range(members)]
        for r in range(rounds):
            posted = T0 + (30 + 25 * r) * MINUTE
            tasks = rng.choice(pool, size=6, replace=False)
            for k in range(members):
                if rng.random() >= 0.5:
                    continue
                at = posted + rng.uniform(1, 5) * MINUTE
                for listing in rng.choice(tasks, size=3, replace=False):
                    s.add(at, str(listing), k, 15_000 * np.exp(rng.uniform(0, np.log(10))), "attack")
                    at += rng.uniform(1, 3) * MINUTE
    return s


def _with_big(big_pull: float) -> tuple[list[str], np.ndarray]:
    """30 listings of 30 shops and the two of shop BIG (LX, LY), each of BIG's at `big_pull` of
    another's pull; the pulls as probabilities."""
    listings = [f"L{i}" for i in range(30)] + ["LX", "LY"]
    pull = np.r_[np.ones(30), big_pull, big_pull]
    return listings, pull / pull.sum()


def drip(
    seed: int = 1,
    attack: bool = True,
    shoppers: int = 600,
    one_visit: float = 0.1,
    viral: bool = False,
    farm: bool = False,
    post: bool = False,
) -> Scene:
    """Six hours on 30 listings of 30 shops and the two listings of a small shop BIG (LX, LY, a
    tenth of their pull): honest shoppers clicking 2-6 of them (a share `one_visit` only one); with
    `attack`, a slow drip on BIG, 10 clicks an hour all along, each from a new identity and staying
    as a shopper would; with `viral`, 150 first-time shoppers on LV within 40 minutes, half of them
    going on to another listing; with `farm`, 200 new identities on LX within 20 minutes; with
    `post`, a social post's visitors on LX, logged out in a new webview each and clicking once: 60
    in its first 20 minutes, then 60 more over two hours as it fades."""
    rng = np.random.default_rng(seed)
    s = Scene()
    listings, pull = _with_big(0.1)
    who = 1000

    for _ in range(shoppers):
        at = T0 + rng.uniform(0, 330 * MINUTE)
        visits = 1 if rng.random() < one_visit else int(rng.integers(2, 7))
        for listing in rng.choice(listings, size=visits, replace=False, p=pull):
            s.add(at, str(listing), who, organic_stay(rng))
            at += rng.uniform(0.5, 5) * MINUTE
        who += 1
    if attack:
        for k in range(60):
            s.attackers.append(f"acct{who}")
            s.add(
                T0 + (k + rng.uniform(0, 1)) * 6 * MINUTE,
                "LX" if k % 2 else "LY",
                who,
                organic_stay(rng),
                "attack",
            )
            who += 1
    if farm:
        for _ in range(200):
            s.add(T0 + 120 * MINUTE + rng.uniform(0, 20 * MINUTE), "LX", who, organic_stay(rng), "attack")
            who += 1
    if post:
        start = T0 + 150 * MINUTE
        for at in np.r_[rng.uniform(0, 20, 60), 20 + rng.exponential(40, 60).clip(0, 120)]:
            s.add(start + at * MINUTE, "LX", who, organic_stay(rng), "viral", logged_in=False)
            who += 1
    if viral:
        for _ in range(150):
            at = T0 + 200 * MINUTE + rng.uniform(0, 40 * MINUTE)
            s.add(at, "LV", who, organic_stay(rng), "viral")
            if rng.random() < 0.5:
                s.add(
                    at + rng.uniform(1, 10) * MINUTE,
                    str(rng.choice(listings)),
                    who,
                    organic_stay(rng),
                    "viral",
                )
            who += 1
    return s


def software(
    seed: int = 1, attack: bool = True, logged_out: float = 0.15, stay_s: tuple[float, float] = (16, 26)
) -> Scene:
    """Six hours on 30 listings of 30 shops, ten listings to each of three keywords (kw0-kw2):
    honest shoppers clicking 2-6 of them with organic stays, a share `logged_out` of them without
    logging in; with `attack`, click software on kw0 for five hours, 100 clicks over its listings,
    each logged out from a new device, staying uniformly within `stay_s` seconds."""
    rng = np.random.default_rng(seed)
    s = Scene()
    listings = [f"L{i}" for i in range(30)]
    who = 1000
    for _ in range(600):
        at = T0 + rng.uniform(0, 330 * MINUTE)
        logged_in = rng.random() >= logged_out
        for i in rng.choice(30, size=int(rng.integers(2, 7)), replace=False):
            s.add(at, listings[i], who, organic_stay(rng), keyword=f"kw{i % 3}", logged_in=logged_in)
            at += rng.uniform(0.5, 5) * MINUTE
        who += 1
    if attack:
        for k in range(100):
            i = 3 * int(rng.integers(10))
            at = T0 + 50 * MINUTE + (k + rng.uniform(0, 1)) * 3 * MINUTE
            stay = rng.uniform(*stay_s) * 1000
            s.add(at, listings[i], who, stay, "attack", keyword="kw0", logged_in=False)
            who += 1
    return s


def browsing_crowd(
    seed: int = 1,
    attack: bool = True,
    members: int = 80,
    comeback: float = 0.2,
    shoppers: int = 600,
    regulars: int = 0,
) -> Scene:
    """Six hours on 30 listings of 30 shops and the two listings of a shop BIG (LX, LY, half the
    pull of another): honest shoppers clicking 2-6 of them with organic stays, a share `comeback`
    coming back an hour later to the same ones, and `regulars` who open LX or LY 12-30 times over
    the six hours (a shop's regular on a sale day), staying as shoppers do; with `attack`, a paid
    task group on BIG: `members` logged-in persons each clicking LX or LY three times at random
    over the six hours (no burst, no lockstep), staying as told to browse (log-normal around
    70 s)."""
    rng = np.random.default_rng(seed)
    s = Scene()
    listings, pull = _with_big(0.5)
    who = 1000
    for _ in range(shoppers):
        at = T0 + rng.uniform(0, 300 * MINUTE)
        chosen = rng.choice(listings, size=int(rng.integers(2, 7)), replace=False, p=pull)
        for visit in range(1 + int(rng.random() < comeback)):
            for listing in chosen:
                s.add(at + visit * 60 * MINUTE, str(listing), who, organic_stay(rng))
                at += rng.uniform(0.5, 5) * MINUTE
        who += 1
    for _ in range(regulars):
        for at in rng.uniform(0, 350 * MINUTE, int(rng.integers(12, 31))):
            s.add(T0 + at, "LX" if rng.random() < 0.5 else "LY", who, organic_stay(rng))
        who += 1
    if attack:
        for k in range(members):
            s.attackers.append(f"acct{k}")
            for at in rng.uniform(0, 350 * MINUTE, 3):
                stay = 70_000 * np.exp(rng.normal(0, 0.4))
                s.add(T0 + at, "LX" if rng.random() < 0.5 else "LY", k, stay, "attack")
    return s
