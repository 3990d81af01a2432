"""Bearer JWT (HS256) authentication and the contract's role table."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import jwt

from chalicelib.errors import ForbiddenError, ServiceUnavailableError, UnauthorizedError

ADSERVER, MERCHANT, ANALYST = "adserver", "merchant", "analyst"
ROLES = (ADSERVER, MERCHANT, ANALYST)
SECRET_ENV = "FRAUDGUARD_JWT_SECRET"
MIN_SECRET_BYTES = 32  # RFC 7518 3.2: an HS256 key at least as long as the hash


@dataclass(frozen=True)
class Principal:
    sub: str
    role: str
    merchant_id: str | None = None

    def require(self, *roles: str) -> Principal:
        """403 unless this principal holds one of the roles."""
        if self.role not in roles:
            raise ForbiddenError(f"role {self.role} may not do this")
        return self

    def require_merchant_access(self, merchant_id: str) -> Principal:
        """Analysts read every merchant; a merchant only itself."""
        if self.role == ANALYST or (self.role == MERCHANT and self.merchant_id == merchant_id):
            return self
        raise ForbiddenError("not yours: merchant_id does not match the token")


def jwt_secret() -> str:
    """The signing secret; a deployed stage loads it into the environment at cold start."""
    secret = os.environ.get(SECRET_ENV, "")
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise ServiceUnavailableError(f"{SECRET_ENV} is not configured")
    return secret


def authenticate(headers: dict) -> Principal:
    """The caller behind `Authorization: Bearer <JWT>`; 401 for a missing, bad or expired token."""
    value = headers.get("authorization") or ""
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise UnauthorizedError("Authorization: Bearer <JWT> is required")
    try:
        claims = jwt.decode(
            token.strip(),
            jwt_secret(),
            algorithms=["HS256"],
            options={"require": ["sub", "exp"]},
            leeway=30,
        )
    except jwt.PyJWTError as exc:
        raise UnauthorizedError(f"invalid token ({type(exc).__name__})") from None
    role = claims.get("role")
    if role not in ROLES:
        raise ForbiddenError("token has no known role")
    merchant_id = claims.get("merchant_id")
    if role == MERCHANT and not isinstance(merchant_id, str):
        raise ForbiddenError("a merchant token needs a merchant_id claim")
    return Principal(sub=str(claims["sub"]), role=role, merchant_id=merchant_id)


def mint_token(secret: str, role: str, sub: str, merchant_id: str | None = None, ttl_s=3600) -> str:
    """A signed dev token (the CLI and the tests use it; production tokens come from the IdP)."""
    claims = {"sub": sub, "role": role, "exp": int(time.time()) + ttl_s}
    if merchant_id is not None:
        claims["merchant_id"] = merchant_id
    return jwt.encode(claims, secret, algorithm="HS256")
