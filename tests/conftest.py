"""Shared fixtures: a moto-backed guard behind chalice's test client, tokens per role, sample clicks.

Set CLICKGUARD_DYNAMODB=local to run the same API tests against AWS's DynamoDB Local instead of
moto (the `dynamodb_local` fixture starts and stops it; see tests/dynamodb_local.py).
"""

from __future__ import annotations

import base64
import json
import os
import uuid

import boto3
import pytest
from chalice.test import Client
from moto import mock_aws

from chalicelib.auth import mint_token
from chalicelib.config import Settings, tables
from chalicelib.storage import schema
from chalicelib.storage.memory import MemoryStore
from guardctl.localrun import patch_chalice_local

pytest_plugins = ["tests.dynamodb_local"]

SECRET = "test-secret-" + "x" * 40
BASE_TS = 1386482589120  # 2013-12-08T14:03:09.120+08:00


# moto evaluates a condition and applies the write without a lock, so two threads can both pass
# `attribute_not_exists(...)`: races are only meaningful on DynamoDB Local (and DynamoDB).
atomic_conditions = pytest.mark.skipif(
    os.environ.get("CLICKGUARD_DYNAMODB") != "local",
    reason="moto's conditional writes are not atomic across threads: CLICKGUARD_DYNAMODB=local",
)


@pytest.fixture(autouse=True)
def _environment(monkeypatch):
    monkeypatch.setenv("FRAUDGUARD_JWT_SECRET", SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    for name in [k for k in os.environ if k.startswith("FG_")]:
        monkeypatch.delenv(name)


@pytest.fixture
def strict_dwell(monkeypatch):
    """A bounce alone makes a click invalid (the commercial per-click rule; off by default)."""
    monkeypatch.setenv("FG_WEIGHT_SHORT_DWELL", "0.8")


@pytest.fixture
def dynamodb(monkeypatch, request):
    """A DynamoDB with the infra/ tables under a fresh prefix: moto, or DynamoDB Local if asked."""
    prefix = f"t{uuid.uuid4().hex[:8]}-"
    monkeypatch.setenv("FRAUDGUARD_TABLE_PREFIX", prefix)
    if os.environ.get("CLICKGUARD_DYNAMODB") == "local":
        endpoint = request.getfixturevalue("dynamodb_local_endpoint")
        monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", endpoint)
        client = boto3.client("dynamodb", endpoint_url=endpoint)
        schema.create_tables(client, prefix)
        yield client
        schema.delete_tables(client, prefix)
        return
    monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB", raising=False)
    with mock_aws():
        client = boto3.client("dynamodb")
        schema.create_tables(client, prefix)
        yield client


@pytest.fixture(params=["memory", "dynamodb"])
def store(request):
    """The same test on MemoryStore and on DynamoStore (moto, or DynamoDB Local if asked)."""
    if request.param == "memory":
        return MemoryStore()
    request.getfixturevalue("dynamodb")
    from chalicelib.storage.dynamodb import DynamoStore  # after the fixture has set the tables' env

    return DynamoStore(tables(), Settings())


@pytest.fixture
def client(dynamodb):
    """chalice's test client, routing as API Gateway does (path parameters percent-decoded)."""
    from app import app

    patch_chalice_local()
    with Client(app) as test_client:
        yield test_client


def token(role: str, merchant_id: str | None = None, sub: str = "tester") -> str:
    return mint_token(SECRET, role, sub, merchant_id=merchant_id)


def auth(role: str, merchant_id: str | None = None) -> dict:
    return {
        "Authorization": f"Bearer {token(role, merchant_id)}",
        "Content-Type": "application/json",
    }


@pytest.fixture
def adserver():
    return auth("adserver")


@pytest.fixture
def analyst():
    return auth("analyst")


def merchant_headers(merchant_id: str) -> dict:
    return auth("merchant", merchant_id)


def make_click(n: int = 1, **overrides) -> dict:
    """A valid contract Click; `source` overrides merge into the default source."""
    source = {
        "ip": f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}",
        "device_id": f"dev-{n}",
        "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AliApp(TB/10.30)",
        "account_id": f"acct-{n}",
    }
    source.update(overrides.pop("source", {}))
    click = {
        "click_id": f"c-{n}",
        "ts": BASE_TS + n * 1000,
        "advertiser_id": "S1",
        "listing_id": "L9",
        "cost_micros": 2_350_000,
        "keyword": "连衣裙",
        "category": "女装",
        "source": source,
    }
    click.update(overrides)
    return click


def post(client, path: str, body, headers: dict):
    return client.http.post(path, headers=headers, body=json.dumps(body, ensure_ascii=False))


def drop_clicks(client, adserver: dict, n: int, advertiser: str = "S1", start: int = 0):
    """Post `n` clicks from a scripted client (dropped, each refunded at once), a minute apart."""
    bots = [
        make_click(
            start + i,
            advertiser_id=advertiser,
            listing_id=f"L{i}",
            ts=BASE_TS + (start + i) * 60_000,
            source={"user_agent": "curl/8.0"},
        )
        for i in range(n)
    ]
    resp = post(client, "/v1/clicks", {"clicks": bots}, adserver)
    assert resp.status_code == 200, resp.body
    return resp


def put(client, path: str, body, headers: dict):
    return client.http.put(path, headers=headers, body=json.dumps(body, ensure_ascii=False))


def kinesis_record(seq: int, payload) -> dict:
    """A Kinesis record as Lambda delivers it; `payload` is JSON-encoded unless already bytes."""
    data = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
    return {
        "eventSource": "aws:kinesis",
        "eventSourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/clickguard-clicks",
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": "S1",
            "sequenceNumber": str(seq),
            "data": base64.b64encode(data).decode(),
            "approximateArrivalTimestamp": 1386482589.12,
        },
    }
