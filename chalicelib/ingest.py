"""Scoring clicks and applying dwell reports: the path every click takes, API or stream."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, replace

from chalicelib.config import Settings
from chalicelib.detect import pulse
from chalicelib.errors import ServiceUnavailableError
from chalicelib.models import (
    DROP,
    KIND_CREDITED,
    KIND_FILTERED,
    STAGE_DWELL,
    STAGE_REALTIME,
    Click,
    Decision,
    Refund,
    refund_id_for,
    stable_hash32,
)
from chalicelib.observability import logger, metrics_add, tracer
from chalicelib.scoring import features
from chalicelib.scoring.decide import decide, dwell_evidence
from chalicelib.scoring.evidence import PERSON_KINDS, activity_entry, click_evidence
from chalicelib.storage.base import NO_DWELL, ActivityEntry, ClickRecord, PulseEntry, Store, merge_entries
from chalicelib.timefmt import now_ms

APPLIED, DUPLICATE, PENDING = "applied", "duplicate", "pending"


def decision_of(record: ClickRecord, replayed: bool = False, conflict: bool = False) -> Decision:
    """A stored click's current decision as the contract shows it (net of any refund)."""
    refunded = record.refund_id is not None
    return Decision(
        click_id=record.click_id,
        decision=DROP if refunded else record.decision,
        charged_micros=0 if refunded else record.charged_micros,
        score=record.score,
        reasons=list(record.reasons),
        refund_id=record.refund_id,
        replayed=replayed,
        conflict=conflict,
    )


def new_refund(record: ClickRecord, decision: dict, stage: str, kind: str, now: int) -> Refund:
    """The refund record for a click: its one refund id, whichever stage writes it."""
    click = record.click
    return Refund(
        refund_id=refund_id_for(click.click_id),
        click_id=click.click_id,
        advertiser_id=click.advertiser_id,
        listing_id=click.listing_id,
        keyword=click.keyword,
        click_ts=click.ts,
        refunded_at=now,
        amount_micros=click.cost_micros,
        currency=click.currency,
        stage=stage,
        kind=kind,
        reasons=list(decision["reasons"]),
        campaign_id=decision["evidence"].get("campaign_id"),
    )


@dataclass
class CampaignMatcher:
    """Answers whether a click belongs to an active campaign (real-time feedback from sweeps)."""

    def match(
        self,
        clicks: list[Click],
        bursting: Collection[str] = (),
        scripted: dict[str, tuple[float, float]] | None = None,
        strangers: Collection[str] = (),
        history: Callable[[Click], Iterable[ActivityEntry]] | None = None,
    ) -> dict[str, str]:
        """Clicks of active campaigns' members on their targets (those of a burst campaign while
        they are in `bursting`: bursting, or reached by a burst on their keyword or shop), or on
        a listing in `scripted` (under a scripted attack now, by the pulse; the value is its
        band), or on a keyword many of its members are arriving on (`history`: a click's
        source's recent clicks), shop owners' clicks on a sellers' siege's bursting
        targets, and clicks by new identities (`strangers`, click ids) on a shop strangers are
        clicking: campaign id per click."""
        return {}

    def match_dwell(self, click: Click, dwell_ms: int, on_targets: bool) -> str | None:
        """The campaign whose prescribed stay this dwell matches, if the click is in its reach;
        `on_targets`: anyone's stay on an attacked listing counts, as it bursts now and its own
        stays have not been judged a crowd's."""
        return None


class ClickIngest:
    def __init__(self, store: Store, cfg: Settings, campaigns: CampaignMatcher | None = None):
        self.store = store
        self.cfg = cfg
        self.campaigns = campaigns or CampaignMatcher()

    # ---- clicks ----

    @tracer.capture_method(capture_response=False)
    def score_clicks(self, clicks: list[Click]) -> list[Decision]:
        """Decide every click of a batch; a click seen before returns its stored decision."""
        stored = self.store.get_clicks([c.click_id for c in clicks])
        fresh: dict[str, Click] = {}
        pending: dict[str, int] = {}  # dwell kept for a click not seen yet, as read here
        for click in clicks:
            record = stored.get(click.click_id)
            if click.click_id in fresh or (record and record.click):
                continue
            if record and record.pending_dwell_ms is not None:
                pending[click.click_id] = record.pending_dwell_ms
                if click.dwell_ms is None:
                    click = _with_dwell(click, record.pending_dwell_ms)
            fresh[click.click_id] = click
        raced: set[str] = set()
        if fresh:
            scored, raced = self._score_new(list(fresh.values()), pending)
            stored.update(scored)
        # Replays too: a retry of a batch cut off after its clicks were stored still notes it.
        self.store.note_event_time(max(c.ts for c in clicks))
        self._heal_refunds(stored.values())  # replays: a fresh click's refund was just written
        results = []
        answered: set[str] = set()
        for click in clicks:
            record = stored[click.click_id]
            replayed = click.click_id not in fresh or click.click_id in answered | raced
            conflict = replayed and record.fingerprint != click.fingerprint()
            results.append(decision_of(record, replayed=replayed, conflict=conflict))
            answered.add(click.click_id)
        # The sweep's view, replays included: a retry of a batch cut off before this heals it.
        self.store.index_clicks([stored[cid] for cid in dict.fromkeys(c.click_id for c in clicks)])
        return results

    def _score_new(
        self, clicks: list[Click], pending: dict[str, int] | None = None, again: bool = False
    ) -> tuple[dict[str, ClickRecord], set[str]]:
        """Score and store clicks not seen before; also returns those another request stored first.

        `pending` holds the dwell a click was scored with because a report was kept for it before
        it came: storing the click may only replace that very stub. A dwell kept since (a report
        racing the click) comes back from `put_clicks` as a stub, and the click is scored again
        with it, once.
        """
        pending = pending or {}
        cfg = self.cfg
        clicks = sorted(clicks, key=lambda c: (c.ts, c.click_id))
        keys = {c.click_id: c.source.keys() for c in clicks}
        all_keys = {k for ks in keys.values() for k in ks.values()}
        states = self.store.get_sources(all_keys)
        additions: dict[str, list[ActivityEntry]] = {}
        for click in clicks:
            for key in keys[click.click_id].values():
                additions.setdefault(key, []).append(activity_entry(click))
        # In-batch clicks count too: the batch is merged into what storage knew before scoring.
        activity = {
            key: merge_entries(states[key].entries if key in states else [], new, 10**9)
            for key, new in additions.items()
        }
        owners_by_key = {k: s.owners for k, s in states.items() if s.owners}
        seller_ids = {c.advertiser_id for c in clicks}
        seller_ids |= {c.source.seller_id for c in clicks if c.source.seller_id}
        seller_ids |= {o for owners in owners_by_key.values() for o in owners}
        profiles = self.store.get_sellers(seller_ids)
        verdicts, reached, rings = self._pulse([(c, c.dwell_ms, c.ts) for c in clicks])
        # A campaign's member is dropped on its targets while they burst again, or while a wave on
        # their shop or keyword reaches them (the crew's next wave), not for their own shopping
        # there at quiet times; on any listing under a scripted attack now (the crew on a target
        # the campaign has not reached yet); and, for a crew found meeting round after round, on
        # its listings and shops, bursting or not. A shop owner on a sellers' siege's targets in
        # its waves is the siege's, named or not; and, before any sweep, one in a crowd of shop
        # owners on a listing bursting or reached now.
        scripted = {key: v.band for key, v in verdicts.items() if v.band is not None}
        evidence_of = {}
        for click in clicks:
            by_kind = keys[click.click_id]
            verdict = verdicts.get(click.listing_id)
            wave = verdict or reached.get(click.listing_id)
            # Newcomers are judged by the listing's own cohort only: a head keyword or a big shop
            # brings honest newcomers to every listing a sweep or siege has barely reached.
            judges_newcomers = verdict is not None and verdict.scripted and not verdict.wide
            owner = features.other_shop_owner(click.source, click.advertiser_id)
            evidence_of[click.click_id] = click_evidence(
                click,
                {kind: activity[key] for kind, key in by_kind.items()},
                {k: owners_by_key[key] for k, key in by_kind.items() if key in owners_by_key},
                profiles,
                cfg,
                pulse=verdict.evidence() if judges_newcomers else None,
                bursting=verdict is not None,
                sellers_crowd=pulse.sellers_crowd(wave, cfg) if owner and wave is not None else None,
                listing_ring=rings.get(click.listing_id),
            )
        # A new identity on a shop that strangers are clicking is the drip's next hired click; on a
        # listing bursting now it is one of a crowd (a viral post's), the burst tests' business.
        bursting = verdicts.keys() | reached.keys()
        strangers = {
            c.click_id
            for c in clicks
            if evidence_of[c.click_id]["fresh_source"] and c.listing_id not in bursting
        }

        def history(click: Click) -> Iterable[ActivityEntry]:
            """A person's recent clicks, under their device and account (read for members only)."""
            return (e for k in PERSON_KINDS for e in activity.get(keys[click.click_id].get(k), ()))

        campaign_of = self.campaigns.match(clicks, bursting, scripted, strangers, history)

        records = []
        for click in clicks:
            verdict = verdicts.get(click.listing_id)
            evidence = evidence_of[click.click_id]
            evidence["campaign_id"] = campaign_of.get(click.click_id)
            if click.dwell_ms is not None:  # a stay known at click time (a replay of logs)
                matched = click.click_id in campaign_of
                evidence.update(self._stay_evidence(click, click.dwell_ms, verdict, matched))
            outcome = decide(evidence, click.cost_micros, cfg)
            records.append(
                ClickRecord(
                    click_id=click.click_id,
                    click=click,
                    fingerprint=click.fingerprint(),
                    decision=outcome["decision"],
                    charged_micros=outcome["charged_micros"],
                    score=outcome["score"],
                    reasons=outcome["reasons"],
                    evidence=evidence,
                    dwell_ms=click.dwell_ms,
                    refund_id=refund_id_for(click.click_id) if outcome["decision"] == DROP else None,
                    campaign_id=evidence["campaign_id"],
                    pending_dwell_ms=pending.get(click.click_id),
                )
            )
        # Activity first (idempotent: keyed by click), then the click itself (the commit point),
        # then refunds: a retry after any failure rescoring the same click sees the same state.
        self.store.merge_sources(additions, cfg.source_ring_size, known=states)
        existing = self.store.put_clicks(records)
        late = {cid: r.pending_dwell_ms for cid, r in existing.items() if r.click is None}
        existing = {cid: r for cid, r in existing.items() if r.click is not None}
        out: dict[str, ClickRecord] = {}
        now = now_ms()
        for record in records:
            if record.click_id in late:
                continue  # a dwell report came in while it was scored: scored again below
            if record.click_id in existing:  # a concurrent request stored it first
                out[record.click_id] = existing[record.click_id]
                continue
            out[record.click_id] = record
            if record.refund_id:
                refund = new_refund(record, _outcome(record), STAGE_REALTIME, KIND_FILTERED, now)
                self.store.put_refund(refund)
                record.refund_written = True
            if record.decision == DROP:
                logger.info(
                    "click dropped",
                    extra={
                        "click_id": record.click_id,
                        "advertiser_id": record.click.advertiser_id,
                        "score": record.score,
                        "reasons": record.reasons,
                    },
                )
        done = [r for r in records if r.click_id not in late]
        metrics_add("ClicksScored", len(done))
        dropped = [r for r in done if r.decision == DROP and r.click_id not in existing]
        metrics_add("ClicksDropped", len(dropped))
        metrics_add("RefundedMicros", sum(r.click.cost_micros for r in dropped))
        raced = set(existing)
        if late:
            if again:  # a pending dwell is kept once (if_not_exists): this cannot happen twice
                raise ServiceUnavailableError("storage unavailable (click contention)")
            redo = [
                c if c.dwell_ms is not None else _with_dwell(c, late[c.click_id])
                for c in clicks
                if c.click_id in late
            ]
            more, more_raced = self._score_new(redo, late, again=True)
            out.update(more)
            raced |= more_raced
        return out, raced

    def _pulse(
        self, items: list[tuple[Click, int | None, int]]
    ) -> tuple[dict[str, pulse.Verdict], dict[str, pulse.Verdict], dict[str, list[PulseEntry]]]:
        """Fold a batch's clicks and stays into their listings' pulses (one write per listing);
        returns the bursting listings as of the batch, by listing id, the listings that a
        burst on their keyword or shop has reached without a verdict for them, with that burst's
        verdict (whose window judges a crowd of shop owners there), and each listing's recent
        clicks and stays (a click again after a reported stay is a second visit). Items: click,
        dwell, now.

        Stays on bursting listings are pooled by shop and keyword too (one write per shop and
        keyword per batch, none while nothing bursts), and a bursting listing with too few stays
        of its own borrows their band (`pulse.borrow`). Every click is folded into its keyword's
        and its shop's own pulses as well (one write per keyword and shop per batch): a listing
        that a scripted attack on its keyword or shop has reached, or that bursts with too few
        stays to be judged and borrows no band, takes that verdict (`pulse.through`)."""
        entries = [
            PulseEntry(
                click.ts,
                stable_hash32(click.click_id),
                NO_DWELL if dwell_ms is None else dwell_ms,
                features.other_shop_owner(click.source, click.advertiser_id),
            )
            for click, dwell_ms, _ in items
        ]
        additions: dict[str, list[PulseEntry]] = {}
        now: dict[str, int] = {}  # by listing, and by keyword and shop pulse
        keywords: dict[str, dict[str, None]] = {}  # listing -> its keywords' pulses in the batch
        shops: dict[str, str] = {}  # listing -> its shop's pulse
        for (click, _, at), entry in zip(items, entries, strict=True):
            keys = ["l:" + click.listing_id]
            if click.keyword is not None:
                keys.append(pulse.keyword_key(click.keyword))
            keywords.setdefault(click.listing_id, {}).update(dict.fromkeys(keys[1:]))
            shops[click.listing_id] = pulse.shop_key(click.advertiser_id)
            keys.append(shops[click.listing_id])
            for key in keys:
                additions.setdefault(key, []).append(entry)
                now[key] = max(now.get(key, at), at)
        if not additions:
            return {}, {}, {}
        cfg = self.cfg
        stored = self.store.merge_pulses(additions, lambda p, new: pulse.advance(p, new, cfg))
        verdicts = {}
        for key, at in now.items():
            v = pulse.verdict(stored[key], at, cfg)
            if v is not None:
                verdicts[key] = v
        listings = self._pooled(items, entries, {k[2:]: v for k, v in verdicts.items() if k[:2] == "l:"}, now)
        # A listing that a sweep of its keyword or a siege of its shop has reached is the attack's
        # too (the first of its keywords in the batch under attack, else its shop), and so is a
        # bursting one with too few stays yet to be judged alone. Reached by a burst there that
        # no stays judge scripted yet, it is only reached: in the wave, not judged by it.
        reached: dict[str, pulse.Verdict] = {}
        for listing, keys in keywords.items():
            wide = [k for k in [*keys, shops[listing]] if k in verdicts]
            own = listings.get(listing)
            if not wide or (own is not None and own.shape is not None):
                continue  # nothing bursts there, or judged on its own stays (or a borrowed band)
            if own is None and not pulse.reached(stored["l:" + listing], now["l:" + listing], cfg):
                continue
            attacked = [k for k in wide if verdicts[k].scripted]
            if attacked:
                listings[listing] = pulse.through(verdicts[attacked[0]], attacked[0])
            elif own is None:
                reached[listing] = verdicts[wide[0]]
        rings = {key[2:]: stored[key].entries for key in now if key.startswith("l:")}
        return listings, reached, rings

    def _pooled(
        self,
        items: list[tuple[Click, int | None, int]],
        entries: list[PulseEntry],
        verdicts: dict[str, pulse.Verdict],
        now: dict[str, int],
    ) -> dict[str, pulse.Verdict]:
        """The bursting listings' stays pooled by shop and keyword; a thin listing's borrowed band."""
        if not verdicts:
            return {}
        cfg = self.cfg
        pooled: dict[str, list[PulseEntry]] = {}
        thin: dict[str, dict[str, None]] = {}  # listing too thin to judge alone -> its pools, in order
        for (click, dwell_ms, _), entry in zip(items, entries, strict=True):
            v = verdicts.get(click.listing_id)
            if v is None:
                continue
            keys = pulse.group_keys(click.advertiser_id, click.keyword)
            if dwell_ms is not None:
                for key in keys:
                    pooled.setdefault(key, []).append(entry)
            if v.shape is None:
                thin.setdefault(click.listing_id, {}).update(dict.fromkeys(keys))
        for keys in thin.values():  # read even with no stay of their own to add
            for key in keys:
                pooled.setdefault(key, [])
        if not pooled:
            return verdicts
        groups = self.store.merge_pulses(pooled, lambda p, new: pulse.advance(p, new, cfg))
        for listing, keys in thin.items():
            at = now["l:" + listing]
            verdicts[listing] = pulse.borrow(verdicts[listing], [groups[k] for k in keys], at, cfg)
        return verdicts

    def _heal_refunds(self, records: Iterable[ClickRecord]) -> None:
        """Refunds claimed but not yet written (a request cut off half way): write them now.

        Only the records a replay answers with are looked up, not every read of a refunded click."""
        claimed = [r for r in records if r.click is not None and r.refund_id and not r.refund_written]
        if not claimed:
            return
        self.store.find_written_refunds(claimed)
        for record in claimed:
            if not record.refund_written:
                stage = record.evidence.get("refund_stage", STAGE_REALTIME)
                kind = KIND_FILTERED if stage == STAGE_REALTIME else KIND_CREDITED
                self.store.put_refund(new_refund(record, _outcome(record), stage, kind, now_ms()))
                record.refund_written = True

    # ---- dwell ----

    @tracer.capture_method(capture_response=False)
    def report_dwell(self, reports: list[tuple[str, int]]) -> list[dict]:
        """Apply dwell reports: re-score each click, credit a charged click the dwell turns invalid."""
        stored = self.store.get_clicks([cid for cid, _ in reports])
        first = {}
        for click_id, dwell_ms in reports:
            record = stored.get(click_id)
            if record and record.click and record.dwell_ms is None:
                first.setdefault(click_id, (record.click, dwell_ms, record.click.ts + dwell_ms))
        verdicts, _, _ = self._pulse(list(first.values()))
        # Those with a dwell already are duplicates, which heal a refund cut off: looked up at once.
        self._heal_refunds(r for r in stored.values() if r.dwell_ms is not None)
        results = []
        seen: set[str] = set()
        for click_id, dwell_ms in reports:
            record = stored.get(click_id)
            if click_id in seen:
                status = DUPLICATE
            elif record is None or record.click is None:
                status = self._keep_pending(click_id, dwell_ms, record, stored)
            else:
                status = self._apply_dwell(record, dwell_ms, verdicts.get(record.click.listing_id))
            seen.add(click_id)
            record = stored.get(click_id)
            if record is None or record.click is None:
                results.append({"click_id": click_id, "status": status, "decision": None})
            else:
                results.append({**decision_of(record).to_json(), "status": status})
        changed = [r for cid in seen if (r := stored.get(cid)) and r.click and r.dwell_ms is not None]
        self.store.index_clicks(changed, changes_only=True)
        return results

    def _keep_pending(self, click_id, dwell_ms, record, stored) -> str:
        if record is not None and record.pending_dwell_ms is not None:
            return DUPLICATE
        existing = self.store.put_pending_dwell(click_id, dwell_ms)
        if existing is None or existing.click is None:
            stored[click_id] = existing or ClickRecord(click_id=click_id, pending_dwell_ms=dwell_ms)
            return PENDING if existing is None else DUPLICATE
        stored[click_id] = existing  # the click arrived meanwhile
        return self._apply_dwell(existing, dwell_ms)

    def _apply_dwell(self, record: ClickRecord, dwell_ms: int, verdict: pulse.Verdict | None = None) -> str:
        if record.dwell_ms is not None:
            self._heal_refunds([record])
            return DUPLICATE
        outcome, refund = None, None
        if record.refund_id is None:  # a refunded click is never charged again
            evidence = {
                **record.evidence,
                **dwell_evidence(dwell_ms, self.cfg),
                **self._stay_evidence(record.click, dwell_ms, verdict),
            }
            outcome = decide(evidence, record.click.cost_micros, self.cfg)
            if outcome["decision"] == DROP:
                outcome["evidence"] = {**evidence, "refund_stage": STAGE_DWELL}
                refund = new_refund(record, outcome, STAGE_DWELL, KIND_CREDITED, now_ms())
        if not self.store.apply_dwell(record.click_id, dwell_ms, outcome, refund):
            fresh = self.store.get_clicks([record.click_id])[record.click_id]
            record.__dict__.update(fresh.__dict__)
            if record.dwell_ms is not None:
                return DUPLICATE
            return self._apply_dwell(record, dwell_ms, verdict)  # a sweep refunded it meanwhile
        record.dwell_ms = dwell_ms
        if outcome is not None:
            record.score, record.reasons, record.evidence = (
                outcome["score"],
                outcome["reasons"],
                outcome["evidence"],
            )
        if refund is not None:
            record.decision, record.refund_id = DROP, refund.refund_id
            self.store.put_refund(refund)
            record.refund_written = True
            metrics_add("RefundedMicros", refund.amount_micros)
        return APPLIED

    def _stay_evidence(
        self, click: Click, dwell_ms: int, verdict: pulse.Verdict | None, matched: bool = False
    ) -> dict:
        """What a stay adds to its click's evidence, whether it is reported or sent in the click:
        in the prescribed band of an active campaign (credited now, not at a sweep; `matched`: the
        click is already one campaign's) or of its listing's scripted attack right now."""
        found = {}
        on_targets = verdict is not None and not verdict.natural(self.cfg.crowd_tails)
        if not matched and (campaign_id := self.campaigns.match_dwell(click, dwell_ms, on_targets)):
            found.update(campaign_id=campaign_id, dwell_pattern=True)
        if verdict and verdict.holds(dwell_ms):
            found.update(pulse=verdict.evidence(), dwell_pattern=True)
        return found


def _with_dwell(click: Click, dwell_ms: int) -> Click:
    return replace(click, dwell_ms=dwell_ms)


def _outcome(record: ClickRecord) -> dict:
    return {
        "decision": record.decision,
        "score": record.score,
        "reasons": record.reasons,
        "evidence": record.evidence,
    }
