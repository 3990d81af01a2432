"""Deterministic, labelled simulator of a day of CPC sponsored-listing traffic on a Taobao-style marketplace.

The day mixes honest traffic (diurnal shoppers, sellers shopping their rivals, a pre-sale surge, a viral
listing) with the attacks reported in the Chinese press 2011-2017: the small sellers' "rival siege" run
from voice-chat rooms, the keyword sweep of high-price keywords, a hired click farm and plain bots.
Every random draw comes from a numpy Generator derived from ``SimConfig.seed`` and the component's
name, so a knob of one component does not reshuffle the others.
"""

from __future__ import annotations

import bisect
import gc
import json
import math
import zlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np

ATTACK_KINDS = ("rival_siege", "keyword_sweep", "click_farm", "bots")
CHINA = timezone(timedelta(hours=8))
MIN_MS = 60_000
HOUR_MS = 3_600_000
DAY_MS = 86_400_000
FEN = 10_000  # CPC prices move in steps of 0.01 CNY
MAX_BID = 20_000_000  # the dearest keywords top out around 20 CNY a click
MAX_DWELL_MS = 3_600_000  # a tab left open; the report is cut at an hour
SESSION_P = 0.36  # geometric session length, mean about 2.8 clicks
AD_SLOTS = (1.0, 0.62, 0.45, 0.36, 0.30, 0.26, 0.23, 0.21)  # click propensity by ad position

# Relative click traffic by China local hour: night trough, a late-morning and a larger evening peak.
# fmt: off
_DIURNAL = (0.45, 0.28, 0.16, 0.10, 0.07, 0.07, 0.12, 0.25, 0.45, 0.70, 0.92, 1.00,
            0.85, 0.78, 0.85, 0.88, 0.85, 0.78, 0.74, 0.82, 0.98, 1.10, 1.12, 0.85)
# fmt: on

# (category, traffic weight, ((keyword, typical CPC in CNY, search demand), ...))
_CATALOGUE = (
    (
        "女装",
        10.0,
        (
            ("连衣裙", 3.2, 10),
            ("毛呢外套", 4.5, 6),
            ("羽绒服女", 8.5, 8),
            ("韩版女装", 1.8, 5),
            ("打底衫", 0.9, 4),
            ("针织衫", 1.5, 4),
        ),
    ),
    (
        "男装",
        6.0,
        (("羽绒服男", 6.5, 6), ("夹克", 2.5, 4), ("卫衣男", 1.4, 4), ("衬衫男", 1.6, 3), ("休闲裤", 1.2, 3)),
    ),
    ("女鞋", 5.0, (("雪地靴", 3.0, 6), ("高跟鞋", 1.8, 4), ("短靴", 2.6, 4), ("单鞋", 1.0, 3))),
    ("内衣", 4.0, (("文胸", 1.2, 5), ("内衣女", 0.6, 5), ("保暖内衣", 1.5, 4), ("睡衣", 0.8, 3))),
    ("箱包", 3.5, (("女包", 2.4, 6), ("双肩包", 1.3, 4), ("钱包", 0.9, 3), ("拉杆箱", 3.5, 3))),
    ("美妆", 4.5, (("面膜", 1.6, 6), ("口红", 1.9, 4), ("护肤品套装", 4.8, 4), ("BB霜", 1.2, 3))),
    ("母婴", 3.5, (("奶粉", 5.5, 5), ("纸尿裤", 3.6, 5), ("婴儿推车", 7.5, 2), ("童装", 1.3, 4))),
    (
        "数码",
        4.0,
        (("手机壳", 0.5, 6), ("移动电源", 1.1, 4), ("耳机", 1.4, 4), ("手机", 9.0, 5), ("平板电脑", 12.0, 3)),
    ),
    ("家居", 3.0, (("四件套", 2.2, 5), ("羽绒被", 4.0, 3), ("窗帘", 1.7, 3), ("地毯", 1.5, 2))),
    ("家具", 2.0, (("定制衣柜", 18.0, 3), ("沙发", 9.5, 3), ("床垫", 8.0, 2), ("书桌", 2.6, 2))),
    ("食品", 3.0, (("坚果", 0.9, 5), ("茶叶", 1.8, 3), ("零食", 0.6, 5), ("蜂蜜", 1.0, 2))),
    ("运动户外", 2.5, (("跑步鞋", 2.1, 4), ("冲锋衣", 5.0, 3), ("瑜伽服", 1.1, 2), ("登山包", 2.4, 2))),
    ("婚庆", 1.0, (("婚纱", 9.0, 3), ("婚纱摄影", 20.0, 2), ("喜糖", 1.2, 2))),
    ("家电", 2.0, (("空气净化器", 11.0, 3), ("电暖器", 3.5, 3), ("加湿器", 1.8, 3))),
)

_DESKTOP_UAS = (
    "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/31.0.1650.63"
    " Safari/537.36",
    "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1; Trident/4.0; SLCC2; .NET CLR 2.0.50727; 360SE)",
    "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/31.0.1650.63"
    " Safari/537.36 SE 2.X MetaSr 1.0",
    "Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.1; WOW64; Trident/6.0)",
    "Mozilla/5.0 (Windows NT 5.1) AppleWebKit/537.1 (KHTML, like Gecko) Chrome/21.0.1180.89 Safari/537.1"
    " QQBrowser/7.4.14018.400",
    "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/30.0.1599.101"
    " Safari/537.36 LBBROWSER",
    "Mozilla/5.0 (Windows NT 6.1; WOW64; rv:25.0) Gecko/20100101 Firefox/25.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_0) AppleWebKit/537.71 (KHTML, like Gecko) Version/7.0"
    " Safari/537.71",
)
_DESKTOP_UA_P = (0.22, 0.24, 0.14, 0.1, 0.12, 0.06, 0.05, 0.07)
_MOBILE_UAS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 7_0_4 like Mac OS X) AppleWebKit/537.51.1 (KHTML, like Gecko)"
    " Mobile/11B554a AliApp(TB/4.1.2) WindVane/4.2.0",
    "Mozilla/5.0 (Linux; U; Android 4.2.2; zh-cn; MI 2S Build/JDQ39) AppleWebKit/534.30 (KHTML, like Gecko)"
    " Version/4.0 Mobile Safari/534.30 AliApp(TB/4.0.1) WindVane/4.1.0",
    "Mozilla/5.0 (Linux; U; Android 4.0.4; zh-cn; Lenovo A820 Build/IMM76D) AppleWebKit/534.30"
    " (KHTML, like Gecko) Version/4.0 Mobile Safari/534.30 AliApp(TB/3.9.6)",
    "Mozilla/5.0 (Linux; U; Android 4.1.2; zh-cn; GT-I9300 Build/JZO54K) AppleWebKit/534.30"
    " (KHTML, like Gecko) Version/4.0 UCBrowser/9.4.1.362 U3/0.8.0 Mobile Safari/533.1",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 6_1_3 like Mac OS X) AppleWebKit/536.26 (KHTML, like Gecko)"
    " Version/6.0 Mobile/10B329 Safari/8536.25",
    "Mozilla/5.0 (Linux; U; Android 4.3; zh-cn; HUAWEI G700-U00 Build/HuaweiG700-U00) AppleWebKit/534.30"
    " (KHTML, like Gecko) Version/4.0 Mobile Safari/534.30 MicroMessenger/5.1.0.66",
    "Mozilla/5.0 (iPad; CPU OS 7_0_3 like Mac OS X) AppleWebKit/537.51.1 (KHTML, like Gecko) Mobile/11B511"
    " AliApp(TB/4.1.0)",
    "Mozilla/5.0 (Linux; Android 4.4.2; Nexus 5 Build/KOT49H) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/31.0.1650.59 Mobile Safari/537.36",
)
_MOBILE_UA_P = (0.26, 0.2, 0.1, 0.14, 0.1, 0.1, 0.06, 0.04)
_BOT_UAS = {
    "crawler": (
        "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
        "Sogou web spider/4.0(+http://www.sogou.com/docs/help/webmasters.htm#07)",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "YisouSpider",
    ),
    "headless": (
        "Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/534.34 (KHTML, like Gecko) PhantomJS/1.9.2"
        " Safari/534.34",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/69.0.3497.100"
        " Safari/537.36",
    ),
    "script": (
        "python-requests/2.2.1 CPython/2.7.5 Linux/2.6.32",
        "Java/1.7.0_45",
        "curl/7.29.0",
        "Apache-HttpClient/4.2.5 (java 1.5)",
    ),
}
_BOT_VARIANTS = ("crawler", "headless", "script", "no_ua", "velocity")

# First octets of Chinese home broadband, mobile-carrier NAT egress and cloud/datacenter ranges.
# fmt: off
_BROADBAND_OCTETS = (58, 59, 60, 61, 110, 111, 113, 114, 115, 116, 119, 121, 122, 123, 124, 125, 171, 175,
                     180, 182, 183, 218, 219, 220, 221, 222)
# fmt: on
_CARRIER_PREFIXES = ("223.104", "117.136", "112.97", "120.204", "223.73", "211.97", "39.128")
_DATACENTER_PREFIXES = ("115.28", "42.96", "120.24", "121.40", "119.29", "106.75")


@dataclass
class SimConfig:
    """Knobs of a simulated span; defaults give a laptop-sized day of roughly 40k clicks."""

    seed: int = 1
    start: str = "2013-12-08T00:00:00+08:00"  # span start, event time
    hours: float = 24.0
    # marketplace
    n_advertisers: int = 240
    big_advertiser_share: float = 0.08  # Tmall-style flagship stores: many listings, top bids
    n_categories: int = 12  # at most len(_CATALOGUE)
    n_shoppers: int = 12_000
    organic_clicks: int = 20_000  # approximate honest baseline volume (shoppers and shopping sellers)
    seller_shopper_share: float = 0.06  # shoppers who own a shop (small advertisers are among them)
    nat_share: float = 0.3  # shoppers only ever online behind carrier NAT ips shared by many
    ipv6_share: float = 0.02  # mobile shoppers whose carrier hands out IPv6
    logged_out_share: float = 0.06  # desktop sessions browsing without logging in
    organic_dwell_shape: float = 0.7  # Weibull shape < 1: many bounces and a long tail
    organic_dwell_scale_ms: int = 30_000
    no_dwell_share: float = 0.15  # clicks whose dwell never gets reported (app closed, page killed)
    seller_main_account_share: float = 0.6  # shop owners who shop with the shop's own account
    seller_link_known: float = 0.7  # ad server attaches source.seller_id when that account shops
    seller_profile_known: float = 0.8  # honest shop owners with a profile (advertisers: always)
    attacker_profile_known: float = 0.5  # attacking sellers whose profile the platform has
    # honest bursts
    presale_surge: bool = True
    surge_multiplier: float = 4.0
    surge_hours: float = 2.0
    surge_local_hours: tuple[float, float] = (19.5, 20.5)  # window start, China time
    viral_listing: bool = True
    viral_multiplier: float = 15.0
    viral_hours: tuple[float, float] = (1.0, 2.0)
    viral_local_hours: tuple[float, float] = (11.0, 21.0)
    # attacks
    attacks: tuple[str, ...] = ATTACK_KINDS  # repeat a kind to get several instances
    attack_scale: float = 1.0  # multiplies attacker counts
    dwell_script_ms: int = 10_000  # "stay ten seconds on each product"
    dwell_jitter: float = 0.12  # sigma of the log of a scripted stay
    camouflage: float = 0.15  # share of attackers who also shop honestly, randomise their stay, spread out
    siege_members: tuple[int, int] = (300, 1200)
    siege_targets: tuple[int, int] = (2, 5)
    siege_hours: tuple[float, float] = (2.0, 5.0)
    siege_waves: tuple[int, int] = (3, 6)
    siege_clicks_per_member: tuple[int, int] = (2, 8)
    siege_same_category_share: float = 0.5  # members selling in the targets' categories
    siege_local_hours: tuple[float, float] = (13.0, 20.0)
    sweep_participants: tuple[int, int] = (200, 700)
    sweep_keywords: tuple[int, int] = (4, 8)
    sweep_minutes_per_keyword: tuple[float, float] = (5.0, 12.0)
    sweep_buyer_share: float = 0.35  # sympathetic buyers without a shop
    sweep_local_hours: tuple[float, float] = (13.0, 20.0)
    alliance_overlap: float = 0.5  # sweep sellers already in a siege's chat room
    farm_accounts: tuple[int, int] = (1000, 3000)
    farm_minutes: float = 30.0
    farm_dwell_ms: tuple[int, int] = (15_000, 40_000)
    farm_repeat_share: float = 0.3  # accounts told to click twice
    farm_reuse_share: float = 0.1  # accounts sharing a phone or proxy exit with another
    farm_local_hours: tuple[float, float] = (9.0, 23.0)
    bot_sources: tuple[int, int] = (3, 6)
    bot_clicks: tuple[int, int] = (100, 400)


@dataclass
class SimDay:
    """A simulated span: seller profiles, time-ordered click/dwell events, labels and attack truth."""

    config: SimConfig
    sellers: dict[str, dict]
    events: list[dict]
    labels: dict[str, dict]
    attacks: list[dict]
    scenario: dict = field(default_factory=dict)  # span, surge and viral windows

    def clicks(self) -> Iterator[dict]:
        """Yield the contract Click dicts in time order, as the ad server would send them."""
        return (e["click"] for e in self.events if e["type"] == "click")


@dataclass(slots=True)
class _Shop:
    seller_id: str
    categories: list[int]
    main_account: str
    link_known: bool
    profile: dict | None


@dataclass(slots=True)
class _Person:
    account_id: str
    devices: list[tuple[str, str, bool]]  # (device_id, user_agent, mobile)
    home_ip: str | None
    nat_ips: tuple[str, ...]
    v6_prefix: str | None
    prefs: tuple[int, ...]
    shop: _Shop | None = None
    history: list[tuple[int, str]] = field(default_factory=list)  # listings clicked earlier today


@dataclass(slots=True)
class _Listing:
    listing_id: str
    advertiser: int
    category: int
    bids: dict[str, int]  # keyword -> bid micros
    popularity: float = 0.0
    best_keyword: str = ""


@dataclass(slots=True)
class _Advertiser:
    seller_id: str
    big: bool
    categories: list[int]
    listings: list[int] = field(default_factory=list)


@dataclass
class _World:
    categories: list[str]
    keywords: dict[str, tuple[int, int, float]]  # keyword -> (category, base micros, demand)
    advertisers: list[_Advertiser]
    listings: list[_Listing]
    shown: dict[str, list[int]]  # keyword -> listings in ad-slot order
    pairs: list[tuple[list[float], list[tuple[int, str]]]]  # per category: cumulative p, (listing, keyword)
    cat_weight: np.ndarray  # zero for categories without ads
    active: list[int]  # categories with ads
    blocks: list[str]  # home broadband /24s
    nat_regions: list[tuple[str, ...]]
    shoppers: list[_Person]
    activity: np.ndarray


class _Draw:
    """Buffered scalar draws from one numpy Generator; per-click draws are the hot path."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self._u: list[float] = []
        self._z: list[float] = []

    def u(self) -> float:
        if not self._u:
            self._u = self.rng.random(4096).tolist()
        return self._u.pop()

    def z(self) -> float:
        if not self._z:
            self._z = self.rng.standard_normal(4096).tolist()
        return self._z.pop()

    def below(self, n: int) -> int:
        return min(int(self.u() * n), n - 1)

    def between(self, lo: int, hi: int) -> int:
        """Integer in [lo, hi]."""
        return lo + self.below(hi - lo + 1)

    def uniform(self, a: float, b: float) -> float:
        return a + (b - a) * self.u()

    def lognormal(self, median: float, sigma: float) -> float:
        return median * math.exp(sigma * self.z())

    def weibull(self, shape: float) -> float:
        return (-math.log1p(-self.u())) ** (1.0 / shape)

    def geometric(self, p: float) -> int:
        return 1 + int(math.log1p(-self.u()) / math.log1p(-p))

    def pick(self, seq):
        return seq[self.below(len(seq))]

    def weighted(self, seq, cum: list[float]):
        """seq item under cumulative weights cum (ending at 1.0)."""
        return seq[min(bisect.bisect_right(cum, self.u()), len(seq) - 1)]


def _cum(weights) -> list[float]:
    c = np.cumsum(np.asarray(weights, dtype=float))
    return (c / c[-1]).tolist()


_DESKTOP_CUM = _cum(_DESKTOP_UA_P)
_MOBILE_CUM = _cum(_MOBILE_UA_P)


class _Ids:
    """Hands out ids and ips that never collide, whatever stream draws them."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def fresh(self, d: _Draw, kind: str, prefix: str = "") -> str:
        while True:
            if kind == "account":
                v = f"u{d.between(10**9, 10**12)}"
            elif kind == "seller":
                v = f"S{d.between(10**7, 10**10)}"
            elif kind == "listing":
                v = str(d.between(10**10, 10**12))
            elif kind == "device":
                v = f"{d.below(2**52):013x}{d.below(2**52):013x}{d.below(2**24):06x}"
            else:  # an ip under prefix ("a" or "a.b"); fresh ones are what a farm buys
                parts = prefix.split(".") if prefix else []
                while len(parts) < 4:
                    parts.append(str(d.between(1, 254)))
                v = ".".join(parts)
            if v not in self.used:
                self.used.add(v)
                return v


@dataclass
class _Ctx:
    cfg: SimConfig
    world: _World
    ids: _Ids
    span: tuple[int, int]
    minute_w: np.ndarray
    records: list[dict] = field(default_factory=list)
    sellers: dict[str, dict] = field(default_factory=dict)
    alliance: list[_Person] = field(default_factory=list)  # sellers in the chat rooms
    exclude: set[int] = field(default_factory=set)  # listings kept clear of attacks (the viral one)


def _rng(seed: int, name: str, k: int = 0) -> np.random.Generator:
    # One stream per component and instance, so toggling one knob leaves the others' draws alone.
    return np.random.default_rng(
        np.random.SeedSequence(entropy=seed, spawn_key=(zlib.crc32(name.encode()), k))
    )


def _epoch_ms(text: str) -> int:
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=CHINA)
    return (dt - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)


def _minute_weights(span: tuple[int, int]) -> np.ndarray:
    # Diurnal weight of each minute of the span, interpolated between hourly values, China local time.
    n = math.ceil((span[1] - span[0]) / MIN_MS)
    mid = span[0] + np.arange(n) * MIN_MS + MIN_MS // 2
    local_h = ((mid + 8 * HOUR_MS) % DAY_MS) / HOUR_MS
    xp = np.arange(-1, 25) + 0.5
    fp = np.array((_DIURNAL[-1],) + _DIURNAL + (_DIURNAL[0],))
    w = np.interp(local_h, xp, fp)
    w[-1] *= (span[1] - span[0] - (n - 1) * MIN_MS) / MIN_MS
    return w


def _mass(ctx: _Ctx, a: int, b: int) -> float:
    i, j = (max(0, (t - ctx.span[0]) // MIN_MS) for t in (a, b))
    return float(ctx.minute_w[i:j].sum())


def _sample_times(d: _Draw, ctx: _Ctx, n: int, a: int | None = None, b: int | None = None) -> list[int]:
    # Times following the diurnal curve inside [a, b).
    a = ctx.span[0] if a is None else a
    b = ctx.span[1] if b is None else b
    i, j = (a - ctx.span[0]) // MIN_MS, math.ceil((b - ctx.span[0]) / MIN_MS)
    w = ctx.minute_w[i:j]
    idx = d.rng.choice(len(w), size=n, p=w / w.sum())
    t = a - (a - ctx.span[0]) % MIN_MS + idx * MIN_MS + d.rng.integers(0, MIN_MS, size=n)
    return np.clip(t, a, b - 1).tolist()


def _place(
    d: _Draw, ctx: _Ctx, local_hours: tuple[float, float], dur_ms: float, anywhere: bool = True
) -> tuple[int, int] | None:
    """A window of dur_ms starting at the preferred China local hours.

    A span without those hours gets the window anywhere (attacks), or none at all (honest bursts, which
    also need normal traffic around them to be bursts).
    """
    s0, s1 = ctx.span
    if not anywhere and dur_ms > (s1 - s0) / 2:
        return None
    dur = int(min(dur_ms, s1 - s0))
    latest = s1 - dur
    segs = []
    day = (s0 + 8 * HOUR_MS) // DAY_MS * DAY_MS - 8 * HOUR_MS
    while day <= latest:
        a, b = max(s0, day + int(local_hours[0] * HOUR_MS)), min(latest, day + int(local_hours[1] * HOUR_MS))
        if b >= a:
            segs.append((a, b))
        day += DAY_MS
    if not segs:
        return (d.between(s0, latest), dur) if anywhere else None
    a, b = d.weighted(segs, _cum([b - a + 1 for a, b in segs]))
    return d.between(a, b), dur


def _person(
    d: _Draw,
    world: _World,
    ids: _Ids,
    cfg: SimConfig,
    prefs: tuple[int, ...],
    desktop_share: float,
    nat_share: float,
) -> _Person:
    """A human with ordinary devices: a home broadband ip and/or a carrier NAT region."""
    mobile_only = d.u() < nat_share
    desktop_first = not mobile_only and d.u() < desktop_share
    kinds = [not desktop_first]
    if not mobile_only and d.u() < 0.2:  # phone plus PC
        kinds.append(desktop_first)
    devices = []
    for mobile in kinds:
        ua = d.weighted(_MOBILE_UAS, _MOBILE_CUM) if mobile else d.weighted(_DESKTOP_UAS, _DESKTOP_CUM)
        devices.append((ids.fresh(d, "device"), ua, mobile))
    home = None if mobile_only else f"{d.pick(world.blocks)}.{d.between(2, 254)}"
    if home:
        ids.used.add(home)  # households may share it, but a farm's bought ips must not
    v6 = (
        f"2409:8a{d.below(256):02x}:{d.below(65536):x}:{d.below(65536):x}" if d.u() < cfg.ipv6_share else None
    )
    return _Person(ids.fresh(d, "account"), devices, home, d.pick(world.nat_regions), v6, prefs)


def _open_shop(d: _Draw, ids: _Ids, cfg: SimConfig, p: _Person, cats: list[int], known: float) -> _Shop:
    """Give a person a shop; the platform's profile of it holds only part of the owner's identities."""
    main = p.account_id if d.u() < cfg.seller_main_account_share else ids.fresh(d, "account")
    profile = None
    if d.u() < known:
        accounts = [main] + ([ids.fresh(d, "account")] if d.u() < 0.2 else [])  # customer-service sub-account
        devices = [dev[0] for dev in p.devices if d.u() < 0.6]
        ips = []
        if p.home_ip and d.u() < 0.8:
            ips.append(p.home_ip)
        elif d.u() < 0.3:  # last login came through a carrier NAT ip that many others share
            ips.append(d.pick(p.nat_ips))
        profile = {"account_ids": accounts, "device_ids": devices, "ips": ips}
    p.shop = _Shop(ids.fresh(d, "seller"), cats, main, d.u() < cfg.seller_link_known, profile)
    return p.shop


def _profile_body(world: _World, cats: list[int], profile: dict) -> dict:
    return {"categories": [world.categories[c] for c in cats], **profile}


def _build_world(cfg: SimConfig, ids: _Ids, sellers: dict[str, dict]) -> _World:
    """Categories, keyword auctions, advertisers with listings, and the shopper population."""
    d = _Draw(_rng(cfg.seed, "world"))
    cats = _CATALOGUE[: cfg.n_categories]
    keywords = {
        kw: (ci, int(price * 1_000_000), float(dm)) for ci, c in enumerate(cats) for kw, price, dm in c[2]
    }
    cat_p = np.array([c[1] for c in cats]) / sum(c[1] for c in cats)
    cat_cum = _cum(cat_p)
    blocks = [
        f"{d.pick(_BROADBAND_OCTETS)}.{d.below(256)}.{d.below(256)}"
        for _ in range(max(50, cfg.n_shoppers // 3))
    ]
    nat_ips = [
        ids.fresh(d, "ip", d.pick(_CARRIER_PREFIXES))
        for _ in range(max(16, int(cfg.n_shoppers * cfg.nat_share / 30)))
    ]
    nat_regions = [tuple(nat_ips[i : i + 8]) for i in range(0, len(nat_ips), 8)]
    world = _World(
        [c[0] for c in cats], keywords, [], [], {}, [], cat_p, [], blocks, nat_regions, [], np.empty(0)
    )

    # Shoppers: a few preferred categories each, heavy-tailed activity, some own a shop.
    pref_draws = d.rng.choice(len(cats), size=(cfg.n_shoppers, 3), p=cat_p)
    for row in pref_draws:
        prefs = tuple(sorted({int(c) for c in row[: d.between(1, 3)]}))
        p = _person(d, world, ids, cfg, prefs, 0.45, cfg.nat_share)
        if world.shoppers and p.home_ip and d.u() < 0.1:  # family members at one home ip
            p.home_ip = world.shoppers[-1].home_ip or p.home_ip
        if d.u() < cfg.seller_shopper_share:
            _open_shop(d, ids, cfg, p, [d.pick(prefs)], cfg.seller_profile_known)
        world.shoppers.append(p)
    world.activity = d.rng.lognormal(0.0, 1.0, size=len(world.shoppers))
    world.activity /= world.activity.sum()

    # Advertisers: a few big stores with staff identities, the rest small shops owned by shopping sellers.
    n_big = max(1, round(cfg.n_advertisers * cfg.big_advertiser_share))
    owners = [p for p in world.shoppers if p.shop]
    for a in range(cfg.n_advertisers):
        big = a < n_big
        if big:
            acats = sorted({d.weighted(range(len(cats)), cat_cum) for _ in range(d.between(1, 3))})
            office = d.pick(world.blocks)
            staff = d.between(3, 8)
            sid = ids.fresh(d, "seller")
            sellers[sid] = _profile_body(
                world,
                acats,
                {
                    "account_ids": [ids.fresh(d, "account") for _ in range(staff)],
                    "device_ids": [ids.fresh(d, "device") for _ in range(staff)],
                    "ips": sorted({f"{office}.{d.between(2, 30)}" for _ in range(d.between(1, 3))}),
                },
            )
        else:
            owner = owners[a - n_big] if a - n_big < len(owners) else None
            # More small advertisers than shopping sellers: an owner who does not shop today.
            if owner is None:
                owner = _person(
                    d, world, ids, cfg, (d.weighted(range(len(cats)), cat_cum),), 0.6, cfg.nat_share
                )
                _open_shop(d, ids, cfg, owner, [owner.prefs[0]], 1.0)
            shop = owner.shop
            if shop.profile is None:  # the platform always knows its advertisers
                shop.profile = {
                    "account_ids": [shop.main_account],
                    "device_ids": [owner.devices[0][0]],
                    "ips": [owner.home_ip] if owner.home_ip else [],
                }
            sid, acats = shop.seller_id, shop.categories
            sellers[sid] = _profile_body(world, acats, shop.profile)
        adv = _Advertiser(sid, big, acats)
        world.advertisers.append(adv)
        for _ in range(d.between(12, 40) if big else d.between(1, 6)):
            ci = d.pick(acats)
            kws = [k[0] for k in cats[ci][2]]
            demand = np.array([k[2] for k in cats[ci][2]], dtype=float)
            chosen = d.rng.choice(
                len(kws), size=min(len(kws), d.between(2, 4)), replace=False, p=demand / demand.sum()
            )
            bids = {}
            for k in chosen:
                bid = d.lognormal(keywords[kws[k]][1], 0.3) * (1.25 if big else 1.0)  # flagships outbid
                bids[kws[k]] = int(min(max(round(bid / FEN) * FEN, 5 * FEN), MAX_BID))
            adv.listings.append(len(world.listings))
            world.listings.append(_Listing(ids.fresh(d, "listing"), a, ci, bids))
    for p in owners:  # honest shopping sellers that do not advertise
        if p.shop.profile is not None and p.shop.seller_id not in sellers:
            sellers[p.shop.seller_id] = _profile_body(world, p.shop.categories, p.shop.profile)

    # Auction: per keyword the top bids x quality fill the ad slots; clicks follow slot and demand.
    quality = d.rng.lognormal(0.0, 0.5, size=len(world.listings)).tolist()
    by_kw: dict[str, list[int]] = {}
    for li, lst in enumerate(world.listings):
        for kw in lst.bids:
            by_kw.setdefault(kw, []).append(li)
    cat_pairs: list[list[tuple[float, int, str]]] = [[] for _ in cats]
    for kw, lis in by_kw.items():
        shown = sorted(lis, key=lambda li: -world.listings[li].bids[kw] * quality[li])[: len(AD_SLOTS)]
        world.shown[kw] = shown
        ci, _, demand = keywords[kw]
        for pos, li in enumerate(shown):
            cat_pairs[ci].append((demand * AD_SLOTS[pos] * quality[li], li, kw))
    best: dict[int, float] = {}
    for ci, pairs in enumerate(cat_pairs):
        total = sum(p[0] for p in pairs) or 1.0
        world.pairs.append((_cum([p[0] for p in pairs]) if pairs else [], [(p[1], p[2]) for p in pairs]))
        for wt, li, kw in pairs:
            share = wt / total * cat_p[ci]
            if share > best.get(li, 0.0):  # the keyword that brings this listing most of its clicks
                best[li] = share
                world.listings[li].best_keyword = kw
            world.listings[li].popularity += share
    world.active = [ci for ci, (_, pairs) in enumerate(world.pairs) if pairs]
    world.cat_weight = cat_p * np.array([bool(p[1]) for p in world.pairs])
    return world


def _source(d: _Draw, cfg: SimConfig, p: _Person) -> dict:
    """The source block of one visit: device, ip (home, or carrier NAT when out), account, linked shop."""
    dev_id, ua, mobile = d.pick(p.devices)
    if mobile and (p.home_ip is None or d.u() < 0.35):
        if p.v6_prefix:  # privacy addresses: a new interface id inside the carrier's /64
            iid = ":".join(f"{d.between(1, 65535):x}" for _ in range(4))
            ip = f"{p.v6_prefix}:{iid}"
        else:
            ip = d.pick(p.nat_ips)
    else:
        ip = p.home_ip
    src = {"ip": ip, "device_id": dev_id, "user_agent": ua}
    if mobile or d.u() >= cfg.logged_out_share:
        src["account_id"] = p.account_id
        if p.shop and p.shop.main_account == p.account_id and p.shop.link_known:
            src["seller_id"] = p.shop.seller_id
    return src


def _record(
    ctx: _Ctx,
    d: _Draw,
    li: int,
    kw: str,
    ts: float,
    src: dict,
    dwell: int | None,
    traffic: str,
    attack_id: str | None = None,
    kind: str | None = None,
) -> None:
    # The charged CPC sits a little under the bid (next bidder's price plus a fen).
    cost = max(FEN, round(ctx.world.listings[li].bids[kw] * d.uniform(0.75, 1.0) / FEN) * FEN)
    ctx.records.append(
        {
            "ts": int(ts),
            "li": li,
            "kw": kw,
            "cost": cost,
            "src": src,
            "dwell": dwell,
            "traffic": traffic,
            "attack_id": attack_id,
            "attack": kind,
        }
    )


def _human_dwell(d: _Draw, cfg: SimConfig, scale: float = 1.0) -> int:
    # Page load floor plus a Weibull stay: shape < 1 gives many bounces and a long tail.
    return int(
        min(MAX_DWELL_MS, 250 + d.weibull(cfg.organic_dwell_shape) * cfg.organic_dwell_scale_ms * scale)
    )


def _reported(d: _Draw, share_missing: float, dwell: int) -> int | None:
    return None if d.u() < share_missing else dwell


def _browse(
    ctx: _Ctx,
    d: _Draw,
    p: _Person,
    t: float,
    traffic: str,
    n_clicks: int,
    first: tuple[int, str] | None = None,
    revisit: bool = False,
) -> None:
    """An honest shopping session: sequential clicks in one or two categories, human dwell, pauses."""
    cfg, world = ctx.cfg, ctx.world
    src = _source(d, cfg, p)
    own = p.shop.categories[0] if p.shop else None
    prefs = [c for c in p.prefs if world.cat_weight[c] > 0] or world.active
    cat = d.pick(prefs)
    if own is not None and world.cat_weight[own] > 0 and d.u() < 0.4:  # sizing up rivals in own category
        cat = own
    opened: set[int] = set()
    for j in range(n_clicks):
        if j == 0 and first:
            li, kw = first
        elif revisit and p.history and d.u() < 0.1 and p.history[0][0] not in opened:
            li, kw = p.history[0]  # back to a listing seen in an earlier session today
        else:
            if j and d.u() < 0.15:
                cat = d.pick(prefs)
            cum, pairs = world.pairs[cat]
            # One session rarely opens the same ad twice: popular listings are drawn again, so
            # redraw before accepting a repeat.
            for _ in range(20):
                li, kw = d.weighted(pairs, cum)
                if li not in opened:
                    break
        opened.add(li)
        if p.shop and world.advertisers[world.listings[li].advertiser].seller_id == p.shop.seller_id:
            continue  # sellers do not pay to visit their own listings
        # Rivals' pages in one's own category get studied a little longer.
        dwell = _human_dwell(d, cfg, 1.4 if world.listings[li].category == own else 1.0)
        _record(ctx, d, li, kw, t, src, _reported(d, cfg.no_dwell_share, dwell), traffic)
        if revisit:
            p.history.append((li, kw))
        t += dwell + d.lognormal(12_000, 0.9)


def _organic(ctx: _Ctx) -> int:
    """Diurnal sessions of the shopper population; returns the number of sessions."""
    d = _Draw(_rng(ctx.cfg.seed, "organic"))
    n = max(1, round(ctx.cfg.organic_clicks * SESSION_P))
    starts = _sample_times(d, ctx, n)
    who = d.rng.choice(len(ctx.world.shoppers), size=n, p=ctx.world.activity).tolist()
    for i in np.argsort(starts, kind="stable").tolist():
        p = ctx.world.shoppers[who[i]]
        _browse(
            ctx,
            d,
            p,
            starts[i],
            "seller_shopper" if p.shop else "organic",
            d.geometric(SESSION_P),
            revisit=True,
        )
    return n


def _surge(ctx: _Ctx, n_sessions: int) -> dict | None:
    """Pre-sale evening: extra real sessions so that the window runs at surge_multiplier x normal."""
    cfg = ctx.cfg
    d = _Draw(_rng(cfg.seed, "surge"))
    window = _place(d, ctx, cfg.surge_local_hours, cfg.surge_hours * HOUR_MS, anywhere=False)
    if window is None:
        return None
    a, dur = window
    extra = round((cfg.surge_multiplier - 1) * n_sessions * _mass(ctx, a, a + dur) / ctx.minute_w.sum())
    who = d.rng.choice(len(ctx.world.shoppers), size=extra, p=ctx.world.activity).tolist()
    for t, w in zip(_sample_times(d, ctx, extra, a, a + dur), who, strict=True):
        _browse(ctx, d, ctx.world.shoppers[w], t, "surge", d.geometric(SESSION_P))
    return {"start_ms": a, "end_ms": a + dur, "multiplier": cfg.surge_multiplier, "sessions": extra}


def _viral_listing(ctx: _Ctx) -> int:
    # A well-clicked listing (not the very top) is the kind a celebrity or a Weibo post makes explode.
    d = _Draw(_rng(ctx.cfg.seed, "viral"))
    counts = np.bincount([r["li"] for r in ctx.records], minlength=len(ctx.world.listings))
    return int(d.pick(np.argsort(-counts, kind="stable")[3:30]))


def _viral(ctx: _Ctx, li: int) -> dict | None:
    """One listing at viral_multiplier x its normal rate, clicked by real shoppers who keep browsing."""
    cfg, world = ctx.cfg, ctx.world
    d = _Draw(_rng(cfg.seed, "viral", 1))
    window = _place(d, ctx, cfg.viral_local_hours, d.uniform(*cfg.viral_hours) * HOUR_MS, anywhere=False)
    if window is None:
        return None
    a, dur = window
    base = sum(1 for r in ctx.records if r["li"] == li and r["traffic"] in ("organic", "seller_shopper"))
    target = round((cfg.viral_multiplier - 1) * base * _mass(ctx, a, a + dur) / ctx.minute_w.sum())
    lst = world.listings[li]
    kws = list(lst.bids)
    made = 0
    # Interest rises fast and fades; the visitors are anyone, not just the day's heavy users.
    while made < target:
        kw = lst.best_keyword if d.u() < 0.7 else d.pick(kws)
        before = len(ctx.records)
        _browse(
            ctx,
            d,
            d.pick(world.shoppers),
            a + d.rng.beta(1.5, 3.0) * dur,
            "viral",
            d.geometric(0.55),
            first=(li, kw),
        )
        made += sum(1 for r in ctx.records[before:] if r["li"] == li)
    return {
        "listing_id": lst.listing_id,
        "advertiser_id": world.advertisers[lst.advertiser].seller_id,
        "start_ms": a,
        "end_ms": a + dur,
        "multiplier": cfg.viral_multiplier,
        "baseline_clicks": base,
    }


def _attacker(ctx: _Ctx, d: _Draw, cats: list[int] | None, desktop_share: float) -> _Person:
    """A real person in the chat room: own ordinary devices and ips; a shop when cats is given."""
    cfg, world = ctx.cfg, ctx.world
    prefs = tuple(sorted({*(cats or []), d.pick(world.active)}))
    p = _person(d, world, ctx.ids, cfg, prefs, desktop_share, cfg.nat_share * 0.5)
    if cats:
        shop = _open_shop(d, ctx.ids, cfg, p, cats, cfg.attacker_profile_known)
        if shop.profile is not None:
            ctx.sellers[shop.seller_id] = _profile_body(world, cats, shop.profile)
    return p


def _camouflage(ctx: _Ctx, d: _Draw, p: _Person) -> None:
    # A camouflaged attacker also shops honestly during the day; those clicks are legitimate.
    for t in _sample_times(d, ctx, d.between(1, 3)):
        _browse(ctx, d, p, t, "seller_shopper" if p.shop else "organic", d.geometric(SESSION_P))


def _attack_dwell(ctx: _Ctx, d: _Draw, camo: bool) -> int | None:
    # Told to "stay ten seconds": a stay near the script, unless camouflaged into a human-looking one.
    cfg = ctx.cfg
    dwell = (
        _human_dwell(d, cfg) if camo else int(cfg.dwell_script_ms * math.exp(0.03 + cfg.dwell_jitter * d.z()))
    )
    return _reported(d, 0.05, dwell)


def _scaled(d: _Draw, lo_hi: tuple[int, int], scale: float) -> int:
    return max(1, round(d.between(*lo_hi) * scale))


def _rival_siege(ctx: _Ctx, d: _Draw, aid: str) -> dict:
    """2011/2013 siege: chat-room waves of small sellers clicking big rivals' hot listings, ~10 s each."""
    cfg, world = ctx.cfg, ctx.world
    big = [i for i, a in enumerate(world.advertisers) if a.big]
    targets = d.rng.permutation(big)[: d.between(*cfg.siege_targets)].tolist()
    hot: dict[int, list[int]] = {}
    for t in targets:
        lis = sorted(
            (
                li
                for li in world.advertisers[t].listings
                if world.listings[li].popularity > 0 and li not in ctx.exclude
            ),
            key=lambda li: -world.listings[li].popularity,
        )
        hot[t] = lis[: d.between(3, 8)]
    targets = [t for t in targets if hot[t]]
    if not targets:
        return {}
    target_cats = sorted({c for t in targets for c in world.advertisers[t].categories})
    start, dur = _place(d, ctx, cfg.siege_local_hours, d.uniform(*cfg.siege_hours) * HOUR_MS)
    n_waves = d.between(*cfg.siege_waves)
    waves = sorted(
        [start] + [int(start + d.uniform(0, max(dur - 20 * MIN_MS, 1))) for _ in range(n_waves - 1)]
    )
    # Each announcement names one or two of the targets.
    focus = [[li for t in targets if d.u() < 0.4 for li in hot[t]] or hot[d.pick(targets)] for _ in waves]
    members = []
    for _ in range(_scaled(d, cfg.siege_members, cfg.attack_scale)):
        cat = d.pick(target_cats) if d.u() < cfg.siege_same_category_share else d.pick(world.active)
        m = _attacker(ctx, d, [cat], 0.7)  # voice rooms run on PCs
        members.append(m)
        camo = d.u() < cfg.camouflage
        spread = camo and d.u() < 0.5
        joined = sorted(d.rng.permutation(n_waves)[: 1 + int(d.rng.binomial(n_waves - 1, 0.35))].tolist())
        per_wave = d.rng.multinomial(d.between(*cfg.siege_clicks_per_member), [1 / len(joined)] * len(joined))
        for w, c in zip(joined, per_wave.tolist(), strict=True):
            src = _source(d, cfg, m)
            t = start + d.uniform(0, dur) if spread else waves[w] + d.lognormal(120_000, 0.8)
            for _ in range(c):
                li = d.pick(focus[w])
                dwell = _attack_dwell(ctx, d, camo)
                _record(
                    ctx, d, li, world.listings[li].best_keyword, t, src, dwell, "attack", aid, "rival_siege"
                )
                t += (dwell or cfg.dwell_script_ms) + d.uniform(3_000, 15_000)
        if camo:
            _camouflage(ctx, d, m)
    ctx.alliance.extend(members)
    return {
        "targets": {
            "advertiser_ids": [world.advertisers[t].seller_id for t in targets],
            "listing_ids": [world.listings[li].listing_id for t in targets for li in hot[t]],
            "keywords": sorted({world.listings[li].best_keyword for t in targets for li in hot[t]}),
        },
        "planned": {"start_ms": start, "end_ms": start + dur, "waves_ms": waves},
        "seller_ids": [m.shop.seller_id for m in members],
    }


def _keyword_sweep(ctx: _Ctx, d: _Draw, aid: str) -> dict:
    """2013 sweep: high-price keywords announced one at a time; participants click each one's top ads."""
    cfg, world = ctx.cfg, ctx.world
    rich = sorted(
        (kw for kw, (_, base, _) in world.keywords.items() if base >= 3_000_000 and world.shown.get(kw)),
        key=lambda kw: -world.keywords[kw][1] * world.keywords[kw][2],
    )[:15]
    if not rich:
        return {}
    kws = [rich[i] for i in d.rng.permutation(len(rich))[: d.between(*cfg.sweep_keywords)].tolist()]
    start, _ = _place(d, ctx, cfg.sweep_local_hours, len(kws) * 15 * MIN_MS)
    n = _scaled(d, cfg.sweep_participants, cfg.attack_scale)
    n_buyers = round(n * cfg.sweep_buyer_share)
    n_sellers = n - n_buyers
    reuse = min(len(ctx.alliance), round(n_sellers * cfg.alliance_overlap))
    people = [ctx.alliance[i] for i in d.rng.permutation(len(ctx.alliance))[:reuse].tolist()]
    people += [_attacker(ctx, d, [d.pick(world.active)], 0.7) for _ in range(n_sellers - reuse)]
    people += [_attacker(ctx, d, None, 0.5) for _ in range(n_buyers)]
    keen = [d.uniform(0.4, 0.85) for _ in people]
    camo = [d.u() < cfg.camouflage for _ in people]
    t0 = float(start)
    schedule = []
    for kw in kws:
        minutes = d.uniform(*cfg.sweep_minutes_per_keyword)
        shown = world.shown[kw]
        slot_cum = _cum(AD_SLOTS[: len(shown)])
        hit: set[int] = set()
        for p, k, c in zip(people, keen, camo, strict=True):
            if d.u() >= k:
                continue
            src = _source(d, cfg, p)
            t = t0 + min(d.lognormal(60_000, 0.8), minutes * MIN_MS)
            # "Rank near the top" ads: slots drawn by position, clicked top to bottom.
            for s in sorted({d.weighted(range(len(shown)), slot_cum) for _ in range(d.between(2, 5))}):
                li = shown[s]
                if p.shop and world.advertisers[world.listings[li].advertiser].seller_id == p.shop.seller_id:
                    continue
                hit.add(li)
                dwell = _attack_dwell(ctx, d, c)
                _record(ctx, d, li, kw, t, src, dwell, "attack", aid, "keyword_sweep")
                t += (dwell or cfg.dwell_script_ms) + d.uniform(3_000, 12_000)
        schedule.append(
            {
                "keyword": kw,
                "start_ms": int(t0),
                "end_ms": int(t0 + minutes * MIN_MS),
                "advertiser_ids": sorted(
                    {world.advertisers[world.listings[li].advertiser].seller_id for li in hit}
                ),
                "listing_ids": sorted(world.listings[li].listing_id for li in hit),
            }
        )
        t0 += minutes * MIN_MS + d.uniform(2, 10) * MIN_MS
    for p, c in zip(people, camo, strict=True):
        if c:
            _camouflage(ctx, d, p)
    return {
        "targets": {
            "advertiser_ids": sorted({a for s in schedule for a in s["advertiser_ids"]}),
            "listing_ids": sorted({li for s in schedule for li in s["listing_ids"]}),
            "keywords": kws,
        },
        "planned": {"start_ms": start, "end_ms": int(t0), "schedule": schedule},
        "seller_ids": [p.shop.seller_id for p in people if p.shop],
    }


def _click_farm(ctx: _Ctx, d: _Draw, aid: str) -> dict:
    """2016-17 reverse brushing: a rival hires a farm; thousands of fresh identities hit one cheap listing."""
    cfg, world = ctx.cfg, ctx.world
    ok = [
        li
        for li, lst in enumerate(world.listings)
        if lst.popularity > 0 and li not in ctx.exclude and not world.advertisers[lst.advertiser].big
    ]
    cheap = [li for li in ok if min(world.listings[li].bids.values()) <= 1_200_000] or ok
    if not cheap:
        return {}
    li = d.weighted(cheap, _cum([world.listings[x].popularity for x in cheap]))
    lst = world.listings[li]
    kws = sorted(lst.bids, key=lambda k: lst.bids[k])  # the task card names the cheap keyword that shows it
    owner = world.advertisers[lst.advertiser]
    rivals = [a.seller_id for a in world.advertisers if lst.category in a.categories and a is not owner]
    hirer = d.pick(rivals) if rivals else None
    start, dur = _place(d, ctx, cfg.farm_local_hours, cfg.farm_minutes * MIN_MS)
    devices: list[tuple[str, str]] = []
    ips: list[str] = []
    prefixes = [str(o) for o in _BROADBAND_OCTETS] + list(_CARRIER_PREFIXES)
    for _ in range(_scaled(d, cfg.farm_accounts, cfg.attack_scale)):
        if devices and d.u() < cfg.farm_reuse_share:  # one phone, several accounts
            dev = d.pick(devices)
        else:
            mobile = d.u() < 0.85
            dev = (
                ctx.ids.fresh(d, "device"),
                d.weighted(_MOBILE_UAS, _MOBILE_CUM) if mobile else d.weighted(_DESKTOP_UAS, _DESKTOP_CUM),
            )
            devices.append(dev)
        if ips and d.u() < cfg.farm_reuse_share:  # a proxy exit serving several accounts
            ip = d.pick(ips)
        else:
            ip = ctx.ids.fresh(d, "ip", d.pick(prefixes))
            ips.append(ip)
        src = {"ip": ip, "device_id": dev[0], "user_agent": dev[1], "account_id": ctx.ids.fresh(d, "account")}
        t = start + d.rng.beta(1.6, 1.6) * dur
        kw = kws[0] if d.u() < 0.8 else d.pick(kws)
        others = [x for x in world.shown.get(kw, []) if x != li]
        if others and d.u() < cfg.camouflage:  # "compare three shops" before the target, as task cards say
            for o in {d.pick(others) for _ in range(d.between(1, 2))}:
                dwell = d.between(*cfg.farm_dwell_ms)
                _record(ctx, d, o, kw, t, src, _reported(d, 0.02, dwell), "attack", aid, "click_farm")
                t += dwell + d.uniform(3_000, 10_000)
        for again in range(2 if d.u() < cfg.farm_repeat_share else 1):
            if again:  # back a few minutes later, still inside the task window when there is room
                t = d.uniform(t + 30_000, max(t + MIN_MS, start + dur))
            dwell = d.between(*cfg.farm_dwell_ms)
            _record(ctx, d, li, kw, t, src, _reported(d, 0.02, dwell), "attack", aid, "click_farm")
            t += dwell
    return {
        "targets": {"advertiser_ids": [owner.seller_id], "listing_ids": [lst.listing_id], "keywords": kws},
        "planned": {"start_ms": start, "end_ms": start + dur},
        "hirer_seller_id": hirer,
        "seller_ids": [],
    }


def _bot(ctx: _Ctx, d: _Draw, aid: str, variant: str) -> dict:
    """One automated source: crawler, headless browser, HTTP script, no user agent, or inhuman speed."""
    cfg, world = ctx.cfg, ctx.world
    n = d.between(*cfg.bot_clicks)
    gap = d.uniform(500, 3_000) if variant == "velocity" else d.uniform(3_000, 12_000)
    start = ctx.span[0] + d.uniform(0, max(1, ctx.span[1] - ctx.span[0] - n * gap))
    dc = d.pick(_DATACENTER_PREFIXES)
    ips = [ctx.ids.fresh(d, "ip", dc) for _ in range(d.between(2, 4) if variant == "script" else 1)]
    src: dict = {}
    if variant in _BOT_UAS:
        src["user_agent"] = d.pick(_BOT_UAS[variant])
    if variant == "velocity":  # an auto-clicker on an ordinary logged-in PC, pointed at one rival
        p = _person(d, world, ctx.ids, cfg, (world.active[0],), 1.0, 0.0)
        ips = [p.home_ip]
        src = {"device_id": p.devices[0][0], "user_agent": p.devices[0][1], "account_id": p.account_id}
        adv = d.pick(world.advertisers)
        plan = [
            (li, kw) for li in adv.listings for kw in world.listings[li].bids if li in world.shown.get(kw, [])
        ]
    else:  # crawling result pages keyword by keyword, following every ad
        plan = [(li, kw) for kw in d.rng.permutation(sorted(world.shown)).tolist() for li in world.shown[kw]]
    if not plan:
        return {}
    t = start
    for j in range(n):
        li, kw = plan[j % len(plan)]
        s = {"ip": ips[j % len(ips)], **src}
        dwell = None
        if variant == "headless":  # no cookie jar: a new fingerprint every time; JS runs half the time
            s["device_id"] = ctx.ids.fresh(d, "device")
            dwell = d.between(100, 1_500) if d.u() < 0.5 else None
        elif variant == "velocity" and d.u() < 0.8:
            dwell = d.between(300, 2_500)
        _record(ctx, d, li, kw, t, s, dwell, "bot", aid, "bots")
        t += 200 - gap * math.log1p(-d.u())
    used = plan[:n]
    return {
        "variant": variant,
        "targets": {
            "advertiser_ids": sorted(
                {world.advertisers[world.listings[li].advertiser].seller_id for li, _ in used}
            ),
            "listing_ids": sorted({world.listings[li].listing_id for li, _ in used}),
            "keywords": sorted({kw for _, kw in used}),
        },
        "planned": {"start_ms": int(start), "end_ms": int(t)},
        "seller_ids": [],
    }


def _finish(ctx: _Ctx, plans: list[dict], scenario: dict) -> SimDay:
    """Clip to the span, number clicks in time order; build contract clicks, dwell events, labels, truth."""
    cfg, world = ctx.cfg, ctx.world
    s0, s1 = ctx.span
    recs = sorted((r for r in ctx.records if s0 <= r["ts"] < s1), key=lambda r: r["ts"])
    prefix = f"c{datetime.fromtimestamp(s0 / 1000, CHINA):%Y%m%d}-s{cfg.seed}-"
    timeline: list[tuple[int, int, int, dict]] = []
    labels: dict[str, dict] = {}
    per_attack: dict[str, dict] = {}
    for i, r in enumerate(recs):
        lst = world.listings[r["li"]]
        cid = f"{prefix}{i:06d}"
        click = {
            "click_id": cid,
            "ts": r["ts"],
            "advertiser_id": world.advertisers[lst.advertiser].seller_id,
            "listing_id": lst.listing_id,
            "cost_micros": r["cost"],
            "currency": "CNY",
            "keyword": r["kw"],
            "category": world.categories[lst.category],
            "source": dict(r["src"]),
        }
        timeline.append((r["ts"], 0, i, {"type": "click", "ts_ms": r["ts"], "click": click}))
        if r["dwell"] is not None:
            at = r["ts"] + r["dwell"]
            timeline.append(
                (at, 1, i, {"type": "dwell", "ts_ms": at, "dwell": {"click_id": cid, "dwell_ms": r["dwell"]}})
            )
        labels[cid] = {
            "fraud": r["traffic"] in ("attack", "bot"),
            "traffic": r["traffic"],
            "attack_id": r["attack_id"],
            "attack": r["attack"],
        }
        if r["attack_id"]:
            a = per_attack.setdefault(
                r["attack_id"],
                {
                    "clicks": 0,
                    "cost_micros": 0,
                    "first": r["ts"],
                    "account_ids": set(),
                    "device_ids": set(),
                    "ips": set(),
                },
            )
            a["clicks"] += 1
            a["cost_micros"] += r["cost"]
            a["last"] = r["ts"]
            for key in ("account_id", "device_id", "ip"):
                if key in r["src"]:
                    a[key + "s"].add(r["src"][key])
    timeline.sort(key=lambda e: e[:3])
    attacks = []
    for plan in plans:
        a = per_attack.get(plan["attack_id"])
        if a is None:
            continue  # clipped away entirely by a short span
        attacks.append(
            {
                "attack_id": plan["attack_id"],
                "kind": plan["kind"],
                "start_ms": a["first"],
                "end_ms": a["last"],
                **{k: v for k, v in plan.items() if k not in ("attack_id", "kind", "seller_ids")},
                "members": {
                    "account_ids": sorted(a["account_ids"]),
                    "device_ids": sorted(a["device_ids"]),
                    "ips": sorted(a["ips"]),
                    "seller_ids": sorted(plan["seller_ids"]),
                },
                "clicks": a["clicks"],
                "cost_micros": a["cost_micros"],
            }
        )
    return SimDay(cfg, ctx.sellers, [e[3] for e in timeline], labels, attacks, scenario)


_ATTACKS = {
    "rival_siege": ("siege", _rival_siege),
    "keyword_sweep": ("sweep", _keyword_sweep),
    "click_farm": ("farm", _click_farm),
}


def simulate(config: SimConfig | None = None) -> SimDay:
    """Generate a labelled span of marketplace traffic: honest shoppers, sellers, bursts and attacks."""
    cfg = config or SimConfig()
    bad = [a for a in cfg.attacks if a not in ATTACK_KINDS]
    if bad:
        raise ValueError(f"unknown attack kinds {bad}; known: {ATTACK_KINDS}")
    if not 1 <= cfg.n_categories <= len(_CATALOGUE):
        raise ValueError(f"n_categories must be 1..{len(_CATALOGUE)}")
    if cfg.hours <= 0 or cfg.n_advertisers < 1 or cfg.n_shoppers < 1 or cfg.organic_clicks < 1:
        raise ValueError("hours, n_advertisers, n_shoppers and organic_clicks must be positive")
    # A day is ~10^6 acyclic objects; the cyclic collector would rescan them over and over (2-3x slower).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _simulate(cfg)
    finally:
        if was_enabled:
            gc.enable()


def _simulate(cfg: SimConfig) -> SimDay:
    # World first, then honest traffic, then attacks: each reads what the earlier ones built.
    s0 = _epoch_ms(cfg.start)
    span = (s0, s0 + int(cfg.hours * HOUR_MS))
    ids = _Ids()
    sellers: dict[str, dict] = {}
    ctx = _Ctx(cfg, _build_world(cfg, ids, sellers), ids, span, _minute_weights(span), sellers=sellers)
    scenario: dict = {"start_ms": span[0], "end_ms": span[1], "surge": None, "viral": None}
    n_sessions = _organic(ctx)
    # Chosen whether or not it goes viral, so the attacks do not depend on the flag.
    viral_li = _viral_listing(ctx)
    ctx.exclude.add(viral_li)
    if cfg.presale_surge:
        scenario["surge"] = _surge(ctx, n_sessions)
    if cfg.viral_listing:
        scenario["viral"] = _viral(ctx, viral_li)
    plans = []
    counts: dict[str, int] = {}
    for kind in cfg.attacks:
        counts[kind] = counts.get(kind, 0) + 1
        d = _Draw(_rng(cfg.seed, kind, counts[kind]))
        if kind == "bots":
            variants = [_BOT_VARIANTS[i] for i in d.rng.permutation(len(_BOT_VARIANTS)).tolist()]
            for j in range(_scaled(d, cfg.bot_sources, cfg.attack_scale)):
                aid = f"bot-{counts[kind]}.{j + 1}"
                plan = _bot(ctx, d, aid, variants[j % len(variants)])
                if plan:
                    plans.append({"attack_id": aid, "kind": kind, **plan})
            continue
        short, fn = _ATTACKS[kind]
        aid = f"{short}-{counts[kind]}"
        plan = fn(ctx, d, aid)
        if plan:
            plans.append({"attack_id": aid, "kind": kind, **plan})
    return _finish(ctx, plans, scenario)


def write_jsonl(day: SimDay, path) -> None:
    """Write a replayable log: seller profiles, then events in time order; truth to path + '.labels.json'."""
    path = Path(path)
    with path.open("w", encoding="utf-8") as f:
        for sid, profile in day.sellers.items():
            f.write(json.dumps({"seller": {"seller_id": sid, **profile}}, ensure_ascii=False) + "\n")
        for e in day.events:
            f.write(json.dumps(e, ensure_ascii=False, separators=(",", ":")) + "\n")
    side = {
        "config": asdict(day.config),
        "labels": day.labels,
        "attacks": day.attacks,
        "scenario": day.scenario,
    }
    Path(f"{path}.labels.json").write_text(json.dumps(side, ensure_ascii=False), encoding="utf-8")


def stream_jsonl(path) -> Iterator[dict]:
    """Yield the log's records lazily in file order ({"seller": ...} lines, then events), for replay tools."""
    with Path(path).open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def read_log(path) -> tuple[dict[str, dict], list[dict]]:
    """Seller profiles by id and events ({type, ts_ms, click|dwell}) sorted by time, from a JSONL log.

    Bare {"click": ...} and {"dwell": ...} lines are accepted too, so a log written by another tool
    replays as it is.
    """
    sellers: dict[str, dict] = {}
    events: list[dict] = []
    for rec in stream_jsonl(path):
        if "seller" in rec:
            profile = dict(rec["seller"])
            sellers[profile.pop("seller_id")] = profile
        elif rec.get("type") in ("click", "dwell"):
            events.append(rec)
        elif "click" in rec:
            events.append({"type": "click", "click": rec["click"], "ts_ms": rec["click"]["ts"]})
        elif "dwell" in rec:
            events.append({"type": "dwell", "dwell": rec["dwell"], "ts_ms": rec.get("ts_ms", 0)})
    events.sort(key=lambda e: e["ts_ms"])  # stable: same-time events keep file order
    return sellers, events


def read_jsonl(path) -> SimDay:
    """Load a log (write_jsonl's, or another tool's in its format) with its labels side file when
    present, back into a SimDay."""
    sellers, events = read_log(path)
    side_path = Path(f"{path}.labels.json")
    side = json.loads(side_path.read_text(encoding="utf-8")) if side_path.exists() else {}
    known = SimConfig.__dataclass_fields__
    config = SimConfig(
        **{k: tuple(v) if isinstance(v, list) else v for k, v in side.get("config", {}).items() if k in known}
    )
    return SimDay(
        config, sellers, events, side.get("labels", {}), side.get("attacks", []), side.get("scenario", {})
    )
