"""The served OpenAPI document, fuzzed by schemathesis against `chalice local` on DynamoDB Local.

Chalice has no WSGI/ASGI adapter, so the guard runs as `make run` runs it (guardctl.localrun's
chalice local, one process started by guardctl.load.servers) on 127.0.0.1, over tables of its own
in the session's DynamoDB Local (deleted at the end). schemathesis loads GET /v1/openapi.json from it and, for
every operation, sends generated requests with a token of a role the operation allows (x-roles),
then a few with a role it does not allow and with none. Each response must: not be a 5xx, carry a
status code the document lists for the operation, and match the documented schema and content
type. Bounded: examples per operation, a time budget for the whole run, loopback only.

schemathesis is pinned in requirements-dev.txt (4.32.5, with hypothesis 6.155.2).
"""

from __future__ import annotations

import json
import secrets
import time
import uuid

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from chalicelib.auth import mint_token  # noqa: E402
from tests.conftest import make_click  # noqa: E402

pytestmark = pytest.mark.dynamodb_local

ALLOWED_EXAMPLES = 30  # per operation, with a token of a role it allows
OTHER_EXAMPLES = 5  # per operation, with a role it does not allow, and with no token
BUDGET_S = 75.0
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance, content_type_conformance]


@pytest.fixture(scope="module")
def served(tmp_path_factory, dynamodb_local_endpoint):
    """(base URL, signing secret) of chalice local on tables of its own in the session's DynamoDB
    Local, with a little data."""
    from chalicelib.storage import schema
    from guardctl.dynamodb_local import client
    from guardctl.load import is_loopback, servers

    prefix = f"st{uuid.uuid4().hex[:8]}-"
    secret = secrets.token_urlsafe(48)
    endpoint = dynamodb_local_endpoint
    schema.create_tables(client(endpoint), prefix)
    try:
        with servers(1, endpoint, prefix, secret, False, tmp_path_factory.mktemp("st")) as urls:
            (url,) = urls
            assert is_loopback(url)
            _seed(url, secret)
            yield url, secret
    finally:
        schema.delete_tables(client(endpoint), prefix)


def _seed(url: str, secret: str) -> None:
    import requests

    headers = {"Authorization": f"Bearer {mint_token(secret, 'adserver', 'st')}"}
    clicks = [make_click(1), make_click(2, source={"user_agent": "curl/8.0"}), make_click(3, listing_id="L3")]
    for method, path, body in (
        ("PUT", "/v1/sellers/S1", {"categories": ["女装"]}),
        ("POST", "/v1/clicks", {"clicks": clicks}),
        ("POST", "/v1/dwell", {"dwell": [{"click_id": "c-3", "dwell_ms": 300}]}),
    ):
        resp = requests.request(
            method, url + path, headers=headers, data=json.dumps(body).encode(), timeout=30
        )
        assert resp.status_code == 200, resp.text


def _headers(secret: str, role: str | None) -> dict:
    if role is None:
        return {}
    merchant_id = "S1" if role == "merchant" else None
    return {"Authorization": f"Bearer {mint_token(secret, role, 'schemathesis', merchant_id=merchant_id)}"}


def _roles(operation) -> tuple[str | None, list[str | None]]:
    """A role the operation allows (first plain one of x-roles), and the callers it refuses."""
    declared = operation.definition.raw.get("x-roles", [])
    plain = [r for r in declared if r in ("adserver", "analyst", "merchant")]
    if "anyone" in declared:
        return None, []
    allowed = plain[0] if plain else "analyst"
    refused = [r for r in ("adserver", "merchant", "analyst") if not any(d.startswith(r) for d in declared)]
    return allowed, [*refused[:1], None]


def _fuzz(operation, base_url: str, headers: dict, examples: int, deadline: float, failures: list) -> int:
    sent = {"n": 0}

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case):
        if time.monotonic() > deadline:
            return
        sent["n"] += 1
        case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS, timeout=30)

    try:
        run()  # hypothesis shrinks a failure to its smallest request before raising it
    except Exception as exc:
        who = "no token" if not headers else "a token"
        failures.append(f"{operation.label} with {who}: {str(exc)[:1500]}")
    return sent["n"]


def test_every_operation_holds_to_the_served_document(served, subtests):
    base_url, secret = served
    api = schemathesis.openapi.from_url(f"{base_url}/v1/openapi.json", timeout=30)
    deadline = time.monotonic() + BUDGET_S
    total = 0
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= 10, [op.label for op in operations]
    for operation in operations:
        with subtests.test(msg=operation.label):
            failures: list[str] = []
            allowed, refused = _roles(operation)
            total += _fuzz(
                operation, base_url, _headers(secret, allowed), ALLOWED_EXAMPLES, deadline, failures
            )
            for role in refused:
                total += _fuzz(
                    operation, base_url, _headers(secret, role), OTHER_EXAMPLES, deadline, failures
                )
            assert not failures, "\n\n".join(failures[:5])
    assert total >= len(operations) * 5, f"only {total} requests within the {BUDGET_S:.0f} s budget"
