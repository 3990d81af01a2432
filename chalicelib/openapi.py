"""The public contract (CONTRACT.md, v1) as an OpenAPI 3.1 document, served at GET /v1/openapi.json.

The limits here are written out as the contract states them, not imported from the code that
enforces them: `tests/chalicelib/test_openapi.py` checks that the routes, the validation and the
responses agree with this document, so a change on either side fails a test instead of drifting.

Patterns are ECMA 262 regular expressions, as OpenAPI says (`$` is the end of the string).
"""

from __future__ import annotations

import functools
import json

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"

REASON_CODES = [
    "DUPLICATE_CLICK",
    "SOURCE_VELOCITY",
    "BOT_AGENT",
    "SHORT_DWELL",
    "RIVAL_SELLER",
    "DWELL_PATTERN",
    "COORDINATED_CAMPAIGN",
]
REASON_MEANINGS = {
    "DUPLICATE_CLICK": "the same source clicked the same listing again within the duplicate window",
    "SOURCE_VELOCITY": "a source (ip, subnet, device, account) clicks faster than people do",
    "BOT_AGENT": "known crawler, bot, headless or missing user agent",
    "SHORT_DWELL": "left the landing page too fast to have looked at it",
    "RIVAL_SELLER": "the clicker is linked to a competing seller in the same category",
    "DWELL_PATTERN": "part of a cohort whose dwell times cluster unnaturally (a scripted ~10 s stay)",
    "COORDINATED_CAMPAIGN": "member of a detected lockstep campaign against this advertiser or keyword",
}

MAX_MICROS = 10**12
MAX_DWELL_MS = 86_400_000
MAX_BATCH = 500
MAX_PAGE = 1000
DEFAULT_PAGE = 100
MAX_PROFILE_ENTRIES = 1000
MAX_BODY_BYTES = 1_000_000
MAX_EPOCH_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z

CLICK_ID_PATTERN = "^[A-Za-z0-9._:-]{1,128}$"
CURRENCY_PATTERN = "^[A-Z]{3}$"
# No C0 or C1 control character, DEL or lone surrogate anywhere in the string.
PRINTABLE_PATTERN = "^[^\\u0000-\\u001f\\u007f-\\u009f\\ud800-\\udfff]*$"
# A path segment: printable, and no "/" (it could not arrive as one segment).
PATH_ID_PATTERN = "^[^\\u0000-\\u001f\\u007f-\\u009f\\ud800-\\udfff/]*$"
REFUND_ID_PATTERN = "^r-[0-9a-f]{24}$"
UTC_TIME_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$"


def _rfc3339_pattern() -> str:
    """RFC 3339 date-time with an offset, years 1970-9999, real calendar dates only."""
    year = "(?:19[7-9][0-9]|[2-9][0-9]{3})"
    month_day = (
        "(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)"
    )
    leap_year = (
        "(?:19(?:7[26]|8[048]|9[26])"
        "|[2-9][0-9](?:0[48]|[2468][048]|[13579][26])"
        "|(?:[2468][048]|[3579][26])00)"
    )
    date = f"(?:{year}-{month_day}|{leap_year}-02-29)"
    clock = "(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]{1,9})?"
    offset = "(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
    return f"^{date}[Tt ]{clock}{offset}$"


RFC3339_PATTERN = _rfc3339_pattern()


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


def _text(max_len: int, min_len: int = 1, description: str | None = None) -> dict:
    out = {"type": "string", "minLength": min_len, "maxLength": max_len, "pattern": PRINTABLE_PATTERN}
    if description:
        out["description"] = description
    return out


def _micros(description: str, minimum: int | None = 0, maximum: int | None = None) -> dict:
    out: dict = {"type": "integer", "description": description}
    if minimum is not None:
        out["minimum"] = minimum
    if maximum is not None:
        out["maximum"] = maximum
    return out


def _count(description: str) -> dict:
    return {"type": "integer", "minimum": 0, "description": description}


def _obj(properties: dict, required=None, additional=False, description: str | None = None) -> dict:
    out: dict = {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else list(required),
        "additionalProperties": additional,
    }
    if description:
        out["description"] = description
    return out


# ---- schemas ------------------------------------------------------------------------------------

MEMBER_KINDS = ("accounts", "devices", "ips", "seller_ids")
TARGET_KINDS = ("advertisers", "listings", "keywords")
DECISION_REQUIRED = ["click_id", "decision", "charged_micros", "score", "reasons", "refund_id", "replayed"]


def _schemas() -> dict:
    string_list = {"type": "array", "items": {"type": "string"}}
    ip = {
        "type": "string",
        "maxLength": 64,
        "anyOf": [{"format": "ipv4"}, {"format": "ipv6"}],
        "description": "An IPv4 or IPv6 address; responses carry its canonical form.",
    }
    profile_list = {
        "categories": ("category", 128),
        "account_ids": ("shopper account owned by the seller", 128),
        "device_ids": ("device fingerprint used by the seller", 256),
    }
    decision = {
        "click_id": ref("ClickId"),
        "decision": {"type": "string", "enum": ["charge", "drop"]},
        "charged_micros": _micros(
            "The net charge: `cost_micros` if charged, 0 if dropped or refunded since.", 0, MAX_MICROS
        ),
        "score": {"type": "number", "minimum": 0, "maximum": 1},
        "reasons": {
            "allOf": [ref("Reasons")],
            "description": "Signals that fired (on a charged click: those below the drop line).",
        },
        "refund_id": _nullable({"type": "string", "pattern": REFUND_ID_PATTERN}),
        "replayed": {"type": "boolean", "description": "true if the click_id was seen before"},
        "conflict": {
            "const": True,
            "description": "Present on a replay whose payload differs from the stored one.",
        },
    }
    campaign_summary = {
        "campaign_id": {"type": "string"},
        "start": ref("UtcTime"),
        "end": ref("UtcTime"),
        "detected_at": ref("UtcTime"),
        "targets": _obj({k: string_list for k in TARGET_KINDS}),
        "clicks": _count("member clicks on the targets"),
        "micros": _micros("their cost"),
        "member_counts": _obj({k: {"type": "integer", "minimum": 0} for k in MEMBER_KINDS}),
        "reasons": ref("Reasons"),
    }
    schemas = {
        "Time": {
            "description": (
                "A time in a request: an RFC 3339 string with an offset "
                "(`2013-12-08T14:03:09.120+08:00`) or integer epoch milliseconds."
            ),
            "oneOf": [
                {"type": "string", "pattern": RFC3339_PATTERN},
                {"type": "integer", "minimum": 0, "maximum": MAX_EPOCH_MS},
            ],
            "examples": ["2013-12-08T14:03:09.120+08:00", 1386482589120],
        },
        "UtcTime": {
            "type": "string",
            "format": "date-time",
            "pattern": UTC_TIME_PATTERN,
            "description": "A time in a response: RFC 3339 in UTC with milliseconds.",
            "examples": ["2013-12-08T06:03:09.120Z"],
        },
        "ClickId": {
            "type": "string",
            "minLength": 1,
            "maxLength": 128,
            "pattern": CLICK_ID_PATTERN,
            "description": "The ad server's id of the click: its idempotency key.",
            "examples": ["c-1"],
        },
        "ReasonCode": {
            "type": "string",
            "enum": list(REASON_CODES),
            "description": "Why a click was not worth paying for:\n\n"
            + "\n".join(f"- `{c}`: {m}" for c, m in REASON_MEANINGS.items()),
        },
        "Reasons": {"type": "array", "items": ref("ReasonCode"), "uniqueItems": True},
        "Currency": {
            "type": "string",
            "pattern": CURRENCY_PATTERN,
            "description": "ISO 4217 currency code.",
            "examples": ["CNY"],
        },
        "Source": _obj(
            {
                "ip": ip,
                "device_id": _nullable(_text(256, 0, "device fingerprint; empty means unknown")),
                "user_agent": _nullable(_text(1024, min_len=0)),
                "account_id": _nullable(_text(128, 0, "the logged-in shopper account; empty means unknown")),
                "seller_id": _nullable(
                    _text(128, 0, "the shop that account owns, if the ad server knows it; empty: unknown")
                ),
            },
            required=["ip"],
            additional=True,
            description="Who clicked. Unknown fields are ignored.",
        ),
        "Click": _obj(
            {
                "click_id": ref("ClickId"),
                "ts": {
                    "allOf": [ref("Time")],
                    "description": "Event time of the click; at most 1 day after the server's clock.",
                },
                "advertiser_id": _text(128, description="the seller whose sponsored listing was clicked"),
                "listing_id": _text(128),
                "cost_micros": _micros("the CPC price that would be charged", 0, MAX_MICROS),
                "currency": _nullable({"allOf": [ref("Currency")], "default": "CNY"}),
                "keyword": _nullable(
                    _text(256, min_len=0, description="the search keyword that showed the ad")
                ),
                "category": _nullable(_text(128, min_len=0, description="the listing's category")),
                "source": ref("Source"),
                "dwell_ms": _nullable(
                    {
                        "type": "integer",
                        "minimum": 0,
                        "maximum": MAX_DWELL_MS,
                        "description": "dwell on the landing page, when already known",
                    }
                ),
            },
            required=["click_id", "ts", "advertiser_id", "listing_id", "cost_micros", "source"],
            additional=True,
            description="One sponsored-listing click. Unknown fields are ignored; null is as absent.",
        ),
        "ClickBatch": _obj(
            {"clicks": {"type": "array", "items": ref("Click"), "minItems": 1, "maxItems": MAX_BATCH}},
            additional=True,
        ),
        "Decision": _obj(decision, required=DECISION_REQUIRED),
        "ClickResults": _obj({"results": {"type": "array", "items": ref("Decision")}}),
        "DwellReport": _obj(
            {
                "click_id": ref("ClickId"),
                "dwell_ms": {"type": "integer", "minimum": 0, "maximum": MAX_DWELL_MS},
            },
            additional=True,
        ),
        "DwellBatch": _obj(
            {"dwell": {"type": "array", "items": ref("DwellReport"), "minItems": 1, "maxItems": MAX_BATCH}},
            additional=True,
        ),
        "DwellResult": {
            "description": (
                "The click's Decision after re-scoring, with `status`; a pending dwell (click not "
                "seen yet) answers `decision: null`."
            ),
            "oneOf": [
                _obj(
                    {**decision, "status": {"enum": ["applied", "duplicate"]}},
                    required=[*DECISION_REQUIRED, "status"],
                ),
                _obj(
                    {
                        "click_id": ref("ClickId"),
                        "status": {"enum": ["pending", "duplicate"]},
                        "decision": {"type": "null"},
                    }
                ),
            ],
        },
        "DwellResults": _obj({"results": {"type": "array", "items": ref("DwellResult")}}),
        "SellerProfileBody": _obj(
            {
                **{
                    key: _nullable(
                        {
                            "type": "array",
                            "maxItems": MAX_PROFILE_ENTRIES,
                            "items": _text(max_len, description=what),
                        }
                    )
                    for key, (what, max_len) in profile_list.items()
                },
                "ips": _nullable({"type": "array", "maxItems": MAX_PROFILE_ENTRIES, "items": ip}),
            },
            required=[],
            additional=True,
            description="A seller's profile; a missing or null list is empty. Replaces the stored profile.",
        ),
        "SellerProfile": _obj(
            {
                "seller_id": _text(128),
                **{key: string_list for key in (*profile_list, "ips")},
            },
            description="The stored profile: duplicates dropped (first kept), ips in canonical form.",
        ),
        "StoredClick": _obj(
            {
                "click_id": ref("ClickId"),
                "ts": ref("UtcTime"),
                "advertiser_id": {"type": "string"},
                "listing_id": {"type": "string"},
                "cost_micros": _micros("the CPC price", 0, MAX_MICROS),
                "currency": ref("Currency"),
                "keyword": {"type": "string"},
                "category": {"type": "string"},
                "dwell_ms": {"type": "integer", "minimum": 0, "maximum": MAX_DWELL_MS},
                "source": _obj(
                    {
                        "ip": {"type": "string"},
                        "device_id": {"type": "string"},
                        "user_agent": {"type": "string"},
                        "account_id": {"type": "string"},
                        "seller_id": {"type": "string"},
                    },
                    required=["ip"],
                ),
            },
            required=["click_id", "ts", "advertiser_id", "listing_id", "cost_micros", "currency", "source"],
            description="The click as received, normalised (UTC time, canonical ip, absent fields left out).",
        ),
        "Evidence": {
            "type": "object",
            "description": (
                "The feature values behind the score, as the scoring recorded them. Keys may be added "
                "in later versions; among them: `velocity` (clicks per source kind per window in "
                "seconds), `velocity_exceeded`, `duplicate`, `seconds_since_same_listing`, "
                "`earlier_stay_ms` (the reported stay of that earlier click, within the duplicate "
                "window), `bot_agent` (why the agent is not a person, or null), `rival` (which "
                "seller, via what, which categories), `dwell_ms`, `short_dwell`, `dwell_pattern`, "
                "`campaign_id`."
            ),
            "properties": {
                "velocity": {
                    "type": "object",
                    "additionalProperties": {
                        "type": "object",
                        "additionalProperties": {"type": "integer", "minimum": 0},
                    },
                },
                "velocity_exceeded": {"type": "array", "items": {"type": "string"}},
                "bot_agent": {"type": ["string", "null"]},
                "rival": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "seller_id": {"type": "string"},
                            "via": {"type": "array", "items": {"type": "string"}},
                            "categories": {"type": "array", "items": {"type": "string"}},
                        },
                        "required": ["seller_id", "via"],
                    },
                },
                "dwell_ms": {"type": ["integer", "null"]},
                "campaign_id": {"type": ["string", "null"]},
            },
            "additionalProperties": True,
        },
        "ClickView": _obj(
            {
                "click": ref("StoredClick"),
                "decision": ref("Decision"),
                "dwell_ms": _nullable({"type": "integer", "minimum": 0, "maximum": MAX_DWELL_MS}),
                "evidence": ref("Evidence"),
            }
        ),
        "Refund": _obj(
            {
                "refund_id": {"type": "string", "pattern": REFUND_ID_PATTERN},
                "click_id": ref("ClickId"),
                "advertiser_id": {"type": "string"},
                "listing_id": {"type": "string"},
                "keyword": {"type": ["string", "null"]},
                "click_ts": ref("UtcTime"),
                "refunded_at": ref("UtcTime"),
                "amount_micros": _micros("what the merchant does not pay (or gets back)", 0, MAX_MICROS),
                "currency": ref("Currency"),
                "stage": {
                    "type": "string",
                    "enum": ["realtime", "dwell", "sweep"],
                    "description": "`realtime` (at click), `dwell`, or `sweep` (retroactive)",
                },
                "kind": {
                    "type": "string",
                    "enum": ["filtered", "credited"],
                    "description": "`filtered` (never charged) or `credited` (charged, then given back)",
                },
                "reasons": {"allOf": [ref("Reasons")], "minItems": 1},
                "campaign_id": {"type": ["string", "null"]},
            },
            description="A click the merchant does not pay for. A click is refunded at most once, ever.",
        ),
        "RefundPage": _obj(
            {
                "refunds": {"type": "array", "items": ref("Refund")},
                "next_cursor": {
                    "type": ["string", "null"],
                    "description": "Pass as `cursor` (with the same filters) for the next, older page.",
                },
            }
        ),
        "ReasonTotal": _obj({"count": _count("refunds with this reason"), "micros": _micros("their amount")}),
        "SummaryBucket": _obj(
            {
                "start": ref("UtcTime"),
                "clicks": _count("clicks in the bucket (by click time)"),
                "charged_micros": _micros("charged at click time"),
                "refunded": _count("refunded clicks in the bucket"),
                "refunded_micros": _micros("their amount"),
            }
        ),
        "RefundSummary": _obj(
            {
                "merchant_id": {"type": "string"},
                "from": {"type": ["string", "null"], "pattern": UTC_TIME_PATTERN},
                "to": {"type": ["string", "null"], "pattern": UTC_TIME_PATTERN},
                "bucket": {"type": "string", "enum": ["hour", "day"]},
                "clicks": _count("clicks on the merchant's listings"),
                "charged_micros": _micros("what was charged at click time"),
                "refunded_clicks": _count("clicks refunded (filtered or credited)"),
                "refunded_micros": _micros("their amount"),
                "credited_micros": _micros("given back after a charge"),
                "net_charged_micros": _micros("charged_micros - credited_micros", minimum=None),
                "by_reason": {
                    "type": "object",
                    "propertyNames": ref("ReasonCode"),
                    "additionalProperties": ref("ReasonTotal"),
                    "description": "A refund with two reasons counts under both.",
                },
                "series": {
                    "type": "array",
                    "items": ref("SummaryBucket"),
                    "description": "One entry per bucket that has clicks or refunds, oldest first.",
                },
            }
        ),
        "SweepRequest": _obj(
            {"until": {"allOf": [ref("Time")], "description": "default: the newest event time seen"}},
            required=[],
            additional=True,
        ),
        "CampaignSummary": _obj(
            campaign_summary, description="A detected attack: its targets, time span, clicks and micros."
        ),
        "Campaign": _obj(
            {
                **campaign_summary,
                "anchor": {"type": "string", "description": "the target it was found on"},
                "members": _obj(
                    {k: string_list for k in MEMBER_KINDS},
                    description="The sources behind it: the evidence to pursue the organisers.",
                ),
                "dwell": _nullable(
                    _obj(
                        {"low_ms": {"type": "number"}, "high_ms": {"type": "number"}},
                        description="the cohort's unnatural dwell band",
                    )
                ),
                "signals": {
                    "type": "object",
                    "description": "the numbers that made it a campaign; found_by is crew for a crew "
                    "found by its members meeting again, without bursts, strangers for a shop "
                    "clicked by identities seen once (a slow drip), and scripted_strangers for a "
                    "keyword whose logged-out stays crowd one narrow band (click software)",
                },
                "folded": {
                    **string_list,
                    "description": "ids of earlier views of this attack folded into it (refunds keep them)",
                },
            },
            description="A campaign with its member sources and the evidence.",
        ),
        "CampaignPage": _obj(
            {
                "campaigns": {"type": "array", "items": ref("CampaignSummary")},
                "next_cursor": {"type": ["string", "null"]},
            }
        ),
        "SweepResult": _obj(
            {
                "until": ref("UtcTime"),
                "campaigns": {"type": "array", "items": ref("CampaignSummary")},
                "refunds_written": _count("refunds this sweep wrote (0 when run again on the same data)"),
            }
        ),
        "Health": _obj({"status": {"const": "ok"}, "version": {"type": "string"}}),
        "Error": _obj(
            {
                "Code": {"type": "string", "description": "the error's class, e.g. BadRequestError"},
                "Message": {
                    "type": "string",
                    "description": "what was wrong; a 400 starts with the field path (`clicks[3].source.ip`)",
                },
            },
            description="Chalice's error shape.",
        ),
    }
    return schemas


# ---- responses and parameters ------------------------------------------------------------------

ERRORS = {
    400: (
        "BadRequestError",
        "Bad input: the message starts with the field path, e.g. `clicks[3].source.ip`.",
    ),
    401: ("UnauthorizedError", "No, malformed, expired or badly signed bearer token."),
    403: ("ForbiddenError", "The token's role may not do this, or the data is another merchant's."),
    404: ("NotFoundError", "Unknown id."),
    413: ("RequestTooLargeError", f"The body is larger than {MAX_BODY_BYTES} bytes."),
    415: ("UnsupportedMediaType", "A Content-Type other than application/json."),
    503: ("ServiceUnavailableError", "Storage is throttled or unavailable: send the same request again."),
}


def _error_responses() -> dict:
    out = {}
    for status, (code, description) in ERRORS.items():
        schema = {
            "allOf": [ref("Error")],
            "properties": {"Code": {"const": code}},
        }
        response = {
            "description": description,
            "content": {"application/json": {"schema": schema, "example": {"Code": code, "Message": "..."}}},
        }
        if status == 503:
            response["headers"] = {
                "Retry-After": {
                    "description": "seconds to wait before sending the same request again",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 0},
                }
            }
        out[code] = response
    return out


def _errors(*statuses: int) -> dict:
    return {str(s): {"$ref": f"#/components/responses/{ERRORS[s][0]}"} for s in statuses}


def _ok(schema_name: str, description: str, example=None) -> dict:
    media: dict = {"schema": ref(schema_name)}
    if example is not None:
        media["example"] = example
    return {"200": {"description": description, "content": {"application/json": media}}}


def _path_id(name: str, description: str) -> dict:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string", "minLength": 1, "maxLength": 128, "pattern": PATH_ID_PATTERN},
    }


def _query_time(name: str, description: str) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description + " RFC 3339 with offset, or epoch milliseconds.",
        "schema": {
            "anyOf": [
                {"type": "integer", "minimum": 0, "maximum": MAX_EPOCH_MS},
                {"type": "string", "pattern": RFC3339_PATTERN},
            ]
        },
    }


def _query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


LIMIT = _query(
    "limit",
    {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": DEFAULT_PAGE},
    "Page size.",
)
CURSOR = _query(
    "cursor",
    {"type": "string", "minLength": 1},
    "The `next_cursor` of the previous page. Cursors are signed and bound to the caller's merchant "
    "and filters: a cursor from another query is a 400.",
)


def _body(schema_name: str, example, required=True) -> dict:
    return {
        "required": required,
        "description": f"JSON, at most {MAX_BODY_BYTES} bytes (413 past it).",
        "content": {"application/json": {"schema": ref(schema_name), "example": example}},
    }


def _roles(*roles: str) -> dict:
    return {"x-roles": list(roles)}


EXAMPLE_CLICK = {
    "click_id": "c-1",
    "ts": "2013-12-08T14:03:09.120+08:00",
    "advertiser_id": "S1",
    "listing_id": "L9",
    "cost_micros": 2350000,
    "currency": "CNY",
    "keyword": "连衣裙",
    "category": "女装",
    "source": {
        "ip": "203.0.113.7",
        "device_id": "dev-8f2c",
        "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AliApp(TB/10.30)",
        "account_id": "acct-1",
    },
}
EXAMPLE_DECISION = {
    "click_id": "c-1",
    "decision": "charge",
    "charged_micros": 2350000,
    "score": 0.07,
    "reasons": [],
    "refund_id": None,
    "replayed": False,
}
EXAMPLE_REFUND = {
    "refund_id": "r-3f0a9c2d1b7e4a5f6c8d9e0a",
    "click_id": "c-2",
    "advertiser_id": "S1",
    "listing_id": "L9",
    "keyword": "连衣裙",
    "click_ts": "2013-12-08T06:03:10.120Z",
    "refunded_at": "2013-12-08T06:03:10.342Z",
    "amount_micros": 2350000,
    "currency": "CNY",
    "stage": "realtime",
    "kind": "filtered",
    "reasons": ["RIVAL_SELLER", "DWELL_PATTERN"],
    "campaign_id": None,
}


def _paths() -> dict:
    merchant_id = _path_id(
        "merchant_id", "The merchant (advertiser seller) id; a merchant token's `merchant_id`."
    )
    return {
        "/v1/health": {
            "get": {
                "operationId": "getHealth",
                "tags": ["service"],
                "summary": "Liveness and version",
                "security": [],
                **_roles("anyone"),
                "responses": _ok("Health", "The service is up.", {"status": "ok", "version": API_VERSION}),
            }
        },
        "/v1/openapi.json": {
            "get": {
                "operationId": "getOpenApi",
                "tags": ["service"],
                "summary": "This document",
                "security": [],
                **_roles("anyone"),
                "responses": {
                    "200": {
                        "description": "The OpenAPI 3.1 document of the v1 contract.",
                        "content": {
                            "application/json": {
                                "schema": {"type": "object", "required": ["openapi", "info", "paths"]}
                            }
                        },
                    }
                },
            }
        },
        "/v1/clicks": {
            "post": {
                "operationId": "postClicks",
                "tags": ["ad server"],
                "summary": "Score clicks",
                "description": (
                    f"1 to {MAX_BATCH} clicks. The whole batch is validated first: one bad click gives "
                    "a 400 naming it, and nothing of the batch is stored. One Decision per click, in order. "
                    "A dropped click writes a refund (kind `filtered`) at once. A `click_id` seen before "
                    "returns the stored decision with `replayed: true` and changes nothing; if the payload "
                    "differs, the stored one stands and the result carries `conflict: true`."
                ),
                **_roles("adserver"),
                "requestBody": _body("ClickBatch", {"clicks": [EXAMPLE_CLICK]}),
                "responses": {
                    **_ok(
                        "ClickResults", "One Decision per click, in order.", {"results": [EXAMPLE_DECISION]}
                    ),
                    **_errors(400, 401, 403, 413, 415, 503),
                },
            }
        },
        "/v1/dwell": {
            "post": {
                "operationId": "postDwell",
                "tags": ["ad server"],
                "summary": "Report dwell times",
                "description": (
                    f"1 to {MAX_BATCH} reports. Each result is the click's Decision after re-scoring, with "
                    "`status`: `applied`, `duplicate` (already had a dwell), or `pending` (click not seen "
                    "yet: the dwell is kept and applied when the click arrives). A charged click that the "
                    "dwell turns invalid gets a refund (kind `credited`, stage `dwell`)."
                ),
                **_roles("adserver"),
                "requestBody": _body("DwellBatch", {"dwell": [{"click_id": "c-1", "dwell_ms": 10200}]}),
                "responses": {
                    **_ok(
                        "DwellResults",
                        "One result per report, in order.",
                        {"results": [{**EXAMPLE_DECISION, "status": "applied"}]},
                    ),
                    **_errors(400, 401, 403, 413, 415, 503),
                },
            }
        },
        "/v1/sellers/{seller_id}": {
            "put": {
                "operationId": "putSeller",
                "tags": ["ad server"],
                "summary": "Replace a seller's profile",
                "description": (
                    "Who the rival sellers are: a click whose source (account, device, ip or `seller_id`) "
                    "belongs to a seller other than the advertiser, sharing a category with the advertiser "
                    f"or the listing, is a rival click. Each list holds at most {MAX_PROFILE_ENTRIES} items."
                ),
                **_roles("adserver"),
                "parameters": [_path_id("seller_id", "The seller (shop) id.")],
                "requestBody": _body(
                    "SellerProfileBody",
                    {
                        "categories": ["女装"],
                        "account_ids": ["acct-7"],
                        "device_ids": [],
                        "ips": ["198.51.100.4"],
                    },
                ),
                "responses": {
                    **_ok("SellerProfile", "The stored profile."),
                    **_errors(400, 401, 403, 413, 415, 503),
                },
            }
        },
        "/v1/clicks/{click_id}": {
            "get": {
                "operationId": "getClick",
                "tags": ["ad server", "merchant", "analyst"],
                "summary": "One click, its decision, dwell and evidence",
                **_roles("adserver", "analyst", "merchant (the click's advertiser)"),
                "parameters": [_path_id("click_id", "The click id.")],
                "responses": {
                    **_ok(
                        "ClickView", "The click as received, its current Decision, its dwell and evidence."
                    ),
                    **_errors(400, 401, 403, 404, 503),
                },
            }
        },
        "/v1/merchants/{merchant_id}/refunds": {
            "get": {
                "operationId": "listRefunds",
                "tags": ["merchant"],
                "summary": "A merchant's refunds, newest click first",
                "description": (
                    "Paged newest click first. With `format=csv`, `text/csv` with a header row and the same "
                    "fields (reasons joined by `|`), the next page's cursor in `X-Next-Cursor`."
                ),
                **_roles("merchant (own)", "analyst"),
                "parameters": [
                    merchant_id,
                    _query_time("from", "Earliest click time, inclusive."),
                    _query_time("to", "Latest click time, inclusive."),
                    LIMIT,
                    CURSOR,
                    _query("reason", ref("ReasonCode"), "Only refunds carrying this reason code."),
                    _query(
                        "format",
                        {"type": "string", "enum": ["json", "csv"], "default": "json"},
                        "`csv` for a spreadsheet.",
                    ),
                ],
                "responses": {
                    "200": {
                        "description": "One page of refunds.",
                        "headers": {
                            "X-Next-Cursor": {
                                "description": "With `format=csv`: the cursor of the next page, if any.",
                                "schema": {"type": "string"},
                            }
                        },
                        "content": {
                            "application/json": {
                                "schema": ref("RefundPage"),
                                "example": {"refunds": [EXAMPLE_REFUND], "next_cursor": None},
                            },
                            "text/csv": {
                                "schema": {
                                    "type": "string",
                                    "pattern": (
                                        "^refund_id,click_id,advertiser_id,listing_id,keyword,click_ts,"
                                        "refunded_at,amount_micros,currency,stage,kind,reasons,campaign_id\\r\\n"
                                    ),
                                },
                                "example": (
                                    "refund_id,click_id,advertiser_id,listing_id,keyword,click_ts,refunded_at,"
                                    "amount_micros,currency,stage,kind,reasons,campaign_id\r\n"
                                    "r-3f0a9c2d1b7e4a5f6c8d9e0a,c-2,S1,L9,连衣裙,2013-12-08T06:03:10.120Z,"
                                    "2013-12-08T06:03:10.342Z,2350000,CNY,realtime,filtered,"
                                    "RIVAL_SELLER|DWELL_PATTERN,\r\n"
                                ),
                            },
                        },
                    },
                    **_errors(400, 401, 403, 503),
                },
            }
        },
        "/v1/merchants/{merchant_id}/refunds/summary": {
            "get": {
                "operationId": "getRefundSummary",
                "tags": ["merchant"],
                "summary": "Totals, split by reason, and a series per hour or day",
                **_roles("merchant (own)", "analyst"),
                "parameters": [
                    merchant_id,
                    _query_time("from", "Earliest click time, inclusive."),
                    _query_time("to", "Latest click time, inclusive."),
                    _query(
                        "bucket",
                        {"type": "string", "enum": ["hour", "day"], "default": "hour"},
                        "Series bucket size (UTC hours or days).",
                    ),
                ],
                "responses": {
                    **_ok("RefundSummary", "Totals over [from, to] by click time."),
                    **_errors(400, 401, 403, 503),
                },
            }
        },
        "/v1/sweeps": {
            "post": {
                "operationId": "postSweep",
                "tags": ["ad server", "analyst"],
                "summary": "Run the retroactive campaign sweep",
                "description": (
                    "Looks back over the recent windows up to `until`, finds coordinated campaigns and "
                    "credits their charged clicks. Running it twice over the same data writes nothing the "
                    "second time. The deployed stage also runs it every minute."
                ),
                **_roles("adserver", "analyst"),
                "requestBody": _body("SweepRequest", {"until": "2013-12-08T16:00:00+08:00"}, required=False),
                "responses": {
                    **_ok("SweepResult", "What the sweep found and wrote."),
                    **_errors(400, 401, 403, 413, 415, 503),
                },
            }
        },
        "/v1/campaigns": {
            "get": {
                "operationId": "listCampaigns",
                "tags": ["analyst"],
                "summary": "Detected campaigns, latest first",
                **_roles("analyst"),
                "parameters": [
                    _query_time("from", "Campaigns active at or after this time."),
                    _query_time("to", "Campaigns active at or before this time."),
                    LIMIT,
                    {**CURSOR, "description": "The `next_cursor` of the previous page."},
                ],
                "responses": {
                    **_ok("CampaignPage", "One page of campaigns."),
                    **_errors(400, 401, 403, 503),
                },
            }
        },
        "/v1/campaigns/{campaign_id}": {
            "get": {
                "operationId": "getCampaign",
                "tags": ["analyst"],
                "summary": "One campaign with its member sources",
                **_roles("analyst"),
                "parameters": [_path_id("campaign_id", "The campaign id.")],
                "responses": {
                    **_ok("Campaign", "The campaign, its members and the evidence."),
                    **_errors(400, 401, 403, 404, 503),
                },
            }
        },
    }


def build() -> dict:
    """A fresh copy of the whole document."""
    return {
        "openapi": OPENAPI_VERSION,
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "info": {
            "title": "Click guard",
            "version": API_VERSION,
            "summary": "Ad-click fraud guard for sponsored listings (CPC): decisions, refunds, campaigns.",
            "description": (
                "JSON in and out, UTF-8. Money is integer micros of the currency (1 CNY = 1,000,000 "
                "micros). Times in requests: RFC 3339 with offset or integer epoch milliseconds; in "
                'responses: RFC 3339 UTC with milliseconds. Errors: `{"Code", "Message"}`. '
                "Roles per operation are listed in `x-roles`. See docs/API.md."
            ),
        },
        "tags": [
            {"name": "service"},
            {"name": "ad server", "description": "the ad-serving backend (role `adserver`)"},
            {"name": "merchant", "description": "merchants (role `merchant`, own data) and analysts"},
            {"name": "analyst", "description": "the platform's analysts (role `analyst`)"},
        ],
        "security": [{"bearerAuth": []}],
        "paths": _paths(),
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": (
                        "HS256 JWT. Claims: `sub`, `exp` (required), `role` (`adserver`, `merchant`, "
                        "`analyst`), and `merchant_id` for merchants."
                    ),
                }
            },
            "schemas": _schemas(),
            "responses": _error_responses(),
        },
    }


@functools.cache
def document_json() -> str:
    """The document serialised once per process (it never changes while the code does not)."""
    return json.dumps(build(), ensure_ascii=False, separators=(",", ":"))
