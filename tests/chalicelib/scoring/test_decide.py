"""From evidence to decision: weights, corroboration, strict mode."""

from dataclasses import replace

from chalicelib.config import Settings
from chalicelib.scoring.decide import decide, dwell_evidence, reasons_and_score

CFG = Settings()
RIVAL = [{"seller_id": "S2", "via": ["account"], "categories": ["女装"]}]


def test_clean_click_is_charged_with_score_zero():
    out = decide({}, 100, CFG)
    assert (out["decision"], out["charged_micros"], out["score"], out["reasons"]) == ("charge", 100, 0.0, [])


def test_each_strong_signal_drops_alone():
    for key, reason in (
        ("bot_agent", "BOT_AGENT"),
        ("duplicate", "DUPLICATE_CLICK"),
        ("velocity_exceeded", "SOURCE_VELOCITY"),
        ("dwell_pattern", "DWELL_PATTERN"),
        ("campaign_id", "COORDINATED_CAMPAIGN"),
    ):
        out = decide({key: ["x"] if key == "velocity_exceeded" else True}, 100, CFG)
        assert out["decision"] == "drop" and out["reasons"] == [reason] and out["charged_micros"] == 0


def test_lone_rival_is_charged_but_corroborated_rival_is_dropped():
    assert decide({"rival": RIVAL}, 100, CFG)["decision"] == "charge"
    repeat = {
        "rival": RIVAL,
        "rival_repeat_advertiser": CFG.rival_repeat_advertiser_clicks,
        "listing_bursting": True,
    }
    assert decide(repeat, 100, CFG)["decision"] == "drop"
    bounce = {"rival": RIVAL, **dwell_evidence(400, CFG)}
    assert decide(bounce, 100, CFG)["decision"] == "charge"
    assert decide(bounce, 100, replace(CFG, weight_short_dwell=0.8))["decision"] == "drop"
    ip_only = {"rival": [{"seller_id": "S2", "via": ["ip"], "categories": ["女装"]}]}
    repeat_ip = {**ip_only, "rival_repeat_advertiser": CFG.rival_repeat_advertiser_clicks}
    assert decide(repeat_ip, 100, CFG)["decision"] == "charge"
    assert decide({"rival": RIVAL}, 100, replace(CFG, strict_rival=True))["decision"] == "drop"


def test_a_rival_working_through_a_shop_is_corroborated_only_while_the_listing_bursts():
    # A seller comparing a rival's catalogue on a pre-sale evening clicks it again and again too.
    shopping = {"rival": RIVAL, "rival_repeat_advertiser": 3 * CFG.rival_repeat_advertiser_clicks}
    assert decide(shopping, 100, CFG)["decision"] == "charge"
    assert decide({**shopping, "listing_bursting": True}, 100, CFG)["decision"] == "drop"


def test_a_bounce_alone_is_a_reason_but_not_a_drop():
    assert reasons_and_score(dwell_evidence(10_000, CFG), CFG) == ([], 0.0)
    out = decide(dwell_evidence(400, CFG), 100, CFG)
    assert (out["decision"], out["reasons"]) == ("charge", ["SHORT_DWELL"])


def test_score_is_noisy_or_and_reasons_are_ordered_strongest_first():
    reasons, score = reasons_and_score({"short_dwell": True, "bot_agent": True}, CFG)
    assert reasons == ["BOT_AGENT", "SHORT_DWELL"]
    assert score == round(1 - (1 - CFG.weight_bot_agent) * (1 - CFG.weight_short_dwell), 4)
    assert 0.0 <= score <= 1.0
