"""Validation edge cases that the API tests do not reach."""

import pytest

from chalicelib.config import Settings
from chalicelib.errors import BadRequestError, RequestTooLargeError
from chalicelib.validation import parse_body, parse_click, parse_profile

CFG = Settings()
NOW = 1_700_000_000_000


def click(**kw):
    base = {
        "click_id": "c1",
        "ts": NOW,
        "advertiser_id": "S1",
        "listing_id": "L1",
        "cost_micros": 1,
        "source": {"ip": "2001:DB8::1"},
    }
    base.update(kw)
    return base


def test_ipv6_is_normalised_and_subnet_is_a_64():
    parsed = parse_click(click(), "clicks[0]", CFG, NOW)
    assert parsed.source.ip == "2001:db8::1"
    assert parsed.source.subnet == "2001:db8::/64"
    assert parse_click(click(source={"ip": "1.2.3.4"}), "c", CFG, NOW).source.subnet == "1.2.3.0/24"


def test_ts_at_most_one_day_ahead():
    parse_click(click(ts=NOW + 86_400_000), "c", CFG, NOW)
    with pytest.raises(BadRequestError, match=r"^c\.ts"):
        parse_click(click(ts=NOW + 86_400_001), "c", CFG, NOW)


def test_empty_identities_are_unknown_not_one_shared_source():
    parsed = parse_click(
        click(source={"ip": "1.2.3.4", "device_id": "", "account_id": "", "seller_id": ""}), "c", CFG, NOW
    )
    assert (parsed.source.device_id, parsed.source.account_id, parsed.source.seller_id) == (None, None, None)
    assert set(parsed.source.keys()) == {"ip", "subnet"}


def test_chinese_ids_and_keywords_are_fine():
    parsed = parse_click(click(advertiser_id="韩都衣舍", keyword="羽绒服 女"), "c", CFG, NOW)
    assert parsed.advertiser_id == "韩都衣舍"


def test_body_limits():
    with pytest.raises(RequestTooLargeError):
        parse_body(b"x" * (CFG.max_body_bytes + 1), CFG)
    assert parse_body(b"  ", CFG) == {}
    with pytest.raises(BadRequestError, match="^body"):
        parse_body(b'{"a": Infinity}', CFG)


def test_profile_dedupes_and_defaults_missing_lists():
    profile = parse_profile("S1", {"categories": ["a", "a", "b"]}, CFG)
    assert profile.categories == ("a", "b") and profile.ips == ()
    with pytest.raises(BadRequestError, match=r"^categories\[0\]"):
        parse_profile("S1", {"categories": [""]}, CFG)
