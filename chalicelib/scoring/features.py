"""Per-click signals, each a pure function of plain data (no storage, no clock)."""

from __future__ import annotations

import re
from functools import lru_cache

import crawleruseragents

from chalicelib.models import SellerProfile, Source
from chalicelib.storage.base import NO_DWELL, ActivityEntry, PulseEntry

# Headless browsers and automation frameworks that the crawler list does not name as such.
AUTOMATION_MARKERS = ("headless", "phantomjs", "selenium", "webdriver", "puppeteer", "playwright", "java/")

# "Mozilla/5.0", or "Mozilla/5.0 (Windows NT 6.1; WOW64)", with nothing after: a browser always
# names its engine or itself after the platform, or inside it as "compatible; MSIE 7.0" (old IE).
# Scripts that fake a browser in one line send this.
UNNAMED_BROWSER = re.compile(r"Mozilla/\d+(\.\d+)?(\s*\((?!\s*compatible\s*;)[^()]*\))?\s*", re.IGNORECASE)


def other_shop_owner(source: Source, advertiser_id: str) -> bool:
    """The clicker owns a shop, not the advertiser's: what the 2011 and 2013 sieges were made of."""
    return source.seller_id is not None and source.seller_id != advertiser_id


def window_counts(
    entries: list[ActivityEntry], ts: int, click_hash: int, windows_s: tuple[int, ...]
) -> list[int]:
    """Clicks by one source in each window ending at this click, itself included: people are slow."""
    others = [e.ts for e in entries if e.click != click_hash and e.ts <= ts]
    return [1 + sum(1 for t in others if t > ts - w * 1000) for w in windows_s]


def exceeded_windows(counts: list[int], limits: tuple[int, ...], windows_s: tuple[int, ...]):
    """The windows (in seconds) in which a source clicked more often than its limit allows."""
    return [w for c, lim, w in zip(counts, limits, windows_s, strict=True) if c > lim]


def no_history(
    activities: list[list[ActivityEntry]], ts: int, click_hash: int, listing_hash: int, task_s: int
) -> bool:
    """No earlier click by any of a person's identities (account, device), but on this listing in
    the last `task_s`: a hired identity is fresh, and its only history is the task (back again)."""
    task = ts - task_s * 1000
    return bool(activities) and not any(
        e.click != click_hash and e.ts <= ts and not (e.listing == listing_hash and e.ts > task)
        for entries in activities
        for e in entries
    )


def last_same_listing(
    entries: list[ActivityEntry], ts: int, click_hash: int, listing_hash: int
) -> ActivityEntry | None:
    """The same source's last earlier click on the same listing: a repeat within seconds is the
    same visit again."""
    earlier = [e for e in entries if e.listing == listing_hash and e.click != click_hash and e.ts <= ts]
    return max(earlier, key=lambda e: e.ts, default=None)


def reported_stay(ring: list[PulseEntry], click_hash: int) -> int | None:
    """The stay reported for one of a listing's recent clicks (its pulse's ring), if any."""
    return next((e.dwell for e in ring if e.click == click_hash and e.dwell != NO_DWELL), None)


def back_after_stay(earlier_ts: int, stay_ms: int | None, ts: int, min_stay_ms: int) -> bool:
    """The earlier click's reported stay had ended before this click: a shopper back from reading
    the page (the back button) makes a second visit, while a double click or tap comes before any
    stay (a first click's bounce under `min_stay_ms` is no stay)."""
    return stay_ms is not None and stay_ms >= min_stay_ms and earlier_ts + stay_ms <= ts


def clicks_on_advertiser(
    entries: list[ActivityEntry], ts: int, click_hash: int, advertiser_hash: int, window_s: int
) -> int:
    """Earlier clicks by one source on one advertiser in a window: rivals work through a shop."""
    low = ts - window_s * 1000
    return sum(
        1 for e in entries if e.advertiser == advertiser_hash and e.click != click_hash and low < e.ts <= ts
    )


@lru_cache(maxsize=4096)
def bot_agent(user_agent: str | None, unnamed_browser: bool = True) -> str | None:
    """Why an agent is not a person (known crawler, automation, missing, a browser that names no
    engine unless `unnamed_browser` is off), or None if it may be one."""
    if not user_agent or not user_agent.strip():
        return "missing"
    lowered = user_agent.lower()
    for marker in AUTOMATION_MARKERS:
        if marker in lowered:
            return marker
    if crawleruseragents.is_crawler(user_agent):
        return "crawler-list"
    if unnamed_browser and UNNAMED_BROWSER.fullmatch(user_agent.strip()):
        return "no-browser-named"
    return None


def short_dwell(dwell_ms: int | None, threshold_ms: int) -> bool:
    """A stay too short to have looked at the landing page at all."""
    return dwell_ms is not None and dwell_ms < threshold_ms


def rival_links(
    source: Source,
    source_owners: dict[str, frozenset[str]],
    advertiser_id: str,
    listing_category: str | None,
    profiles: dict[str, SellerProfile],
) -> list[dict]:
    """Sellers other than the advertiser that this click's source belongs to, sharing a category.

    `source_owners` maps a source kind (account, device, ip) to the sellers linked to it. A link
    counts only if the seller's current profile still lists it: links are written before
    profiles, so a half-applied profile update never makes a click look like a rival's.
    """
    advertiser = profiles.get(advertiser_id)
    target_categories = set(advertiser.categories if advertiser else ())
    if listing_category:
        target_categories.add(listing_category)
    candidates: dict[str, set[str]] = {}
    for kind, owners in source_owners.items():
        for seller in owners:
            candidates.setdefault(seller, set()).add(kind)
    if source.seller_id:
        candidates.setdefault(source.seller_id, set()).add("seller_id")
    links = []
    for seller_id, kinds in sorted(candidates.items()):
        profile = profiles.get(seller_id)
        if seller_id == advertiser_id or profile is None:
            continue
        via = sorted(k for k in kinds if _profile_lists(profile, k, source))
        shared = sorted(target_categories & set(profile.categories))
        if via and shared:
            links.append({"seller_id": seller_id, "via": via, "categories": shared})
    return links


def _profile_lists(profile: SellerProfile, kind: str, source: Source) -> bool:
    held = {
        "seller_id": (profile.seller_id,),
        "account": profile.account_ids,
        "device": profile.device_ids,
        "ip": profile.ips,
    }
    value = {
        "seller_id": source.seller_id,
        "account": source.account_id,
        "device": source.device_id,
        "ip": source.ip,
    }
    return value.get(kind) in held.get(kind, ())
