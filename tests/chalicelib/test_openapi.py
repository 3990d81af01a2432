"""The OpenAPI document against the app: routes, responses and request limits must agree.

(a) every route of the app (but the dashboard's files) is in the document with the same methods,
    and nothing else is;
(b) real responses from the API flows validate against the documented response schemas (status,
    content type and body), and the request bodies sent validate against the request schemas;
(c) the documented request limits are the ones validation.py enforces: bodies and query strings
    generated at and past each documented limit are accepted or refused by the API exactly as the
    document says.

Patterns are checked with ECMA 262 semantics, as OpenAPI means them (`$` is the very end).
Also here: the served documents themselves (chalicelib/web.py) and docs/API.md coverage.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from urllib.parse import urlencode

import jwt
import pytest
from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from chalicelib import models, openapi, web
from chalicelib.config import Settings
from chalicelib.storage.campaigns import Campaign
from tests.conftest import BASE_TS, SECRET, auth, make_click, merchant_headers, post, put

ROOT = Path(__file__).resolve().parents[2]
DOC = openapi.build()
DOC_URI = "urn:clickguard:openapi"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
WEB_ROUTES = ("/dashboard", "/dashboard/app.js", "/dashboard/style.css")


# ---- validation with the document's schemas --------------------------------------------------


def _ecma(pattern: str) -> str:
    """ECMA 262 `$` (without the m flag) is the end of input; Python's also matches before a final \\n."""
    return pattern[:-1] + r"\Z" if pattern.endswith("$") and not pattern.endswith(r"\$") else pattern


def _pattern(validator, pattern, instance, schema):
    if validator.is_type(instance, "string") and not re.search(_ecma(pattern), instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


EcmaValidator = validators.extend(Draft202012Validator, {"pattern": _pattern})
REGISTRY = Registry().with_resource(DOC_URI, Resource.from_contents(DOC, default_specification=DRAFT202012))


def _pointer(*parts: str) -> str:
    return "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def validator_at(*parts: str) -> Draft202012Validator:
    """A validator for the schema at that place in the document ($refs resolve in the document)."""
    return EcmaValidator(
        {"$ref": f"{DOC_URI}#{_pointer(*parts)}"},
        registry=REGISTRY,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def schema_validator(name: str) -> Draft202012Validator:
    return validator_at("components", "schemas", name)


def resolve(node: dict) -> dict:
    while "$ref" in node:
        node = _follow(node["$ref"])
    return node


def _follow(ref: str) -> dict:
    assert ref.startswith("#/"), ref
    node = DOC
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def route_of(template: str) -> re.Pattern:
    return re.compile("^" + re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(template)) + "$")


TEMPLATES = [(route_of(t), t) for t in DOC["paths"]]


def template_for(path: str) -> str:
    path = path.split("?")[0]
    found = [t for pattern, t in TEMPLATES if pattern.match(path)]
    # /v1/clicks/{click_id} must not swallow a literal path: prefer the one with fewer parameters.
    assert found, f"{path} is not in the document"
    return min(found, key=lambda t: t.count("{"))


def check_response(method: str, path: str, resp) -> None:
    """The response's status, content type and body are documented for this operation."""
    template = template_for(path)
    operation = DOC["paths"][template][method.lower()]
    status = str(resp.status_code)
    assert status in operation["responses"], f"{method} {template}: {status} is not documented: {resp.body}"
    where = ["paths", template, method.lower(), "responses", status]
    response = operation["responses"][status]
    if "$ref" in response:
        where = ["components", "responses", response["$ref"].rsplit("/", 1)[1]]
        response = resolve(response)
    # A view that returns a dict sets no Content-Type: API Gateway and `chalice local` send
    # application/json then (the test client passes the Lambda response through as it is).
    headers = {k.lower(): v for k, v in resp.headers.items()}
    content_type = headers.get("content-type", "application/json").split(";")[0].strip()
    assert content_type in response["content"], f"{method} {template}: {content_type} not documented"
    for header, spec in response.get("headers", {}).items():
        if spec.get("required"):
            assert header.lower() in headers, f"{method} {template} {status}: no {header} header"
    body = resp.body.decode() if isinstance(resp.body, bytes) else resp.body
    instance = json.loads(body) if content_type == "application/json" else body
    validator = validator_at(*where, "content", content_type, "schema")
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    assert not errors, f"{method} {template} {status}: " + "; ".join(
        f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}" for e in errors[:5]
    )


def check_request(method: str, path: str, body) -> None:
    """A body that the API accepted validates against the documented request schema."""
    template = template_for(path)
    validator = validator_at(
        "paths", template, method.lower(), "requestBody", "content", "application/json", "schema"
    )
    errors = list(validator.iter_errors(body))
    assert not errors, f"{method} {template} request: {errors[0].message[:300]}"


class Api:
    """The test client, checking every request and response against the document."""

    def __init__(self, client):
        self.client = client
        self.seen: set[tuple[str, str, int]] = set()

    def call(self, method: str, path: str, headers: dict, body=None, raw: str | None = None):
        data = raw if raw is not None else (None if body is None else json.dumps(body, ensure_ascii=False))
        resp = self.client.http.request(method, path, headers=headers, body=(data or "").encode())
        check_response(method, path, resp)
        if body is not None and resp.status_code == 200:
            check_request(method, path, body)
        self.seen.add((method, template_for(path), resp.status_code))
        return resp

    def get(self, path, headers, **query):
        return self.call("GET", path + ("?" + urlencode(query) if query else ""), headers)

    def post(self, path, body, headers):
        return self.call("POST", path, headers, body)

    def put(self, path, body, headers):
        return self.call("PUT", path, headers, body)


@pytest.fixture
def api(client):
    return Api(client)


# ---- the document itself -------------------------------------------------------------------------


def test_document_is_well_formed():
    assert DOC["openapi"].startswith("3.1")
    bearer = DOC["components"]["securitySchemes"]["bearerAuth"]
    assert (bearer["type"], bearer["scheme"], bearer["bearerFormat"]) == ("http", "bearer", "JWT")
    assert DOC["security"] == [{"bearerAuth": []}]
    for schema in DOC["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    operation_ids = []
    for template, item in DOC["paths"].items():
        for method, op in item.items():
            assert method in HTTP_METHODS
            operation_ids.append(op["operationId"])
            assert op.get("x-roles"), f"{method} {template}: who may call it?"
            declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert declared == set(re.findall(r"\{([a-z_]+)\}", template)), template
            for status in op["responses"]:
                assert re.fullmatch(r"[1-5]\d\d", status)
            if op.get("security") != []:
                assert {"401", "403"} <= set(op["responses"]), f"{method} {template}"
    assert len(operation_ids) == len(set(operation_ids))
    # every $ref resolves
    refs = re.findall(r'"\$ref": "([^"]+)"', json.dumps(DOC))
    for ref in refs:
        resolve({"$ref": ref})
    # the served form is the same document
    assert json.loads(openapi.document_json()) == DOC


def test_document_is_valid_openapi_3_1():
    validator = pytest.importorskip(
        "openapi_spec_validator", reason="openapi-spec-validator (requirements-dev)"
    )
    validator.validate(json.loads(openapi.document_json()))


def test_enums_match_the_domain():
    assert DOC["components"]["schemas"]["ReasonCode"]["enum"] == list(models.REASON_CODES)
    refund = DOC["components"]["schemas"]["Refund"]["properties"]
    assert set(refund["stage"]["enum"]) == {models.STAGE_REALTIME, models.STAGE_DWELL, models.STAGE_SWEEP}
    assert set(refund["kind"]["enum"]) == {models.KIND_FILTERED, models.KIND_CREDITED}
    decision = DOC["components"]["schemas"]["Decision"]["properties"]["decision"]
    assert set(decision["enum"]) == {models.CHARGE, models.DROP}


def test_documented_limits_are_the_settings():
    cfg = Settings()
    assert cfg.max_batch == openapi.MAX_BATCH
    assert cfg.max_page == openapi.MAX_PAGE
    assert cfg.default_page == openapi.DEFAULT_PAGE
    assert cfg.max_profile_entries == openapi.MAX_PROFILE_ENTRIES
    assert cfg.max_body_bytes == openapi.MAX_BODY_BYTES


# ---- (a) routes ----------------------------------------------------------------------------------


def test_every_route_is_documented_and_nothing_else():
    from app import app

    routes = {
        path: {method.lower() for method in entries}
        for path, entries in app.routes.items()
        if not path.startswith("/dashboard")
    }
    documented = {path: {m for m in item if m in HTTP_METHODS} for path, item in DOC["paths"].items()}
    assert routes == documented


def test_dashboard_routes_are_served_by_the_app():
    from app import app

    for path in WEB_ROUTES:
        assert set(app.routes.get(path, {})) == {"GET"}, path


# ---- (b) real responses against the document ------------------------------------------------------


def seller(api, adserver, seller_id, **lists):
    body = {"categories": [], "account_ids": [], "device_ids": [], "ips": [], **lists}
    resp = api.put(f"/v1/sellers/{seller_id}", body, adserver)
    assert resp.status_code == 200, resp.body
    return resp.json_body


def test_click_dwell_seller_and_lookup_responses(api, adserver):
    assert api.get("/v1/health", {}).status_code == 200
    assert api.get("/v1/openapi.json", {}).status_code == 200
    seller(api, adserver, "S1", categories=["女装"])
    seller(api, adserver, "S2", categories=["女装"], account_ids=["acct-7"], ips=["2001:db8::7"])
    clicks = [
        make_click(1),
        make_click(2, source={"user_agent": "curl/8.0"}),
        make_click(3, source={"account_id": "acct-7"}),
        make_click(4, currency=None, keyword=None, category=None, dwell_ms=None),
        make_click(5, ts="2013-12-08T14:03:09.120+08:00", source={"ip": "2001:db8::1", "seller_id": "S9"}),
    ]
    results = api.post("/v1/clicks", {"clicks": clicks}, adserver).json_body["results"]
    assert [r["decision"] for r in results] == ["charge", "drop", "charge", "charge", "charge"]
    replay = api.post("/v1/clicks", {"clicks": [make_click(1, cost_micros=1)]}, adserver).json_body
    assert replay["results"][0]["conflict"] is True
    reports = [{"click_id": "c-1", "dwell_ms": 200}, {"click_id": "c-3", "dwell_ms": 10_000}]
    reports += [{"click_id": "c-1", "dwell_ms": 300}, {"click_id": "c-404", "dwell_ms": 5}]
    statuses = [r["status"] for r in api.post("/v1/dwell", {"dwell": reports}, adserver).json_body["results"]]
    assert statuses == ["applied", "applied", "duplicate", "pending"]
    for click_id in ("c-1", "c-2", "c-3", "c-5"):
        assert api.get(f"/v1/clicks/{click_id}", adserver).status_code == 200
    assert api.get("/v1/clicks/c-1", merchant_headers("S1")).status_code == 200
    assert api.get("/v1/clicks/c-1", auth("analyst")).status_code == 200


def test_refund_listing_summary_and_csv_responses(api, adserver, strict_dwell):
    bots = [
        make_click(i, listing_id=f"L{i}", ts=BASE_TS + i * 600_000, source={"user_agent": "curl/8.0"})
        for i in range(12)
    ]
    api.post("/v1/clicks", {"clicks": bots + [make_click(100, ts=BASE_TS + 3 * 86_400_000)]}, adserver)
    api.post("/v1/dwell", {"dwell": [{"click_id": "c-100", "dwell_ms": 100}]}, adserver)
    headers = merchant_headers("S1")
    page = api.get("/v1/merchants/S1/refunds", headers, limit=5).json_body
    assert len(page["refunds"]) == 5 and page["next_cursor"]
    api.get("/v1/merchants/S1/refunds", headers, limit=5, cursor=page["next_cursor"])
    api.get(
        "/v1/merchants/S1/refunds",
        headers,
        reason="BOT_AGENT",
        **{"from": BASE_TS, "to": "2014-01-01T00:00:00Z"},
    )
    csv = api.get("/v1/merchants/S1/refunds", headers, format="csv", limit=3)
    assert csv.headers["X-Next-Cursor"]
    api.get("/v1/merchants/S1/refunds", auth("analyst"), format="csv", reason="SHORT_DWELL")
    for bucket in ("hour", "day"):
        summary = api.get("/v1/merchants/S1/refunds/summary", headers, bucket=bucket).json_body
        assert summary["refunded_clicks"] == 13 and summary["credited_micros"] == 2_350_000
    api.get("/v1/merchants/S1/refunds/summary", auth("analyst"), **{"from": "2013-12-08T00:00:00+08:00"})
    api.get("/v1/merchants/S9/refunds/summary", auth("analyst"))  # nothing at all


def test_sweep_and_campaign_responses(api, adserver, analyst):
    clicks = [
        make_click(i, listing_id="L1", ts=BASE_TS + i * 5_000, source={"ip": f"10.9.{i}.1"})
        for i in range(60)
    ]
    api.post("/v1/clicks", {"clicks": clicks}, adserver)
    api.post(
        "/v1/dwell", {"dwell": [{"click_id": f"c-{i}", "dwell_ms": 10_000 + i} for i in range(60)]}, adserver
    )
    assert api.post("/v1/sweeps", {"until": BASE_TS + 3_600_000}, analyst).status_code == 200
    page = api.get("/v1/campaigns", analyst, limit=10).json_body
    for summary in page["campaigns"]:
        assert api.get(f"/v1/campaigns/{summary['campaign_id']}", analyst).status_code == 200
    api.get("/v1/campaigns", analyst, **{"from": BASE_TS, "to": BASE_TS + 86_400_000})
    assert api.get("/v1/campaigns/nope", analyst).status_code == 404


def test_campaign_shapes_validate():
    """The campaign store's shapes, whatever the sweep finds in the flows above."""
    c = Campaign(
        campaign_id="cmp-1",
        anchor="listing:L1",
        start_ts=BASE_TS,
        end_ts=BASE_TS + 600_000,
        detected_ts=BASE_TS + 660_000,
        clicks=40,
        micros=94_000_000,
        advertisers=["S1"],
        listings=["L1"],
        keywords=["连衣裙"],
        accounts=["a1", "a2"],
        devices=["d1"],
        ips=["10.0.0.1"],
        seller_ids=["S2"],
        dwell={"low_ms": 9000.0, "high_ms": 11000.0},
        reasons=["COORDINATED_CAMPAIGN", "DWELL_PATTERN"],
        signals={"lift": 12.5},
    )
    schema_validator("Campaign").validate(c.to_json())
    schema_validator("CampaignSummary").validate(c.summary())
    schema_validator("CampaignPage").validate({"campaigns": [c.summary()], "next_cursor": None})
    with pytest.raises(ValidationError):
        schema_validator("CampaignSummary").validate(c.to_json())  # members are not in a summary


def test_error_responses(api, adserver, client, monkeypatch):
    merchant = merchant_headers("S1")
    assert api.post("/v1/clicks", {"clicks": [make_click(1, cost_micros=-1)]}, adserver).status_code == 400
    assert api.call("POST", "/v1/clicks", adserver, raw="{").status_code == 400
    assert api.put("/v1/sellers/S1", {"ips": ["x"]}, adserver).status_code == 400
    assert api.post("/v1/dwell", {"dwell": []}, adserver).status_code == 400
    assert api.post("/v1/sweeps", {"until": "later"}, adserver).status_code == 400
    assert api.get("/v1/merchants/S1/refunds", merchant, limit=0).status_code == 400
    assert api.get("/v1/merchants/S1/refunds", merchant, cursor="forged").status_code == 400
    assert api.get("/v1/merchants/S1/refunds/summary", merchant, bucket="week").status_code == 400
    assert api.get("/v1/campaigns", auth("analyst"), **{"from": "soon"}).status_code == 400
    assert api.get("/v1/clicks/c-1", {}).status_code == 401
    expired = jwt.encode({"sub": "x", "role": "analyst", "exp": int(time.time()) - 3600}, SECRET, "HS256")
    assert api.get("/v1/campaigns", {"Authorization": f"Bearer {expired}"}).status_code == 401
    assert api.post("/v1/sweeps", {}, merchant).status_code == 403
    assert api.get("/v1/merchants/S2/refunds", merchant).status_code == 403
    assert api.get("/v1/campaigns", merchant).status_code == 403
    assert api.get("/v1/clicks/c-1", adserver).status_code == 404
    big = json.dumps({"clicks": [make_click(1, keyword="x" * 1_000_001)]})
    assert api.call("POST", "/v1/clicks", adserver, raw=big).status_code == 413
    text = {**adserver, "Content-Type": "text/plain"}
    assert api.call("POST", "/v1/clicks", text, raw="{}").status_code == 415
    monkeypatch.delenv("FRAUDGUARD_JWT_SECRET")
    unavailable = api.get("/v1/campaigns", auth("analyst"))
    assert unavailable.status_code == 503 and unavailable.headers["Retry-After"]


# ---- (c) documented request limits are the enforced ones -------------------------------------------


def _string_cases(schema: dict) -> list[tuple[object, bool]]:
    low, high = schema.get("minLength", 0), schema["maxLength"]
    cases = [("k" * high, True), ("k" * (high + 1), False), ("k" * low, True), (7, False)]
    if low > 0:
        cases.append(("k" * (low - 1), False))
    if schema.get("pattern") == openapi.PRINTABLE_PATTERN:
        cases += [("连衣裙 dress", True), ("a\x00b", False), ("a\x1fb", False), ("a\x7fb", False)]
    if schema.get("pattern") == openapi.CLICK_ID_PATTERN:
        cases += [("A-z.0_9:x", True), ("bad id!", False), ("c/1", False), ("连衣裙", False)]
    return cases


def _integer_cases(schema: dict) -> list[tuple[object, bool]]:
    low, high = schema["minimum"], schema["maximum"]
    return [
        (low, True),
        (high, True),
        (low - 1, False),
        (high + 1, False),
        (2.5, False),
        ("1", False),
        (True, False),
    ]


def cases_for(schema: dict) -> list[tuple[object, bool]]:
    """Values at and past the limits a property schema states, and whether they are valid."""
    schema = resolve(schema)
    if "anyOf" in schema and {"type": "null"} in schema["anyOf"]:
        inner = next(s for s in schema["anyOf"] if s != {"type": "null"})
        return [(None, True), *cases_for(inner)]
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return cases_for(schema["allOf"][0])
    if "anyOf" in schema and {"format": "ipv4"} in schema["anyOf"]:
        return [
            ("203.0.113.7", True),
            ("2001:db8::1", True),
            ("::ffff:1.2.3.4", True),
            ("999.1.1.1", False),
            ("1.2.3", False),
            ("01.2.3.4", False),
            ("localhost", False),
            (1234, False),
        ]
    if schema.get("type") == "string" and "maxLength" in schema:
        return _string_cases(schema)
    if schema.get("type") == "integer":
        return _integer_cases(schema)
    if schema.get("pattern") == openapi.CURRENCY_PATTERN:
        return [("CNY", True), ("USD", True), ("cny", False), ("yuan", False), ("CN", False), (None, True)]
    if schema.get("oneOf") and schema["oneOf"][0].get("pattern") == openapi.RFC3339_PATTERN:
        return [
            ("2013-12-08T14:03:09.120+08:00", True),
            ("2013-12-08T06:03:09Z", True),
            ("2013-12-08t06:03:09.123456789z", True),
            ("2013-12-08 14:03:09-05:30", True),
            ("2016-02-29T00:00:00Z", True),
            ("2015-02-29T00:00:00Z", False),
            ("2013-04-31T00:00:00Z", False),
            ("2013-12-08T24:00:00Z", False),
            ("2013-12-08T14:03:09", False),
            ("2013-12-08T14:03:09+24:00", False),
            ("1969-12-31T23:59:59Z", False),
            ("yesterday", False),
            (BASE_TS, True),
            (0, True),
            (-1, False),
            (1.5, False),
        ]
    raise AssertionError(f"no cases for {schema}")


def _fields(schema_name: str, prefix: str = "") -> list[tuple[str, dict, bool]]:
    schema = DOC["components"]["schemas"][schema_name]
    return [(prefix + key, prop, key in schema["required"]) for key, prop in schema["properties"].items()]


CLICK_FIELDS = [f for f in _fields("Click") + _fields("Source", "source.") if f[0] != "source"]
_MISSING = object()


def _set(obj: dict, dotted: str, value) -> dict:
    obj = json.loads(json.dumps(obj))
    target = obj
    *parents, leaf = dotted.split(".")
    for p in parents:
        target = target[p]
    if value is _MISSING:
        target.pop(leaf, None)
    else:
        target[leaf] = value
    return obj


def _field_cases(prop: dict, required: bool) -> list[tuple[object, bool]]:
    cases = [*cases_for(prop), (_MISSING, not required)]
    return cases + [(None, False)] if required else cases


def assert_agreement(cases, schema: Draft202012Validator, send, message_prefix: str) -> None:
    """For each (body, valid): the document and the API both accept it (200) or both refuse it
    (400, the message naming the field). Collects every disagreement before failing."""
    wrong = []
    for label, body, valid in cases:
        if schema.is_valid(body) is not valid:
            wrong.append(f"{label}: the document {'refuses' if valid else 'accepts'} it")
            continue
        resp = send(body)
        if resp.status_code != (200 if valid else 400):
            wrong.append(
                f"{label}: expected {'200' if valid else '400'}, got {resp.status_code} {resp.body[:200]}"
            )
        elif not valid and not resp.json_body["Message"].startswith(message_prefix):
            wrong.append(f"{label}: 400 does not name {message_prefix}: {resp.json_body['Message']}")
    assert not wrong, "\n".join(wrong)


def _label(value) -> str:
    return "missing" if value is _MISSING else repr(value)[:40]


@pytest.mark.parametrize(("field", "prop", "required"), CLICK_FIELDS, ids=[f[0] for f in CLICK_FIELDS])
def test_click_limits_agree(client, adserver, field, prop, required):
    cases = []
    for n, (value, valid) in enumerate(_field_cases(prop, required)):
        # The bad click second in its batch: the message must name clicks[1].
        body = {"clicks": [make_click(50_000 + n), _set(make_click(n), field, value)]}
        cases.append((f"{field}={_label(value)}", body, valid))
    assert_agreement(
        cases,
        schema_validator("ClickBatch"),
        lambda body: post(client, "/v1/clicks", body, adserver),
        f"clicks[1].{field}",
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [("click_id", "c-1\n"), ("currency", "CNY\n"), ("source.ip", "fe80::1%eth0")],
)
def test_click_values_the_document_refuses_are_refused(client, adserver, field, value):
    click = _set(make_click(1), field, value)
    assert not schema_validator("ClickBatch").is_valid({"clicks": [click]})
    assert post(client, "/v1/clicks", {"clicks": [click]}, adserver).status_code == 400


def test_click_batch_size_agrees(client, adserver):
    batch = DOC["components"]["schemas"]["ClickBatch"]["properties"]["clicks"]
    cases = [
        (f"{size} clicks", {"clicks": [make_click(i) for i in range(size)]}, valid)
        for size, valid in ((0, False), (batch["maxItems"] + 1, False), (1, True))
    ]
    cases += [(repr(body), body, False) for body in ({}, {"clicks": {}}, {"clicks": [1]})]
    assert_agreement(
        cases,
        schema_validator("ClickBatch"),
        lambda body: post(client, "/v1/clicks", body, adserver),
        "clicks",
    )


DWELL_FIELDS = _fields("DwellReport")


@pytest.mark.parametrize(("field", "prop", "required"), DWELL_FIELDS, ids=[f[0] for f in DWELL_FIELDS])
def test_dwell_limits_agree(client, adserver, field, prop, required):
    cases = [
        (
            f"{field}={_label(value)}",
            {"dwell": [_set({"click_id": f"d-{n}", "dwell_ms": 5000}, field, value)]},
            valid,
        )
        for n, (value, valid) in enumerate(_field_cases(prop, required))
    ]
    cases.append(("no reports", {"dwell": []}, False))
    assert_agreement(
        cases, schema_validator("DwellBatch"), lambda body: post(client, "/v1/dwell", body, adserver), "dwell"
    )


@pytest.mark.parametrize("field", list(DOC["components"]["schemas"]["SellerProfileBody"]["properties"]))
def test_seller_profile_limits_agree(client, adserver, field):
    array = resolve(DOC["components"]["schemas"]["SellerProfileBody"]["properties"][field])["anyOf"][0]
    entry = "10.0.0.1" if field == "ips" else "x"
    cases = [
        ("null", {field: None}, True),
        ("a string", {field: entry}, False),
        ("max entries", {field: [entry] * array["maxItems"]}, True),
        ("max + 1 entries", {field: [entry] * (array["maxItems"] + 1)}, False),
    ]
    cases += [(f"[{_label(v)}]", {field: [v]}, valid) for v, valid in cases_for(array["items"])]
    assert_agreement(
        cases,
        schema_validator("SellerProfileBody"),
        lambda body: put(client, "/v1/sellers/S7", body, adserver),
        field,
    )


def _query_params():
    """Every documented query parameter of a GET (but cursors, which are opaque)."""
    for template, item in DOC["paths"].items():
        for param in item.get("get", {}).get("parameters", []):
            if param["in"] == "query" and param["name"] != "cursor":
                yield pytest.param(template, param, id=f"{template}?{param['name']}")


@pytest.mark.parametrize(("template", "param"), list(_query_params()))
def test_query_parameters_agree(client, template, param):
    schema = resolve(param["schema"])
    if "enum" in schema:
        cases = [(v, True) for v in schema["enum"]] + [("NOPE", False), ("", False)]
    elif schema.get("type") == "integer":
        low, high = schema["minimum"], schema["maximum"]
        cases = [(low, True), (high, True), (low - 1, False), (high + 1, False), ("x", False), ("2.5", False)]
    else:  # a time
        cases = [(BASE_TS, True), ("2013-12-08T14:03:09.120+08:00", True), ("2013-12-08T14:03:09", False)]
        cases += [("soon", False), ("2015-02-29T00:00:00Z", False)]
    path = template.replace("{merchant_id}", "S1")
    wrong = []
    for value, valid in cases:
        resp = client.http.get(f"{path}?{urlencode({param['name']: value})}", headers=auth("analyst"))
        if resp.status_code != (200 if valid else 400):
            wrong.append(f"{param['name']}={value!r}: got {resp.status_code} {resp.body[:200]}")
            continue
        if not valid and not resp.json_body["Message"].startswith(param["name"]):
            wrong.append(f"{param['name']}={value!r}: {resp.json_body['Message']}")
        check_response("GET", path, resp)
    assert not wrong, "\n".join(wrong)


def _path_params():
    """Every documented path parameter, with the method that takes it."""
    for template, item in DOC["paths"].items():
        for method, op in item.items():
            for param in op.get("parameters", []):
                if param["in"] != "path":
                    continue
                yield pytest.param(template, method, param, id=f"{method} {template}")


@pytest.mark.parametrize(("template", "method", "param"), list(_path_params()))
def test_path_parameters_agree(client, template, method, param):
    schema = param["schema"]
    high = schema["maxLength"]
    cases = [
        ("x" * high, True),
        ("连衣裙", True),
        ("x" * (high + 1), False),
        ("a\x01b", False),
        ("a\x7fb", False),
    ]
    validator = EcmaValidator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    headers = auth("adserver" if method == "put" else "analyst")
    wrong = []
    for value, valid in cases:
        assert validator.is_valid(value) is valid, value
        path = template.replace("{" + param["name"] + "}", value)
        resp = client.http.request(method.upper(), path, headers=headers, body=b"{}")
        if (resp.status_code == 400) is valid:
            wrong.append(f"{value[:20]!r}: {resp.status_code} {resp.body[:200]}")
        elif not valid and not resp.json_body["Message"].startswith(param["name"]):
            wrong.append(f"{value[:20]!r}: {resp.json_body['Message']}")
    assert not wrong, "\n".join(wrong)


# ---- the served documents -----------------------------------------------------------------------


class Request:
    """What chalicelib.web reads of chalice's current request."""

    def __init__(self, headers=None, path="/dashboard"):
        self.headers = headers or {}
        self.context = {"path": path}


def test_openapi_is_served_with_a_cache_header():
    resp = web.openapi_document(Request())
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "application/json"
    assert "max-age" in resp.headers["Cache-Control"]
    assert json.loads(resp.body) == DOC
    again = web.openapi_document(Request({"If-None-Match": resp.headers["ETag"]}))
    assert again.status_code == 304 and again.body == ""


def test_dashboard_files_are_served_with_types_and_cache_headers():
    page = web.dashboard_page(Request())
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert page.headers["Cache-Control"] == "no-cache"
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "connect-src 'self'" in page.headers["Content-Security-Policy"]
    assert "{{" not in page.body
    for name, kind in (("app.js", "text/javascript"), ("style.css", "text/css")):
        asset = web.dashboard_asset(name, Request())
        assert asset.headers["Content-Type"].startswith(kind)
        assert "max-age" in asset.headers["Cache-Control"]
        version = re.search(rf'"dashboard/{re.escape(name)}\?v=([0-9a-f]+)"', page.body)
        assert version, f"the page does not link {name} with its version"
        assert web.dashboard_asset(name, Request({"if-none-match": asset.headers["ETag"]})).status_code == 304
    assert web.dashboard_page(Request({"If-None-Match": page.headers["ETag"]})).status_code == 304
    # /dashboard/ would resolve the page's relative links one level too deep
    moved = web.dashboard_page(Request(path="/api/dashboard/"))
    assert (moved.status_code, moved.headers["Location"]) == (308, "/api/dashboard")
    # nothing from another origin: the machine (and a merchant's network) may have no internet
    for text in (page.body, web.dashboard_asset("app.js").body, web.dashboard_asset("style.css").body):
        assert not re.search(r"(src|href)=\"(https?:)?//|@import|url\(\s*['\"]?https?:", text)


def test_dashboard_is_served_through_the_app(client):
    from app import app

    if "/dashboard" not in app.routes:
        pytest.fail("app.py lacks the dashboard routes (see chalicelib/web.py)")
    resp = client.http.get("/dashboard")
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/html")
    assert client.http.get("/dashboard", headers={"If-None-Match": resp.headers["ETag"]}).status_code == 304
    for name in ("app.js", "style.css"):
        resp = client.http.get(f"/dashboard/{name}")
        assert resp.status_code == 200 and resp.headers["Cache-Control"].startswith("public")
    resp = client.http.get("/v1/openapi.json")
    assert resp.status_code == 200 and json.loads(resp.body) == DOC


def test_api_reference_covers_every_operation_and_code():
    text = (ROOT / "docs" / "API.md").read_text(encoding="utf-8")
    for template, item in DOC["paths"].items():
        for method in item:
            assert re.search(rf"^#+ .*`?{method.upper()} {re.escape(template)}`?", text, re.M), (
                f"docs/API.md has no section for {method.upper()} {template}"
            )
    for code in openapi.REASON_CODES:
        assert code in text
    for status, (code, _) in openapi.ERRORS.items():
        assert str(status) in text and code in text
