"""The domain's plain data: a click and its source, a decision, a refund, a seller profile."""

from __future__ import annotations

import hashlib
import ipaddress
import json
from dataclasses import asdict, dataclass, field

from chalicelib.timefmt import format_time

CHARGE = "charge"
DROP = "drop"

DUPLICATE_CLICK = "DUPLICATE_CLICK"
SOURCE_VELOCITY = "SOURCE_VELOCITY"
BOT_AGENT = "BOT_AGENT"
SHORT_DWELL = "SHORT_DWELL"
RIVAL_SELLER = "RIVAL_SELLER"
DWELL_PATTERN = "DWELL_PATTERN"
COORDINATED_CAMPAIGN = "COORDINATED_CAMPAIGN"
REASON_CODES = (
    DUPLICATE_CLICK,
    SOURCE_VELOCITY,
    BOT_AGENT,
    SHORT_DWELL,
    RIVAL_SELLER,
    DWELL_PATTERN,
    COORDINATED_CAMPAIGN,
)

STAGE_REALTIME = "realtime"
STAGE_DWELL = "dwell"
STAGE_SWEEP = "sweep"
KIND_FILTERED = "filtered"
KIND_CREDITED = "credited"

# What found a campaign (its signals' `found_by`): bursts of clicks, a crew meeting again
# (detect/crews.py), a shop's strangers or a keyword's scripted strangers (detect/strangers.py),
# the same persons staying as told on a shop's tailless listings (detect/tailless.py).
FOUND_BY_BURSTS = "bursts"
FOUND_BY_CREW = "crew"
FOUND_BY_STRANGERS = "strangers"
FOUND_BY_SCRIPT = "scripted_strangers"
FOUND_BY_TAILLESS = "tailless"


@dataclass(frozen=True)
class Source:
    ip: str
    device_id: str | None = None
    user_agent: str | None = None
    account_id: str | None = None
    seller_id: str | None = None

    @property
    def subnet(self) -> str:
        """The /24 (IPv4) or /64 (IPv6) network: one household, office or carrier pool."""
        addr = ipaddress.ip_address(self.ip)
        prefix = 24 if addr.version == 4 else 64
        return str(ipaddress.ip_network(f"{addr}/{prefix}", strict=False))

    def keys(self) -> dict[str, str]:
        """The source keys that velocity and rival lookups are kept under, by kind."""
        out = {"ip": f"ip#{self.ip}", "subnet": f"net#{self.subnet}"}
        if self.device_id:
            out["device"] = f"dev#{self.device_id}"
        if self.account_id:
            out["account"] = f"acct#{self.account_id}"
        return out


@dataclass(frozen=True)
class Click:
    click_id: str
    ts: int  # event time, epoch ms
    advertiser_id: str
    listing_id: str
    cost_micros: int
    source: Source
    currency: str = "CNY"
    keyword: str | None = None
    category: str | None = None
    dwell_ms: int | None = None

    def to_json(self) -> dict:
        """The click as received (normalised), for storage and GET /v1/clicks/{id}."""
        body = asdict(self)
        body["ts"] = format_time(self.ts)
        body["source"] = {k: v for k, v in body["source"].items() if v is not None}
        return {k: v for k, v in body.items() if v is not None}

    def fingerprint(self) -> str:
        """A digest of the payload minus dwell: a replay with another payload is a conflict."""
        body = self.to_json()
        body.pop("dwell_ms", None)
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:32]

    @classmethod
    def from_json(cls, body: dict, ts: int) -> Click:
        src = body["source"]
        return cls(
            click_id=body["click_id"],
            ts=ts,
            advertiser_id=body["advertiser_id"],
            listing_id=body["listing_id"],
            cost_micros=int(body["cost_micros"]),
            currency=body.get("currency", "CNY"),
            keyword=body.get("keyword"),
            category=body.get("category"),
            dwell_ms=None if body.get("dwell_ms") is None else int(body["dwell_ms"]),
            source=Source(
                ip=src["ip"],
                device_id=src.get("device_id"),
                user_agent=src.get("user_agent"),
                account_id=src.get("account_id"),
                seller_id=src.get("seller_id"),
            ),
        )


@dataclass
class Decision:
    click_id: str
    decision: str
    charged_micros: int
    score: float
    reasons: list[str] = field(default_factory=list)
    refund_id: str | None = None
    replayed: bool = False
    conflict: bool = False

    def to_json(self) -> dict:
        body = {
            "click_id": self.click_id,
            "decision": self.decision,
            "charged_micros": self.charged_micros,
            "score": round(self.score, 4),
            "reasons": list(self.reasons),
            "refund_id": self.refund_id,
            "replayed": self.replayed,
        }
        if self.conflict:
            body["conflict"] = True
        return body


@dataclass
class Refund:
    refund_id: str
    click_id: str
    advertiser_id: str
    listing_id: str
    keyword: str | None
    click_ts: int
    refunded_at: int
    amount_micros: int
    currency: str
    stage: str
    kind: str
    reasons: list[str]
    campaign_id: str | None = None

    def to_json(self) -> dict:
        body = asdict(self)
        body["click_ts"] = format_time(self.click_ts)
        body["refunded_at"] = format_time(self.refunded_at)
        return body


@dataclass(frozen=True)
class SellerProfile:
    seller_id: str
    categories: tuple[str, ...] = ()
    account_ids: tuple[str, ...] = ()
    device_ids: tuple[str, ...] = ()
    ips: tuple[str, ...] = ()

    def identity_keys(self) -> set[str]:
        """The source keys that link a click to this seller (same key space as Source.keys)."""
        keys = {f"acct#{a}" for a in self.account_ids}
        keys |= {f"dev#{d}" for d in self.device_ids}
        keys |= {f"ip#{i}" for i in self.ips}
        return keys

    def to_json(self) -> dict:
        return {
            "seller_id": self.seller_id,
            "categories": list(self.categories),
            "account_ids": list(self.account_ids),
            "device_ids": list(self.device_ids),
            "ips": list(self.ips),
        }


def refund_id_for(click_id: str) -> str:
    """One refund id per click, ever: derived, so every stage and every retry names the same one."""
    return "r-" + hashlib.sha256(click_id.encode()).hexdigest()[:24]


def stable_hash32(text: str) -> int:
    """A 32-bit digest stable across processes (Python's hash() is salted per process)."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=4).digest(), "big")
