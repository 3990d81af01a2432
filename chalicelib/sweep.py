"""The retroactive campaign sweep: looks back over recent windows and credits coordinated clicks.

Each sweep finds the campaigns visible in the look-back (chalicelib.detect), merges them into the
campaign store under ids derived from what they attack and when they began, and credits the
charged clicks of their members on their targets. Running it again over the same data finds the
same campaigns under the same ids and writes nothing: merges add nothing new and every click is
refunded at most once (`claim_refund`).
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from dataclasses import replace

import numpy as np

from chalicelib import cursor
from chalicelib.config import Settings
from chalicelib.detect.cohorts import Found, Window, find_bursts, find_campaigns
from chalicelib.detect.crews import find_crews
from chalicelib.detect.frame import ClickFrame
from chalicelib.detect.strangers import STRANGERS, find_scripts, find_strangers
from chalicelib.detect.tailless import find_tailless
from chalicelib.ingest import new_refund
from chalicelib.models import (
    CHARGE,
    COORDINATED_CAMPAIGN,
    DWELL_PATTERN,
    FOUND_BY_BURSTS,
    FOUND_BY_TAILLESS,
    KIND_CREDITED,
    RIVAL_SELLER,
    STAGE_SWEEP,
)
from chalicelib.observability import logger, metrics_add
from chalicelib.scoring.decide import decide
from chalicelib.storage.base import Store
from chalicelib.storage.campaigns import Campaign, campaign_store
from chalicelib.timefmt import format_time, now_ms

ID_BUCKET_MS = 600_000  # campaign ids name the 10-minute bucket their first burst began in
MAX_FOLDS = 8  # a folded campaign's id leads to the one it is part of within this many steps
MAX_INTERNED = 2_000_000  # past this many names a long-lived frame is rebuilt from storage
# Campaigns found by who clicked (strangers) or how they stayed (tailless) continue only their own
# kind: another campaign's leftovers among their persons do not make them part of it.
OWN_KIND_ONLY = STRANGERS | {FOUND_BY_TAILLESS}

# One frame per store object: a warm container (or the benchmark) reads only what changed.
_frames: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
# A cached frame is mutated by its sweep: sweeps in one process (chalice local serves on threads)
# take turns. Lambda runs one invocation per container, so this never waits there.
_sweeping = threading.Lock()


def run_sweep(store: Store, cfg: Settings, until: int | None) -> dict:
    """Sweep the windows up to `until` (default: the newest event time seen, at most now: one click
    stamped a day ahead, which validation allows, must not move every scheduled sweep past live
    traffic)."""
    with _sweeping:
        return _sweep(store, cfg, until)


def _sweep(store: Store, cfg: Settings, until: int | None) -> dict:
    if until is None:
        until = min(store.newest_click_ts() or now_ms(), now_ms())
    frame = _frame(store, cfg, until)
    win = Window(frame, until, cfg.sweep_lookback_s * 1000)
    found = detect(win, cfg)
    campaigns = campaign_store(store)
    recent = campaigns.ending_after(win.start - cfg.member_hold_s * 1000)
    out: dict[str, dict] = {}  # one summary per campaign, however many of the groups found it took
    written = 0
    for f in found:
        if len(f.credited) == 0:
            continue
        draft = _campaign(f, win, frame, until, recent, cfg)
        stored, changed = campaigns.merge(draft)
        folded = _parts_of(draft, recent, stored.campaign_id)
        for part in folded:
            # Into the continuing campaign first, then marked: a sweep cut off between the two
            # finds the part still listed and folds it again, changing nothing twice.
            absorbed = replace(
                part.copy(), campaign_id=stored.campaign_id, folded=[*part.folded, part.campaign_id]
            )
            stored, _ = campaigns.merge(absorbed)
            campaigns.merge(replace(part.copy(), folded_into=stored.campaign_id))
        if changed or folded:
            gone = {stored.campaign_id} | {c.campaign_id for c in folded}
            recent = [c for c in recent if c.campaign_id not in gone] + [stored]
        written += _credit(store, cfg, frame, win, f, stored, until)
        out[stored.campaign_id] = stored.summary()
    if written:
        metrics_add("SweepRefunds", written)
    logger.info(
        "sweep",
        extra={"until": until, "clicks": len(win), "campaigns": len(out), "refunds": written},
    )
    return {"until": format_time(until), "campaigns": list(out.values()), "refunds_written": written}


def detect(win: Window, cfg: Settings) -> list[Found]:
    """Every campaign in the window: burst campaigns, then crews that never burst among the people
    those do not hold, then shops clicked by strangers outside both and outside every burst, then
    keywords whose strangers stay as a script was set to, outside all of those, then the persons
    staying as told on tailless listings, outside everyone those campaigns hold."""
    bursts = find_bursts(win, cfg) if len(win) else []
    found = find_campaigns(win, cfg, bursts)
    held = _persons(win, [f.rows for f in found])
    crews = find_crews(win, cfg, held)
    held = np.union1d(held, _persons(win, [f.rows for f in crews]))
    strangers = find_strangers(win, cfg, held, bursts)
    held = np.union1d(held, _persons(win, [f.rows for f in strangers]))
    scripts = find_scripts(win, cfg, held, bursts)
    held = np.union1d(held, _persons(win, [f.rows for f in scripts]))
    return found + crews + strangers + scripts + find_tailless(win, cfg, held)


def _persons(win: Window, rows: list[np.ndarray]) -> np.ndarray:
    """The persons of these rows of the window (what the campaigns found so far hold): a crew or a
    farm found again another way is not another campaign."""
    if not rows:
        return np.empty(0, np.int32)
    return np.unique(win.cols["person"][np.concatenate(rows)])


def _frame(store: Store, cfg: Settings, until: int) -> ClickFrame:
    """The clicks of the look-back before `until`, reading only what changed since last time."""
    low = until - cfg.sweep_lookback_s * 1000
    cached = _frames.get(store)
    if cached is not None and until < cached.high:
        # A sweep of the past (an analyst's `until`): read it whole, keep the live frame.
        frame = ClickFrame()
        frame.upsert(store.iter_clicks_between(low, until))
        frame.trim(low)
        return frame
    if cached is None or low > cached.high or len(cached.names["source"].names) > MAX_INTERNED:
        cached = _frames[store] = ClickFrame()
        cached.high = low
    cached.upsert(store.iter_clicks_between(max(low, cached.high - cfg.sweep_reread_s * 1000), until))
    cached.trim(low)
    cached.high = until
    return cached


def _sources_by_kind(frame: ClickFrame, ids) -> dict[str, list[str]]:
    """Source names grouped by kind prefix ("a", "d", "i", "s"), sorted."""
    out: dict[str, list[str]] = {"a": [], "d": [], "i": [], "s": []}
    names = frame.names["source"].names
    for i in ids.tolist():
        name = names[i]
        out[name[0]].append(name[2:])
    return {k: sorted(v) for k, v in out.items()}


def _campaign(
    f: Found, win: Window, frame: ClickFrame, until: int, recent: list[Campaign], cfg: Settings
) -> Campaign:
    cols = win.cols
    rows = f.rows
    # Targets: what the credited clicks hit and what burst. Members' other clicks stay out, so
    # real-time matching by target does not spread to listings the attack never aimed at.
    target_names = {
        column: sorted(
            {frame.name("target", int(t))[2:] for t in np.unique(cols[column][f.credited])}
            | {frame.name("target", t)[2:] for t in f.targets[column]}
        )
        for column in ("listing", "advertiser")
    }
    keywords = sorted(frame.name("target", t)[2:] for t in f.targets["keyword"])
    sources = np.unique(np.concatenate([cols[k][rows] for k in ("account", "device", "ip", "seller")]))
    members = _sources_by_kind(frame, sources[sources >= 0])
    # The span of the attack is that of its credited clicks: members' later clicks on the same
    # targets are credited too but must not keep the campaign's band matching alive for hours.
    credited_ts = cols["ts"][f.credited]
    start, end = int(credited_ts.min()), int(credited_ts.max())
    last_hit = {frame.name("target", listing)[2:]: ts for listing, ts in f.hits.items()}
    reasons = [COORDINATED_CAMPAIGN]
    if f.band is not None:
        reasons.append(DWELL_PATTERN)
    if cols["rival"][rows].any():
        reasons.append(RIVAL_SELLER)
    draft = Campaign(
        campaign_id="",
        anchor="",
        start_ts=start,
        end_ts=end,
        detected_ts=until,
        clicks=len(rows),
        micros=int(cols["cost"][rows].sum()),
        advertisers=target_names["advertiser"],
        listings=target_names["listing"],
        keywords=keywords,
        accounts=members["a"],
        devices=members["d"],
        ips=members["i"],
        seller_ids=members["s"],
        dwell=None if f.band is None else {"low_ms": round(f.band[0]), "high_ms": round(f.band[1])},
        hits=last_hit,
        reasons=sorted(reasons),
        signals=f.signals,
    )
    first = min(f.bursts, key=lambda b: (b.start, frame.name("target", b.target)))
    draft.anchor = _anchor(frame.name("target", first.target))
    draft.campaign_id = _existing_id(draft, recent, cfg) or _new_id(
        draft.anchor, win.start + first.start * 60_000, draft.found_by
    )
    return draft


def _anchor(name: str) -> str:
    kind = {"l": "listing", "a": "advertiser", "k": "keyword"}[name[0]]
    return f"{kind}:{name[2:]}"


def _new_id(anchor: str, start_ms: int, found_by: str) -> str:
    """Derived from the first burst's target and 10-minute bucket: every sweep names it alike.
    A campaign found another way is named apart: strangers on a farm's shop from its first minutes,
    or a crew whose first listing burst in the same minutes, are not the burst campaign there."""
    name = f"{anchor}|{start_ms // ID_BUCKET_MS}"
    if found_by != FOUND_BY_BURSTS:
        name = f"{found_by}|{name}"
    digest = hashlib.sha256(name.encode()).hexdigest()
    return "cmp-" + digest[:20]


def _existing_id(draft: Campaign, recent: list[Campaign], cfg: Settings) -> str | None:
    """The stored campaign this one continues: active when it began, on its listings or crew.

    Of several, the one sharing most of its crew, then of its listings: a farm hired against a
    shop that a sweep went through an hour before shares a listing or two with the sweep, and its
    whole crew with its own campaign. Where a campaign found without bursts (a crew, strangers) is
    on either side, only the crew counts: the big shops a task group rotates over, or a drip
    strikes, are other attacks' targets too. A crew and a burst campaign are one only when the
    shared people are at least `link_containment` of the burst side's: a few of a task group's
    members in a siege's campaign (the group's round went through the besieged shop) do not make
    the siege the group's, nor give its hundreds of sellers the crew's reach. Strangers continue
    only strangers, scripted strangers and tailless campaigns only theirs (`OWN_KIND_ONLY`):
    persons another campaign shares are its leftovers, and it stays what it was.
    """
    hold = cfg.member_hold_s * 1000
    listings = set(draft.listings)
    crew = set(draft.accounts) | set(draft.devices)
    linked = []  # (crew shared, listings shared) negated, then the earliest, per linked campaign
    for c in recent:
        if c.end_ts + hold < draft.start_ts or c.start_ts > draft.end_ts:
            continue  # not active when this one began
        people = set(c.accounts) | set(c.devices)
        crew_shared = len(crew & people)
        if draft.found_by != c.found_by:
            if not _kinds_join(draft, c):
                continue
            burst_side = crew if draft.found_by == FOUND_BY_BURSTS else people  # the other is a crew
            if crew_shared < cfg.link_containment * len(burst_side):
                continue
        listings_shared = len(listings & set(c.listings))
        by_listings = listings_shared > 0 and draft.found_by == c.found_by == FOUND_BY_BURSTS
        if by_listings or crew_shared >= cfg.link_min_shared:
            linked.append((-crew_shared, -listings_shared, c.start_ts, c.campaign_id))
    return min(linked)[3] if linked else None


def _kinds_join(a: Campaign, b: Campaign) -> bool:
    """Whether one campaign's kind may continue, or take in, the other's: the same kind, or two
    kinds neither of which is `OWN_KIND_ONLY`."""
    return a.found_by == b.found_by or not {a.found_by, b.found_by} & OWN_KIND_ONLY


def _parts_of(draft: Campaign, recent: list[Campaign], continued: str) -> list[Campaign]:
    """The stored campaigns, other than the one it continues, that are parts of this draft seen
    earlier (an attack's first minutes, found before its main body): their listings, span and
    crew all inside the draft's, and of a kind it may continue (`OWN_KIND_ONLY`)."""
    listings = set(draft.listings)
    crew = set(draft.accounts) | set(draft.devices) | set(draft.seller_ids)
    return [
        c
        for c in recent
        if c.campaign_id != continued
        and _kinds_join(draft, c)
        and draft.start_ts <= c.start_ts
        and c.end_ts <= draft.end_ts
        and set(c.listings) <= listings
        and set(c.accounts) | set(c.devices) | set(c.seller_ids) <= crew
    ]


def _credit(
    store: Store, cfg: Settings, frame: ClickFrame, win: Window, f: Found, c: Campaign, until: int
) -> int:
    """Credit the members' clicks on the targets that are still charged; returns refunds written.

    A click credited on its own evidence is the cohort's; a member's other click on the targets
    during the attack is the member's (camouflaged crews randomise their stays). A click of the
    last `sweep_stay_wait_s` whose stay is not in yet waits for the next sweep: its stay report
    may still stop it, inside the click's own billing, before a refund has to.
    """
    cols = win.cols
    waiting = np.isnan(cols["dwell"][f.rows]) & (cols["ts"][f.rows] > until - cfg.sweep_stay_wait_s * 1000)
    rows = f.rows[cols["charged"][f.rows] & ~waiting]
    own = np.isin(rows, f.credited)
    if len(rows) == 0:
        return 0
    ids = [frame.click_ids[i] for i in win.rows[rows]]
    role = {cid: "cohort" if o else "member" for cid, o in zip(ids, own.tolist(), strict=True)}
    records = store.get_clicks(ids)
    now = now_ms()
    missed = []  # refunded in storage, charged in the index: a refund cut off before its index
    claimed = []
    for click_id in ids:
        record = records.get(click_id)
        row = frame.row_of[click_id]
        if record is None or record.refund_id or record.decision != CHARGE:
            frame.cols["charged"][row] = False
            if record is not None and record.refund_id:
                missed.append(record)
            continue
        dwell = record.dwell_ms
        in_band = bool(c.dwell and dwell is not None and c.dwell["low_ms"] <= dwell <= c.dwell["high_ms"])
        evidence = {
            **record.evidence,
            "campaign_id": c.campaign_id,
            "dwell_pattern": in_band,
            "campaign_role": role[click_id],
            "refund_stage": STAGE_SWEEP,
        }
        outcome = decide(evidence, record.click.cost_micros, cfg)
        refund = new_refund(record, outcome, STAGE_SWEEP, KIND_CREDITED, now)
        if store.claim_refund(record, refund, outcome):  # the refund record is written with it
            record.refund_id, record.decision = refund.refund_id, outcome["decision"]
            claimed.append((row, record))
        else:
            frame.cols["charged"][row] = False  # refunded meanwhile, by another stage or sweep
    if claimed or missed:
        store.index_clicks([record for _, record in claimed] + missed, changes_only=True)
    # Only now: a retry of a sweep cut off before its pages comes back to these clicks, finds them
    # refunded and writes the pages.
    for row, _ in claimed:
        frame.cols["charged"][row] = False
    return len(claimed)


def list_campaigns(
    store: Store,
    start: int | None,
    end: int | None,
    limit: int,
    raw_cursor: str | None,
    secret: str,
) -> dict:
    """Detected campaigns overlapping [from, to], latest activity first, a page at a time."""
    scope = {"campaigns": True, "from": start, "to": end}
    after = cursor.decode(secret, scope, raw_cursor)
    page, last = campaign_store(store).page(start, end, limit, after)
    return {
        "campaigns": [c.summary() for c in page],
        "next_cursor": cursor.encode(secret, scope, last) if last else None,
    }


def get_campaign(store: Store, campaign_id: str) -> dict | None:
    """One campaign with its members and the evidence behind it; for an id folded into another
    campaign (a refund may carry it), the campaign it is now part of."""
    campaigns = campaign_store(store)
    found = campaigns.get(campaign_id)
    for _ in range(MAX_FOLDS):
        if found is None or not found.folded_into:
            break
        found = campaigns.get(found.folded_into)
    return found.to_json() if found else None
