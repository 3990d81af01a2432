"""Builds the services from the environment, lazily: stage variables are only set around a call."""

from __future__ import annotations

import os
import threading

import boto3

from chalicelib.auth import SECRET_ENV
from chalicelib.config import settings, tables
from chalicelib.detect.matcher import StoreCampaignMatcher
from chalicelib.ingest import ClickIngest
from chalicelib.storage.dynamodb import CLIENT_CONFIG, DynamoStore

_SESSION_LOCK = threading.Lock()
# Services per thread. A boto3 resource is not thread-safe: its condition builder numbers the
# placeholders of a query's key condition in state shared by every call, so two threads querying
# at once can send a condition that names one key twice (a ValidationException). A Lambda
# container runs one invocation at a time; chalice local serves each connection on a thread, and
# `make run` sweeps on a thread beside them.
_PER_THREAD = threading.local()
KEEP_PER_THREAD = 8  # settings change only between tests; bound the stores a thread keeps


def _resource(endpoint: str | None, region: str):
    # Reused across invocations (connection pooling, warm starts). Its own session, built under a
    # lock: boto3's default session is not safe to build clients from in several threads at once.
    with _SESSION_LOCK:
        return boto3.session.Session().resource("dynamodb", config=CLIENT_CONFIG, region_name=region)


def store() -> DynamoStore:
    endpoint = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB")
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    stores = _PER_THREAD.__dict__.setdefault("stores", {})
    key = (tables(), settings(), endpoint, region)
    if key not in stores:
        if len(stores) >= KEEP_PER_THREAD:
            stores.pop(next(iter(stores)))
        resources = _PER_THREAD.__dict__.setdefault("resources", {})
        if (endpoint, region) not in resources:
            resources[(endpoint, region)] = _resource(endpoint, region)
        stores[key] = DynamoStore(key[0], key[1], resources[(endpoint, region)])
    return stores[key]


def ingest() -> ClickIngest:
    # One matcher per request: it loads the active campaigns once, on the first click it sees.
    return ClickIngest(store(), settings(), StoreCampaignMatcher(store(), settings()))


def load_deployed_secret() -> None:
    """A deployed stage reads the JWT secret from SSM at cold start and refuses to run without it."""
    if "AWS_LAMBDA_FUNCTION_NAME" not in os.environ or os.environ.get(SECRET_ENV):
        return
    name = os.environ.get("FRAUDGUARD_JWT_SECRET_PARAM")
    if not name:
        raise RuntimeError(f"{SECRET_ENV} or FRAUDGUARD_JWT_SECRET_PARAM must be set")
    from aws_lambda_powertools.utilities import parameters

    os.environ[SECRET_ENV] = parameters.get_parameter(name, decrypt=True)
