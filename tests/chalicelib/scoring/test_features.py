"""Per-click signals on plain data: no AWS."""

from chalicelib.models import SellerProfile, Source
from chalicelib.scoring import features
from chalicelib.storage.base import ActivityEntry, PulseEntry

T = 1_000_000_000


def entries(*offsets_s, listing=1, advertiser=1):
    return [ActivityEntry(T + int(o * 1000), 100 + i, listing, advertiser) for i, o in enumerate(offsets_s)]


def test_window_counts_include_self_and_only_the_past():
    past = entries(-30, -59, -61, -3000, 120)  # one in the future of this click
    assert features.window_counts(past, T, click_hash=999, windows_s=(60, 3600)) == [3, 5]


def test_window_counts_do_not_count_the_click_twice():
    own = [ActivityEntry(T, 7, 1, 1)]
    assert features.window_counts(own, T, click_hash=7, windows_s=(60,)) == [1]


def test_exceeded_windows():
    assert features.exceeded_windows([11, 12], (10, 60), (60, 3600)) == [60]


def test_last_same_listing_is_the_latest_on_that_listing_only():
    history = entries(-300, -100, listing=5) + entries(-10, listing=6)
    assert features.last_same_listing(history, T, 999, 5).ts == T - 100_000
    assert features.last_same_listing(history, T, 999, 7) is None


def test_reported_stay_is_read_from_the_listing_ring():
    ring = [PulseEntry(T, 1), PulseEntry(T + 1, 2, dwell=4000)]
    assert features.reported_stay(ring, 2) == 4000
    assert features.reported_stay(ring, 1) is None  # clicked, no stay reported yet
    assert features.reported_stay(ring, 3) is None


def test_back_after_stay_is_a_second_visit_a_double_click_is_not():
    assert features.back_after_stay(T, 4000, T + 6000, 1000)  # read 4 s, back, clicked again
    assert not features.back_after_stay(T, 4000, T + 3000, 1000)  # again before the stay ended
    assert not features.back_after_stay(T, None, T + 6000, 1000)  # no stay reported yet
    assert not features.back_after_stay(T, 300, T + 500, 1000)  # a double tap's first "stay"


def test_clicks_on_advertiser_in_window():
    history = entries(-10, -20, advertiser=3) + entries(-90000, advertiser=3)
    assert features.clicks_on_advertiser(history, T, 999, 3, 86400) == 2


def test_bot_agent_uses_the_maintained_crawler_list_and_automation_markers():
    assert features.bot_agent(None) == "missing"
    assert features.bot_agent("  ") == "missing"
    assert features.bot_agent("Mozilla/5.0 (compatible; Baiduspider/2.0)") == "crawler-list"
    assert features.bot_agent("python-requests/2.31") == "crawler-list"
    assert features.bot_agent("Mozilla/5.0 HeadlessChrome/120.0") == "headless"
    iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 AliApp(TB/10.30)"
    assert features.bot_agent(iphone) is None


def test_bot_agent_names_a_mozilla_token_with_no_browser_after_it():
    # What a script faking a browser in one line sends; every browser names itself or its engine.
    assert features.bot_agent("Mozilla/5.0 (Windows NT 6.1; WOW64)") == "no-browser-named"
    assert features.bot_agent("Mozilla/5.0") == "no-browser-named"
    assert features.bot_agent(" mozilla/5.0 ( iPhone ) ") == "no-browser-named"
    # Old Internet Explorer names itself inside the platform comment; an app names itself after it.
    assert features.bot_agent("Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 5.1)") is None
    assert features.bot_agent("Mozilla/5.0 (iPhone) AliApp(TB/10.30)") is None
    chrome = "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/31.0.1650.63"
    assert features.bot_agent(chrome) is None
    # For an ad server that keeps only the platform part of the agent (FG_BOT_UNNAMED_BROWSER).
    assert features.bot_agent("Mozilla/5.0 (Windows NT 6.1; WOW64)", unnamed_browser=False) is None


def test_dwell_signals():
    assert features.short_dwell(999, 1000) and not features.short_dwell(1000, 1000)
    assert not features.short_dwell(None, 1000)


def profiles(**by_id):
    return {sid: SellerProfile(seller_id=sid, **p) for sid, p in by_id.items()}


def test_rival_link_needs_another_seller_a_shared_category_and_a_current_listing():
    src = Source(ip="1.1.1.1", account_id="a7", device_id="d7")
    known = profiles(
        S1={"categories": ("女装",)},
        S2={"categories": ("女装", "鞋"), "account_ids": ("a7",)},
        S3={"categories": ("数码",), "device_ids": ("d7",)},
        S4={"categories": ("女装",), "account_ids": ()},  # link left over from an old profile
    )
    owners = {"account": frozenset({"S2", "S4"}), "device": frozenset({"S3"})}
    links = features.rival_links(src, owners, "S1", None, known)
    assert links == [{"seller_id": "S2", "via": ["account"], "categories": ["女装"]}]


def test_listing_category_counts_and_the_advertiser_is_never_its_own_rival():
    src = Source(ip="1.1.1.1", account_id="a7")
    known = profiles(
        S1={"categories": (), "account_ids": ("a7",)}, S3={"categories": ("数码",), "account_ids": ("a7",)}
    )
    owners = {"account": frozenset({"S1", "S3"})}
    links = features.rival_links(src, owners, "S1", "数码", known)
    assert [link["seller_id"] for link in links] == ["S3"]


def test_declared_seller_id_is_trusted():
    src = Source(ip="1.1.1.1", seller_id="S2")
    known = profiles(S1={"categories": ("女装",)}, S2={"categories": ("女装",)})
    assert features.rival_links(src, {}, "S1", None, known)[0]["via"] == ["seller_id"]


def test_a_hired_identity_back_on_its_task_listing_is_still_fresh():
    task = entries(-120, listing=5)  # its own click on the same listing two minutes ago
    assert features.no_history([task], T, 999, listing_hash=5, task_s=600)
    # Anything else is history: another listing, or the same listing long ago.
    assert not features.no_history([entries(-120, listing=6)], T, 999, listing_hash=5, task_s=600)
    assert not features.no_history([entries(-1200, listing=5)], T, 999, listing_hash=5, task_s=600)
    assert not features.no_history([task, entries(-3000, listing=6)], T, 999, listing_hash=5, task_s=600)
    assert features.no_history([[ActivityEntry(T, 999, 5, 1)]], T, 999, listing_hash=5, task_s=600)
