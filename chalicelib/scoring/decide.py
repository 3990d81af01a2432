"""From evidence to a decision: which reasons fired, the score they add up to, charge or drop."""

from __future__ import annotations

from chalicelib.config import Settings
from chalicelib.models import (
    BOT_AGENT,
    CHARGE,
    COORDINATED_CAMPAIGN,
    DROP,
    DUPLICATE_CLICK,
    DWELL_PATTERN,
    RIVAL_SELLER,
    SHORT_DWELL,
    SOURCE_VELOCITY,
)
from chalicelib.scoring import features


def dwell_evidence(dwell_ms: int | None, cfg: Settings) -> dict:
    """The dwell part of the evidence; recomputed when a dwell report arrives."""
    return {"dwell_ms": dwell_ms, "short_dwell": features.short_dwell(dwell_ms, cfg.short_dwell_ms)}


def reasons_and_score(evidence: dict, cfg: Settings) -> tuple[list[str], float]:
    """The reason codes the evidence supports and their noisy-OR score in [0, 1]."""
    fired: list[tuple[str, float]] = []
    if evidence.get("bot_agent"):
        fired.append((BOT_AGENT, cfg.weight_bot_agent))
    if evidence.get("duplicate"):
        fired.append((DUPLICATE_CLICK, cfg.weight_duplicate))
    if evidence.get("velocity_exceeded"):
        fired.append((SOURCE_VELOCITY, cfg.weight_velocity))
    if evidence.get("short_dwell"):
        fired.append((SHORT_DWELL, cfg.weight_short_dwell))
    if evidence.get("dwell_pattern"):
        fired.append((DWELL_PATTERN, cfg.weight_dwell_pattern))
    elif evidence.get("pulse") and evidence.get("fresh_source"):
        # An identity never seen before joining a listing under a scripted attack: the cohort's.
        fired.append((DWELL_PATTERN, cfg.weight_pulse_fresh))
    # A shop owner in a crowd of shop owners on a listing bursting (or reached by its shop's or
    # keyword's burst) is in a lockstep cohort the pulse sees before any sweep names it.
    if evidence.get("campaign_id") or evidence.get("sellers_crowd"):
        fired.append((COORDINATED_CAMPAIGN, cfg.weight_campaign))
    rivals = evidence.get("rival") or []
    if rivals:
        ip_only = all(link["via"] == ["ip"] for link in rivals)
        weight = 1.0 if cfg.strict_rival else cfg.weight_rival_ip_only if ip_only else cfg.weight_rival
        fired.append((RIVAL_SELLER, weight))
        # Sellers shop too: a rival click needs something else to corroborate it, another
        # signal or a rival working through the advertiser's ads one after another while the
        # listing takes far more clicks than its baseline (a siege brings volume; a seller
        # comparing a rival's catalogue on a pre-sale evening does not).
        repeat = evidence.get("rival_repeat_advertiser", 0) >= cfg.rival_repeat_advertiser_clicks
        if repeat and evidence.get("listing_bursting"):
            fired.append(("", cfg.weight_rival_corroboration))
    keep = 1.0
    for _, weight in fired:
        keep *= 1.0 - weight
    score = round(1.0 - keep, 4)
    order = {code: i for i, code in enumerate(REASON_ORDER)}
    reasons = sorted({code for code, _ in fired if code}, key=order.__getitem__)
    return reasons, score


# Strongest first: the order reasons are listed in a decision and a refund.
REASON_ORDER = (
    COORDINATED_CAMPAIGN,
    BOT_AGENT,
    DUPLICATE_CLICK,
    SOURCE_VELOCITY,
    RIVAL_SELLER,
    DWELL_PATTERN,
    SHORT_DWELL,
)


def decide(evidence: dict, cost_micros: int, cfg: Settings) -> dict:
    """The decision the evidence leads to: charge or drop, what is charged, score and reasons."""
    reasons, score = reasons_and_score(evidence, cfg)
    drop = score >= cfg.drop_score
    return {
        "decision": DROP if drop else CHARGE,
        "charged_micros": 0 if drop else cost_micros,
        "score": score,
        "reasons": reasons,
        "evidence": evidence,
    }
