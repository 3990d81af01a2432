#!/usr/bin/env python3
"""
gen.py - one independent, labelled day of Taobao-style sponsored-search (直通车, CPC) ad clicks.

    python bench/third/gen.py --seed N --out out/third-N.jsonl

Writes <out> (JSONL: seller profiles first, then click and dwell events sorted by ts_ms) and
<out>.labels.json (per-click labels, attack records, meta), then re-reads and checks both and
prints counts.  Deterministic per seed; depends on numpy only.  See README.md for the model.
"""

import argparse
import bisect
import datetime as dt
import ipaddress
import json
import math
import os
import re
import time

import numpy as np

VERSION = "third-gen/1.0"
DAY_S = 86400.0
BJ = dt.timezone(dt.timedelta(hours=8))

# --------------------------------------------------------------------------------------------
# calendar: the evening before a sale day (pre-sale surge), Beijing time
# --------------------------------------------------------------------------------------------
OCCASIONS = [
    ("2013-12-08", "双12预热（中小卖家围城期间的周日）"),
    ("2013-12-11", "双12前夜"),
    ("2014-11-10", "双11前夜"),
    ("2014-12-11", "双12前夜"),
    ("2015-06-17", "618年中大促前夜"),
    ("2015-11-10", "双11前夜"),
    ("2016-03-07", "三八女王节前夜"),
    ("2016-06-17", "618年中大促前夜"),
    ("2016-12-11", "双12前夜"),
]

# relative click volume per hour (Beijing time); Taobao-like: dead at 3-5am, late-morning and
# afternoon plateau, main peak 20-23h
HOURLY_WEEKDAY = [
    0.50,
    0.28,
    0.15,
    0.09,
    0.07,
    0.08,
    0.16,
    0.33,
    0.55,
    0.80,
    0.95,
    0.92,
    0.82,
    0.90,
    0.97,
    0.98,
    0.93,
    0.82,
    0.75,
    0.88,
    1.08,
    1.22,
    1.18,
    0.85,
]
HOURLY_WEEKEND = [
    0.62,
    0.36,
    0.19,
    0.11,
    0.08,
    0.08,
    0.12,
    0.24,
    0.42,
    0.66,
    0.86,
    0.92,
    0.88,
    0.90,
    0.95,
    0.96,
    0.93,
    0.86,
    0.82,
    0.92,
    1.10,
    1.22,
    1.16,
    0.86,
]

# --------------------------------------------------------------------------------------------
# geography / networks
# --------------------------------------------------------------------------------------------
PROVS = [
    ("广东", 0.13, "S"),
    ("浙江", 0.11, "S"),
    ("江苏", 0.10, "S"),
    ("上海", 0.06, "S"),
    ("北京", 0.06, "N"),
    ("山东", 0.07, "N"),
    ("福建", 0.05, "S"),
    ("河南", 0.06, "N"),
    ("四川", 0.06, "S"),
    ("湖北", 0.05, "S"),
    ("湖南", 0.04, "S"),
    ("河北", 0.04, "N"),
    ("安徽", 0.04, "S"),
    ("辽宁", 0.03, "N"),
]
FIRST_OCTETS = {
    "tel": [
        14,
        27,
        36,
        49,
        58,
        59,
        61,
        101,
        106,
        110,
        113,
        114,
        115,
        116,
        117,
        118,
        119,
        121,
        122,
        124,
        125,
        171,
        180,
        182,
        183,
        218,
        219,
        220,
        222,
    ],
    "uni": [
        27,
        42,
        58,
        60,
        61,
        101,
        110,
        111,
        112,
        113,
        114,
        115,
        116,
        119,
        120,
        121,
        122,
        123,
        124,
        125,
        175,
        202,
        210,
        211,
        218,
        221,
    ],
    "cmb": [36, 39, 111, 112, 117, 120, 183, 211, 223],
}
CGNAT_PREFIX = {  # mobile data gateways (carrier-grade NAT)
    "cmcc": [(117, 136), (223, 104), (223, 105), (117, 135), (111, 0)],
    "unicom": [(112, 96), (112, 97), (42, 49), (120, 204)],
    "telecom": [(115, 168), (106, 39), (101, 226), (14, 150)],
}
CERNET = [
    (202, 112),
    (166, 111),
    (59, 66),
    (219, 224),
    (211, 68),
    (222, 195),
    (202, 120),
    (210, 32),
    (218, 194),
    (202, 38),
]
DATACENTER = [
    (120, 24),
    (120, 25),
    (121, 40),
    (121, 42),
    (114, 55),
    (115, 28),
    (139, 196),
    (118, 190),
    (101, 200),
    (119, 29),
    (115, 159),
    (123, 206),
    (106, 75),
]

# --------------------------------------------------------------------------------------------
# catalogue: categories, keywords and typical CPC (CNY)
# --------------------------------------------------------------------------------------------
# name, shopper weight, small-seller weight
CATS = [
    ("女装", 0.19, 0.26),
    ("男装", 0.08, 0.08),
    ("内衣", 0.06, 0.07),
    ("女鞋", 0.08, 0.08),
    ("运动户外", 0.06, 0.04),
    ("美妆护肤", 0.10, 0.08),
    ("母婴", 0.08, 0.07),
    ("手机数码", 0.09, 0.09),
    ("家具", 0.04, 0.04),
    ("零食特产", 0.07, 0.08),
    ("箱包", 0.05, 0.06),
    ("婚纱礼服", 0.02, 0.02),
    ("小家电", 0.08, 0.03),
]
APPAREL = {"女装", "男装", "内衣", "女鞋", "箱包", "运动户外"}
RELATED = {
    "女装": ["女鞋", "内衣", "箱包", "婚纱礼服"],
    "男装": ["运动户外"],
    "内衣": ["女装"],
    "女鞋": ["女装", "箱包"],
    "运动户外": ["男装"],
    "美妆护肤": ["母婴"],
    "母婴": ["零食特产"],
    "手机数码": ["小家电"],
    "家具": ["小家电"],
    "零食特产": ["母婴"],
    "箱包": ["女鞋", "女装"],
    "婚纱礼服": ["女装"],
    "小家电": ["手机数码", "家具"],
}
# (keyword, base cpc CNY, traffic weight)
KW_WINTER = {
    "女装": [
        ("羽绒服 女", 4.2, 10),
        ("毛呢外套 女", 3.6, 9),
        ("连衣裙", 2.4, 6),
        ("针织衫 女", 1.9, 5),
        ("打底衫 女", 1.2, 5),
        ("棉衣 女", 2.8, 6),
        ("韩版 女装", 2.0, 4),
        ("大码女装", 1.6, 3),
        ("卫衣 女", 1.5, 4),
        ("半身裙", 1.4, 3),
    ],
    "男装": [
        ("羽绒服 男", 3.8, 8),
        ("夹克 男", 2.2, 5),
        ("卫衣 男", 1.4, 4),
        ("牛仔裤 男", 1.6, 4),
        ("棉衣 男", 2.4, 5),
        ("毛衣 男", 1.5, 4),
        ("休闲裤 男", 1.3, 3),
        ("衬衫 男 长袖", 1.4, 3),
    ],
    "内衣": [
        ("文胸", 1.8, 6),
        ("内衣 女 套装", 1.5, 4),
        ("无钢圈 文胸", 1.6, 3),
        ("保暖内衣", 2.0, 6),
        ("睡衣 女", 1.3, 4),
        ("内裤 女", 0.9, 3),
        ("聚拢 文胸", 1.9, 3),
        ("家居服", 1.2, 3),
    ],
    "女鞋": [
        ("雪地靴", 2.6, 8),
        ("短靴 女", 2.2, 6),
        ("马丁靴 女", 2.0, 4),
        ("高跟鞋", 1.8, 4),
        ("单鞋 女", 1.5, 3),
        ("长靴 女", 2.4, 4),
    ],
    "运动户外": [
        ("运动鞋 男", 2.2, 6),
        ("跑步鞋", 2.4, 4),
        ("冲锋衣", 3.2, 5),
        ("登山鞋", 2.0, 2),
        ("瑜伽服", 1.6, 2),
        ("篮球鞋", 2.3, 3),
        ("运动套装 女", 1.7, 3),
    ],
    "美妆护肤": [
        ("面膜", 1.8, 9),
        ("洗面奶", 1.5, 6),
        ("BB霜", 1.7, 5),
        ("口红", 1.6, 6),
        ("补水 套装", 2.8, 5),
        ("精华液", 2.4, 3),
        ("眼霜", 2.6, 3),
        ("护手霜", 0.9, 3),
    ],
    "母婴": [
        ("奶粉", 3.1, 8),
        ("纸尿裤", 2.2, 8),
        ("婴儿推车", 3.4, 3),
        ("儿童 羽绒服", 2.0, 4),
        ("宝宝 辅食", 1.5, 3),
        ("婴儿 连体衣", 1.3, 3),
        ("安全座椅", 4.8, 2),
    ],
    "手机数码": [
        ("手机", 3.6, 9),
        ("手机壳", 0.6, 8),
        ("移动电源", 1.1, 5),
        ("蓝牙耳机", 1.4, 4),
        ("平板电脑", 3.8, 4),
        ("数据线", 0.4, 4),
        ("钢化膜", 0.5, 5),
        ("智能手表", 2.6, 2),
    ],
    "家具": [
        ("衣柜", 6.5, 4),
        ("定制衣柜", 11.0, 3),
        ("全屋定制", 12.5, 2),
        ("沙发", 5.5, 5),
        ("床垫", 5.8, 4),
        ("实木床", 4.9, 3),
        ("书柜", 3.6, 2),
        ("餐桌", 3.8, 2),
        ("榻榻米 定制", 9.0, 1),
    ],
    "零食特产": [
        ("坚果 零食", 1.1, 7),
        ("牛肉干", 0.9, 4),
        ("红枣", 0.7, 3),
        ("蜂蜜", 1.0, 3),
        ("茶叶", 1.6, 4),
        ("零食 大礼包", 1.2, 6),
        ("巧克力", 0.9, 4),
        ("碧根果", 1.0, 3),
    ],
    "箱包": [
        ("女包", 2.0, 7),
        ("双肩包", 1.4, 5),
        ("拉杆箱", 2.2, 3),
        ("钱包 女", 1.1, 3),
        ("斜挎包 女", 1.5, 4),
        ("真皮 女包", 2.6, 3),
        ("旅行箱", 2.0, 2),
    ],
    "婚纱礼服": [
        ("婚纱", 3.8, 4),
        ("敬酒服", 2.6, 3),
        ("伴娘服", 1.8, 2),
        ("晚礼服 长款", 2.4, 2),
        ("旗袍", 2.0, 2),
    ],
    "小家电": [
        ("电饭煲", 2.4, 5),
        ("空气净化器", 4.2, 5),
        ("电暖器", 2.0, 5),
        ("加湿器", 1.3, 5),
        ("扫地机器人", 3.9, 3),
        ("豆浆机", 1.9, 3),
        ("吸尘器", 2.6, 3),
    ],
}
KW_SUMMER_OVERRIDE = {
    "女装": [
        ("连衣裙", 3.0, 12),
        ("雪纺衫", 1.6, 6),
        ("T恤 女", 1.3, 6),
        ("短裤 女", 1.1, 4),
        ("半身裙", 1.5, 4),
        ("防晒衣 女", 1.4, 4),
        ("韩版 女装", 2.0, 4),
        ("大码女装", 1.6, 3),
        ("套装 女", 1.8, 3),
        ("蕾丝 连衣裙", 2.2, 3),
    ],
    "男装": [
        ("T恤 男", 1.3, 7),
        ("衬衫 男", 1.5, 4),
        ("短裤 男", 1.0, 4),
        ("休闲裤 男", 1.3, 3),
        ("polo衫 男", 1.6, 3),
        ("牛仔裤 男", 1.6, 4),
    ],
    "内衣": [
        ("文胸", 1.8, 6),
        ("内衣 女 套装", 1.5, 4),
        ("无钢圈 文胸", 1.6, 3),
        ("睡衣 女 夏", 1.3, 5),
        ("内裤 女", 0.9, 3),
        ("聚拢 文胸", 1.9, 3),
        ("家居服", 1.2, 3),
    ],
    "女鞋": [
        ("凉鞋 女", 1.6, 7),
        ("高跟鞋", 1.8, 4),
        ("单鞋 女", 1.5, 4),
        ("帆布鞋 女", 1.1, 3),
        ("坡跟 凉鞋", 1.4, 3),
    ],
    "小家电": [
        ("电饭煲", 2.4, 5),
        ("空气净化器", 3.2, 2),
        ("电风扇", 1.2, 6),
        ("加湿器", 1.0, 2),
        ("扫地机器人", 3.9, 3),
        ("豆浆机", 1.9, 3),
        ("吸尘器", 2.6, 3),
    ],
}
MODS = {
    "女装": ["{y}新款", "韩版", "修身", "显瘦", "中长款", "学生", "气质", "包邮", "百搭"],
    "男装": ["{y}新款", "修身", "青年", "韩版", "加大码", "包邮"],
    "内衣": ["性感", "无痕", "少女", "大码", "聚拢", "纯棉"],
    "女鞋": ["{y}新款", "平底", "真皮", "韩版", "粗跟", "学生"],
    "运动户外": ["正品", "透气", "{y}新款", "防水", "专业"],
    "美妆护肤": ["正品", "补水", "保湿", "美白", "学生", "套装"],
    "母婴": ["进口", "新生儿", "正品", "夏季", "包邮"],
    "手机数码": ["iphone6", "小米", "华为", "正品", "超薄", "快充"],
    "家具": ["实木", "简约", "现代", "卧室", "定制", "小户型"],
    "零食特产": ["特产", "包邮", "散装", "新货", "进口", "年货"],
    "箱包": ["{y}新款", "韩版", "真皮", "大容量", "学生", "潮"],
    "婚纱礼服": ["{y}新款", "韩式", "齐地", "拖尾", "显瘦", "红色"],
    "小家电": ["家用", "智能", "静音", "迷你", "正品", "节能"],
}
VIRAL_STARS = {
    2013: ["小时代同款", "杨幂同款"],
    2014: ["千颂伊同款", "都教授同款"],
    2015: ["花千骨同款", "芈月传同款"],
    2016: ["欢乐颂同款", "太阳的后裔同款"],
}
VIRAL_PRODUCT = {
    "女装": ["毛呢外套", "连衣裙", "风衣"],
    "美妆护肤": ["口红", "唇膏"],
    "箱包": ["包包", "斜挎包"],
    "女鞋": ["短靴", "高跟鞋"],
}

BRAND_SYL = list("韩优尚茵拉森雅美欧米洛韵诗娜途卡丽艾凯骆伊帝蓝朵乐纳芙依尔莎菲薇格丹妮蔻逸")
SHOP_NAME_A = list("小萌糖果阿甜的花猫云朵柠檬橙子麦兜豆豆木子七月夏天")
SHOP_SUFFIX = [
    "小铺",
    "的店",
    "家",
    "精品店",
    "工作室",
    "潮店",
    "日韩馆",
    "小屋",
    "坊",
    "衣橱",
    "优选",
    "杂货铺",
]
STAFF_NICK = [
    "小美",
    "小雅",
    "阿杰",
    "客服1",
    "客服2",
    "小雨",
    "运营",
    "美工",
    "小鱼",
    "糖糖",
    "阿伟",
    "小七",
    "售后",
    "店长",
    "小李",
    "晓晓",
    "阿芳",
    "客服3",
    "小宁",
    "推广",
]

ID_BY_YEAR = [
    (2003.4, 1.0e6),
    (2006.0, 6.0e7),
    (2008.0, 1.6e8),
    (2010.0, 5.5e8),
    (2012.0, 1.05e9),
    (2013.0, 1.6e9),
    (2014.0, 2.05e9),
    (2015.0, 2.5e9),
    (2016.0, 2.75e9),
    (2017.0, 3.1e9),
]

ALNUM = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"))
HEX = np.array(list("0123456789abcdef"))

# --------------------------------------------------------------------------------------------
# user agents (by year)
# --------------------------------------------------------------------------------------------
IOS_BY_YEAR = {
    2013: ["6_1_3", "7_0_4", "7_0_4"],
    2014: ["7_1_2", "8_1", "8_1_2"],
    2015: ["8_4", "9_1", "9_2"],
    2016: ["9_3_2", "9_3_5", "10_1_1"],
}
IOS_META = {
    "6_1_3": ("536.26", "10B329", "6.0"),
    "7_0_4": ("537.51.1", "11B554a", "7.0"),
    "7_1_2": ("537.51.2", "11D257", "7.0"),
    "8_1": ("600.1.4", "12B411", "8.0"),
    "8_1_2": ("600.1.4", "12B440", "8.0"),
    "8_4": ("600.1.4", "12H143", "8.0"),
    "9_1": ("601.1.46", "13B143", "9.0"),
    "9_2": ("601.1.46", "13C75", "9.0"),
    "9_3_2": ("601.1.46", "13F69", "9.0"),
    "9_3_5": ("601.1.46", "13G36", "9.0"),
    "10_1_1": ("602.2.14", "14B100", "10.0"),
}
IPHONES = {
    2013: ["iPhone5,2", "iPhone4,1", "iPhone5,1", "iPhone6,2"],
    2014: ["iPhone6,2", "iPhone5,2", "iPhone7,2", "iPhone7,1"],
    2015: ["iPhone7,2", "iPhone7,1", "iPhone6,2", "iPhone8,1"],
    2016: ["iPhone8,1", "iPhone7,2", "iPhone8,2", "iPhone9,1", "iPhone9,2"],
}
ANDROID = {
    2013: ["4.1.2", "4.2.2", "4.3"],
    2014: ["4.3", "4.4.2", "4.4.4"],
    2015: ["4.4.4", "5.0.2", "5.1.1"],
    2016: ["5.1.1", "6.0", "6.0.1"],
}
ABUILD = {
    "4.1.2": "JZO54K",
    "4.2.2": "JDQ39",
    "4.3": "JSS15J",
    "4.4.2": "KOT49H",
    "4.4.4": "KTU84P",
    "5.0.2": "LRX22G",
    "5.1.1": "LMY47V",
    "6.0": "MRA58K",
    "6.0.1": "MMB29M",
}
AMODELS = {
    2013: ["GT-I9300", "MI 2S", "HUAWEI C8813", "Coolpad 8297", "Lenovo A820t", "HTC T328w", "ZTE U795"],
    2014: [
        "MI 3",
        "HM NOTE 1LTE",
        "SM-G9006V",
        "HUAWEI MT7-TL00",
        "Coolpad 8297",
        "vivo X3L",
        "MX3",
        "2014813",
    ],
    2015: [
        "MI 4LTE",
        "Redmi Note 2",
        "HUAWEI P7-L07",
        "OPPO R7",
        "vivo X5L",
        "MX4",
        "SM-G9250",
        "HUAWEI TAG-AL00",
    ],
    2016: [
        "Redmi Note 3",
        "MI 5",
        "OPPO R9m",
        "vivo X7",
        "HUAWEI NXT-AL10",
        "m2 note",
        "SM-G9350",
        "HUAWEI TAG-AL00",
    ],
}
TB_APP = {
    2013: ["4.2.1", "4.3.0", "4.5.1"],
    2014: ["5.0.2", "5.1.2", "5.2.1"],
    2015: ["5.3.1", "5.4.0", "5.5.2"],
    2016: ["5.8.0", "5.11.0", "6.1.0"],
}
UCV = {
    2013: ["9.4.1.362", "9.3.2.349"],
    2014: ["9.8.9.457", "9.9.2.467"],
    2015: ["10.4.1.565", "10.7.0.634"],
    2016: ["10.9.8.822", "11.0.0.818"],
}
WEIBOV = {
    2013: ["3.8.0", "4.0.0"],
    2014: ["4.4.0", "5.0.0"],
    2015: ["5.2.0", "5.6.0"],
    2016: ["6.3.0", "6.8.0"],
}
QQV = {2013: ["4.6.1"], 2014: ["5.0.0", "5.2.0"], 2015: ["5.6.0", "5.9.5"], 2016: ["6.3.1", "6.5.8"]}
WXV = {2013: ["5.0.3"], 2014: ["5.3.1", "6.0.0"], 2015: ["6.2.4", "6.3.8"], 2016: ["6.3.22", "6.5.3"]}
CHROME = {
    2013: ["28.0.1500.95", "29.0.1547.76", "30.0.1599.101", "31.0.1650.63"],
    2014: ["33.0.1750.154", "35.0.1916.153", "37.0.2062.124", "38.0.2125.122"],
    2015: ["41.0.2272.118", "43.0.2357.134", "45.0.2454.101", "46.0.2490.86"],
    2016: ["49.0.2623.87", "51.0.2704.106", "53.0.2785.143", "54.0.2840.99"],
}
FIREFOX = {2013: "25.0", 2014: "32.0", 2015: "40.0", 2016: "49.0"}
WIN_SHARE = {
    2013: [0.35, 0.58, 0.07, 0],
    2014: [0.25, 0.65, 0.10, 0],
    2015: [0.16, 0.66, 0.10, 0.08],
    2016: [0.10, 0.60, 0.08, 0.22],
}
WIN_TOK = ["Windows NT 5.1", "Windows NT 6.1; WOW64", "Windows NT 6.3; WOW64", "Windows NT 10.0; WOW64"]
PC_BROWSERS = [
    ("chrome", 0.17),
    ("360se", 0.20),
    ("360ee", 0.10),
    ("sogou", 0.12),
    ("qq", 0.12),
    ("ie", 0.12),
    ("liebao", 0.06),
    ("maxthon", 0.03),
    ("uc", 0.02),
    ("firefox", 0.03),
    ("mac", 0.03),
]

CPC_LEVEL = 0.72  # catalogue CPCs above are list prices of head terms; what a typical click pays is lower

CLICK_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def fmt_ip(a, b, c, d):
    return f"{a:d}.{b:d}.{c:d}.{d:d}"


class Person:
    __slots__ = (
        "pid",
        "prov",
        "seg",
        "carrier",
        "home_ip",
        "company",
        "campus",
        "cafe",
        "phone",
        "app_dev",
        "web_dev",
        "app_ua",
        "web_ua",
        "ph",
        "pc",
        "pc_dev",
        "pc_ua",
        "work_dev",
        "work_ua",
        "acct",
        "alt_acct",
        "interests",
        "icum",
        "p_mobile",
        "p_app",
        "v6",
        "seller",
        "shop_acct",
        "is_owner",
        "fresh",
    )

    def __init__(self, pid):
        for s in self.__slots__:
            setattr(self, s, None)
        self.pid = pid


class Seller:
    def __init__(self, idx):
        self.idx = idx
        self.listings = []
        self.staff = []
        self.paused = False
        self.profile = None


class Listing:
    __slots__ = ("idx", "lid", "adv", "cat", "appeal", "q", "bids")


class Slate:
    __slots__ = ("lst", "p", "cost", "pos", "n")


# ============================================================================================
class Gen:
    def __init__(self, seed):
        self.seed = seed
        self.R = np.random.default_rng([seed, 20131208])
        self.used_acct = set()
        self.used_ip = set()

    # ------------------------------------------------------------------ small random helpers
    def r(self):
        return self.R.random()

    def u(self, a, b):
        return a + (b - a) * self.R.random()

    def ri(self, a, b):  # inclusive
        return int(self.R.integers(a, b + 1))

    def pick(self, seq):
        return seq[int(self.R.random() * len(seq))]

    def wpick(self, cum):
        return bisect.bisect_right(cum, self.R.random() * cum[-1])

    def lognorm(self, median, sigma):
        return median * math.exp(sigma * self.R.standard_normal())

    def new_dev(self):
        return "".join(ALNUM[self.R.integers(0, 62, 24)])

    def new_acct(self, age_years):
        reg = self.year_frac - age_years
        base = np.interp(reg, [a for a, _ in ID_BY_YEAR], [b for _, b in ID_BY_YEAR])
        while True:
            v = int(base + self.R.integers(0, 2_000_000))
            if v not in self.used_acct:
                self.used_acct.add(v)
                return str(v)

    def shopper_age(self):
        a = self.lognorm(3.2, 0.65)
        return min(max(a, 0.08), self.year_frac - 2003.5)

    # ------------------------------------------------------------------ calendar and curves
    def setup_calendar(self):
        self.R.integers(len(OCCASIONS))  # (kept for stream stability)
        date_s, occ = OCCASIONS[(self.seed * 4 + 1) % len(OCCASIONS)]  # consecutive seeds get different days
        d = dt.date.fromisoformat(date_s)
        self.date = d
        self.occasion = occ
        self.year = d.year
        self.year_frac = d.year + (d.timetuple().tm_yday - 1) / 365.0
        self.weekday = d.weekday() < 5
        self.season = "summer" if d.month in (5, 6, 7, 8, 9) else "winter"
        self.day0_ms = int(dt.datetime(d.year, d.month, d.day, tzinfo=BJ).timestamp() * 1000)
        hourly = np.array(HOURLY_WEEKDAY if self.weekday else HOURLY_WEEKEND)
        hourly = hourly * np.exp(self.R.normal(0, 0.05, 24))
        x = np.arange(24) + 0.5
        m = (np.arange(1440) + 0.5) / 60.0
        mw = np.interp(m, np.r_[-0.5, x, 24.5], np.r_[hourly[-1], hourly, hourly[0]])
        self.minute_w = mw / mw.sum()
        hh = np.floor(m).astype(int)
        seg_mod = {
            "office": np.where((hh >= 9) & (hh < 18), 1.25 if self.weekday else 0.95, 0.9),
            "student": np.where((hh >= 21) | (hh < 2), 1.45, np.where(hh < 10, 0.6, 1.0)),
            "home": np.where((hh >= 9) & (hh < 17), 1.25, 0.95),
            "mobile": np.where(((hh >= 7) & (hh < 9)) | ((hh >= 17) & (hh < 19)) | (hh >= 22), 1.3, 1.0),
            "cafe": np.where((hh >= 19) | (hh < 3), 1.6, np.where(hh < 12, 0.5, 1.0)),
            "seller": np.where(
                ((hh >= 9) & (hh < 12)) | ((hh >= 14) & (hh < 18)) | ((hh >= 20) & (hh < 24)), 1.5, 0.6
            ),
        }
        self.seg_w = {k: self.minute_w * v for k, v in seg_mod.items()}
        self.year_mobile = {2013: 0.38, 2014: 0.52, 2015: 0.66, 2016: 0.76}[self.year]
        self.year_app = {2013: 0.58, 2014: 0.70, 2015: 0.80, 2016: 0.86}[self.year]

        # pre-sale surge window
        s0 = self.u(19.5, 21.0) * 3600
        ln = self.u(1.5, 3.0) * 3600
        self.surge_lo, self.surge_hi = s0, min(s0 + ln, DAY_S)
        self.surge_M = self.u(3.0, 5.0)
        self.surge_ramp = self.u(15, 35) * 60

    def sample_times(self, n, lo=0.0, hi=DAY_S, w=None, shape=None):
        """n times (s since midnight) from a minute-level curve restricted to [lo, hi)."""
        if n <= 0:
            return []
        w = self.minute_w if w is None else w
        a, b = int(lo // 60), int(min(1440, math.ceil(hi / 60)))
        ww = w[a:b].copy()
        if shape is not None:
            ww = ww * shape[a:b]
        cdf = np.cumsum(ww)
        idx = np.searchsorted(cdf, self.R.random(n) * cdf[-1], side="right")
        idx = np.minimum(idx, len(ww) - 1)
        t = (a + idx) * 60.0 + self.R.random(n) * 60.0
        t = np.clip(t, lo, hi - 0.001)
        return [float(x) for x in t]

    def in_surge(self, t):
        return self.surge_lo <= t < self.surge_hi

    def surge_shape(self):
        m = (np.arange(1440) + 0.5) * 60.0
        ramp = np.clip((m - self.surge_lo) / self.surge_ramp, 0, 1)
        down = np.clip((self.surge_hi - m) / 600.0, 0, 1) if self.surge_hi < DAY_S - 1 else 1.0
        return np.where((m >= self.surge_lo) & (m < self.surge_hi), ramp * down, 0.0)

    # ------------------------------------------------------------------ networks
    def build_net(self):
        self.prov_names = [p[0] for p in PROVS]
        self.prov_cum = list(np.cumsum([p[1] for p in PROVS]))
        self.bb_prefix = {}
        self.isp_cum = []
        for pi, (_name, _w, ns) in enumerate(PROVS):
            self.isp_cum.append(list(np.cumsum([0.62, 0.26, 0.12] if ns == "S" else [0.30, 0.58, 0.12])))
            for isp in ("tel", "uni", "cmb"):
                self.bb_prefix[(pi, isp)] = [
                    (self.pick(FIRST_OCTETS[isp]), self.ri(0, 255)) for _ in range(3)
                ]
        # carrier-grade NAT pools of mobile data gateways: few addresses, heavily shared
        self.cgnat = {}
        self.carrier_cum = list(np.cumsum([0.62, 0.25, 0.13]))
        self.carriers = ["cmcc", "unicom", "telecom"]
        for pi, (_name, w, _ns) in enumerate(PROVS):
            for ci, car in enumerate(self.carriers):
                size = max(2, int(round((2 + w * 55) * (1.0 if ci == 0 else 0.6) * self.u(0.7, 1.3))))
                a, b = self.pick(CGNAT_PREFIX[car])
                c0 = self.ri(0, 240)
                ips = [fmt_ip(a, b, c0 + self.ri(0, 15), self.ri(1, 254)) for _ in range(size)]
                wts = [1.0 / (i + 1) ** 1.1 for i in range(size)]
                self.cgnat[(pi, car)] = (ips, list(np.cumsum(wts)))
        # cheap ISPs that NAT whole housing estates (长城宽带/鹏博士 etc.)
        self.bbnat = {}
        for pi in range(len(PROVS)):
            a, b = self.pick(FIRST_OCTETS["cmb"] + [106, 124]), self.ri(0, 255)
            self.bbnat[pi] = [fmt_ip(a, b, self.ri(0, 255), self.ri(1, 254)) for _ in range(self.ri(2, 4))]
        # companies (office NAT)
        self.companies = []
        n = self.ri(150, 320)
        for _ in range(n):
            pi = self.wpick(self.prov_cum)
            isp = ("tel", "uni", "cmb")[self.wpick(self.isp_cum[pi])]
            a, b = self.pick(self.bb_prefix[(pi, isp)])
            c = self.ri(0, 255)
            ips = [fmt_ip(a, b, c, self.ri(1, 254)) for _ in range(1 if self.r() < 0.6 else self.ri(2, 3))]
            self.companies.append({"prov": pi, "ips": ips, "wifi": self.r() < 0.5})
        cw = [1.0 / (i + 1) ** 0.9 for i in range(n)]
        self.comp_cum = list(np.cumsum(cw))
        # campuses (CERNET; a few with IPv6)
        self.campuses = []
        for _ in range(self.ri(6, 12)):
            pi = self.wpick(self.prov_cum)
            a, b = self.pick(CERNET)
            c = self.ri(0, 250)
            ips = [fmt_ip(a, b, c + self.ri(0, 3), self.ri(1, 254)) for _ in range(self.ri(1, 4))]
            v6 = f"2001:da8:{self.ri(0x1000, 0xFFFF):x}:{self.ri(0, 0xFF):x}" if self.r() < 0.6 else None
            self.campuses.append({"prov": pi, "ips": ips, "v6": v6})
        # internet cafes (网吧): one address, shared PCs
        self.cafes = []
        for _ in range(self.ri(30, 70)):
            pi = self.wpick(self.prov_cum)
            ip = self.home_ip(pi, nat_ok=False)
            pcs = [self.new_dev() for _ in range(self.ri(20, 80))]
            ua = self.pc_ua()
            self.cafes.append({"prov": pi, "ip": ip, "pcs": pcs, "ua": ua})
        # e-commerce parks / Taobao villages: many small shops behind a couple of addresses
        self.parks = []
        park_provs = [1, 1, 0, 2, 6, 5]  # 浙江, 浙江, 广东, 江苏, 福建, 山东
        for i in range(self.ri(3, 6)):
            pi = park_provs[i % len(park_provs)]
            ip0 = self.home_ip(pi, nat_ok=False)
            ips = [ip0]
            if self.r() < 0.5:
                ips.append(ip0.rsplit(".", 1)[0] + "." + str(self.ri(1, 254)))
            self.parks.append({"prov": pi, "ips": ips})

    def home_ip(self, pi, nat_ok=True):
        if nat_ok and self.r() < 0.12:
            return self.pick(self.bbnat[pi])
        isp = ("tel", "uni", "cmb")[self.wpick(self.isp_cum[pi])]
        while True:
            a, b = self.pick(self.bb_prefix[(pi, isp)])
            ip = fmt_ip(a, b, self.ri(0, 255), self.ri(1, 254))
            if ip not in self.used_ip:
                self.used_ip.add(ip)
                return ip

    def cgnat_ip(self, pi, car):
        ips, cum = self.cgnat[(pi, car)]
        return ips[self.wpick(cum)]

    def rand_prov(self):
        return self.wpick(self.prov_cum)

    # ------------------------------------------------------------------ user agents
    def pc_ua(self):
        y = self.year
        win = WIN_TOK[self.wpick(list(np.cumsum(WIN_SHARE[y])))]
        b = PC_BROWSERS[self.wpick(list(np.cumsum([w for _, w in PC_BROWSERS])))][0]
        ch = self.pick(CHROME[y])
        winnw = win.replace("; WOW64", "")
        if b == "chrome":
            return f"Mozilla/5.0 ({win}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{ch} Safari/537.36"
        if b == "360se":
            tri = "4.0" if "5.1" in win else "5.0"
            return (
                f"Mozilla/4.0 (compatible; MSIE 7.0; {winnw}; Trident/{tri}; .NET CLR 2.0.50727; .NET4.0C; "
                ".NET4.0E; 360SE)"
            )
        if b == "360ee":
            return "Mozilla/5.0 ({}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{} Safari/537.36".format(
                win,
                self.pick(
                    ["31.0.1650.63", "21.0.1180.89", "45.0.2454.101"]
                    if y >= 2015
                    else ["31.0.1650.63", "21.0.1180.89"]
                ),
            )
        if b == "sogou":
            return (
                f"Mozilla/5.0 ({win}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/38.0.2125.122 "
                "Safari/537.36 SE 2.X MetaSr 1.0"
            )
        if b == "qq":
            if y <= 2014:
                return f"Mozilla/5.0 (compatible; MSIE 9.0; {win}; Trident/5.0; QQBrowser/7.7.26717.400)"
            return (
                f"Mozilla/5.0 ({win}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/47.0.2526.80 "
                "Safari/537.36 Core/1.47.933.400 QQBrowser/9.4.8699.400"
            )
        if b == "ie":
            if "5.1" in win:
                return "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 5.1; Trident/4.0; .NET CLR 2.0.50727)"
            if y <= 2013 and self.r() < 0.5:
                return f"Mozilla/5.0 (compatible; MSIE 9.0; {win}; Trident/5.0)"
            return f"Mozilla/5.0 ({win}; Trident/7.0; rv:11.0) like Gecko"
        if b == "liebao":
            return (
                f"Mozilla/5.0 ({win}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/42.0.2311.152 "
                "Safari/537.36 LBBROWSER"
            )
        if b == "maxthon":
            return (
                f"Mozilla/5.0 ({win}) AppleWebKit/537.36 (KHTML, like Gecko) Maxthon/4.4.3.4000 "
                "Chrome/30.0.1599.101 Safari/537.36"
            )
        if b == "uc":
            return (
                f"Mozilla/5.0 ({win}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/38.0.2125.122 "
                "UBrowser/5.5.7386.17 Safari/537.36"
            )
        if b == "firefox":
            fv = FIREFOX[y]
            return f"Mozilla/5.0 ({win}; rv:{fv}) Gecko/20100101 Firefox/{fv}"
        osx = {2013: "10_8_5", 2014: "10_9_5", 2015: "10_10_5", 2016: "10_11_6"}[y]
        return (
            f"Mozilla/5.0 (Macintosh; Intel Mac OS X {osx}) AppleWebKit/537.36 (KHTML, like Gecko) "
            f"Chrome/{ch} Safari/537.36"
        )

    def new_phone(self):
        y = self.year
        ios_share = {2013: 0.30, 2014: 0.28, 2015: 0.26, 2016: 0.24}[y]
        if self.r() < ios_share:
            v = self.pick(IOS_BY_YEAR[y])
            return {"os": "ios", "v": v, "model": self.pick(IPHONES[y])}
        v = self.pick(ANDROID[y])
        return {"os": "android", "v": v, "model": self.pick(AMODELS[y])}

    def phone_ua(self, ph, kind):
        y = self.year
        if ph["os"] == "ios":
            v = ph["v"]
            wk, build, sv = IOS_META[v]
            base = (
                f"Mozilla/5.0 (iPhone; CPU iPhone OS {v} like Mac OS X) AppleWebKit/{wk} (KHTML, like Gecko)"
            )
            res = "750x1334" if ph["model"] >= "iPhone7" else "640x1136"
            if kind == "app":
                tb = self.pick(TB_APP[y])
                return f"{base} Mobile/{build} AliApp(TB/{tb}) WindVane/5.{self.ri(2, 7):d}.0 {res}"
            if kind == "web":
                saf = {"6": "8536.25", "7": "9537.53"}.get(v.split("_")[0], wk)
                return f"{base} Version/{sv} Mobile/{build} Safari/{saf}"
            if kind == "weibo":
                wb = self.pick(WEIBOV[y])
                osv = v.replace("_", ".")
                return f"{base} Mobile/{build} Weibo ({ph['model']}__weibo__{wb}__iphone__os{osv})"
            if kind == "qq":
                q = self.pick(QQV[y])
                return (
                    f"{base} Mobile/{build} QQ/{q}.{self.ri(200, 500):d} V1_IPH_SQ_{q}_1_APP_A Pixel/750 "
                    "Core/UIWebView NetType/WIFI"
                )
            return f"{base} Mobile/{build} MicroMessenger/{self.pick(WXV[y])} NetType/WIFI Language/zh_CN"
        v = ph["v"]
        model = ph["model"]
        build = ABUILD[v]
        if kind == "app":
            return (
                f"Mozilla/5.0 (Linux; U; Android {v}; zh-CN; {model} Build/{build}) AppleWebKit/534.30 "
                "(KHTML, like Gecko) Version/4.0 UCBrowser/1.0.0.100 U3/0.8.0 Mobile Safari/534.30 "
                f"AliApp(TB/{self.pick(TB_APP[y])}) UCBS/2.10.1.6 1080X1920"
            )
        if kind == "web":
            if self.r() < 0.6:
                return (
                    f"Mozilla/5.0 (Linux; U; Android {v}; zh-CN; {model} Build/{build}) AppleWebKit/534.30 "
                    f"(KHTML, like Gecko) Version/4.0 UCBrowser/{self.pick(UCV[y])} U3/0.8.0 "
                    "Mobile Safari/534.30"
                )
            return (
                f"Mozilla/5.0 (Linux; U; Android {v}; zh-cn; {model} Build/{build}) AppleWebKit/534.30 "
                "(KHTML, like Gecko) Version/4.0 Mobile Safari/534.30"
            )
        cbase = (
            f"Mozilla/5.0 (Linux; Android {v}; {model} Build/{build}) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Version/4.0 Chrome/37.0.0.0 Mobile Safari/537.36"
        )
        if kind == "weibo":
            wb = self.pick(WEIBOV[y])
            return f"{cbase} Weibo ({model.replace(' ', '-')}__weibo__{wb}__android__android{v})"
        if kind == "qq":
            q = self.pick(QQV[y])
            qb = self.ri(200, 400)
            return f"{cbase} V1_AND_SQ_{q}_{qb:d}_YYB_D QQ/{q}.{self.ri(2000, 2900):d} NetType/4G WebP/0.3.0"
        wx = self.pick(WXV[y])
        return f"{cbase} MicroMessenger/{wx}.{self.ri(500, 900):d} NetType/WIFI Language/zh_CN"

    # ------------------------------------------------------------------ catalogue
    def build_catalog(self):
        self.cats = [c[0] for c in CATS]
        self.cat_idx = {c: i for i, c in enumerate(self.cats)}
        self.cat_shop_cum = list(np.cumsum([c[1] for c in CATS]))
        self.cat_seller_cum = list(np.cumsum([c[2] for c in CATS]))
        self.kws = []  # dicts: s, cat, cpc, w, head
        self.cat_kws = [[] for _ in self.cats]
        y = self.year
        for ci, c in enumerate(self.cats):
            lst = KW_WINTER[c]
            if self.season == "summer" and c in KW_SUMMER_OVERRIDE:
                lst = KW_SUMMER_OVERRIDE[c]
            for k, cpc, w in lst:
                hi = len(self.kws)
                cpc = cpc * CPC_LEVEL
                self.kws.append(
                    {
                        "s": k,
                        "cat": ci,
                        "cpc": cpc * self.u(0.9, 1.1),
                        "w": w * self.u(0.8, 1.2),
                        "head": True,
                    }
                )
                self.cat_kws[ci].append(hi)
                mods = list(MODS[c])
                for _ in range(self.ri(1, 3)):
                    m = mods.pop(int(self.r() * len(mods))).replace("{y}", str(y))
                    if m in k:
                        continue
                    s = f"{m} {k}"
                    self.kws.append(
                        {
                            "s": s,
                            "cat": ci,
                            "cpc": cpc * self.u(0.45, 0.8),
                            "w": w * self.u(0.05, 0.2),
                            "head": False,
                        }
                    )
                    self.cat_kws[ci].append(len(self.kws) - 1)
        self.cat_kw_cum = [list(np.cumsum([self.kws[k]["w"] for k in ks])) for ks in self.cat_kws]

    def pick_kw(self, ci):
        return self.cat_kws[ci][self.wpick(self.cat_kw_cum[ci])]

    # ------------------------------------------------------------------ persons
    def new_person(self, prov=None, seg=None, fresh=False, mobile_bias=0.0):
        p = Person(len(self.persons))
        self.persons.append(p)
        if seg is None:
            seg = ["office", "home", "student", "mobile", "cafe"][self.wpick([0.34, 0.64, 0.77, 0.96, 1.0])]
        p.seg = seg
        p.fresh = fresh
        if seg == "office":
            ci = self.wpick(self.comp_cum)
            p.company = self.companies[ci]
            p.prov = p.company["prov"]
        elif seg == "student":
            p.campus = self.pick(self.campuses)
            p.prov = p.campus["prov"]
            p.v6 = ":".join(f"{self.ri(0, 0xFFFF):x}" for _ in range(4))
        elif seg == "cafe":
            p.cafe = self.pick(self.cafes)
            p.prov = p.cafe["prov"]
        else:
            p.prov = prov if prov is not None else self.rand_prov()
        m = self.year_mobile + mobile_bias
        p.p_mobile = min(0.97, max(0.05, m + self.R.normal(0, 0.18)))
        if seg == "mobile":
            p.p_mobile = max(p.p_mobile, 0.85)
        p.phone = seg == "mobile" or self.r() < min(0.97, self.year_mobile + 0.3)
        p.pc = {
            "mobile": 0.25,
            "office": 0.8,
            "student": 0.85,
            "home": 0.75,
            "cafe": 0.25,
            "seller": 0.9,
        }.get(seg, 0.7) > self.r()
        if not p.phone and not p.pc and seg not in ("office", "cafe"):
            p.phone = True
        p.carrier = self.carriers[self.wpick(self.carrier_cum)]
        if p.phone:
            p.ph = self.new_phone()
            p.app_dev = self.new_dev()
            p.web_dev = self.new_dev()
            p.app_ua = self.phone_ua(p.ph, "app")
            p.web_ua = self.phone_ua(p.ph, "web")
        p.p_app = min(0.97, max(0.2, self.year_app + self.R.normal(0, 0.12)))
        p.home_ip = self.home_ip(p.prov)
        if p.pc:
            p.pc_dev = self.new_dev()
            p.pc_ua = self.pc_ua()
        if seg == "office":
            p.work_dev = self.new_dev()
            p.work_ua = self.pc_ua()
        age = (
            self.u(0.0, 0.06)
            if fresh
            else (min(self.lognorm(1.8, 0.6), 6.0) if seg == "student" else self.shopper_age())
        )
        p.acct = self.new_acct(age)
        if self.r() < 0.05:
            p.alt_acct = self.new_acct(self.shopper_age())
        ni = 1 + (self.r() < 0.55) + (self.r() < 0.2)
        ints = []
        while len(ints) < ni:
            c = self.wpick(self.cat_shop_cum)
            if c not in ints:
                ints.append(c)
        p.interests = ints
        p.icum = list(np.cumsum([1.0 / (i + 1) for i in range(len(ints))]))
        return p

    def build_shoppers(self, n):
        self.shoppers = []
        prev = None
        for _ in range(n):
            if prev is not None and prev.seg in ("home", "office", "mobile") and self.r() < 0.28:
                # household member: same broadband address, maybe same family PC
                p = self.new_person(
                    prov=prev.prov,
                    seg=self.pick(["home", "office", "mobile", "student"]) if self.r() < 0.5 else "home",
                )
                if p.seg in ("home", "office", "mobile"):
                    p.home_ip = prev.home_ip
                    if prev.pc and p.pc and self.r() < 0.5:
                        p.pc_dev, p.pc_ua = prev.pc_dev, prev.pc_ua
            else:
                p = self.new_person()
            self.shoppers.append(p)
            prev = p

    # ------------------------------------------------------------------ sellers and listings
    def brand(self):
        return "".join(self.pick(BRAND_SYL) for _ in range(self.ri(2, 3)))

    def build_sellers(self):
        self.sellers = []
        self.listings = []
        n_big, n_mid, n_small = self.ri(25, 45), self.ri(140, 280), self.ri(700, 1500)
        self.world_sizes = {"sellers_big": n_big, "sellers_mid": n_mid, "sellers_small": n_small}
        used_sid = set()
        for tier, n in (("big", n_big), ("mid", n_mid), ("small", n_small)):
            for _ in range(n):
                s = Seller(len(self.sellers))
                self.sellers.append(s)
                s.tier = tier
                while True:
                    sid = f"shop{self.ri(30_000_000, 160_000_000):d}"
                    if sid not in used_sid:
                        used_sid.add(sid)
                        break
                s.sid = sid
                ci = self.wpick(self.cat_shop_cum if tier == "big" else self.cat_seller_cum)
                cats = [ci]
                if self.r() < {"big": 0.45, "mid": 0.25, "small": 0.15}[tier]:
                    rel = self.cat_idx[self.pick(RELATED[self.cats[ci]])]
                    cats.append(rel)
                s.cats = cats
                s.tmall = (
                    tier == "big"
                    or (tier == "mid" and self.r() < 0.6)
                    or (tier == "small" and self.r() < 0.03)
                )
                if s.tmall:
                    s.nick = self.brand() + self.pick(["旗舰店", "官方旗舰店", "专卖店"])
                else:
                    s.nick = "".join(self.pick(SHOP_NAME_A) for _ in range(2)) + self.pick(SHOP_SUFFIX)
                s.main_acct = self.new_acct(self.lognorm(4.0, 0.5))
                # workplace
                u = self.r()
                if tier == "big":
                    s.place = "office"
                elif tier == "mid":
                    s.place = "office" if u < 0.7 else ("park" if u < 0.9 else "home")
                else:
                    s.place = (
                        "home" if u < 0.5 else ("park" if u < 0.85 else ("campus" if u < 0.9 else "office"))
                    )
                if s.place == "park":
                    s.park = self.pick(self.parks)
                    s.prov = s.park["prov"]
                    s.ips = list(s.park["ips"])
                elif s.place == "campus":
                    s.campus = self.pick(self.campuses)
                    s.prov = s.campus["prov"]
                    s.ips = [self.pick(s.campus["ips"])]
                elif s.place == "office":
                    s.prov = self.rand_prov()
                    isp = ("tel", "uni", "cmb")[self.wpick(self.isp_cum[s.prov])]
                    a, b = self.pick(self.bb_prefix[(s.prov, isp)])
                    c = self.ri(0, 255)
                    s.ips = [
                        fmt_ip(a, b, c, self.ri(1, 254))
                        for _ in range({"big": self.ri(1, 4), "mid": self.ri(1, 2), "small": 1}[tier])
                    ]
                else:
                    s.prov = self.rand_prov()
                    s.ips = [self.home_ip(s.prov)]
                nd = {"big": self.ri(3, 14), "mid": self.ri(1, 5), "small": self.ri(1, 2)}[tier]
                s.shop_devs = [self.new_dev() for _ in range(nd)]
                s.shop_uas = [self.pc_ua() for _ in range(nd)]
                # staff persons (those whose clicks we see today)
                nstaff = {"big": self.ri(3, 10), "mid": self.ri(1, 4), "small": 1 + (self.r() < 0.3)}[tier]
                for k in range(nstaff):
                    p = self.new_person(prov=s.prov, seg="seller")
                    p.seller = s.idx
                    if not p.phone:  # every shop keeper has a phone (旺旺/千牛)
                        p.phone = True
                        p.ph = self.new_phone()
                        p.app_dev, p.web_dev = self.new_dev(), self.new_dev()
                        p.app_ua, p.web_ua = self.phone_ua(p.ph, "app"), self.phone_ua(p.ph, "web")
                    p.is_owner = k == 0
                    if s.place in ("home",):
                        p.home_ip = s.ips[0]
                    if k == 0:
                        p.shop_acct = s.main_acct
                        if self.r() < 0.5:
                            p.acct = s.main_acct
                    else:
                        staff_nick = (
                            STAFF_NICK[(k - 1) % len(STAFF_NICK)] if k - 1 < len(STAFF_NICK) else f"客服{k:d}"
                        )
                        p.shop_acct = f"{s.nick}:{staff_nick}"
                    s.staff.append(p)
                    self.seller_persons.append(p)
                s.advertiser = (
                    tier == "big"
                    or (tier == "mid" and self.r() < 0.85)
                    or (tier == "small" and self.r() < 0.32)
                )
                if s.advertiser:
                    nl = {"big": self.ri(6, 18), "mid": self.ri(2, 8), "small": self.ri(1, 4)}[tier]
                    for _ in range(nl):
                        self.new_listing(s)

    def new_listing(self, s, cat=None):
        L = Listing()
        L.idx = len(self.listings)
        L.lid = str(self.ri(10_000_000_000, 549_999_999_999))
        L.adv = s.idx
        L.cat = cat if cat is not None else (s.cats[0] if len(s.cats) == 1 or self.r() < 0.7 else s.cats[1])
        L.appeal = self.lognorm(1.0, 0.5)
        L.q = {
            "big": self.lognorm(1.35, 0.25),
            "mid": self.lognorm(1.0, 0.3),
            "small": self.lognorm(0.8, 0.35),
        }[s.tier]
        tf = {"big": 1.35, "mid": 1.0, "small": 0.75}[s.tier]
        ph, pt = {"big": (0.7, 0.3), "mid": (0.45, 0.3), "small": (0.15, 0.35)}[s.tier]
        L.bids = {}
        for k in self.cat_kws[L.cat]:
            kw = self.kws[k]
            if self.r() < (ph if kw["head"] else pt):
                L.bids[k] = min(15.0, max(0.1, kw["cpc"] * tf * self.lognorm(1.0, 0.25)))
        if len(L.bids) < 2:
            ks = self.cat_kws[L.cat]
            for k in [ks[int(self.r() * len(ks))] for _ in range(2)]:
                L.bids[k] = min(15.0, max(0.1, self.kws[k]["cpc"] * tf * self.lognorm(1.0, 0.25)))
        self.listings.append(L)
        s.listings.append(L.idx)
        return L

    def build_profiles(self):
        for s in self.sellers:
            p_omit = {"big": 0.0, "mid": 0.05, "small": 0.1 if s.advertiser else 0.35}[s.tier]
            if self.r() < p_omit:
                continue
            accts = [s.main_acct] + [p.shop_acct for p in s.staff[1:] if self.r() < 0.9]
            devs = [d for d in s.shop_devs if self.r() < 0.75]
            owner = s.staff[0]
            if owner.phone and self.r() < 0.4:
                devs.append(owner.app_dev)  # 千牛 on the owner's phone
            if s.place == "home" and self.r() < 0.6:
                ip0 = s.ips[0]
                ips = [
                    ip0.rsplit(".", 2)[0] + f".{self.ri(0, 255):d}.{self.ri(1, 254):d}"
                ]  # stale dynamic address
            elif s.place == "campus":
                ips = list(s.ips) if self.r() < 0.5 else []
            else:
                ips = [ip for ip in s.ips if self.r() < 0.9]
            if self.r() < 0.15:
                devs = []
            if self.r() < 0.15:
                ips = []
            s.profile = {
                "seller_id": s.sid,
                "categories": [self.cats[c] for c in s.cats],
                "account_ids": accts,
                "device_ids": devs,
                "ips": ips,
            }

    # ------------------------------------------------------------------ auction
    def build_slates(self):
        by_kw = [[] for _ in self.kws]
        for L in self.listings:
            if self.sellers[L.adv].paused:
                continue
            for k, bid in L.bids.items():
                by_kw[k].append((bid * L.q, L.idx, bid))
        self.slates = [self.make_slate(arr) for arr in by_kw]

    def make_slate(self, arr):
        arr = sorted(arr, key=lambda x: (-x[0], x[1]))
        per_shop = {}
        kept = []
        for x in arr:  # the ad server shows at most two items of one shop per results page
            a = self.listings[x[1]].adv
            if per_shop.get(a, 0) < 2:
                per_shop[a] = per_shop.get(a, 0) + 1
                kept.append(x)
        arr = kept[:20]
        sl = Slate()
        sl.lst, sl.cost, w = [], [], []
        for r, (_score, li, bid) in enumerate(arr):
            q = self.listings[li].q
            c = min(bid, arr[r + 1][0] / q + 0.01) if r + 1 < len(arr) else max(0.05, bid * 0.55)
            sl.lst.append(li)
            sl.cost.append(max(0.05, c))
            w.append(self.listings[li].appeal / (1.0 + r) ** 0.85)
        sl.n = len(sl.lst)
        sl.p = np.array(w) / sum(w) if w else np.array([])
        sl.pos = {li: i for i, li in enumerate(sl.lst)}
        return sl

    def adv_pricing(self):
        self.adv_hour = {}
        self.adv_surge = {}
        for s in self.sellers:
            if not s.advertiser:
                continue
            f = np.ones(24)
            if self.r() < 0.6:
                f[0:7] = self.u(0.3, 0.8)
            if self.r() < 0.3:
                f[7:9] = self.u(0.6, 0.9)
            self.adv_hour[s.idx] = f
            self.adv_surge[s.idx] = self.u(1.0, 1.45) if s.tier != "small" else self.u(1.0, 1.2)

    def price(self, li, pos_cost, t):
        a = self.listings[li].adv
        f = self.adv_hour[a][min(23, int(t // 3600))]
        if self.surge_lo <= t < self.surge_hi:
            f *= self.adv_surge[a]
        cents = int(round(pos_cost * f * (0.86 + 0.18 * self.R.random()) * 100))
        return min(1500, max(5, cents)) * 10000

    # ------------------------------------------------------------------ sessions
    def ctx_shopper(self, p, t, force_mobile=None):
        r = self.R.random
        h = t / 3600.0
        seller = self.sellers[p.seller] if p.seller is not None else None
        if seller is not None:
            at_work = 9 <= h < 18.5 or (seller.place in ("home", "park") and 19.5 <= h < 23.5)
        else:
            at_work = p.seg == "office" and self.weekday and (9 <= h < 12 or 13.2 <= h < 18)
        on_campus = p.seg == "student" and r() < 0.8
        mob_p = p.p_mobile
        if at_work:
            mob_p *= 0.55
        if h >= 22.5 or h < 7:
            mob_p = min(0.97, mob_p * 1.3)
        use_mob = (r() < mob_p) if force_mobile is None else force_mobile
        if use_mob and not p.phone:
            use_mob = False
        if not use_mob and not p.pc and not (at_work and p.seg in ("office", "seller")) and p.seg != "cafe":
            use_mob = p.phone
        ctx = {"sid": None, "mobile": use_mob}
        if use_mob:
            app = r() < p.p_app
            if app:
                ctx["dev"], ctx["ua"] = p.app_dev, p.app_ua
                ctx["acct"] = p.alt_acct if (p.alt_acct and r() < 0.3) else p.acct
                ctx["miss"] = 0.09
            else:
                ctx["dev"], ctx["ua"] = p.web_dev, p.web_ua
                ctx["acct"] = p.acct if r() < 0.5 else None
                ctx["miss"] = 0.14
            if at_work and seller is not None and r() < 0.6:
                ctx["ip"] = self.pick(seller.ips)
            elif at_work and p.company is not None and p.company["wifi"] and r() < 0.5:
                ctx["ip"] = self.pick(p.company["ips"])
            elif on_campus and r() < 0.65:
                ctx["ip"] = self.pick(p.campus["ips"])
            elif not at_work and p.seg != "mobile" and r() < 0.6 or p.seg == "mobile" and r() < 0.25:
                ctx["ip"] = p.home_ip
            else:
                ctx["ip"] = self.cgnat_ip(p.prov, p.carrier)
            return ctx
        ctx["miss"] = 0.06
        login = r() < 0.85
        if at_work and seller is not None:
            di = int(r() * len(seller.shop_devs))
            ctx["dev"], ctx["ua"] = seller.shop_devs[di], seller.shop_uas[di]
            ctx["ip"] = self.pick(seller.ips)
        elif at_work and p.seg == "office":
            ctx["dev"], ctx["ua"] = p.work_dev, p.work_ua
            ctx["ip"] = self.pick(p.company["ips"])
        elif p.seg == "cafe" or (p.pc is False and p.cafe is not None):
            cafe = p.cafe
            ctx["dev"], ctx["ua"] = self.pick(cafe["pcs"]), cafe["ua"]
            ctx["ip"] = cafe["ip"]
            login = r() < 0.7
        elif on_campus:
            ctx["dev"], ctx["ua"] = p.pc_dev, p.pc_ua
            if p.campus["v6"] and r() < 0.3:
                ctx["ip"] = f"{p.campus['v6']}:{p.v6}"
            else:
                ctx["ip"] = self.pick(p.campus["ips"])
        else:
            ctx["dev"], ctx["ua"] = (p.pc_dev, p.pc_ua) if p.pc else (p.work_dev, p.work_ua)
            if ctx["dev"] is None:
                ctx["dev"], ctx["ua"] = self.new_dev(), self.pc_ua()
            ctx["ip"] = p.home_ip
        ctx["acct"] = p.acct if login else None
        if self.r() < 0.015:
            ctx["dev"] = None  # cookies blocked / fingerprint not collected
        return ctx

    def ctx_shop(self, p, t):
        """A seller's staff at work, on the shop's machines, usually logged in as the shop."""
        s = self.sellers[p.seller]
        r = self.R.random
        if r() < 0.72 and s.shop_devs:
            k = s.staff.index(p) if p in s.staff else 0
            di = k % len(s.shop_devs) if r() < 0.85 else int(r() * len(s.shop_devs))
            ctx = {
                "dev": s.shop_devs[di],
                "ua": s.shop_uas[di],
                "ip": self.pick(s.ips),
                "mobile": False,
                "miss": 0.06,
            }
            u = r()
            ctx["acct"] = p.shop_acct if u < 0.85 else (p.acct if u < 0.93 else None)
        else:
            ctx = {"dev": p.app_dev, "ua": p.app_ua, "mobile": True, "miss": 0.09}
            ctx["ip"] = self.pick(s.ips) if r() < 0.6 else self.cgnat_ip(p.prov, p.carrier)
            ctx["acct"] = p.shop_acct if r() < 0.55 else p.acct
        ctx["sid"] = None
        if ctx["acct"] is not None and ctx["acct"] == p.shop_acct and r() < (0.75 if p.is_owner else 0.5):
            ctx["sid"] = s.sid
        return ctx

    def dwell_honest(self, mode):
        R = self.R
        if mode == "scan":
            pb, sc, k = 0.36, 20.0, 0.7
        elif mode == "research":
            pb, sc, k = 0.15, 55.0, 0.75
        elif mode == "viral":
            pb, sc, k = 0.36, 28.0, 0.65
        elif mode == "mobile":
            pb, sc, k = 0.30, 30.0, 0.65
        else:
            pb, sc, k = 0.26, 38.0, 0.65
        # the condition draws first, then the chosen branch (same order as an if/else block)
        d = (0.4 + 3.6 * R.random() ** 1.3) if R.random() < pb else (1.5 + sc * R.weibull(k))
        return min(d, 1800.0)

    def emit(self, ctx, t, li, kwi, pos_cost, dwell_s, traffic, fraud=False, aid=None, miss=None):
        L = self.listings[li]
        m = ctx["miss"] if miss is None else miss
        c = {
            "t": t,
            "adv": L.adv,
            "li": li,
            "kw": kwi,
            "cost": self.price(li, pos_cost, t),
            "ip": ctx["ip"],
            "dev": ctx.get("dev"),
            "ua": ctx.get("ua"),
            "acct": ctx.get("acct"),
            "sid": ctx.get("sid"),
            "dwell": None if (dwell_s is None or self.R.random() < m) else int(dwell_s * 1000),
            "traffic": traffic,
            "fraud": fraud,
            "aid": aid,
            "tb": self.R.random(),
        }
        self.sink.append(c)
        return c

    def draw_k(self, bias=0.0):
        u = self.R.random() - bias
        if u < 0.56:
            return 1
        if u < 0.76:
            return 2
        if u < 0.86:
            return 3
        if u < 0.91:
            return 4
        return min(12, 5 + int(self.R.geometric(0.3)) - 1)

    def search(
        self, ctx, kwi, t, traffic, mem=None, forced=None, k=None, mode=None, exclude_adv=None, kbias=0.0
    ):
        sl = self.slates[kwi]
        if sl.n == 0:
            return t
        cand = list(range(sl.n))
        p = sl.p
        if exclude_adv is not None:
            cand = [i for i in cand if self.listings[sl.lst[i]].adv != exclude_adv]
            if not cand:
                return t
            p = sl.p[cand]
            p = p / p.sum()
        if k is None:
            k = self.draw_k(kbias)
        if ctx["mobile"]:
            k = min(k, 8)
        k = min(k, len(cand))
        if k < len(cand):
            picks = [cand[i] for i in self.R.choice(len(cand), size=k, replace=False, p=p)]
        else:
            picks = list(cand)
        if self.R.random() < 0.7:
            picks.sort()
        if forced is not None and forced in sl.pos:
            fp = sl.pos[forced]
            if fp in picks:
                picks.remove(fp)
            picks.insert(0, fp)
        if mode is None:
            mode = "scan" if len(picks) >= 5 else ("mobile" if ctx["mobile"] else "pc")
        for pos in picks:
            t += self.lognorm(4.0, 0.7)
            d = self.dwell_honest(mode)
            li = sl.lst[pos]
            if self.R.random() < 0.02:  # impatient double tap / slow page -> second click
                gap = 0.3 + 2.2 * self.R.random()
                self.emit(ctx, t, li, kwi, sl.cost[pos], gap, traffic)
                t += gap
            self.emit(ctx, t, li, kwi, sl.cost[pos], d, traffic)
            if mem is not None:
                mem.append((kwi, li))
            t += d + self.u(1.0, 4.0)
        if len(picks) >= 2 and self.R.random() < 0.08:  # back to compare again
            pos = self.pick(picks)
            t += self.lognorm(6.0, 0.6)
            d = self.dwell_honest(mode)
            self.emit(ctx, t, sl.lst[pos], kwi, sl.cost[pos], d, traffic)
            t += d
        return t

    def pick_interest(self, p):
        return p.interests[self.wpick(p.icum)]

    def shopper_sessions(self, p, times, label_fn, kbias=0.0, ctx_fn=None):
        mem = []
        for t0 in sorted(times):
            traffic = label_fn(t0)
            ctx = ctx_fn(p, t0) if ctx_fn else self.ctx_shopper(p, t0)
            t = t0
            nsearch = 1 + (self.r() < 0.3) + (self.r() < 0.1)
            ci = self.pick_interest(p)
            for s in range(nsearch):
                forced = None
                if mem and s == 0 and self.r() < 0.35:
                    kwi, forced = self.pick(mem)
                else:
                    if s > 0 and self.r() < 0.3:
                        ci = self.pick_interest(p)
                    kwi = self.pick_kw(ci)
                t = self.search(ctx, kwi, t, traffic, mem=mem, forced=forced, kbias=kbias)
                t += self.lognorm(15.0, 0.8)
            self.n_sessions += 1

    def base_label(self, t0):
        return "surge" if self.in_surge(t0) else "organic"

    # ------------------------------------------------------------------ honest traffic
    def gen_honest(self):
        self.sink = []
        self.n_sessions = 0
        base_in_window = 0
        for p in self.shoppers:
            n = 1 + int(self.R.poisson(0.45))
            times = self.sample_times(n, w=self.seg_w[p.seg])
            base_in_window += sum(1 for t in times if self.in_surge(t))
            self.shopper_sessions(p, times, self.base_label)
        self.base_in_window = base_in_window
        self.n_sessions_shoppers = self.n_sessions
        # sellers: competitor research from the shop, plus private shopping
        for p in self.seller_persons:
            s = self.sellers[p.seller]
            pr = 0.2 if p.is_owner else (0.1 if s.tier == "big" else 0.14)
            if self.r() < pr:
                for t0 in self.sample_times(1 + (self.r() < 0.3), w=self.seg_w["seller"]):
                    self.research_session(p, t0)
            if self.r() < 0.18:
                if self.r() < 0.5 and s.cats[0] not in p.interests:
                    p.interests = [s.cats[0]] + p.interests[:2]
                    p.icum = list(np.cumsum([1.0 / (i + 1) for i in range(len(p.interests))]))
                times = self.sample_times(1 + int(self.R.poisson(0.3)), w=self.seg_w["home"])
                self.shopper_sessions(p, times, lambda t: "seller_shopper")

    def research_session(self, p, t0):
        s = self.sellers[p.seller]
        ctx = self.ctx_shop(p, t0)
        own_kws = sorted({k for li in s.listings for k in self.listings[li].bids}) if s.listings else []
        t = t0
        for _ in range(1 + (self.r() < 0.4) + (self.r() < 0.15)):
            if own_kws and self.r() < 0.7:
                kwi = self.pick(own_kws)
            else:
                ci = self.pick(s.cats)
                heads = [k for k in self.cat_kws[ci] if self.kws[k]["head"]]
                kwi = self.pick(heads)
            k = min(6, 1 + int(self.R.geometric(0.45)) - 1 + (self.r() < 0.3))
            t = self.search(ctx, kwi, t, "seller_shopper", k=k, mode="research", exclude_adv=s.idx)
            if s.advertiser and self.r() < 0.03:  # checks own landing page by clicking own ad
                sl = self.slates[kwi]
                own = [i for i in range(sl.n) if self.listings[sl.lst[i]].adv == s.idx]
                if own:
                    i = own[0]
                    d = self.dwell_honest("research")
                    self.emit(ctx, t + 3, sl.lst[i], kwi, sl.cost[i], d, "seller_shopper")
                    t += d + 5
            t += self.lognorm(20.0, 0.7)

    def gen_surge(self):
        shape = self.surge_shape()
        mw = self.minute_w
        # expected extra sessions = (M-1) * base session rate integrated over the ramped window
        frac = float((mw * shape).sum())
        n_base = self.n_sessions_shoppers
        n_extra = int(self.R.poisson((self.surge_M - 1.0) * n_base * frac))
        w = shape * mw
        times = self.sample_times(n_extra, w=np.ones(1440), shape=w)
        i = 0
        self.n_surge_new = 0
        while i < len(times):
            p = self.new_person(fresh=self.r() < 0.08, mobile_bias=0.1)
            self.n_surge_new += 1
            k = 1 if self.r() < 0.82 else 2
            ts = times[i : i + k]
            i += k
            if len(ts) == 2 and abs(ts[1] - ts[0]) < 300:
                ts[1] = min(self.surge_hi - 1, ts[0] + self.u(300, 3600))
            self.shopper_sessions(p, ts, lambda t: "surge", kbias=0.08)
        self.surge_extra_sessions = n_extra

    # ------------------------------------------------------------------ viral listing
    def gen_viral(self, exclude_adv):
        day_clicks = {}
        for c in self.sink:
            if 9 * 3600 <= c["t"] < 23 * 3600:
                day_clicks[c["li"]] = day_clicks.get(c["li"], 0) + 1
        cands = []
        for L in self.listings:
            s = self.sellers[L.adv]
            if s.paused or s.idx in exclude_adv or s.tier == "big" or self.cats[L.cat] not in VIRAL_PRODUCT:
                continue
            r0 = day_clicks.get(L.idx, 0) / 14.0
            cands.append((r0, L.idx))
        good = [c for c in cands if 4.0 <= c[0] <= 20] or [c for c in cands if 2.0 <= c[0] <= 25]
        if good:
            r0, li = good[int(self.r() * len(good))]
        else:
            r0, li = max(cands)
        r0 = max(r0, 1.5)
        L = self.listings[li]
        cat = self.cats[L.cat]
        kw_s = f"{self.pick(VIRAL_STARS[self.year])} {self.pick(VIRAL_PRODUCT[cat])}"
        kwi = len(self.kws)
        head = [k for k in self.cat_kws[L.cat] if self.kws[k]["head"]]
        cpc = self.kws[head[0]]["cpc"] * 0.7
        self.kws.append({"s": kw_s, "cat": L.cat, "cpc": cpc, "w": 0.0, "head": False})
        L.bids[kwi] = cpc * 1.6
        arr = [(L.bids[kwi] * L.q, L.idx, L.bids[kwi])]
        others = [
            M
            for M in self.listings
            if M.cat == L.cat
            and M.idx != li
            and not self.sellers[M.adv].paused
            and self.sellers[M.adv].tier != "big"
        ]
        for M in [others[int(self.r() * len(others))] for _ in range(min(len(others), self.ri(4, 9)))]:
            if kwi not in M.bids:
                M.bids[kwi] = cpc * self.u(0.7, 1.3)
                arr.append((M.bids[kwi] * M.q, M.idx, M.bids[kwi]))
        self.slates.append(self.make_slate(arr))
        # arrival shape: fast rise after the Weibo post, plateau, exponential decay
        t0 = self.u(11.0, 21.5) * 3600
        rise, plat, half = self.u(8, 20) * 60, self.u(20, 60) * 60, self.u(40, 120) * 60
        M = self.u(10.0, 20.0)
        m = (np.arange(1440) + 0.5) * 60.0
        shp = np.where(
            m < t0,
            0.0,
            np.where(
                m < t0 + rise,
                (m - t0) / rise,
                np.where(m < t0 + rise + plat, 1.0, np.exp(-(m - t0 - rise - plat) * math.log(2) / half)),
            ),
        )
        per_min = (M - 1.0) * r0 / 60.0 * shp  # extra listing clicks per minute
        n_arr = int(self.R.poisson(per_min.sum() / 0.88))
        times = self.sample_times(n_arr, w=np.ones(1440), shape=per_min)
        sl = self.slates[kwi]
        lpos = sl.pos[li]
        # a few fans already searched for it before the post
        for t in self.sample_times(int(self.R.poisson(6)), hi=t0):
            p = self.new_person()
            ctx = self.ctx_shopper(p, t, force_mobile=True)
            self.emit(ctx, t, li, kwi, sl.cost[lpos], self.dwell_honest("mobile"), self.base_label(t))
        n_viral = 0
        for t in times:
            p = self.new_person(
                seg=self.pick(["mobile", "home", "student", "office"]),
                fresh=self.r() < 0.15,
                mobile_bias=0.25,
            )
            src = ["weibo", "qq", "wechat", "app"][self.wpick([0.6, 0.85, 0.9, 1.0])]
            if not p.phone:
                p.phone = True
                p.ph = self.new_phone()
                p.app_dev, p.web_dev = self.new_dev(), self.new_dev()
                p.app_ua, p.web_ua = self.phone_ua(p.ph, "app"), self.phone_ua(p.ph, "web")
            ip = self.cgnat_ip(p.prov, p.carrier) if self.r() < 0.65 else p.home_ip
            if src == "app":
                ctx = {
                    "dev": p.app_dev,
                    "ua": p.app_ua,
                    "acct": p.acct,
                    "sid": None,
                    "ip": ip,
                    "mobile": True,
                    "miss": 0.09,
                }
            else:
                ctx = {
                    "dev": self.new_dev(),
                    "ua": self.phone_ua(p.ph, src),
                    "acct": p.acct if self.r() < 0.2 else None,
                    "sid": None,
                    "ip": ip,
                    "mobile": True,
                    "miss": 0.18,
                }
            seq = []
            if self.r() < 0.88:
                seq.append(lpos)
            if not seq or self.r() < 0.35:
                for _ in range(self.ri(1, 3)):
                    if sl.n > 1:
                        seq.append(self.ri(0, sl.n - 1))
            if lpos in seq[1:] and self.r() < 0.5:
                seq = [x for x in seq if x != lpos] + [lpos]
            tt = t
            for j, pos in enumerate(seq):
                if j > 0 and src != "app" and self.r() < 0.35:
                    # "open in Taobao app": continue in the app, logged in
                    ctx = {
                        "dev": p.app_dev,
                        "ua": p.app_ua,
                        "acct": p.acct,
                        "sid": None,
                        "ip": ip,
                        "mobile": True,
                        "miss": 0.09,
                    }
                    src = "app"
                d = self.dwell_honest("viral")
                self.emit(ctx, tt, sl.lst[pos], kwi, sl.cost[pos], d, "viral")
                tt += d + self.lognorm(5.0, 0.6)
            n_viral += 1
        self.viral = {
            "listing_id": L.lid,
            "advertiser_id": self.sellers[L.adv].sid,
            "keyword": kw_s,
            "category": cat,
            "start_ms": self.day0_ms + int(t0 * 1000),
            "peak_from_ms": self.day0_ms + int((t0 + rise) * 1000),
            "peak_to_ms": self.day0_ms + int((t0 + rise + plat) * 1000),
            "decay_half_life_min": round(half / 60, 1),
            "multiplier": round(M, 2),
            "baseline_clicks_per_hour": round(r0, 2),
            "viral_shoppers": n_viral,
        }
        self.viral_adv = L.adv

    # ------------------------------------------------------------------ attack planning
    def plan_pools(self):
        """Who is in the chat rooms (decided before the day: room members pause their own ads)."""
        R = self.R
        kinds = ["rival_siege", "keyword_sweep", "click_farm", "bots", "budget_knockout", "paid_task_group"]
        probs = [0.7, 0.55, 0.6, 0.8, 0.55, 0.6]
        active = [k for k, pr in zip(kinds, probs, strict=True) if self.r() < pr]
        big = ["rival_siege", "keyword_sweep", "paid_task_group"]  # the ones that move real money
        if not any(k in active for k in big):
            active.append(self.pick(big))
        if sum(k in active for k in big + ["click_farm"]) < 2:  # organised days rarely come alone
            active.append(self.pick([k for k in big if k not in active]))
        while len(active) < 2:
            k = self.pick(kinds)
            if k not in active:
                active.append(k)
        self.active = [k for k in kinds if k in active]
        self.room = None
        if "rival_siege" in self.active or "keyword_sweep" in self.active:
            smalls = [s for s in self.sellers if s.tier == "small"]
            w = np.array([2.2 if self.cats[s.cats[0]] in APPAREL else 1.0 for s in smalls])
            w = w * np.array([0.3 if s.tmall else 1.0 for s in smalls])
            n = min(len(smalls), self.ri(160, 420))
            idx = R.choice(len(smalls), size=n, replace=False, p=w / w.sum())
            members = [smalls[i] for i in sorted(idx)]
            nb = int(n * self.u(0.15, 0.35))
            buyers = [self.shoppers[i] for i in sorted(R.choice(len(self.shoppers), size=nb, replace=False))]
            paused = 0
            for s in members:
                if s.advertiser and self.r() < 0.8:
                    s.paused = True
                    paused += 1
            self.room = {
                "sellers": members,
                "buyers": buyers,
                "paused": paused,
                "channel": self.pick(["YY语音频道", "QT语音房间"]),
                "qq_groups": self.ri(3, 16),
            }

    def best_pos(self, li):
        best = None
        for k in self.listings[li].bids:
            sl = self.slates[k]
            if li in sl.pos:
                cand = (sl.pos[li], -self.kws[k]["w"], k)
                if best is None or cand < best:
                    best = cand
        return best

    def hot_listings(self, s, maxpos=3, n=3):
        out = []
        for li in s.listings:
            b = self.best_pos(li)
            if b is not None and b[0] <= maxpos:
                out.append((b[0], b[1], li, b[2]))
        out.sort()
        return [(li, k) for _, _, li, k in out[:n]]

    def plan_targets(self):
        self.plans = {}
        bigs = [s for s in self.sellers if s.tier == "big" and s.advertiser]
        taken = set()
        if "rival_siege" in self.active:
            mc = {}
            for s in self.room["sellers"]:
                mc[s.cats[0]] = mc.get(s.cats[0], 0) + 1
            cand = [s for s in bigs if any(c in mc for c in s.cats)]
            cand.sort(key=lambda s: -sum(mc.get(c, 0) for c in s.cats))
            cand = cand[:10]
            nt = min(len(cand), self.ri(3, 6))
            tg = [cand[i] for i in sorted(self.R.choice(len(cand), size=nt, replace=False))]
            targets = []
            for s in tg:
                for li, k in self.hot_listings(s, maxpos=4, n=self.ri(1, 3)) or self.hot_listings(
                    s, maxpos=19, n=1
                ):
                    targets.append((li, k))
                taken.add(s.idx)
            self.plans["rival_siege"] = {"targets": targets}
        if "keyword_sweep" in self.active:
            heads = [k for k in range(len(self.kws)) if self.kws[k]["head"] and self.slates[k].n >= 6]
            heads.sort(key=lambda k: -(self.kws[k]["cpc"] * math.sqrt(self.kws[k]["w"])))
            pool = heads[:14]
            n = min(len(pool), self.ri(4, 9))
            kws = [pool[i] for i in self.R.choice(len(pool), size=n, replace=False)]
            self.plans["keyword_sweep"] = {"keywords": kws}
        if "click_farm" in self.active:
            cats = [self.cat_idx[c] for c in ("内衣", "女装", "女鞋", "箱包", "美妆护肤", "母婴")]
            # the victim in the 义乌 case was a Tmall shop selling tens of millions a year
            cand = [
                s
                for s in self.sellers
                if s.advertiser
                and s.tier == "big"
                and s.cats[0] in cats
                and not s.paused
                and s.idx not in taken
            ]
            cand = cand or [
                s
                for s in self.sellers
                if s.advertiser
                and s.tier == "mid"
                and s.cats[0] in cats
                and not s.paused
                and s.idx not in taken
            ]
            cand = [s for s in cand if self.hot_listings(s, maxpos=6, n=1)] or [
                s
                for s in self.sellers
                if s.advertiser
                and not s.paused
                and s.idx not in taken
                and self.hot_listings(s, maxpos=6, n=1)
            ]
            s = self.pick(cand)
            li, k = self.pick(self.hot_listings(s, maxpos=6, n=3))
            hirers = [
                h
                for h in self.sellers
                if h.idx != s.idx and self.listings[li].cat in h.cats and h.tier in ("mid", "small")
            ]
            self.plans["click_farm"] = {"target": (li, k), "hirer": self.pick(hirers) if hirers else None}
            taken.add(s.idx)
        if "bots" in self.active:
            ops = []
            for _ in range(1 if self.r() < 0.6 else self.ri(2, 3)):
                if self.r() < 0.7:
                    opc = [
                        s
                        for s in self.sellers
                        if s.advertiser and s.tier in ("mid", "small") and not s.paused
                    ]
                    o = self.pick(opc)
                    okw = sorted(
                        {k for li in o.listings for k in self.listings[li].bids if self.slates[k].n >= 4}
                    )
                    if not okw:
                        continue
                    okw.sort(key=lambda k: -self.kws[k]["w"])
                    ks = okw[: self.ri(1, 3)]
                    ops.append({"variant": "click_software", "operator": o, "keywords": ks})
                else:
                    cs = [self.rand_cat_shop() for _ in range(self.ri(1, 3))]
                    ks = [k for c in cs for k in self.cat_kws[c] if self.slates[k].n > 0]
                    ops.append({"variant": "headless_crawler", "keywords": ks})
            if not ops:
                self.active.remove("bots")
            else:
                self.plans["bots"] = {"ops": ops}
        if "paid_task_group" in self.active:
            pricey = {self.cat_idx[c] for c in ("家具", "小家电", "手机数码", "母婴", "女装", "婚纱礼服")}
            cand = [s for s in bigs if s.idx not in taken and s.tmall and s.cats[0] in pricey]
            cand = cand or [s for s in bigs if s.idx not in taken]
            cand = [s for s in cand if self.hot_listings(s, maxpos=5, n=1)] or cand
            T = self.pick(cand)
            self.plans["paid_task_group"] = {
                "target": T,
                "listings": self.hot_listings(T, maxpos=5, n=self.ri(2, 4))
                or self.hot_listings(T, maxpos=19, n=3),
            }
            taken.add(T.idx)
        self.attack_target_advs = taken

    def plan_knockout(self):
        """Chosen once the honest day is known: a shop with a modest daily limit that its rival
        can exhaust in a morning (small 直通车 accounts commonly cap spend at a few hundred CNY)."""
        if "budget_knockout" not in self.active:
            return
        spend = {}
        for c in self.sink:
            spend[c["adv"]] = spend.get(c["adv"], 0) + c["cost"]
        taken = self.attack_target_advs
        base = [
            s
            for s in self.sellers
            if s.advertiser
            and s.tier in ("mid", "small")
            and not s.paused
            and s.idx not in taken
            and self.hot_listings(s, maxpos=8, n=1)
        ]
        cand = [s for s in base if 60e6 <= spend.get(s.idx, 0) <= 220e6] or sorted(
            base, key=lambda s: abs(spend.get(s.idx, 0) - 120e6)
        )[:10]
        B = self.pick(cand)
        rivals = [
            a for a in self.sellers if a.idx != B.idx and a.cats[0] in B.cats and a.tier in ("mid", "small")
        ]
        rivals = rivals or [a for a in self.sellers if a.idx != B.idx and a.tier != "big"]
        A = self.pick(rivals)
        # the rival goes after B's dearest placements: items near the top of expensive keywords
        pairs = []
        for li in B.listings:
            for k in self.listings[li].bids:
                sl = self.slates[k]
                if li in sl.pos and sl.pos[li] <= 7:
                    pairs.append((-sl.cost[sl.pos[li]] * (1 + self.kws[k]["w"]) ** 0.3, li, k))
        pairs.sort()
        tg = [(li, k) for _, li, k in pairs[: self.ri(2, 5)]] or self.hot_listings(B, maxpos=8, n=5)
        self.plans["budget_knockout"] = {"target": B, "attacker": A, "listings": tg}
        taken.add(B.idx)

    def rand_cat_shop(self):
        return self.wpick(self.cat_shop_cum)

    # ------------------------------------------------------------------ budgets
    def set_budgets(self):
        spend = {}
        for c in self.sink:
            spend[c["adv"]] = spend.get(c["adv"], 0) + c["cost"]
        self.budget = {}
        ko = self.plans.get("budget_knockout", {}).get("target")
        for s in self.sellers:
            if not s.advertiser:
                continue
            h = spend.get(s.idx, 0)
            if s.idx == self.viral_adv:
                b = h * 20 + 10**9
            elif ko is not None and s.idx == ko.idx:
                b = h * self.u(0.95, 1.25)
            elif s.tier == "big":
                b = h * self.u(1.6, 4.0)
            elif s.tier == "mid":
                b = h * self.u(1.3, 3.0)
            else:
                b = h * (self.u(0.6, 0.95) if self.r() < 0.25 else self.u(1.2, 3.0))
            self.budget[s.idx] = int(max(b, 30_000_000))  # nobody runs ads on less than ~30 CNY/day
        self.honest_spend_by_adv = spend

    # ------------------------------------------------------------------ attack realisation
    def told10(self, bias, ignore):
        """dwell of someone told 'stay ten seconds on each product'."""
        u = self.R.random()
        if u < ignore * 0.55:
            return self.u(1.2, 6.0)  # impatient, ignores the instruction
        if u < ignore:
            return 4.0 + 40.0 * self.R.weibull(0.8)  # actually looks at the product / distracted
        return 10.0 * bias * self.lognorm(1.0, 0.13) + self.u(0.3, 1.6)

    def ctx_room_seller(self, p, t, careful):
        s = self.sellers[p.seller]
        r = self.R.random
        use_pc = r() < (0.45 if careful else 0.78)
        if use_pc and s.shop_devs:
            di = 0 if r() < 0.7 else int(r() * len(s.shop_devs))
            ctx = {
                "dev": s.shop_devs[di],
                "ua": s.shop_uas[di],
                "ip": self.pick(s.ips),
                "mobile": False,
                "miss": 0.06,
            }
        else:
            ctx = {
                "dev": p.app_dev,
                "ua": p.app_ua,
                "mobile": True,
                "miss": 0.09,
                "ip": self.cgnat_ip(p.prov, p.carrier) if (careful or r() < 0.4) else self.pick(s.ips),
            }
        u = r()
        if careful:
            acct = p.shop_acct if u < 0.1 else (p.acct if u < 0.4 else None)
        else:
            acct = p.shop_acct if u < 0.5 else (p.acct if u < 0.7 else None)
        if acct is None and ctx["mobile"]:
            ctx["dev"], ctx["ua"], ctx["miss"] = p.web_dev, p.web_ua, 0.14
        ctx["acct"] = acct
        ctx["sid"] = s.sid if (acct is not None and acct == p.shop_acct and r() < 0.75) else None
        return ctx

    def atk_siege(self, aid, scale):
        room, plan = self.room, self.plans["rival_siege"]
        targets = plan["targets"]
        careful = self.r() < 0.4
        waves = []
        t = self.u(15.3, 17.0) * 3600
        if self.r() < 0.25:
            waves.append(self.u(9.5, 11.0) * 3600)
        nw = self.ri(2, 4)
        for _ in range(nw):
            if t > 23.2 * 3600:
                break
            waves.append(t)
            t += self.u(1.2, 3.0) * 3600
        members = [(s.staff[0], True) for s in room["sellers"]] + [(b, False) for b in room["buyers"]]
        bias = {}
        ign = {}
        for p, _ in members:
            bias[p.pid] = self.lognorm(1.12, 0.18)
            ign[p.pid] = min(0.6, self.R.beta(1.2, 6.0))
        n_seen = set()
        cover = 0
        mistakes = 0
        wave_notes = []
        for wt in waves:
            wt_tg = [
                targets[i]
                for i in sorted(
                    self.R.choice(len(targets), size=min(len(targets), self.ri(2, 4)), replace=False)
                )
            ]
            presence = min(0.65, self.u(0.3, 0.6) * scale)
            wave_notes.append(
                {
                    "announced_ms": self.day0_ms + int(wt * 1000),
                    "presence": round(presence, 3),
                    "listing_ids": [self.listings[li].lid for li, _ in wt_tg],
                }
            )
            spread = self.u(60, 120) * 60 if careful else None
            for p, is_seller in members:
                if self.r() >= presence:
                    continue
                n_seen.add(p.pid)
                if careful:
                    t = wt + self.r() * spread
                else:
                    t = wt + self.R.gamma(2.0, self.u(60, 150))
                    if self.r() < 0.2:
                        t += self.R.exponential(480)
                ctx = self.ctx_room_seller(p, t, careful) if is_seller else self.ctx_shopper(p, t)
                order = list(wt_tg)
                if self.r() < 0.5:
                    order = [order[i] for i in self.R.permutation(len(order))]
                for li, kwi in order:
                    if self.r() > 0.75:
                        continue
                    sl = self.slates[kwi]
                    if li not in sl.pos:
                        continue
                    if careful and self.r() < 0.2:  # browse something else first, as told
                        pos = int(self.R.choice(sl.n, p=sl.p))
                        if sl.lst[pos] != li:
                            t += self.lognorm(6, 0.5)
                            d = self.dwell_honest("pc")
                            self.emit(
                                ctx,
                                t,
                                sl.lst[pos],
                                kwi,
                                sl.cost[sl.pos[sl.lst[pos]]],
                                d,
                                "rival_siege",
                                True,
                                aid,
                            )
                            cover += 1
                            t += d + self.u(2, 6)
                    pos = sl.pos[li]
                    if self.r() < 0.03:  # clicked the wrong ad ("千万不要点错了")
                        pos = min(sl.n - 1, max(0, pos + self.pick([-1, 1])))
                        mistakes += 1
                    t += self.lognorm(8.0, 0.6)
                    d = (
                        self.u(10, 30) * self.lognorm(1, 0.15)
                        if careful and self.r() < 0.7
                        else self.told10(bias[p.pid], ign[p.pid])
                    )
                    self.emit(ctx, t, sl.lst[pos], kwi, sl.cost[pos], d, "rival_siege", True, aid)
                    t += d + self.u(3, 25)
                if is_seller and not careful and self.r() < 0.05 and p.phone:
                    # zealot: the same round again from the phone on mobile data
                    ctx2 = {
                        "dev": p.app_dev,
                        "ua": p.app_ua,
                        "mobile": True,
                        "miss": 0.09,
                        "sid": None,
                        "ip": self.cgnat_ip(p.prov, p.carrier),
                        "acct": p.acct,
                    }
                    for li, kwi in wt_tg:
                        sl = self.slates[kwi]
                        if li in sl.pos:
                            t += self.lognorm(8.0, 0.6)
                            d = self.told10(bias[p.pid], ign[p.pid])
                            self.emit(ctx2, t, li, kwi, sl.cost[sl.pos[li]], d, "rival_siege", True, aid)
                            t += d + self.u(3, 20)
        return {
            "channel": room["channel"],
            "qq_groups": room["qq_groups"],
            "instruction": "点商城的卖家, 在每个产品上面停留十秒钟, 千万不要点错了; 自己先把车暂停"
            if not careful
            else "别一起点, 两小时内慢慢点完; 每个宝贝停10-30秒, 先看看别的宝贝; 用手机流量, 不要登店铺号",
            "careful": careful,
            "room_sellers": len(room["sellers"]),
            "room_buyers": len(room["buyers"]),
            "paused_own_ads": room["paused"],
            "participants_seen": len(n_seen),
            "waves": wave_notes,
            "cover_clicks": cover,
            "mistaken_clicks": mistakes,
            "primary_listing_ids": sorted({self.listings[li].lid for li, _ in targets}),
        }

    def atk_sweep(self, aid, scale):
        room = self.room
        kws = self.plans["keyword_sweep"]["keywords"]
        careful = self.r() < 0.3
        t0 = self.u(13.5, 19.5) * 3600 if self.r() < 0.6 else self.u(9.5, 12.0) * 3600
        members = [(s.staff[0], True) for s in room["sellers"]] + [(b, False) for b in room["buyers"]]
        extra_buyers = [self.pick(self.shoppers) for _ in range(int(len(members) * self.u(0.05, 0.15)))]
        members += [(b, False) for b in extra_buyers]
        bias = {p.pid: self.lognorm(1.05, 0.2) for p, _ in members}
        ign = {p.pid: min(0.7, self.R.beta(1.5, 4.0)) for p, _ in members}
        slots = []
        t = t0
        seen = set()
        base_join = min(0.6, self.u(0.1, 0.22) * scale)
        for j, kwi in enumerate(kws):
            dur = self.u(8, 20) * 60 if not careful else self.u(30, 60) * 60
            slots.append(
                {
                    "keyword": self.kws[kwi]["s"],
                    "start_ms": self.day0_ms + int(t * 1000),
                    "planned_min": round(dur / 60, 1),
                }
            )
            pj = min(0.9, base_join * (1.0 - 0.05 * j))
            sl = self.slates[kwi]
            top = [i for i in range(min(sl.n, 8)) if self.sellers[self.listings[sl.lst[i]].adv].tmall]
            if not top:
                top = list(range(min(sl.n, 4)))
            for p, is_seller in members:
                if self.r() >= pj:
                    continue
                seen.add(p.pid)
                tt = t + (self.r() * dur if careful else min(dur, self.R.gamma(2.0, dur / 6)))
                ctx = self.ctx_room_seller(p, tt, careful) if is_seller else self.ctx_shopper(p, tt)
                own = p.seller
                m = min(len(top), 1 + int(self.R.binomial(4, 0.35)))
                picks = sorted(self.R.choice(len(top), size=m, replace=False))
                for i in picks:
                    pos = top[i]
                    if self.listings[sl.lst[pos]].adv == own:
                        continue
                    tt += self.lognorm(5.0, 0.6)
                    d = (
                        self.told10(bias[p.pid], ign[p.pid])
                        if not careful
                        else self.u(8, 25) * self.lognorm(1, 0.2)
                    )
                    self.emit(ctx, tt, sl.lst[pos], kwi, sl.cost[pos], d, "keyword_sweep", True, aid)
                    tt += d + self.u(2, 10)
            t += dur + (self.u(2, 10) * 60 if not careful else -self.u(5, 20) * 60)
        return {
            "channel": room["channel"],
            "organiser_post": "大流量高价格关键词逐一扫荡, 直通车排名靠前的天猫卖家",
            "careful": careful,
            "keyword_slots": slots,
            "participants_seen": len(seen),
            "sympathetic_buyers_without_shop": len(room["buyers"]) + len(extra_buyers),
        }

    def fresh_identity(self, farm_devs):
        p = Person(-1)
        p.prov = self.rand_prov()
        p.carrier = self.carriers[self.wpick(self.carrier_cum)]
        u = self.r()
        age = self.u(0.003, 0.15) if u < 0.75 else self.lognorm(2.5, 0.5)  # bought 白号, some 老号
        acct = self.new_acct(age)
        ph = self.new_phone()
        if self.r() < 0.82:
            if farm_devs and self.r() < 0.25:
                dev, ua = self.pick(farm_devs)
            else:
                dev, ua = self.new_dev(), self.phone_ua(ph, "app")
            mobile = True
        else:
            dev, ua, mobile = self.new_dev(), self.pc_ua(), False
        v = self.r()
        if v < 0.55:
            ip = self.cgnat_ip(p.prov, p.carrier)
        elif v < 0.85:
            ip = self.home_ip(p.prov, nat_ok=False)
        else:
            a, b = self.pick(self.proxy_prefix)
            ip = fmt_ip(a, b, self.ri(0, 255), self.ri(1, 254))
        return {"dev": dev, "ua": ua, "ip": ip, "acct": acct, "sid": None, "mobile": mobile, "miss": 0.08}

    def atk_farm(self, aid, scale):
        plan = self.plans["click_farm"]
        li, kwi = plan["target"]
        sl = self.slates[kwi]
        pos = sl.pos[li]
        T = self.u(12.0, 22.0) * 3600
        W = self.u(20, 40) * 60
        N = min(1800, int(self.u(250, 800) * scale))
        self.proxy_prefix = [self.pick(DATACENTER), (self.pick(FIRST_OCTETS["tel"]), self.ri(0, 255))]
        farm_devs = []
        for _ in range(self.ri(10, 40)):
            ph = self.new_phone()
            farm_devs.append((self.new_dev(), self.phone_ua(ph, "app")))
        times = sorted(T + W * x for x in self.R.beta(1.4, 1.1, N))
        decoys = 0
        for t in times:
            ctx = self.fresh_identity(farm_devs)
            if self.r() < 0.3:  # 货比三家 before the target, as 刷单 tasks demand
                for _ in range(self.ri(1, 2)):
                    dp = self.ri(0, min(sl.n, 10) - 1)
                    if dp == pos:
                        continue
                    d = self.lognorm(20, 0.6)
                    self.emit(ctx, t, sl.lst[dp], kwi, sl.cost[dp], d, "click_farm", True, aid)
                    decoys += 1
                    t += d + self.lognorm(6, 0.5)
            d = min(600.0, max(6.0, self.lognorm(75, 0.55)))
            if self.r() < 0.05:
                self.emit(ctx, t, li, kwi, sl.cost[pos], self.u(0.4, 2.5), "click_farm", True, aid)
                t += 1.5
            self.emit(ctx, t, li, kwi, sl.cost[pos], d, "click_farm", True, aid)
        h = plan["hirer"]
        return {
            "crew": "QQ上雇佣的刷单团伙 (上万个账号)",
            "workers": N,
            "window_min": round(W / 60, 1),
            "hirer_seller_id": h.sid if h else None,
            "decoy_clicks": decoys,
            "task": "搜关键词, 货比三家, 进店浏览2-3分钟",
            "primary_listing_ids": [self.listings[li].lid],
        }

    def atk_bots(self, aid_base, scale, next_aid):
        out = []
        for op in self.plans["bots"]["ops"]:
            aid = next_aid()
            if op["variant"] == "click_software":
                o = op["operator"]
                start = self.u(8.0, 20.0) * 3600
                dur = min(16 * 3600, self.u(3, 9) * 3600 * scale)
                a_int = self.u(30, 90)
                b_int = a_int * self.u(2, 4)
                dlo = self.pick([8, 10, 15, 20])
                dhi = dlo + self.pick([10, 15, 20, 30])
                pos_lo, pos_hi = self.ri(0, 1), self.ri(3, 7)
                pref = [(self.pick(FIRST_OCTETS["tel"]), self.ri(0, 255)) for _ in range(self.ri(2, 3))]
                uas = [
                    "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 5.1; Trident/4.0; .NET CLR 2.0.50727)",
                    "Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 5.1; .NET CLR 2.0.50727; 360SE)",
                    "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) "
                    "Chrome/31.0.1650.63 Safari/537.36",
                    "Mozilla/5.0 (compatible; MSIE 9.0; Windows NT 6.1; Trident/5.0)",
                    "Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko",
                    "Mozilla/5.0 (Windows NT 5.1) AppleWebKit/537.36 (KHTML, like Gecko) "
                    "Chrome/38.0.2125.122 Safari/537.36 SE 2.X MetaSr 1.0",
                ]
                uas = [uas[i] for i in sorted(self.R.choice(len(uas), size=self.ri(3, 6), replace=False))]
                t = start
                dev = self.new_dev()
                ip = None
                n = 0
                while t < start + dur and t < DAY_S:
                    if ip is None or self.r() < 0.8:
                        a, b = self.pick(pref)
                        ip = fmt_ip(a, b, self.ri(0, 255), self.ri(1, 254))  # ADSL redial
                    if self.r() < 0.7:
                        dev = self.new_dev()
                    kwi = self.pick(op["keywords"])
                    sl = self.slates[kwi]
                    poss = [
                        i
                        for i in range(pos_lo, min(sl.n, pos_hi + 1))
                        if self.listings[sl.lst[i]].adv != o.idx
                    ]
                    if poss:
                        pos = self.pick(poss)
                        ctx = {
                            "dev": dev if self.r() > 0.12 else None,
                            "ua": self.pick(uas),
                            "ip": ip,
                            "acct": None,
                            "sid": None,
                            "mobile": False,
                            "miss": 0.1,
                        }
                        d = self.u(dlo, dhi) + self.u(0.5, 2.0)
                        self.emit(ctx, t, sl.lst[pos], kwi, sl.cost[pos], d, "bots", True, aid)
                        n += 1
                    t += self.u(a_int, b_int)
                out.append(
                    (
                        aid,
                        {
                            "variant": "click_software",
                            "software": "直通车点击器 (ADSL拨号换IP, 清cookie)",
                            "operator_seller_id": o.sid,
                            "interval_s": [round(a_int), round(b_int)],
                            "stay_s": [dlo, dhi],
                            "positions": [pos_lo + 1, pos_hi + 1],
                        },
                    )
                )
            else:
                a, b = self.pick(DATACENTER)
                ips = [fmt_ip(a, b, self.ri(0, 255), self.ri(1, 254)) for _ in range(self.ri(1, 4))]
                ua = self.pick(
                    [
                        "Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/534.34 (KHTML, like Gecko) "
                        "PhantomJS/1.9.8 Safari/534.34",
                        "Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) "
                        "PhantomJS/2.1.1 Safari/538.1",
                        "python-requests/2.2.1 CPython/2.7.6 Linux/3.13.0-24-generic",
                        "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) "
                        "Chrome/34.0.1847.137 Safari/537.36",
                        None,
                    ]
                )
                dev = self.new_dev() if self.r() < 0.4 else None
                for _ in range(self.ri(1, 3)):
                    t = self.u(1.0, 22.0) * 3600
                    end = t + self.u(20, 60) * 60 * min(1.5, scale)
                    while t < end and t < DAY_S:
                        kwi = self.pick(op["keywords"])
                        sl = self.slates[kwi]
                        ip = self.pick(ips)
                        for pos in range(min(sl.n, self.ri(1, 4))):
                            ctx = {
                                "dev": dev,
                                "ua": ua,
                                "ip": ip,
                                "acct": None,
                                "sid": None,
                                "mobile": False,
                                "miss": 0.85,
                            }
                            self.emit(
                                ctx, t, sl.lst[pos], kwi, sl.cost[pos], self.u(0.1, 0.9), "bots", True, aid
                            )
                            t += self.u(1.0, 3.0)
                        t += self.u(30, 120)
                out.append(
                    (
                        aid,
                        {
                            "variant": "headless_crawler",
                            "note": "price-monitoring scraper that follows ad links",
                            "user_agent": ua,
                        },
                    )
                )
        return out

    def atk_knockout(self, aid, scale):
        plan = self.plans["budget_knockout"]
        A, B = plan["attacker"], plan["target"]
        team = [(p, True) for p in A.staff[:3]]
        for _ in range(self.ri(1, 4)):
            q = self.new_person(prov=A.prov, seg=self.pick(["home", "mobile"]))
            q.phone = True
            if q.ph is None:
                q.ph = self.new_phone()
                q.app_dev, q.web_dev = self.new_dev(), self.new_dev()
                q.app_ua, q.web_ua = self.phone_ua(q.ph, "app"), self.phone_ua(q.ph, "web")
            team.append((q, False))
        start = self.u(6.5, 8.3) * 3600
        end = self.u(10.5, 12.5) * 3600
        tg = plan["listings"]
        decoys = slips = 0
        for p, is_staff in team:
            if not p.phone:
                p.phone = True
                p.ph = self.new_phone()
                p.app_dev, p.web_dev = self.new_dev(), self.new_dev()
                p.app_ua, p.web_ua = self.phone_ua(p.ph, "app"), self.phone_ua(p.ph, "web")
            n = self.ri(18, 45)  # they keep going until the ads disappear (clicks after that never happen)
            times = sorted(self.u(start, end) for _ in range(n))
            web_dev = p.web_dev
            for t in times:
                if self.r() < 0.3:
                    web_dev = self.new_dev()  # cleared the browser cookies
                if is_staff and p.is_owner and self.r() < 0.05 and A.shop_devs:
                    ctx = {
                        "dev": A.shop_devs[0],
                        "ua": A.shop_uas[0],
                        "ip": self.pick(A.ips),
                        "mobile": False,
                        "miss": 0.06,
                        "acct": A.main_acct,
                        "sid": A.sid if self.r() < 0.7 else None,
                    }
                    slips += 1
                else:
                    ip = (
                        self.cgnat_ip(p.prov, p.carrier) if self.r() < 0.85 else p.home_ip
                    )  # airplane-mode toggle
                    logged = self.r() < 0.15
                    ctx = {
                        "dev": p.app_dev if logged else web_dev,
                        "ua": p.app_ua if logged else p.web_ua,
                        "ip": ip,
                        "mobile": True,
                        "miss": 0.12,
                        "acct": p.acct if logged else None,
                        "sid": None,
                    }
                li, kwi = self.pick(tg)
                sl = self.slates[kwi]
                if li not in sl.pos:
                    continue
                if self.r() < 0.12:
                    dp = self.ri(0, min(sl.n, 8) - 1)
                    if sl.lst[dp] != li:
                        d = self.dwell_honest("mobile")
                        self.emit(ctx, t, sl.lst[dp], kwi, sl.cost[dp], d, "budget_knockout", True, aid)
                        decoys += 1
                        t += d + self.u(3, 10)
                d = min(400.0, max(6.0, self.lognorm(30, 0.7)))
                self.emit(ctx, t, li, kwi, sl.cost[sl.pos[li]], d, "budget_knockout", True, aid)
        return {
            "attacker_seller_id": A.sid,
            "team_size": len(team),
            "window_planned_ms": [self.day0_ms + int(start * 1000), self.day0_ms + int(end * 1000)],
            "goal": "早上把对手直通车日限额点完, 让它高峰时段下线",
            "method": "手机流量开关飞行模式换IP, 清cookie, 不登录; 每次停留不等",
            "decoy_clicks": decoys,
            "owner_slips_from_shop_pc": slips,
            "primary_listing_ids": [self.listings[li].lid for li, _ in tg],
            "target_daily_budget_micros": self.budget[B.idx],
        }

    def atk_task_group(self, aid, scale):
        plan = self.plans["paid_task_group"]
        tg = plan["listings"]
        N = min(1200, int(self.u(80, 220) * scale))
        pool_s = [s.staff[0] for s in self.sellers if s.tier == "small"]
        members = []
        for _ in range(N):
            members.append(self.pick(pool_s) if self.r() < 0.15 else self.pick(self.shoppers))
        reminders = sorted(self.u(10.0, 22.0) * 3600 for _ in range(self.ri(3, 4)))
        lo, hi = 10.0 * 3600, 23.5 * 3600
        decoys = 0
        for p in members:
            nact = 1 if self.r() < 0.7 else (2 if self.r() < 0.83 else 3)
            for _ in range(nact):
                if self.r() < 0.35:
                    t = self.pick(reminders) + self.R.gamma(1.5, 600)
                else:
                    t = self.sample_times(1, lo, hi)[0]
                ctx = self.ctx_shopper(p, t) if p.seller is None else self.ctx_shopper(p, t)
                ctx["sid"] = None
                li, kwi = self.pick(tg)
                sl = self.slates[kwi]
                if li not in sl.pos:
                    continue
                if self.r() < 0.4:
                    for _ in range(self.ri(1, 2)):
                        dp = self.ri(0, min(sl.n, 12) - 1)
                        if sl.lst[dp] == li:
                            continue
                        d = self.dwell_honest("mobile" if ctx["mobile"] else "pc")
                        self.emit(ctx, t, sl.lst[dp], kwi, sl.cost[dp], d, "paid_task_group", True, aid)
                        decoys += 1
                        t += d + self.lognorm(5, 0.5)
                for _ in range(1 if self.r() < 0.8 else 2):
                    d = min(600.0, max(12.0, self.lognorm(70, 0.5)))
                    self.emit(ctx, t, li, kwi, sl.cost[sl.pos[li]], d, "paid_task_group", True, aid)
                    t += d + self.lognorm(20, 0.6)
        return {
            "channel": "付费QQ群 (群主收入群费, 发布任务)",
            "members_active": N,
            "task": "搜指定关键词, 找到该店直通车宝贝, 先看两家别的, 再进店浏览1-2分钟加购",
            "reminder_posts_ms": [self.day0_ms + int(x * 1000) for x in reminders],
            "purpose": "敲诈勒索: 高客单价天猫店",
            "decoy_clicks": decoys,
            "primary_listing_ids": [self.listings[li].lid for li, _ in tg],
        }

    def realise_attacks(self, scale, attempt):
        saved = self.R
        self.R = np.random.default_rng([self.seed, 7919, attempt])
        self.sink = []
        notes = {}
        kinds = {}
        counter = [0]

        def next_aid():
            counter[0] += 1
            return f"atk-{self.seed:d}-{counter[0]:02d}"

        for kind in self.active:
            if kind == "bots":
                for aid, nt in self.atk_bots(None, scale, next_aid):
                    notes[aid], kinds[aid] = nt, "bots"
                continue
            aid = next_aid()
            fn = {
                "rival_siege": self.atk_siege,
                "keyword_sweep": self.atk_sweep,
                "click_farm": self.atk_farm,
                "budget_knockout": self.atk_knockout,
                "paid_task_group": self.atk_task_group,
            }[kind]
            notes[aid] = fn(aid, scale)
            kinds[aid] = kind
        fraud = self.sink
        self.R = saved
        return fraud, notes, kinds

    # ------------------------------------------------------------------ budgets applied in time order
    def finalize(self, clicks):
        clicks = [c for c in clicks if 0 <= c["t"] < DAY_S]
        clicks.sort(key=lambda c: (c["t"], c["tb"]))
        spent = {}
        offline = {}
        keep = []
        for c in clicks:
            a = c["adv"]
            if a in offline:
                continue
            s = spent.get(a, 0)
            if s + c["cost"] > self.budget[a]:
                offline[a] = c["t"]
                continue
            spent[a] = s + c["cost"]
            keep.append(c)
        return keep, offline

    # ------------------------------------------------------------------ main driver
    def run(self):
        self.persons = []
        self.seller_persons = []
        self.setup_calendar()
        self.build_net()
        self.build_catalog()
        self.build_sellers()
        self.build_profiles()
        n_shop = self.ri(4300, 6300)
        self.build_shoppers(n_shop)
        self.plan_pools()
        self.adv_pricing()
        self.build_slates()
        self.plan_targets()
        self.gen_honest()
        self.gen_surge()
        self.plan_knockout()
        self.gen_viral(self.attack_target_advs)
        honest = self.sink
        self.set_budgets()
        target_share = self.u(0.12, 0.22)
        scale = 1.0
        best = None
        for attempt in range(6):
            fraud, notes, kinds = self.realise_attacks(scale, attempt)
            kept, offline = self.finalize(honest + fraud)
            fs = sum(c["cost"] for c in kept if c["fraud"])
            ts = sum(c["cost"] for c in kept)
            share = fs / ts if ts else 0.0
            cand = (abs(share - target_share), attempt, kept, offline, notes, kinds, share, scale)
            if best is None or cand[0] < best[0]:
                best = cand
            if 0.10 <= share <= 0.25 and abs(share - target_share) < 0.04:
                break
            share = max(share, 0.005)
            ratio = (target_share / (1 - target_share)) / (share / (1 - share))
            scale = min(4.0, max(0.3, scale * min(4.0, max(0.25, ratio))))
        _, attempt, kept, offline, notes, kinds, share, scale = best
        self.kept, self.offline, self.notes, self.kinds = kept, offline, notes, kinds
        self.fraud_share, self.scale, self.target_share = share, scale, target_share
        self.n_honest_generated = len(honest)

    # ------------------------------------------------------------------ output
    def write(self, out):
        idrng = np.random.default_rng([self.seed, 424242])
        ymd = self.date.strftime("%Y%m%d")
        used = set()
        lines = []
        for s in sorted((s for s in self.sellers if s.profile is not None), key=lambda s: s.sid):
            lines.append(json.dumps({"seller": s.profile}, ensure_ascii=False, separators=(",", ":")))
        events = []
        labels = {}
        per_attack = {}
        for c in self.kept:
            while True:
                cid = f"c{ymd}." + "".join(HEX[idrng.integers(0, 16, 16)])
                if cid not in used:
                    used.add(cid)
                    break
            ts = self.day0_ms + int(c["t"] * 1000)
            L = self.listings[c["li"]]
            src = {"ip": c["ip"]}
            if c["dev"]:
                src["device_id"] = c["dev"]
            if c["ua"]:
                src["user_agent"] = c["ua"]
            if c["acct"]:
                src["account_id"] = c["acct"]
            if c["sid"]:
                src["seller_id"] = c["sid"]
            click = {
                "click_id": cid,
                "ts": ts,
                "advertiser_id": self.sellers[c["adv"]].sid,
                "listing_id": L.lid,
                "cost_micros": int(c["cost"]),
                "currency": "CNY",
                "keyword": self.kws[c["kw"]]["s"],
                "category": self.cats[L.cat],
                "source": src,
            }
            if c["dwell"] is not None:
                if idrng.random() < 0.02:
                    click["dwell_ms"] = c["dwell"]
                else:
                    delay = min(60.0, max(0.15, 1.6 * math.exp(0.8 * idrng.standard_normal())))
                    if idrng.random() < 0.04:
                        delay += 60 + idrng.random() * 1140
                    dts = ts + c["dwell"] + int(delay * 1000)
                    events.append(
                        (
                            dts,
                            1,
                            idrng.random(),
                            {
                                "type": "dwell",
                                "ts_ms": dts,
                                "dwell": {"click_id": cid, "dwell_ms": c["dwell"]},
                            },
                        )
                    )
            events.append((ts, 0, idrng.random(), {"type": "click", "ts_ms": ts, "click": click}))
            labels[cid] = {"fraud": bool(c["fraud"]), "traffic": c["traffic"], "attack_id": c["aid"]}
            if c["aid"]:
                a = per_attack.setdefault(
                    c["aid"], {"ts": [], "adv": set(), "lst": set(), "kw": set(), "n": 0, "spend": 0}
                )
                a["ts"].append(ts)
                a["adv"].add(self.sellers[c["adv"]].sid)
                a["lst"].add(L.lid)
                a["kw"].add(self.kws[c["kw"]]["s"])
                a["n"] += 1
                a["spend"] += int(c["cost"])
        events.sort(key=lambda e: (e[0], e[1], e[2]))
        for e in events:
            lines.append(json.dumps(e[3], ensure_ascii=False, separators=(",", ":")))
        os.makedirs(os.path.dirname(os.path.abspath(out)) or ".", exist_ok=True)
        with open(out, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        attacks = []
        for aid in sorted(per_attack):
            a = per_attack[aid]
            attacks.append(
                {
                    "attack_id": aid,
                    "kind": self.kinds[aid],
                    "start_ms": min(a["ts"]),
                    "end_ms": max(a["ts"]),
                    "targets": {
                        "advertiser_ids": sorted(a["adv"]),
                        "listing_ids": sorted(a["lst"]),
                        "keywords": sorted(a["kw"]),
                    },
                    "n_clicks": a["n"],
                    "spend_micros": a["spend"],
                    "notes": self.notes.get(aid, {}),
                }
            )
        sid_of = {s.idx: s.sid for s in self.sellers}
        attacked = set()
        for a in attacks:
            attacked.update(a["targets"]["advertiser_ids"])
        offline = [
            {
                "advertiser_id": sid_of[a],
                "ts_ms": self.day0_ms + int(t * 1000),
                "attacked_today": sid_of[a] in attacked,
            }
            for a, t in sorted(self.offline.items(), key=lambda x: x[1])
        ]
        n_adv = sum(1 for s in self.sellers if s.advertiser)
        meta = {
            "generator": VERSION,
            "seed": self.seed,
            "date": self.date.isoformat(),
            "timezone": "+08:00",
            "occasion": self.occasion,
            "weekday": self.weekday,
            "day_start_ms": self.day0_ms,
            "day_end_ms": self.day0_ms + 86_400_000,
            "world": dict(
                self.world_sizes,
                advertisers=n_adv,
                advertisers_paused_by_room=sum(1 for s in self.sellers if s.paused),
                listings=len(self.listings),
                keywords=len(self.kws),
                seller_profiles=sum(1 for s in self.sellers if s.profile is not None),
                shoppers_baseline=len(self.shoppers),
                surge_new_shoppers=self.n_surge_new,
                seller_staff_persons=len(self.seller_persons),
                companies=len(self.companies),
                campuses=len(self.campuses),
                internet_cafes=len(self.cafes),
                ecommerce_parks=len(self.parks),
                mobile_share_year=self.year_mobile,
            ),
            "surge": {
                "start_ms": self.day0_ms + int(self.surge_lo * 1000),
                "end_ms": self.day0_ms + int(self.surge_hi * 1000),
                "multiplier": round(self.surge_M, 2),
                "ramp_min": round(self.surge_ramp / 60, 1),
                "extra_sessions": self.surge_extra_sessions,
                "label_rule": (
                    "every honest non-seller, non-viral click whose shopping session started "
                    "inside the window is 'surge'"
                ),
            },
            "viral": self.viral,
            "budget_exhausted": offline,
            "fraud_share_of_spend": round(self.fraud_share, 4),
            "fraud_share_target": round(self.target_share, 4),
            "attack_scale": round(self.scale, 3),
            "active_attack_kinds": self.active,
            "notes": [
                "ads of advertisers whose daily budget ran out stop receiving clicks "
                "(honest and fraud alike)",
                "room members (rival_siege/keyword_sweep) paused their own ads for the day",
                "some clicks never get a dwell report; ~2% carry dwell_ms inline instead of a dwell event",
                "profiles may be missing or incomplete; home-broadband sellers' profile IPs are often stale",
            ],
        }
        with open(out + ".labels.json", "w", encoding="utf-8") as f:
            json.dump({"labels": labels, "attacks": attacks, "meta": meta}, f, ensure_ascii=False)
        return len(labels)


# ============================================================================================
def verify(out):
    """Re-read both files and check the format promises; return summary dict."""
    with open(out + ".labels.json", encoding="utf-8") as f:
        side = json.load(f)
    labels = side["labels"]
    clicks = {}
    n_prof = n_dwell = 0
    last_ts = None
    in_events = False
    seen_dwell = set()
    with open(out, encoding="utf-8") as f:
        for ln, line in enumerate(f, 1):
            o = json.loads(line)
            if "seller" in o:
                assert not in_events, f"line {ln:d}: profile after events"
                s = o["seller"]
                assert isinstance(s["seller_id"], str) and s["seller_id"]
                for k in ("categories", "account_ids", "device_ids", "ips"):
                    assert isinstance(s[k], list) and len(s[k]) <= 1000, f"line {ln:d}: {k}"
                n_prof += 1
                continue
            in_events = True
            ts = o["ts_ms"]
            assert isinstance(ts, int)
            assert last_ts is None or ts >= last_ts, f"line {ln:d}: events not sorted"
            last_ts = ts
            if o["type"] == "click":
                c = o["click"]
                cid = c["click_id"]
                assert CLICK_ID_RE.match(cid), cid
                assert cid not in clicks, f"duplicate click id {cid}"
                assert c["ts"] == ts
                assert isinstance(c["cost_micros"], int) and 0 <= c["cost_micros"] <= 10**12
                assert c["currency"] == "CNY"
                for k in ("advertiser_id", "listing_id"):
                    assert isinstance(c[k], str) and 1 <= len(c[k]) <= 128
                ipaddress.ip_address(c["source"]["ip"])
                if "dwell_ms" in c:
                    assert 0 <= c["dwell_ms"] <= 86_400_000
                clicks[cid] = c
            elif o["type"] == "dwell":
                d = o["dwell"]
                cid = d["click_id"]
                assert cid in clicks, f"line {ln:d}: dwell before/without its click"
                assert cid not in seen_dwell and "dwell_ms" not in clicks[cid], f"second dwell for {cid}"
                assert ts >= clicks[cid]["ts"] + d["dwell_ms"]
                assert isinstance(d["dwell_ms"], int) and 0 <= d["dwell_ms"] <= 86_400_000
                seen_dwell.add(cid)
                n_dwell += 1
            else:
                raise AssertionError(f"line {ln:d}: unknown type")
    assert set(labels) == set(clicks), "labels and clicks differ"
    by_traffic = {}
    spend_all = spend_fraud = 0
    per_aid = {}
    for cid, lab in labels.items():
        assert isinstance(lab["fraud"], bool)
        if lab["fraud"]:
            assert lab["attack_id"] and lab["traffic"] not in ("organic", "seller_shopper", "surge", "viral")
        else:
            assert lab["attack_id"] is None and lab["traffic"] in (
                "organic",
                "seller_shopper",
                "surge",
                "viral",
            )
        by_traffic[lab["traffic"]] = by_traffic.get(lab["traffic"], 0) + 1
        cost = clicks[cid]["cost_micros"]
        spend_all += cost
        if lab["fraud"]:
            spend_fraud += cost
            a = per_aid.setdefault(lab["attack_id"], [0, 0])
            a[0] += 1
            a[1] += cost
    for a in side["attacks"]:
        n, sp = per_aid.get(a["attack_id"], [0, 0])
        assert n == a["n_clicks"] and sp == a["spend_micros"], f"attack record mismatch {a['attack_id']}"
    assert set(per_aid) == {a["attack_id"] for a in side["attacks"]}
    return {
        "profiles": n_prof,
        "clicks": len(clicks),
        "dwell_events": n_dwell,
        "inline_dwell": sum(1 for c in clicks.values() if "dwell_ms" in c),
        "by_traffic": by_traffic,
        "spend_cny": spend_all / 1e6,
        "fraud_spend_cny": spend_fraud / 1e6,
        "fraud_share": spend_fraud / spend_all if spend_all else 0.0,
        "attacks": side["attacks"],
        "meta": side["meta"],
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    t0 = time.time()
    g = Gen(a.seed)
    g.run()
    g.write(a.out)
    t_gen = time.time() - t0
    s = verify(a.out)
    t_all = time.time() - t0
    m = s["meta"]
    print(
        f"{a.out}  seed={a.seed:d}  date={m['date']} ({m['occasion']})  "
        f"generated in {t_gen:.1f}s, verified in {t_all - t_gen:.1f}s"
    )
    print(
        f"  profiles={s['profiles']:d} clicks={s['clicks']:d} dwell_events={s['dwell_events']:d} "
        f"inline_dwell={s['inline_dwell']:d}"
    )
    print(
        "  per label: "
        + ", ".join(f"{k}={n:d}" for k, n in sorted(s["by_traffic"].items(), key=lambda x: -x[1]))
    )
    for at in s["attacks"]:
        print(
            f"  attack {at['attack_id']:<10} {at['kind']:<16} clicks={at['n_clicks']:5d} "
            f"spend={at['spend_micros'] / 1e6:9.2f} CNY  "
            f"advertisers={len(at['targets']['advertiser_ids']):d} "
            f"listings={len(at['targets']['listing_ids']):d} "
            f"keywords={len(at['targets']['keywords']):d}"
        )
    print(
        f"  spend={s['spend_cny']:.2f} CNY  fraud={s['fraud_spend_cny']:.2f} CNY  "
        f"fraud share of spend={s['fraud_share']:.3f}  budgets exhausted={len(m['budget_exhausted']):d}"
    )


if __name__ == "__main__":
    main()
