"""The evidence behind one click's score, gathered from its source's activity and the sellers."""

from __future__ import annotations

from chalicelib.config import Settings
from chalicelib.models import Click, SellerProfile, stable_hash32
from chalicelib.scoring import features
from chalicelib.scoring.decide import dwell_evidence
from chalicelib.storage.base import ActivityEntry, PulseEntry

VELOCITY_KINDS = ("device", "account", "ip", "subnet")
# Duplicates are judged per person: the device, else the account, else the ip.
DUPLICATE_KINDS = ("device", "account", "ip")
# A person's own identities: an ip is shared by a household or a carrier's NAT.
PERSON_KINDS = ("account", "device")


def activity_entry(click: Click) -> ActivityEntry:
    """The entry a click leaves in each of its sources' activity."""
    return ActivityEntry(
        ts=click.ts,
        click=stable_hash32(click.click_id),
        listing=stable_hash32(click.listing_id),
        advertiser=stable_hash32(click.advertiser_id),
    )


def click_evidence(
    click: Click,
    activity: dict[str, list[ActivityEntry]],
    owners: dict[str, frozenset[str]],
    profiles: dict[str, SellerProfile],
    cfg: Settings,
    pulse: dict | None = None,
    bursting: bool = False,
    sellers_crowd: dict | None = None,
    listing_ring: list[PulseEntry] | None = None,
) -> dict:
    """Feature values for one click; `activity` and `owners` are keyed by source kind. The
    campaign it belongs to, if any, is filled in by the ingest after matching.

    `pulse` is the click's listing's real-time cohort verdict (chalicelib.detect.pulse), if it is
    under a scripted attack now; `bursting`, whether it takes far more clicks than its baseline now;
    `sellers_crowd`, the shop owners crowding it (`pulse.sellers_crowd`) when the clicker is one;
    `listing_ring`, the listing's recent clicks and their reported stays (its pulse's entries).
    """
    me = activity_entry(click)
    windows = cfg.velocity_windows_s
    limits = {
        "device": cfg.device_limits,
        "account": cfg.account_limits,
        "ip": cfg.ip_limits,
        "subnet": cfg.subnet_limits,
    }
    velocity, exceeded = {}, []
    for kind in VELOCITY_KINDS:
        if kind not in activity:
            continue
        counts = features.window_counts(activity[kind], click.ts, me.click, windows)
        velocity[kind] = {str(w): c for w, c in zip(windows, counts, strict=True)}
        exceeded += [f"{kind}:{w}s" for w in features.exceeded_windows(counts, limits[kind], windows)]
    person = next((k for k in DUPLICATE_KINDS if k in activity), "ip")
    earlier = features.last_same_listing(activity[person], click.ts, me.click, me.listing)
    since = None if earlier is None else (click.ts - earlier.ts) / 1000
    duplicate = since is not None and since <= cfg.duplicate_window_s
    earlier_stay = None
    if duplicate:  # unless it is a shopper back from the page: a second visit
        earlier_stay = features.reported_stay(listing_ring or [], earlier.click)
        duplicate = not features.back_after_stay(earlier.ts, earlier_stay, click.ts, cfg.short_dwell_ms)
    rivals = features.rival_links(click.source, owners, click.advertiser_id, click.category, profiles)
    repeat = 0
    if rivals:
        repeat = features.clicks_on_advertiser(activity[person], click.ts, me.click, me.advertiser, 86400)
    return {
        "velocity": velocity,
        "velocity_exceeded": exceeded,
        "duplicate": duplicate,
        "seconds_since_same_listing": since,
        "earlier_stay_ms": earlier_stay,
        "duplicate_by": person,
        "bot_agent": features.bot_agent(click.source.user_agent, cfg.bot_unnamed_browser),
        "rival": rivals,
        "rival_repeat_advertiser": repeat,
        "campaign_id": None,  # the campaign matcher's, once it has seen the batch's fresh sources
        "fresh_source": features.no_history(
            [activity[k] for k in PERSON_KINDS if k in activity],
            click.ts,
            me.click,
            me.listing,
            cfg.fresh_task_s,
        ),
        "pulse": pulse,
        "listing_bursting": bursting,
        "sellers_crowd": sellers_crowd,
        "dwell_pattern": False,
        **dwell_evidence(click.dwell_ms, cfg),
    }
