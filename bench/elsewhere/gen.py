#!/usr/bin/env python3
"""Independent generator of one labelled marketplace day of sponsored-listing clicks.

    python bench/elsewhere/gen.py --seed N --out out/elsewhere-N.jsonl

Writes <out> (seller profiles, then click / dwell events sorted by ts_ms) and
<out>.labels.json (ground truth).  See README.md for the model.
"""

import argparse
import datetime as dt
import json
import math
from collections import Counter, defaultdict

import numpy as np

TZ = dt.timezone(dt.timedelta(hours=8))
DAY0 = int(dt.datetime(2014, 3, 10, 0, 0, tzinfo=TZ).timestamp() * 1000)  # Monday
DAY_MS = 86_400_000
SEC, MIN, HOUR = 1000, 60_000, 3_600_000

# ---------------------------------------------------------------- catalogue
# category: (share of shopper interest, head-keyword price level in CNY, head kws, tail kws)
CATS = {
    "女装": (
        0.22,
        3.0,
        ["连衣裙", "毛呢外套", "打底裤", "雪纺衫", "风衣女", "针织开衫"],
        [
            "连衣裙春款2014",
            "韩版修身连衣裙",
            "蕾丝打底衫",
            "高腰阔腿裤",
            "小香风外套",
            "碎花半身裙",
            "大码女装胖mm",
            "chic宽松卫衣",
        ],
    ),
    "男装": (
        0.09,
        2.2,
        ["夹克男", "衬衫男", "休闲裤男", "男士卫衣"],
        ["男士商务衬衫", "修身牛仔裤男", "春季薄款夹克", "中年男装爸爸装", "潮牌t恤男"],
    ),
    "女鞋": (
        0.08,
        2.0,
        ["单鞋", "帆布鞋", "高跟鞋", "短靴"],
        ["尖头平底单鞋", "松糕鞋厚底", "小白鞋女", "粗跟罗马鞋"],
    ),
    "内衣": (
        0.06,
        2.0,
        ["文胸", "内衣套装", "睡衣女"],
        ["无钢圈文胸", "聚拢小胸内衣", "纯棉睡衣春秋", "少女内衣学生", "塑身衣收腹"],
    ),
    "美妆": (
        0.10,
        2.5,
        ["面膜", "BB霜", "洗面奶", "口红"],
        ["补水面膜贴", "韩国bb霜遮瑕", "氨基酸洁面", "咬唇妆口红", "卸妆油"],
    ),
    "母婴": (
        0.08,
        4.0,
        ["奶粉", "纸尿裤", "婴儿推车"],
        ["荷兰牛栏奶粉", "花王纸尿裤L", "宝宝连体衣", "婴儿湿巾", "孕妇装春装"],
    ),
    "数码": (
        0.10,
        3.5,
        ["手机", "移动电源", "耳机", "平板电脑"],
        ["红米手机壳", "小米移动电源10400", "入耳式耳机", "iphone5s钢化膜", "手机数据线"],
    ),
    "家居": (
        0.07,
        2.5,
        ["四件套", "沙发", "收纳箱"],
        ["纯棉四件套1.8m", "懒人沙发", "衣柜收纳盒", "记忆棉枕头", "地毯客厅"],
    ),
    "食品": (
        0.07,
        1.5,
        ["坚果", "茶叶", "零食大礼包"],
        ["碧根果", "西湖龙井2014新茶", "牛肉干", "进口巧克力", "枸杞"],
    ),
    "箱包": (
        0.05,
        2.0,
        ["女包", "双肩包", "拉杆箱"],
        ["链条小包", "帆布双肩包学生", "万向轮拉杆箱20寸", "钱包女长款"],
    ),
    "运动户外": (
        0.05,
        2.0,
        ["跑步鞋", "冲锋衣", "瑜伽服"],
        ["透气网面跑鞋", "三合一冲锋衣", "瑜伽垫加厚", "户外登山包"],
    ),
    "婚纱礼服": (0.03, 3.5, ["婚纱", "晚礼服"], ["齐地婚纱2014新款", "敬酒服新娘", "伴娘服短款", "旗袍改良"]),
}
CAT_NAMES = list(CATS)
CAT_W = np.array([CATS[c][0] for c in CAT_NAMES])
CAT_W = CAT_W / CAT_W.sum()

# relative click volume by hour of day (Beijing time), Monday
HOURLY = np.array(
    [
        3.2,
        1.9,
        1.1,
        0.7,
        0.5,
        0.5,
        0.8,
        1.6,
        2.8,
        4.2,
        5.0,
        4.9,
        4.6,
        4.8,
        5.1,
        5.1,
        4.9,
        4.3,
        4.1,
        5.0,
        6.0,
        6.6,
        6.3,
        4.8,
    ]
)

# IP space
BROADBAND_V4 = [113, 115, 116, 180, 183, 218, 219, 220, 222, 60, 123, 124, 221, 27, 58, 61, 101, 182]
NAT_PREFIXES = [(117, 136), (223, 104), (112, 97), (111, 13), (120, 204), (39, 183)]
CAMPUS_PREFIXES = [(202, 112), (59, 66), (166, 111), (202, 120), (219, 217)]
DC_PREFIXES = [(115, 28), (121, 40), (120, 24), (42, 96), (119, 29), (203, 195)]
ALNUM = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"))
NICK_CHARS = list("小大猫熊兔米糖果子花雪月风云星叶晴安乐乐甜心宝贝丫头木头阿明强伟芳娟静丽")


class World:
    def __init__(self, seed):
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.clicks = []  # dicts (internal)
        self.attacks = []
        self.used_ids = set()
        self.paused = defaultdict(list)  # advertiser idx -> [(start,end)]
        self.build_pdf()
        self.build_ip_pools()
        self.build_catalogue()
        self.build_sellers()
        self.build_shoppers()

    # ------------------------------------------------------------ helpers
    def build_pdf(self):
        m = np.arange(1440) / 60.0
        h0 = np.floor(m - 0.5).astype(int) % 24
        frac = (m - 0.5) - np.floor(m - 0.5)
        dens = HOURLY[h0] * (1 - frac) + HOURLY[(h0 + 1) % 24] * frac
        self.minute_pdf = dens / dens.sum()

    def sample_times(self, n, lo=0, hi=DAY_MS):
        a, b = lo // MIN, min(1440, -(-hi // MIN))
        p = self.minute_pdf[a:b] / self.minute_pdf[a:b].sum()
        mins = self.rng.choice(np.arange(a, b), size=n, p=p)
        t = mins * MIN + self.rng.integers(0, MIN, size=n)
        return np.clip(t, lo, hi - 1)

    def uid(self, prefix, n=10):
        while True:
            s = prefix + "".join(self.rng.choice(ALNUM, n))
            if s not in self.used_ids:
                self.used_ids.add(s)
                return s

    def account_id(self, fresh=False):
        r = self.rng
        while True:
            if fresh:  # newly registered: numeric ids from the recent range
                s = f"tb{r.integers(2_450_000_000, 2_470_000_000)}"
            elif r.random() < 0.22:
                s = "".join(r.choice(NICK_CHARS, r.integers(2, 5))) + str(r.integers(1, 9999))
            else:
                s = f"tb{r.integers(100_000_000, 2_400_000_000)}"
            if s not in self.used_ids:
                self.used_ids.add(s)
                return s

    def v4(self, first=None, second=None):
        r = self.rng
        a = first if first is not None else int(r.choice(BROADBAND_V4))
        b = second if second is not None else int(r.integers(1, 255))
        return f"{a}.{b}.{r.integers(0, 256)}.{r.integers(1, 255)}"

    def v6_prefix(self):
        r = self.rng
        if r.random() < 0.7:
            return f"240e:{r.integers(0x300, 0x3FF):x}:{r.integers(0, 0xFFFF):x}:{r.integers(0, 0xFFFF):x}"
        return f"2408:{r.integers(0x8200, 0x82FF):x}:{r.integers(0, 0xFFFF):x}:{r.integers(0, 0xFFFF):x}"

    def v6_addr(self, prefix):
        r = self.rng
        return prefix + ":" + ":".join(f"{r.integers(0, 0x10000):x}" for _ in range(4))

    def build_ip_pools(self):
        r = self.rng
        self.nat_ips = []
        for _ in range(160):
            a, b = NAT_PREFIXES[r.integers(len(NAT_PREFIXES))]
            self.nat_ips.append(self.v4(a, b))
        w = 1.0 / np.arange(1, 161) ** 0.9
        self.nat_w = w / w.sum()
        self.office_ips = [self.v4() for _ in range(45)]
        self.campus_ips = []
        for _ in range(6):
            a, b = CAMPUS_PREFIXES[r.integers(len(CAMPUS_PREFIXES))]
            self.campus_ips.append(self.v4(a, b))

    def nat_ip(self):
        return self.nat_ips[self.rng.choice(len(self.nat_ips), p=self.nat_w)]

    # ------------------------------------------------------------ user agents / devices
    def user_agent(self, kind):
        r = self.rng
        ios = r.choice(["7_0_4", "7_0_6", "7_1", "6_1_3", "7_0_2"])
        and_v = r.choice(["4.1.2", "4.2.2", "4.3", "4.4.2", "4.0.4"])
        model = r.choice(
            [
                "HM NOTE 1W",
                "MI 3W",
                "GT-I9300",
                "SM-N9006",
                "HUAWEI G610-T00",
                "Coolpad 8720L",
                "Lenovo A820t",
                "vivo X3t",
                "OPPO R829T",
                "ZTE U930HD",
                "HM 1SW",
            ]
        )
        tb = r.choice(["4.4.0", "4.5.0", "4.5.1", "4.6.0"])
        if kind == "ios_app":
            return (
                f"Mozilla/5.0 (iPhone; CPU iPhone OS {ios} like Mac OS X) AppleWebKit/537.51.1 "
                f"(KHTML, like Gecko) Mobile/11B554a AliApp(TB/{tb}) WindVane/5.2.0 640x1136"
            )
        if kind == "and_app":
            return (
                f"Mozilla/5.0 (Linux; U; Android {and_v}; zh-cn; {model} Build/JDQ39) AppleWebKit/534.30 "
                f"(KHTML, like Gecko) Version/4.0 Mobile Safari/534.30 AliApp(TB/{tb}) "
                "WindVane/5.1.0 720x1280"
            )
        if kind == "uc":
            uc_minor = r.integers(4, 8)
            uc_build = r.integers(300, 500)
            return (
                f"Mozilla/5.0 (Linux; U; Android {and_v}; zh-CN; {model} Build/JZO54K) AppleWebKit/534.31 "
                f"(KHTML, like Gecko) UCBrowser/9.{uc_minor}.0.{uc_build} U3/0.8.0 Mobile Safari/534.31"
            )
        if kind == "wechat":
            wx_minor = r.integers(1, 3)
            wx_patch = r.integers(0, 3)
            return (
                f"Mozilla/5.0 (iPhone; CPU iPhone OS {ios} like Mac OS X) AppleWebKit/537.51.2 "
                f"(KHTML, like Gecko) Mobile/11D167 MicroMessenger/5.{wx_minor}.{wx_patch}"
            )
        if kind == "weibo":
            wb_minor = r.integers(1, 4)
            ios_dotted = ios.replace("_", ".")
            return (
                f"Mozilla/5.0 (iPhone; CPU iPhone OS {ios} like Mac OS X) AppleWebKit/537.51.1 "
                f"(KHTML, like Gecko) Mobile/11B554a "
                f"Weibo (iPhone5,2__weibo__4.{wb_minor}.0__iphone__os{ios_dotted})"
            )
        if kind == "360":
            return (
                "Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 6.1; Trident/5.0; SLCC2; .NET CLR 2.0.50727; "
                ".NET CLR 3.5.30729; Media Center PC 6.0; 360SE)"
            )
        if kind == "ie":
            v = r.choice(
                [
                    "8.0; Windows NT 5.1; Trident/4.0",
                    "9.0; Windows NT 6.1; Trident/5.0",
                    "10.0; Windows NT 6.1; WOW64; Trident/6.0",
                ]
            )
            return f"Mozilla/5.0 (compatible; MSIE {v})"
        if kind == "chrome":
            nt = r.choice(["6.1; WOW64", "6.1", "5.1", "6.2; WOW64"])
            major = r.integers(30, 34)
            build = r.integers(1599, 1800)
            patch = r.integers(50, 160)
            return (
                f"Mozilla/5.0 (Windows NT {nt}) AppleWebKit/537.36 (KHTML, like Gecko) "
                f"Chrome/{major}.0.{build}.{patch} Safari/537.36"
            )
        if kind == "sogou":
            return (
                "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) "
                "Chrome/28.0.1500.95 Safari/537.36 SE 2.X MetaSr 1.0"
            )
        if kind == "qq":
            qq_minor = r.integers(4, 7)
            qq_build = r.integers(10000, 30000)
            return (
                "Mozilla/5.0 (compatible; MSIE 9.0; Windows NT 6.1; WOW64; Trident/5.0; SLCC2; "
                f"QQBrowser/7.{qq_minor}.{qq_build})"
            )
        if kind == "mac":
            return (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_2) AppleWebKit/537.74.9 (KHTML, like Gecko) "
                "Version/7.0.2 Safari/537.74.9"
            )
        raise ValueError(kind)

    MOBILE_KINDS = (["ios_app", "and_app", "uc", "wechat", "weibo"], [0.34, 0.38, 0.16, 0.08, 0.04])
    PC_KINDS = (["360", "ie", "chrome", "sogou", "qq", "mac"], [0.30, 0.18, 0.24, 0.12, 0.11, 0.05])

    def device(self, mobile, kind=None):
        r = self.rng
        if kind is None:
            ks, ps = self.MOBILE_KINDS if mobile else self.PC_KINDS
            kind = ks[r.choice(len(ks), p=ps)]
        d = {"id": self.uid("", 24), "ua": self.user_agent(kind), "mobile": mobile}
        if not mobile and r.random() < 0.03:
            d["id"] = None  # cookies blocked: no fingerprint
        return d

    # ------------------------------------------------------------ catalogue & sellers
    def build_catalogue(self):
        r = self.rng
        self.keywords = {}  # kw -> dict(cat, head, price, pop)
        self.cat_kws = {}
        for c in CAT_NAMES:
            _, base, head, tail = CATS[c]
            lst = []
            for k in head:
                self.keywords[k] = dict(
                    cat=c, head=True, price=0.5 * base * r.lognormal(0, 0.35), pop=r.lognormal(0, 0.4)
                )
                lst.append(k)
            for k in tail:
                self.keywords[k] = dict(
                    cat=c,
                    head=False,
                    price=0.5 * base * 0.3 * r.lognormal(0, 0.35),
                    pop=0.22 * r.lognormal(0, 0.5),
                )
                lst.append(k)
            self.cat_kws[c] = lst

    def new_seller(self, tier, cats):
        r = self.rng
        sid = f"S{r.integers(10_000_000, 99_999_999)}"
        while sid in self.used_ids:
            sid = f"S{r.integers(10_000_000, 99_999_999)}"
        self.used_ids.add(sid)
        s = dict(id=sid, tier=tier, cats=cats, listings=[], idx=len(self.sellers))
        s["main_account"] = self.account_id()
        nsub = {"big": r.integers(4, 15), "mid": r.integers(1, 5)}.get(tier, r.integers(0, 2))
        s["sub_accounts"] = [
            s["main_account"] + ":" + "".join(r.choice(NICK_CHARS, 2)) + str(i) for i in range(nsub)
        ]
        s["personal_account"] = self.account_id() if r.random() < 0.45 else None
        s["pc"] = self.device(False)
        s["phone"] = self.device(True)
        s["home_ip"] = self.v4()
        s["office_ip"] = self.v4() if tier in ("big", "mid") else (s["home_ip"])
        s["gateway"] = self.nat_ip()
        self.sellers.append(s)
        return s

    def build_sellers(self):
        r = self.rng
        self.sellers, self.listings = [], []
        # the siege category must have several big shops
        self.siege_cat = str(r.choice(["女装", "女装", "美妆", "数码"]))  # big categories: many small sellers
        n_big = int(r.integers(14, 19))
        for i in range(n_big):
            c = self.siege_cat if i < 4 else CAT_NAMES[r.choice(len(CAT_NAMES), p=CAT_W)]
            cats = [c]
            if r.random() < 0.3:
                c2 = CAT_NAMES[r.choice(len(CAT_NAMES), p=CAT_W)]
                if c2 != c:
                    cats.append(c2)
            self.new_seller("big", cats)
        for _ in range(int(r.integers(60, 81))):
            self.new_seller("mid", [CAT_NAMES[r.choice(len(CAT_NAMES), p=CAT_W)]])
        for _ in range(int(r.integers(200, 241))):
            self.new_seller("small", [CAT_NAMES[r.choice(len(CAT_NAMES), p=CAT_W)]])
        self.n_advertisers = len(self.sellers)
        for _ in range(int(r.integers(350, 451))):
            self.new_seller("nonadv", [CAT_NAMES[r.choice(len(CAT_NAMES), p=CAT_W)]])

        tier_bid = {"big": (1.3, 3.6), "mid": (0.6, 1.4), "small": (0.3, 0.9)}
        tier_q = {"big": 1.3, "mid": 1.0, "small": 0.75}
        for s in self.sellers[: self.n_advertisers]:
            n = {"big": r.integers(20, 46), "mid": r.integers(4, 13), "small": r.integers(1, 5)}[s["tier"]]
            for _ in range(int(n)):
                c = s["cats"][0] if (len(s["cats"]) == 1 or r.random() < 0.7) else s["cats"][1]
                kws = self.cat_kws[c]
                heads = [k for k in kws if self.keywords[k]["head"]]
                tails = [k for k in kws if not self.keywords[k]["head"]]
                nh = {"big": r.integers(2, 5), "mid": r.integers(1, 3), "small": int(r.random() < 0.3)}[
                    s["tier"]
                ]
                nt = int(r.integers(1, 4))
                ks = list(r.choice(heads, min(nh, len(heads)), replace=False)) + list(
                    r.choice(tails, min(nt, len(tails)), replace=False)
                )
                lo, hi = tier_bid[s["tier"]]
                bids = {}
                for k in ks:
                    b = self.keywords[k]["price"] * r.uniform(lo, hi) * r.lognormal(0, 0.15)
                    bids[k] = int(round(min(max(b, 0.05), 15.0) * 100)) * 10_000
                L = dict(
                    id=str(r.integers(10_000_000_000, 45_000_000_000)),
                    adv=s["idx"],
                    cat=c,
                    bids=bids,
                    q=tier_q[s["tier"]] * r.lognormal(0, 0.35),
                    idx=len(self.listings),
                )
                self.listings.append(L)
                s["listings"].append(L["idx"])
        self.kw_index = {}
        for k in self.keywords:
            ids = [L["idx"] for L in self.listings if k in L["bids"]]
            self.kw_index[k] = (
                np.array(ids, dtype=int),
                np.array([self.listings[i]["bids"][k] for i in ids], dtype=float),
                np.array([self.listings[i]["q"] for i in ids], dtype=float),
            )
        self.kw_list = list(self.keywords)

        # seller profiles known to the platform (a subset; sometimes incomplete)
        for s in self.sellers:
            p = {"big": 1.0, "mid": 0.9, "small": 0.75, "nonadv": 0.45}[s["tier"]]
            s["profiled"] = bool(r.random() < p)
            if not s["profiled"]:
                continue
            accts = [s["main_account"]] + s["sub_accounts"]
            if s["personal_account"] and r.random() < 0.25:
                accts.append(s["personal_account"])
            devs = []
            if s["pc"]["id"] and r.random() < 0.85:
                devs.append(s["pc"]["id"])
            if r.random() < 0.45:
                devs.append(s["phone"]["id"])
            ips = []
            if r.random() < 0.85:
                ips.append(s["office_ip"])
            if s["home_ip"] != s["office_ip"] and r.random() < 0.4:
                ips.append(s["home_ip"])
            if r.random() < 0.03:  # shop run from a phone: a carrier-NAT egress ip in the profile
                ips.append(s["gateway"])
            s["profile"] = dict(
                seller_id=s["id"], categories=list(s["cats"]), account_ids=accts, device_ids=devs, ips=ips
            )

    def build_shoppers(self, n=None):
        r = self.rng
        n = n or int(r.integers(3600, 4400))
        self.shoppers = [self.new_shopper() for _ in range(n)]
        self.shopper_w = np.array([s["activity"] for s in self.shoppers])

    def new_shopper(self, mobile_bias=0.0, fresh=False):
        r = self.rng
        s = {}
        s["account"] = None if r.random() < 0.02 else self.account_id(fresh=fresh)
        s["p_logout"] = 0.04
        s["devices"] = []
        has_phone = r.random() < 0.85 + mobile_bias
        has_pc = r.random() < (0.65 - mobile_bias) or not has_phone
        if has_phone:
            s["devices"].append(self.device(True))
        if has_pc:
            s["devices"].append(self.device(False))
        s["v6"] = r.random() < 0.08
        s["home"] = self.v6_prefix() if s["v6"] else self.v4()
        s["gateway"] = self.nat_ip()
        s["office"] = self.office_ips[r.integers(len(self.office_ips))] if r.random() < 0.28 else None
        s["campus"] = self.campus_ips[r.integers(len(self.campus_ips))] if r.random() < 0.06 else None
        k = int(r.integers(1, 4))
        s["interests"] = list(r.choice(CAT_NAMES, k, replace=False, p=CAT_W))
        s["activity"] = min(6.0, r.lognormal(0, 0.8))
        s["history"] = []
        return s

    def seller_actor(self, s, account_mode):
        """A seller acting as a shopper: same devices / ips as their shop."""
        a = dict(
            devices=[s["pc"], s["phone"]],
            v6=False,
            home=s["home_ip"],
            gateway=s["gateway"],
            office=s["office_ip"] if s["office_ip"] != s["home_ip"] else None,
            campus=None,
            interests=list(s["cats"]),
            p_logout=0.0,
            history=[],
            seller=s,
        )
        if account_mode == "main":
            a["account"] = s["main_account"]
            a["seller_id"] = s["id"] if self.rng.random() < 0.8 else None
        elif account_mode == "sub" and s["sub_accounts"]:
            a["account"] = s["sub_accounts"][self.rng.integers(len(s["sub_accounts"]))]
            a["seller_id"] = s["id"] if self.rng.random() < 0.5 else None
        elif account_mode == "none":
            a["account"] = None
        else:
            a["account"] = s["personal_account"] or s["main_account"]
            a["seller_id"] = (
                s["id"] if (a["account"] == s["main_account"] and self.rng.random() < 0.8) else None
            )
        return a

    # ------------------------------------------------------------ source / dwell laws
    def session_source(self, actor, t, device=None, logged_out=None):
        r = self.rng
        h = (t // HOUR) % 24
        if device is None:
            devs = actor["devices"]
            if len(devs) == 1:
                device = devs[0]
            else:
                p_mobile = 0.45 if 9 <= h < 18 else 0.72
                mob = [d for d in devs if d["mobile"]]
                pcs = [d for d in devs if not d["mobile"]]
                device = (mob if (mob and (not pcs or r.random() < p_mobile)) else pcs)[0]
        if device["mobile"]:
            if actor.get("campus") and r.random() < 0.6:
                ip = actor["campus"]
            elif actor.get("office") and 9 <= h < 18 and r.random() < 0.3:
                ip = actor["office"]
            elif r.random() < (0.3 if 8 <= h < 19 else 0.62):
                ip = self.v6_addr(actor["home"]) if actor.get("v6") else actor["home"]
            else:
                ip = actor["gateway"] if r.random() < 0.8 else self.nat_ip()
        else:
            if actor.get("office") and 9 <= h < 18 and r.random() < 0.8:
                ip = actor["office"]
            elif actor.get("campus") and r.random() < 0.8:
                ip = actor["campus"]
            else:
                ip = self.v6_addr(actor["home"]) if actor.get("v6") else actor["home"]
        src = {"ip": ip}
        if device.get("id"):
            src["device_id"] = device["id"]
        src["user_agent"] = device["ua"]
        if logged_out is None:
            logged_out = r.random() < actor.get("p_logout", 0.04)
        if actor.get("account") and not logged_out:
            src["account_id"] = actor["account"]
            if actor.get("seller_id"):
                src["seller_id"] = actor["seller_id"]
        return src, device["mobile"]

    def honest_dwell(self, mobile, scale=1.0):
        r = self.rng
        u = r.random()
        if u < 0.27:
            d = r.lognormal(math.log(2300), 0.6)  # bounce
        elif u < 0.82:
            d = r.lognormal(math.log(27000), 0.9)  # browse
        elif u < 0.99:
            d = r.lognormal(math.log(140000), 0.8)  # read details / reviews
        else:
            d = r.uniform(600_000, 3_600_000)  # tab left open
        if mobile:
            d *= 0.85
        return int(max(200, min(d * scale, 7_200_000)))

    def surge_mult(self, t):
        s = getattr(self, "surge_window", None)
        return 1.15 if s and s[0] <= t < s[1] else 1.0

    def cost(self, li, kw, t):
        b = self.listings[li]["bids"][kw]
        c = b * self.rng.uniform(0.75, 1.0) * self.surge_mult(t)
        return max(50_000, int(round(c / 10_000)) * 10_000)

    def is_paused(self, adv, t):
        return any(a <= t < b for a, b in self.paused.get(adv, ()))

    def ranked_page(self, kw, t, noise=0.6, top=20):
        ids, bids, q = self.kw_index[kw]
        score = bids * q * self.rng.lognormal(0, noise, len(ids))
        order = np.argsort(-score)
        out = []
        per_shop = Counter()
        for j in order:
            li = int(ids[j])
            adv = self.listings[li]["adv"]
            if per_shop[adv] >= 2:  # the results page shows at most two ads per shop
                continue
            if self.paused and self.is_paused(adv, t):
                continue
            per_shop[adv] += 1
            out.append(li)
            if len(out) >= top:
                break
        return out

    def emit(self, t, li, kw, src, dwell, label, mobile, report=None):
        if not (0 <= t < DAY_MS):
            return
        if report is None:
            report = self.rng.random() > (0.10 if mobile else 0.19)
        self.clicks.append(
            dict(
                t=int(t),
                li=li,
                kw=kw,
                src=src,
                dwell=int(dwell),
                report=report,
                cost=self.cost(li, kw, t),
                label=label,
            )
        )

    # ------------------------------------------------------------ honest session
    def pick_kw(self, cat):
        ks = self.cat_kws[cat]
        p = np.array([self.keywords[k]["pop"] for k in ks])
        return ks[self.rng.choice(len(ks), p=p / p.sum())]

    def session(
        self, actor, t0, label, cat=None, kw=None, first=None, n=None, dwell_scale=1.0, exclude_adv=None
    ):
        r = self.rng
        src, mobile = self.session_source(actor, t0)
        cat = cat or actor["interests"][r.integers(len(actor["interests"]))]
        if kw is None:
            if actor["history"] and r.random() < 0.3:  # returning: same search as earlier
                kw, prev_li = actor["history"][r.integers(len(actor["history"]))]
                if first is None and r.random() < 0.6:
                    first = prev_li
            else:
                kw = self.pick_kw(cat)
        if n is None:
            # 22% are comparison shoppers; the condition is drawn before either branch, as before
            n = int(r.integers(3, 9)) if r.random() < 0.22 else int(min(1 + r.geometric(0.55) - 1, 6))
        t = t0
        clicked = set()
        tabbed = (not mobile) and r.random() < 0.3
        for i in range(n):
            if i == 0 and first is not None:
                li = first
            else:
                page = [
                    x
                    for x in self.ranked_page(kw, t, top=12 if mobile else 20)
                    if x not in clicked and (exclude_adv is None or self.listings[x]["adv"] != exclude_adv)
                ]
                if not page:
                    break
                w = 1.0 / (np.arange(len(page)) + 1.0) ** 1.15
                li = page[r.choice(len(page), p=w / w.sum())]
            clicked.add(li)
            d = self.honest_dwell(mobile, dwell_scale)
            self.emit(t, li, kw, src, d, label, mobile)
            actor["history"].append((kw, li))
            if r.random() < 0.03:  # back-button re-click of the same ad
                t2 = t + d + int(r.uniform(1500, 20000))
                self.emit(t2, li, kw, src, self.honest_dwell(mobile, dwell_scale), label, mobile)
                t = t2
            if tabbed:
                t += int(r.lognormal(math.log(6000), 0.7))
            else:
                t += d + int(r.lognormal(math.log(9000), 0.8))
            if r.random() < 0.18:  # refine the search
                kw = self.pick_kw(self.keywords[kw]["cat"])
        return t

    # ------------------------------------------------------------ honest populations
    def gen_organic(self):
        r = self.rng
        n_sess = int(r.integers(3700, 4300))
        times = np.sort(self.sample_times(n_sess))
        who = r.choice(len(self.shoppers), size=n_sess, p=self.shopper_w / self.shopper_w.sum())
        busy_until = defaultdict(int)
        lab = (False, "organic", None)
        for t, w in zip(times, who, strict=True):
            t = max(int(t), busy_until[w] + int(r.uniform(60_000, 900_000)) if busy_until[w] else int(t))
            busy_until[w] = self.session(self.shoppers[w], t, lab)
        self.n_organic_sessions = n_sess

    def gen_surge(self):
        r = self.rng
        start = int((r.integers(19, 21) * 60 + r.choice([0, 0, 30])) * MIN)
        dur = int(r.integers(100, 151) * MIN)
        mult = r.uniform(3.0, 5.0)
        self.surge_window = (start, start + dur)
        base_frac = self.minute_pdf[start // MIN : (start + dur) // MIN].sum()
        n = int((mult - 1) * self.n_organic_sessions * base_frac)
        # pre-sale opens on the hour: spike then plateau, tapering in the last half hour
        x = np.arange(dur // MIN)
        shape = 1 + 2.5 * np.exp(-x / 8.0)
        shape *= np.clip((dur // MIN - x) / 30.0, 0.3, 1.0)
        mins = r.choice(x, size=n, p=shape / shape.sum())
        times = start + mins * MIN + r.integers(0, MIN, size=n)
        promo = list(r.choice(CAT_NAMES, 4, replace=False, p=CAT_W))
        lab = (False, "surge", None)
        for t in times:
            if r.random() < 0.55:
                a = self.shoppers[r.choice(len(self.shoppers), p=self.shopper_w / self.shopper_w.sum())]
            else:
                a = self.new_shopper(mobile_bias=0.1)
            cat = promo[r.integers(4)] if r.random() < 0.6 else None
            self.session(a, int(t), lab, cat=cat)
        self.surge_info = dict(
            start_ms=DAY0 + start,
            end_ms=DAY0 + start + dur,
            multiplier=round(mult, 2),
            promo_categories=promo,
            sessions=n,
        )

    def gen_viral(self):
        r = self.rng
        organic = Counter(c["li"] for c in self.clicks if c["label"][1] == "organic")
        cands = [
            li
            for li, n in organic.most_common()
            if self.sellers[self.listings[li]["adv"]]["tier"] in ("mid", "big")
            and self.sellers[self.listings[li]["adv"]]["cats"][0] != self.siege_cat
            and n >= 40
        ][:10]
        if not cands:
            cands = [li for li, _ in organic.most_common(30)]
        li = cands[r.integers(len(cands))]
        L = self.listings[li]
        start = int(r.integers(11 * 60, 21 * 60) * MIN)
        dur = int(r.integers(60, 121) * MIN)
        mult = r.uniform(10, 20)
        frac = self.minute_pdf[start // MIN : (start + dur) // MIN].sum()
        n = max(40, int((mult - 1) * organic[li] * frac))  # extra clicks on the listing itself
        x = np.arange(dur // MIN)
        shape = (1 - np.exp(-x / 6.0)) * np.exp(-x / 45.0)
        mins = r.choice(x, size=n, p=shape / shape.sum())
        kws = list(L["bids"])
        lab = (False, "viral", None)
        for m in mins:
            t = start + int(m) * MIN + int(r.integers(0, MIN))
            if r.random() < 0.3:
                a = self.shoppers[r.choice(len(self.shoppers), p=self.shopper_w / self.shopper_w.sum())]
            else:
                a = self.new_shopper(mobile_bias=0.12)
                if r.random() < 0.5 and a["devices"][0]["mobile"]:
                    a["devices"][0] = self.device(True, kind=r.choice(["weibo", "wechat"]))
            kw = kws[r.integers(len(kws))]
            nclick = 1 if r.random() < 0.65 else int(r.integers(2, 5))
            self.session(a, t, lab, kw=kw, first=li, n=nclick, dwell_scale=1.15)
        self.viral_info = dict(
            listing_id=L["id"],
            advertiser_id=self.sellers[L["adv"]]["id"],
            start_ms=DAY0 + start,
            end_ms=DAY0 + start + dur,
            multiplier=round(mult, 1),
            normal_daily_clicks=organic[li],
            viral_sessions=n,
        )

    def gen_seller_shoppers(self, extra=()):
        r = self.rng
        pool = [s for s in self.sellers if s["tier"] != "big"]
        chosen = list(r.choice(len(pool), int(r.integers(100, 161)), replace=False))
        people = [pool[i] for i in chosen] + list(extra)
        lab = (False, "seller_shopper", None)
        for s in people:
            mode = r.choice(["main", "personal", "sub"], p=[0.55, 0.4, 0.05])
            a = self.seller_actor(s, mode)
            busy = s.get("busy", [])
            for _ in range(int(r.integers(1, 3))):
                for _try in range(10):
                    t = int(self.sample_times(1)[0])
                    if not any(b0 - 20 * MIN <= t <= b1 + 5 * MIN for b0, b1 in busy):
                        break
                own = r.random() < 0.4
                cat = s["cats"][0] if own else CAT_NAMES[r.choice(len(CAT_NAMES), p=CAT_W)]
                self.session(a, t, lab, cat=cat, dwell_scale=1.5 if own else 1.0, exclude_adv=s["idx"])

    # ------------------------------------------------------------ attacks
    def new_attack(self, kind, **kw):
        aid = f"{kind.replace('_', '')}-{self.seed:d}-{len(self.attacks) + 1:02d}"
        a = dict(attack_id=aid, kind=kind, **kw)
        self.attacks.append(a)
        return a, (True, kind, aid)

    def attack_kw_for(self, li):
        ks = list(self.listings[li]["bids"])
        p = np.array([self.keywords[k]["pop"] for k in ks])
        return ks[self.rng.choice(len(ks), p=p / p.sum())]

    def gen_siege(self):
        """(a) small sellers in a voice room clicking big rivals' ads in waves, 'stay ten seconds'."""
        r = self.rng
        cat = self.siege_cat
        bigs = [s for s in self.sellers if s["tier"] == "big" and cat in s["cats"]]
        nt = int(min(len(bigs), r.integers(2, 6)))
        targets = list(r.choice(bigs, nt, replace=False))
        hot = {}
        for s in targets:
            ls = [li for li in s["listings"] if self.listings[li]["cat"] == cat] or s["listings"]
            ls = sorted(ls, key=lambda li: -max(self.listings[li]["bids"].values()) * self.listings[li]["q"])
            hot[s["idx"]] = ls[: int(r.integers(2, 5))]
        start = int((r.integers(15 * 60, 17 * 60 + 31)) * MIN)
        n_waves = int(r.integers(3, 7))
        wave_t = [start]
        for _ in range(n_waves - 1):
            wave_t.append(wave_t[-1] + int(r.integers(25, 61) * MIN))
        same = [s for s in self.sellers if s["tier"] in ("small", "nonadv") and cat in s["cats"]]
        other = [s for s in self.sellers if s["tier"] in ("small", "nonadv") and cat not in s["cats"]]
        n = int(r.integers(180, 381))
        n_same = min(len(same), int(n * r.uniform(0.55, 0.75)))
        members = list(r.choice(same, n_same, replace=False)) + list(
            r.choice(other, min(len(other), n - n_same), replace=False)
        )
        a, lab = self.new_attack("rival_siege")
        end = wave_t[-1] + 40 * MIN
        for s in members:
            if s["tier"] == "small" and r.random() < 0.7:  # "pause your own through-train ads first"
                self.paused[s["idx"]].append((start - 10 * MIN, end))
        wave_targets = []
        for _wave in range(n_waves):
            k = int(r.integers(1, nt + 1))
            wave_targets.append(list(r.choice([t["idx"] for t in targets], k, replace=False)))
        clicked_adv, clicked_li, kws_used = set(), set(), set()
        for s in members:
            ptype = r.choice(["obedient", "stopwatch", "impatient", "ignorer"], p=[0.55, 0.12, 0.15, 0.18])
            bias = r.normal(0, 1200)
            mode = r.choice(["main", "personal", "sub", "none"], p=[0.45, 0.40, 0.10, 0.05])
            actor = self.seller_actor(s, mode)
            dev = s["pc"] if r.random() < 0.55 else s["phone"]
            ws = [w for w in range(n_waves) if r.random() < r.uniform(0.3, 0.6)] or [int(r.integers(n_waves))]
            ws = ws[:3]
            budget = int(r.integers(1, 7))
            s["busy"] = []
            for w in ws:
                if budget <= 0:
                    break
                t = wave_t[w] + int(r.lognormal(math.log(100_000), 0.8))
                src, mobile = self.session_source(actor, t, device=dev, logged_out=(mode == "none"))
                lis = [li for adv in wave_targets[w] for li in hot[adv]]
                r.shuffle(lis)
                lis = lis[: min(budget, int(r.integers(1, 5)))]
                s["busy"].append((t, t + 10 * MIN))
                for li in lis:
                    kw = self.attack_kw_for(li)
                    if ptype == "obedient":
                        d = 10_600 + bias + r.normal(0, 1100)
                    elif ptype == "stopwatch":
                        d = 10_000 + r.uniform(0, 1500)
                    elif ptype == "impatient":
                        d = r.uniform(1500, 6500)
                    else:
                        d = self.honest_dwell(mobile)
                    d = max(800, d)
                    self.emit(t, li, kw, src, d, lab, mobile)
                    clicked_adv.add(self.sellers[self.listings[li]["adv"]]["id"])
                    clicked_li.add(self.listings[li]["id"])
                    kws_used.add(kw)
                    budget -= 1
                    if r.random() < 0.05:  # double-tap
                        self.emit(
                            t + int(r.uniform(800, 4000)), li, kw, src, r.uniform(2000, 12000), lab, mobile
                        )
                    t += int(d + r.lognormal(math.log(6000), 0.5))
        a.update(
            targets=dict(
                advertiser_ids=sorted(clicked_adv), listing_ids=sorted(clicked_li), keywords=sorted(kws_used)
            ),
            notes=dict(
                members=len(members),
                same_category_members=n_same,
                profiled_members=sum(1 for s in members if s["profiled"]),
                waves=n_waves,
                category=cat,
            ),
        )
        self.siege_members = members

    def gen_sweep(self):
        """(b) organiser sweeps high-traffic high-price keywords one after another."""
        r = self.rng
        heads = [k for k, v in self.keywords.items() if v["head"]]
        score = np.array([self.keywords[k]["price"] * self.keywords[k]["pop"] for k in heads])
        top = [heads[i] for i in np.argsort(-score)[:12]]
        nk = int(r.integers(3, 6))
        kws = list(r.choice(top, nk, replace=False))
        start = int(r.integers(13 * 60, 16 * 60) * MIN)
        windows = []
        t = start
        for k in kws:
            d = int(r.integers(12, 26) * MIN)
            windows.append((k, t, t + d))
            t += d + int(r.integers(2, 11) * MIN)
        taken = {s["idx"] for s in getattr(self, "siege_members", [])}
        pool = [s for s in self.sellers if s["tier"] in ("small", "nonadv") and s["idx"] not in taken]
        crew = list(r.choice(pool, int(r.integers(10, 26)), replace=False))
        for s in crew:
            if s["tier"] == "small":
                self.paused[s["idx"]].append((start - 5 * MIN, t))
        n_symp = int(r.integers(20, 61))
        symp = []
        for _ in range(n_symp):
            if r.random() < 0.5:
                symp.append(("old", self.shoppers[r.integers(len(self.shoppers))]))
            else:
                symp.append(("new", self.new_shopper()))
        a, lab = self.new_attack("keyword_sweep")
        adv_set, li_set = set(), set()
        participants = [
            ("crew", self.seller_actor(s, r.choice(["main", "personal"], p=[0.4, 0.6]))) for s in crew
        ] + [("symp", x[1]) for x in symp]
        for role, actor in participants:
            bias = r.normal(0, 1000)
            p_join = 0.75 if role == "crew" else 0.4
            joined_once, left = False, False
            for k, w0, w1 in windows:
                if left:
                    break
                if r.random() > p_join:
                    if joined_once and r.random() < 0.7:
                        left = True
                    continue
                joined_once = True
                t = w0 + int(r.lognormal(math.log(70_000), 0.9))
                if t > w1:
                    continue
                src, mobile = self.session_source(actor, t)
                for _sweep in range(2 if r.random() < 0.15 else 1):
                    page = self.ranked_page(k, t, noise=0.12, top=7 if mobile else 11)
                    for li in page:
                        if r.random() < 0.08:
                            continue
                        if role == "crew":
                            d = max(1500, 6000 + bias + r.normal(0, 1500))
                        else:
                            d = r.uniform(1000, 4000) if r.random() < 0.5 else r.uniform(5000, 20000)
                        self.emit(t, li, k, src, d, lab, mobile)
                        adv_set.add(self.sellers[self.listings[li]["adv"]]["id"])
                        li_set.add(self.listings[li]["id"])
                        t += int(d + r.lognormal(math.log(3500), 0.4))
                    t += int(r.uniform(60_000, 300_000))
        a.update(
            targets=dict(advertiser_ids=sorted(adv_set), listing_ids=sorted(li_set), keywords=kws),
            notes=dict(
                crew=len(crew),
                sympathisers=n_symp,
                schedule=[(k, DAY0 + w0, DAY0 + w1) for k, w0, w1 in windows],
            ),
        )
        self.sweep_symp = symp

    def gen_click_farm(self):
        """(c) hired crew of fresh accounts hits one cheap listing of a small shop within ~30 min."""
        r = self.rng
        cands = [
            L
            for L in self.listings
            if self.sellers[L["adv"]]["tier"] == "small" and 150_000 <= min(L["bids"].values()) <= 900_000
        ]
        L = cands[r.integers(len(cands))]
        kw_main = min(L["bids"], key=lambda k: L["bids"][k])  # the instructed long-tail search term
        kws = list(L["bids"])
        start = int(r.integers(9 * 60, 22 * 60) * MIN)
        dur = int(r.integers(24, 37) * MIN)
        n = int(r.integers(1000, 3001))
        a, lab = self.new_attack("click_farm")
        times = start + (r.beta(2.0, 2.6, n) * dur).astype(int)
        lo, hi = r.choice([(15, 60), (20, 45), (15, 40), (30, 60)])
        for t in times:
            acct = self.account_id(fresh=True)
            mobile = r.random() < 0.8
            dev = self.device(mobile)
            ip = (
                self.nat_ip()
                if (mobile and r.random() < 0.4)
                else (self.v6_addr(self.v6_prefix()) if r.random() < 0.05 else self.v4())
            )
            src = {
                "ip": ip,
                "device_id": dev["id"] or self.uid("", 24),
                "user_agent": dev["ua"],
                "account_id": acct,
            }
            kw = kw_main if r.random() < 0.75 else kws[r.integers(len(kws))]
            u = r.random()
            d = (
                r.uniform(lo, hi) * SEC
                if u < 0.86
                else (r.uniform(hi, 3 * hi) * SEC if u < 0.94 else r.uniform(6, lo) * SEC)
            )
            self.emit(int(t), L["idx"], kw, src, d, lab, mobile)
            if r.random() < 0.15:  # "click twice, it counts double"
                t2 = int(t + r.uniform(40, 600) * SEC)
                src2 = dict(src)
                if mobile and r.random() < 0.3:
                    src2["ip"] = self.nat_ip()
                self.emit(t2, L["idx"], kw, src2, r.uniform(lo, hi) * SEC, lab, mobile)
        a.update(
            targets=dict(advertiser_ids=[self.sellers[L["adv"]]["id"]], listing_ids=[L["id"]], keywords=kws),
            notes=dict(accounts=n, dwell_band_s=[int(lo), int(hi)], instructed_keyword=kw_main),
        )

    def gen_bots(self):
        """(d) two simple bots from data-centre ips."""
        r = self.rng
        # bot A: python script hammering one mid shop's listings from one ip, no JS -> rarely any dwell
        mids = [s for s in self.sellers if s["tier"] == "mid" and len(s["listings"]) >= 4]
        tgt = mids[r.integers(len(mids))]
        a, lab = self.new_attack("bots")
        ip = self.v4(*DC_PREFIXES[r.integers(len(DC_PREFIXES))])
        ua = r.choice(
            [
                "python-requests/2.2.1 CPython/2.7.5 Linux/2.6.32-431.el6.x86_64",
                "Java/1.7.0_45",
                "Mozilla/5.0 (Windows NT 6.1; WOW64)",
            ]
        )
        t = int(r.integers(9 * 60, 18 * 60) * MIN)
        t_end = t + int(r.integers(15, 31) * MIN)
        kws = set()
        while t < t_end:
            li = tgt["listings"][r.integers(len(tgt["listings"]))]
            kw = self.attack_kw_for(li)
            kws.add(kw)
            rep = r.random() < 0.2
            self.emit(t, li, kw, {"ip": ip, "user_agent": str(ua)}, r.uniform(0, 400), lab, False, report=rep)
            t += int(max(700, r.exponential(3500)))
        a.update(
            targets=dict(
                advertiser_ids=[tgt["id"]],
                listing_ids=[self.listings[i]["id"] for i in tgt["listings"]],
                keywords=sorted(kws),
            ),
            notes=dict(ip=ip, user_agent=str(ua)),
        )
        # bot B: headless browser at night, rotating cookies and a few dc ips in one /24, scripted ~10 s stay
        b, lab = self.new_attack("bots")
        p1, p2 = DC_PREFIXES[r.integers(len(DC_PREFIXES))]
        c3 = int(r.integers(0, 256))
        ips = [f"{p1}.{p2}.{c3}.{r.integers(2, 254)}" for _ in range(6)]
        accts = [self.account_id() for _ in range(3)]
        ua = (
            "Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/534.34 (KHTML, like Gecko) PhantomJS/1.9.7 "
            "Safari/534.34"
        )
        mid_price = sorted(
            (k for k, v in self.keywords.items() if v["head"]), key=lambda k: self.keywords[k]["price"]
        )
        kws = list(r.choice(mid_price[: len(mid_price) // 2], 2, replace=False))
        t = int(r.integers(90, 240) * MIN)
        t_end = t + int(r.integers(35, 71) * MIN)
        advs, lis = set(), set()
        i = 0
        while t < t_end:
            kw = kws[i % 2]
            page = self.ranked_page(kw, t, noise=0.05, top=10)
            li = page[i % len(page)]
            src = {
                "ip": ips[r.integers(6)],
                "device_id": self.uid("", 24),
                "user_agent": ua,
                "account_id": accts[(i // 7) % 3],
            }
            self.emit(t, li, kw, src, r.uniform(9000, 12500), lab, False, report=r.random() < 0.95)
            advs.add(self.sellers[self.listings[li]["adv"]]["id"])
            lis.add(self.listings[li]["id"])
            t += int(r.uniform(5000, 14000))
            i += 1
        b.update(
            targets=dict(advertiser_ids=sorted(advs), listing_ids=sorted(lis), keywords=kws),
            notes=dict(ips=ips, accounts=accts),
        )

    def gen_slow_drip(self):
        """TWIST 1: whole-day residential-proxy drip that mimics honest shoppers against one rival."""
        r = self.rng
        cands = [s for s in self.sellers if s["tier"] in ("mid", "big") and s["cats"][0] != self.siege_cat]
        tgt = cands[r.integers(len(cands))]
        lis = tgt["listings"]
        n = int(r.integers(160, 321))
        a, lab = self.new_attack("slow_drip")
        bought = [self.account_id() for _ in range(int(n / 1.6))]
        times = self.sample_times(n)
        kws = set()
        for t in times:
            li = lis[r.integers(len(lis))]
            kw = self.attack_kw_for(li)
            kws.add(kw)
            mobile = r.random() < 0.65
            dev = self.device(mobile)
            ip = (
                self.nat_ip()
                if r.random() < 0.4
                else (self.v4() if r.random() < 0.93 else self.v6_addr(self.v6_prefix()))
            )
            src = {"ip": ip, "user_agent": dev["ua"]}
            if dev["id"]:
                src["device_id"] = dev["id"]
            if r.random() < 0.55:
                src["account_id"] = bought[r.integers(len(bought))]
            d = r.lognormal(math.log(2500), 0.6) if r.random() < 0.2 else r.lognormal(math.log(24000), 0.95)
            self.emit(int(t), li, kw, src, d, lab, mobile)
        a.update(
            targets=dict(
                advertiser_ids=[tgt["id"]],
                listing_ids=[self.listings[i]["id"] for i in lis],
                keywords=sorted(kws),
            ),
            notes=dict(clicks_planned=n, bought_accounts=len(bought)),
        )

    def gen_task_group(self):
        """TWIST 2: paid QQ 'task group' rotating over many shops, randomised stays.

        Runs in the evening and overlaps the honest pre-sale surge.
        """
        r = self.rng
        pool = [s for s in self.sellers if s["tier"] in ("big", "mid")]
        tg = list(r.choice(pool, int(min(len(pool), r.integers(20, 41))), replace=False))
        n_rounds = int(r.integers(6, 11))
        start = int(r.integers(19 * 60, 20 * 60 + 31) * MIN)
        rounds = []
        t = start
        for _round in range(n_rounds):
            k = int(r.integers(6, 11))
            advs = [tg[j] for j in r.choice(len(tg), k, replace=False)]
            tasks = []
            for s in advs:
                li = s["listings"][r.integers(len(s["listings"]))]
                tasks.append((li, self.attack_kw_for(li)))
            rounds.append((t, tasks))
            t += int(r.integers(20, 36) * MIN)
        members = []
        for _ in range(int(r.integers(40, 91))):
            members.append(
                self.shoppers[r.integers(len(self.shoppers))]
                if r.random() < 0.65
                else self.new_shopper(mobile_bias=0.1)
            )
        a, lab = self.new_attack("task_group")
        advs, lis, kws = set(), set(), set()
        p_part = r.uniform(0.3, 0.5)
        for m in members:
            randomiser = r.random() < 0.5
            did = 0
            for t0, tasks in rounds:
                if r.random() > p_part and not (did == 0 and r.random() < 0.15):
                    continue
                did += 1
                t = t0 + int(r.lognormal(math.log(180_000), 0.9))
                src, mobile = self.session_source(m, t)
                k = int(min(len(tasks), r.integers(2, 5)))
                for j in r.choice(len(tasks), k, replace=False):
                    li, kw = tasks[j]
                    d = (
                        math.exp(r.uniform(math.log(15000), math.log(150000)))
                        if randomiser
                        else r.uniform(25000, 45000)
                    )
                    self.emit(t, li, kw, src, d, lab, mobile)
                    advs.add(self.sellers[self.listings[li]["adv"]]["id"])
                    lis.add(self.listings[li]["id"])
                    kws.add(kw)
                    t += int(d + r.lognormal(math.log(15000), 0.7))
        a.update(
            targets=dict(advertiser_ids=sorted(advs), listing_ids=sorted(lis), keywords=sorted(kws)),
            notes=dict(members=len(members), rounds=n_rounds, target_pool=len(tg)),
        )
        self.task_members = members

    # ------------------------------------------------------------ run & write
    def run(self):
        # attacks that pause ads must exist before honest traffic is drawn
        self.gen_siege()
        self.gen_sweep()
        self.gen_organic()
        self.gen_surge()
        self.gen_viral()
        self.gen_seller_shoppers(extra=[s for s in self.siege_members if self.rng.random() < 0.3])
        self.gen_click_farm()
        self.gen_bots()
        self.gen_slow_drip()
        self.gen_task_group()

    def write(self, out):
        r = self.rng
        self.clicks.sort(key=lambda c: c["t"])
        events, labels = [], {}
        for c in self.clicks:
            while True:
                cid = "clk-" + "".join(r.choice(list("0123456789abcdef"), 20))
                if cid not in labels:
                    break
            L = self.listings[c["li"]]
            ts = DAY0 + c["t"]
            click = {
                "click_id": cid,
                "ts": ts,
                "advertiser_id": self.sellers[L["adv"]]["id"],
                "listing_id": L["id"],
                "cost_micros": int(c["cost"]),
                "currency": "CNY",
                "keyword": c["kw"],
                "category": L["cat"],
                "source": c["src"],
            }
            events.append((ts, 0, {"type": "click", "ts_ms": ts, "click": click}))
            fraud, traffic, aid = c["label"]
            labels[cid] = {"fraud": fraud, "traffic": traffic, "attack_id": aid}
            c["cid"] = cid
            if c["report"]:
                u = r.random()
                delay = r.lognormal(math.log(2500), 1.0) if u < 0.97 else r.uniform(5 * MIN, 40 * MIN)
                at = ts + c["dwell"] + int(delay)
                events.append(
                    (
                        at,
                        1,
                        {
                            "type": "dwell",
                            "ts_ms": at,
                            "dwell": {"click_id": cid, "dwell_ms": int(c["dwell"])},
                        },
                    )
                )
        events.sort(key=lambda e: (e[0], e[1]))
        with open(out, "w", encoding="utf-8") as f:
            for s in self.sellers:
                if s["profiled"]:
                    f.write(json.dumps({"seller": s["profile"]}, ensure_ascii=False) + "\n")
            for _, _, e in events:
                f.write(json.dumps(e, ensure_ascii=False) + "\n")
        for a in self.attacks:
            ts = [c["t"] for c in self.clicks if c["label"][2] == a["attack_id"]]
            a["start_ms"] = DAY0 + min(ts)
            a["end_ms"] = DAY0 + max(ts)
            a["n_clicks"] = len(ts)
            a["spend_micros"] = sum(c["cost"] for c in self.clicks if c["label"][2] == a["attack_id"])
        meta = dict(
            seed=self.seed,
            day_start_ms=DAY0,
            day_start="2014-03-10T00:00:00+08:00",
            advertisers=self.n_advertisers,
            sellers=len(self.sellers),
            profiled_sellers=sum(s["profiled"] for s in self.sellers),
            listings=len(self.listings),
            keywords=len(self.keywords),
            shoppers=len(self.shoppers),
            surge=self.surge_info,
            viral=self.viral_info,
            siege_category=self.siege_cat,
            profiles_listing_a_carrier_nat_ip=sorted(
                s["id"] for s in self.sellers if s["profiled"] and s["gateway"] in s["profile"]["ips"]
            ),
        )
        keys = ["attack_id", "kind", "start_ms", "end_ms", "targets", "n_clicks", "spend_micros", "notes"]
        attacks = [{k: a[k] for k in keys if k in a} for a in self.attacks]
        with open(out + ".labels.json", "w", encoding="utf-8") as f:
            json.dump(
                {"labels": labels, "attacks": attacks, "meta": meta},
                f,
                ensure_ascii=False,
                indent=1,
                default=lambda o: o.item() if hasattr(o, "item") else str(o),
            )
        return events, labels


def validate_and_report(out):
    n_prof = n_click = n_dwell = 0
    clicks = {}
    dwell_ids = set()
    last_ts = -1
    with open(out, encoding="utf-8") as f:
        for line in f:
            o = json.loads(line)
            if "seller" in o:
                assert n_click == 0 and n_dwell == 0, "profiles must come first"
                n_prof += 1
                continue
            assert o["ts_ms"] >= last_ts
            last_ts = o["ts_ms"]
            if o["type"] == "click":
                c = o["click"]
                assert isinstance(c["cost_micros"], int) and 0 <= c["cost_micros"] <= 10**12
                assert c["click_id"] not in clicks and len(c["click_id"]) <= 128
                assert c["ts"] == o["ts_ms"] and isinstance(c["ts"], int)
                assert c["source"]["ip"]
                clicks[c["click_id"]] = c
                n_click += 1
            else:
                d = o["dwell"]
                assert (
                    d["click_id"] in clicks
                    and isinstance(d["dwell_ms"], int)
                    and 0 <= d["dwell_ms"] <= 86_400_000
                )
                assert d["click_id"] not in dwell_ids
                dwell_ids.add(d["click_id"])
                n_dwell += 1
    with open(out + ".labels.json", encoding="utf-8") as f:
        lab = json.load(f)
    labels = lab["labels"]
    assert set(labels) == set(clicks), "every click has exactly one label"
    by = Counter()
    spend = Counter()
    for cid, entry in labels.items():
        key = ("FRAUD " + entry["attack_id"]) if entry["fraud"] else entry["traffic"]
        by[key] += 1
        spend["fraud" if entry["fraud"] else "honest"] += clicks[cid]["cost_micros"]
    total = sum(spend.values())
    print(
        f"{out}: {n_prof:d} seller profiles, {n_click:d} clicks, {n_dwell:d} dwell reports "
        f"({100.0 * n_dwell / n_click:.1f}% of clicks)"
    )
    for k in sorted(by, key=lambda k: (k.startswith("FRAUD"), k)):
        print(f"  {k:<28} {by[k]:6d}")
    nf = sum(v for k, v in by.items() if k.startswith("FRAUD"))
    honest_cny, fraud_cny = spend["honest"] / 1e6, spend["fraud"] / 1e6
    print(
        f"  fraud clicks {nf:d} ({100.0 * nf / n_click:.1f}%); spend: honest {honest_cny:.0f} CNY, "
        f"fraud {fraud_cny:.0f} CNY -> fraud share {100.0 * spend['fraud'] / total:.1f}%"
    )
    for a in lab["attacks"]:
        t0 = dt.datetime.fromtimestamp(a["start_ms"] / 1000, TZ).strftime("%H:%M")
        t1 = dt.datetime.fromtimestamp(a["end_ms"] / 1000, TZ).strftime("%H:%M")
        tg = a["targets"]
        print(
            f"  attack {a['attack_id']:<18} {a['kind']:<14} clicks={a['n_clicks']:5d} "
            f"spend={a['spend_micros'] / 1e6:8.0f} CNY  {t0} -> {t1}  "
            f"targets: {len(tg['advertiser_ids']):d} adv, {len(tg['listing_ids']):d} listings, "
            f"{len(tg['keywords']):d} kws"
        )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    w = World(args.seed)
    w.run()
    w.write(args.out)
    validate_and_report(args.out)


if __name__ == "__main__":
    main()
