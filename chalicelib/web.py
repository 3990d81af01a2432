"""What the app serves to people rather than programs: the merchant dashboard and the OpenAPI document.

The dashboard is three static files under chalicelib/dashboard/ (packaged into the Lambda zip with
the rest of chalicelib). They need no auth: the page asks for a token and calls the API with it.
The page links its script and stylesheet as `dashboard/app.js?v=<content hash>`, relative to
`/dashboard`, so it works under an API Gateway stage prefix (`/api/dashboard`) too, and the assets
can be cached for a day while a new deployment is picked up at once (the page itself revalidates).
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path

from chalice import NotFoundError, Response

from chalicelib import openapi

DASHBOARD_DIR = Path(__file__).resolve().parent / "dashboard"
CONTENT_TYPES = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}
PAGE_CACHE = "no-cache"  # revalidate every time (cheap: ETag); a deployment shows at once
ASSET_CACHE = "public, max-age=86400"  # the page names them with their content hash
DOCUMENT_CACHE = "public, max-age=300"
VERSION_MARK = "{{asset_version}}"
# The page talks only to this origin and runs only its own script: a pasted token cannot be sent
# elsewhere by injected markup, and the page cannot be framed.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


@dataclass(frozen=True)
class Asset:
    body: str
    content_type: str
    etag: str


def _etag(text: str) -> str:
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:20] + '"'


@functools.cache
def _assets() -> dict[str, Asset]:
    """The three files, read once per container; the page carries the assets' combined hash."""
    texts = {name: (DASHBOARD_DIR / name).read_text(encoding="utf-8") for name in CONTENT_TYPES}
    version = hashlib.sha256((texts["app.js"] + texts["style.css"]).encode()).hexdigest()[:12]
    texts["index.html"] = texts["index.html"].replace(VERSION_MARK, version)
    return {name: Asset(text, CONTENT_TYPES[name], _etag(text)) for name, text in texts.items()}


def _headers(request) -> dict:
    return {k.lower(): v for k, v in (getattr(request, "headers", None) or {}).items()}


def _not_modified(request, etag: str) -> bool:
    wanted = _headers(request).get("if-none-match") or ""
    return wanted.strip() == "*" or any(t.strip().removeprefix("W/") == etag for t in wanted.split(","))


def _respond(request, asset: Asset, cache: str, extra=None) -> Response:
    out = {"Cache-Control": cache, "ETag": asset.etag, **(extra or {})}
    if _not_modified(request, asset.etag):
        return Response(body="", status_code=304, headers=out)
    return Response(body=asset.body, status_code=200, headers={"Content-Type": asset.content_type, **out})


def dashboard_page(request=None) -> Response:
    """GET /dashboard: the page (HTML). `request` is chalice's current request."""
    path = (getattr(request, "context", None) or {}).get("path") or ""
    if len(path) > 1 and path.endswith("/"):
        # The page links its files relative to /dashboard: /dashboard/ would break them.
        return Response(body="", status_code=308, headers={"Location": path.rstrip("/")})
    return _respond(request, _assets()["index.html"], PAGE_CACHE, SECURITY_HEADERS)


def dashboard_asset(name: str, request=None) -> Response:
    """GET /dashboard/app.js and /dashboard/style.css."""
    asset = _assets().get(name)
    if asset is None or name == "index.html":
        raise NotFoundError(f"{name} is unknown")
    return _respond(request, asset, ASSET_CACHE, {"X-Content-Type-Options": "nosniff"})


@functools.cache
def _document() -> Asset:
    text = openapi.document_json()
    return Asset(text, "application/json", _etag(text))


def openapi_document(request=None) -> Response:
    """GET /v1/openapi.json: the contract as OpenAPI 3.1."""
    return _respond(request, _document(), DOCUMENT_CACHE)
