"""Opaque page cursors, signed and bound to who asked and what, so nobody pages another's data."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from chalicelib.errors import invalid


def _sign(secret: str, payload: bytes) -> bytes:
    return hmac.new(secret.encode(), payload, hashlib.sha256).digest()[:16]


def encode(secret: str, scope: dict, position: str) -> str:
    """A cursor that resumes at `position` and only for the same `scope` (merchant, filters)."""
    payload = json.dumps({"s": scope, "p": position}, sort_keys=True, ensure_ascii=False).encode()
    token = payload + _sign(secret, payload)
    return base64.urlsafe_b64encode(token).decode().rstrip("=")


def decode(secret: str, scope: dict, cursor: str | None) -> str | None:
    """The position a cursor resumes at; 400 if it was forged, altered or made for another scope."""
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload, signature = raw[:-16], raw[-16:]
        if not hmac.compare_digest(signature, _sign(secret, payload)):
            raise ValueError("signature")
        body = json.loads(payload)
    except (ValueError, TypeError):
        raise invalid("cursor", "is not a cursor this service issued") from None
    if body.get("s") != json.loads(json.dumps(scope, sort_keys=True)):
        raise invalid("cursor", "was issued for another query or merchant")
    return body["p"]
