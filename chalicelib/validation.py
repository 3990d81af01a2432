"""Request validation: every field checked, the first bad one named by its path, nothing stored."""

from __future__ import annotations

import ipaddress
import json
import re

from chalicelib.config import Settings
from chalicelib.errors import RequestTooLargeError, invalid
from chalicelib.models import REASON_CODES, Click, SellerProfile, Source
from chalicelib.timefmt import now_ms, parse_time

CLICK_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
CURRENCY = re.compile(r"[A-Z]{3}")
# C0 and C1 controls and DEL are never part of an id, keyword or agent string, and a lone
# surrogate is not text at all (it cannot even be encoded to be stored).
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# Query-string numbers: ASCII digits only ("²".isdigit() is True) and no longer than epoch ms.
QUERY_DIGITS = re.compile(r"[0-9]{1,16}")
# A seller profile is one DynamoDB item, which holds at most 400 KB (with its attribute names).
MAX_PROFILE_BYTES = 380_000
MAX_MICROS = 10**12
MAX_DWELL_MS = 86_400_000


def parse_body(raw: bytes | None, cfg: Settings) -> dict:
    """The request body as a JSON object; 413 past the size limit, 400 if not a JSON object."""
    raw = raw or b""
    if len(raw) > cfg.max_body_bytes:
        raise RequestTooLargeError(f"body: larger than {cfg.max_body_bytes} bytes")
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise invalid("body", f"not valid UTF-8 JSON ({type(exc).__name__})") from None
    if not isinstance(body, dict):
        raise invalid("body", "must be a JSON object")
    return body


def _reject_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _string(obj: dict, key: str, path: str, max_len: int, required=False, min_len=1) -> str | None:
    value = obj.get(key)
    if value is None:
        if required:
            raise invalid(f"{path}.{key}" if path else key, "is required")
        return None
    where = f"{path}.{key}" if path else key
    if not isinstance(value, str):
        raise invalid(where, "must be a string")
    if not (min_len <= len(value) <= max_len):
        raise invalid(where, f"must be {min_len} to {max_len} characters")
    if CONTROL.search(value):
        raise invalid(where, "must not contain control characters or lone surrogates")
    return value


def _identity(obj: dict, key: str, path: str, max_len: int) -> str | None:
    """An optional identity; "" means unknown, as ad servers send it, and must not become one
    key shared by every shopper without it (their clicks would count as one source's)."""
    return _string(obj, key, path, max_len, min_len=0) or None


def _integer(obj: dict, key: str, path: str, low: int, high: int, required=False) -> int | None:
    value = obj.get(key)
    where = f"{path}.{key}"
    if value is None:
        if required:
            raise invalid(where, "is required")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(where, "must be an integer")
    if not low <= value <= high:
        raise invalid(where, f"must be between {low} and {high}")
    return value


def _ip(value, where: str) -> str:
    if not isinstance(value, str) or len(value) > 64:
        raise invalid(where, "must be an IPv4 or IPv6 address")
    try:
        addr = ipaddress.ip_address(value)
    except ValueError:
        raise invalid(where, "must be an IPv4 or IPv6 address") from None
    if getattr(addr, "scope_id", None):  # a zone (fe80::1%eth0) names a host's interface, not a source
        raise invalid(where, "must be an IPv4 or IPv6 address without a zone")
    # Dual-stack servers log IPv4 shoppers as ::ffff:a.b.c.d: the same person, ip and /24.
    return str(getattr(addr, "ipv4_mapped", None) or addr)


def _batch(body: dict, key: str, cfg: Settings) -> list:
    items = body.get(key)
    if not isinstance(items, list):
        raise invalid(key, "must be an array")
    if not 1 <= len(items) <= cfg.max_batch:
        raise invalid(key, f"must hold 1 to {cfg.max_batch} entries")
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise invalid(f"{key}[{i}]", "must be an object")
    return items


def parse_click(obj: dict, path: str, cfg: Settings, server_now_ms: int) -> Click:
    """One Click of the contract, normalised (ip canonical form, ts in epoch ms)."""
    click_id = obj.get("click_id")
    if click_id is None:
        raise invalid(f"{path}.click_id", "is required")
    if not isinstance(click_id, str) or not CLICK_ID.fullmatch(click_id):
        raise invalid(f"{path}.click_id", "must be 1-128 characters of A-Z a-z 0-9 . _ : -")
    if obj.get("ts") is None:
        raise invalid(f"{path}.ts", "is required")
    ts = parse_time(obj["ts"])
    if ts is None:
        raise invalid(f"{path}.ts", "must be RFC 3339 with offset or integer epoch milliseconds")
    if ts > server_now_ms + cfg.max_future_ms:
        raise invalid(f"{path}.ts", "is more than 1 day after the server clock")
    advertiser_id = _string(obj, "advertiser_id", path, 128, required=True)
    listing_id = _string(obj, "listing_id", path, 128, required=True)
    cost = _integer(obj, "cost_micros", path, 0, MAX_MICROS, required=True)
    currency = obj.get("currency", "CNY")
    if currency is None:
        currency = "CNY"
    if not isinstance(currency, str) or not CURRENCY.fullmatch(currency):
        raise invalid(f"{path}.currency", "must be an ISO 4217 code such as CNY")
    keyword = _string(obj, "keyword", path, 256, min_len=0)
    category = _string(obj, "category", path, 128, min_len=0)
    dwell = _integer(obj, "dwell_ms", path, 0, MAX_DWELL_MS)
    src = obj.get("source")
    spath = f"{path}.source"
    if not isinstance(src, dict):
        raise invalid(spath, "is required and must be an object")
    if src.get("ip") is None:
        raise invalid(f"{spath}.ip", "is required")
    source = Source(
        ip=_ip(src["ip"], f"{spath}.ip"),
        device_id=_identity(src, "device_id", spath, 256),
        user_agent=_string(src, "user_agent", spath, 1024, min_len=0),
        account_id=_identity(src, "account_id", spath, 128),
        seller_id=_identity(src, "seller_id", spath, 128),
    )
    return Click(
        click_id=click_id,
        ts=ts,
        advertiser_id=advertiser_id,
        listing_id=listing_id,
        cost_micros=cost,
        currency=currency,
        keyword=keyword,
        category=category,
        dwell_ms=dwell,
        source=source,
    )


def parse_clicks(body: dict, cfg: Settings) -> list[Click]:
    """The POST /v1/clicks batch; the first bad click rejects the whole batch."""
    server_now = now_ms()
    return [
        parse_click(obj, f"clicks[{i}]", cfg, server_now) for i, obj in enumerate(_batch(body, "clicks", cfg))
    ]


def parse_dwell(body: dict, cfg: Settings) -> list[tuple[str, int]]:
    """The POST /v1/dwell batch as (click_id, dwell_ms) pairs."""
    out = []
    for i, obj in enumerate(_batch(body, "dwell", cfg)):
        path = f"dwell[{i}]"
        click_id = obj.get("click_id")
        if not isinstance(click_id, str) or not CLICK_ID.fullmatch(click_id):
            raise invalid(f"{path}.click_id", "must be 1-128 characters of A-Z a-z 0-9 . _ : -")
        out.append((click_id, _integer(obj, "dwell_ms", path, 0, MAX_DWELL_MS, required=True)))
    return out


def parse_id(value, where: str) -> str:
    """A path id (seller, merchant, click, campaign): 1-128 printable characters."""
    if not isinstance(value, str) or not 1 <= len(value) <= 128 or CONTROL.search(value):
        raise invalid(where, "must be 1-128 printable characters")
    return value


def parse_profile(seller_id: str, body: dict, cfg: Settings) -> SellerProfile:
    """PUT /v1/sellers/{id}: four lists, each at most max_profile_entries, replacing the profile."""
    seller_id = parse_id(seller_id, "seller_id")
    limits = {"categories": 128, "account_ids": 128, "device_ids": 256, "ips": 64}
    lists = {}
    for key, max_len in limits.items():
        value = body.get(key, [])
        if value is None:
            value = []
        if not isinstance(value, list):
            raise invalid(key, "must be an array of strings")
        if len(value) > cfg.max_profile_entries:
            raise invalid(key, f"must hold at most {cfg.max_profile_entries} entries")
        entries = []
        for i, entry in enumerate(value):
            where = f"{key}[{i}]"
            if key == "ips":
                entries.append(_ip(entry, where))
                continue
            if not isinstance(entry, str) or not 1 <= len(entry) <= max_len:
                raise invalid(where, f"must be a string of 1 to {max_len} characters")
            if CONTROL.search(entry):
                raise invalid(where, "must not contain control characters or lone surrogates")
            entries.append(entry)
        lists[key] = tuple(dict.fromkeys(entries))  # order kept, duplicates dropped
    profile = SellerProfile(seller_id=seller_id, **lists)
    if len(json.dumps(profile.to_json(), ensure_ascii=False).encode()) > MAX_PROFILE_BYTES:
        raise RequestTooLargeError(f"body: a profile is stored whole, in at most {MAX_PROFILE_BYTES} bytes")
    return profile


def parse_until(body: dict) -> int | None:
    """POST /v1/sweeps: the optional `until` time."""
    if body.get("until") is None:
        return None
    until = parse_time(body["until"])
    if until is None:
        raise invalid("until", "must be RFC 3339 with offset or integer epoch milliseconds")
    return until


def query_time(params: dict, key: str) -> int | None:
    raw = params.get(key)
    if raw is None:
        return None
    ms = parse_time(int(raw) if QUERY_DIGITS.fullmatch(raw) else raw)
    if ms is None:
        raise invalid(key, "must be RFC 3339 with offset or integer epoch milliseconds")
    return ms


def query_range(params: dict) -> tuple[int | None, int | None]:
    """`from` and `to`, inclusive; `to` before `from` is a client mistake, not an empty range."""
    start, end = query_time(params, "from"), query_time(params, "to")
    if start is not None and end is not None and end < start:
        raise invalid("to", "must not be before from")
    return start, end


def query_limit(params: dict, cfg: Settings) -> int:
    raw = params.get("limit")
    if raw is None:
        return cfg.default_page
    if not QUERY_DIGITS.fullmatch(raw) or not 1 <= int(raw) <= cfg.max_page:
        raise invalid("limit", f"must be an integer from 1 to {cfg.max_page}")
    return int(raw)


def query_choice(params: dict, key: str, choices: tuple, default=None):
    raw = params.get(key)
    if raw is None:
        return default
    if raw not in choices:
        raise invalid(key, f"must be one of {', '.join(choices)}")
    return raw


def query_reason(params: dict):
    return query_choice(params, "reason", REASON_CODES)
