"""Builds the services from the environment, lazily: stage variables are only set around a call."""

from __future__ import annotations

import os
import threading
from functools import lru_cache

import boto3

from chalicelib.auth import SECRET_ENV
from chalicelib.config import Settings, Tables, settings, tables
from chalicelib.detect.matcher import StoreCampaignMatcher
from chalicelib.ingest import ClickIngest
from chalicelib.storage.dynamodb import CLIENT_CONFIG, DynamoStore

_SESSION_LOCK = threading.Lock()


@lru_cache(maxsize=8)
def _resource(endpoint: str | None, region: str):
    # One resource per endpoint, reused across invocations (connection pooling, warm starts).
    # Its own session, built under a lock: boto3's default session is not safe to build clients
    # from in several threads at once (chalice local serves requests on threads).
    with _SESSION_LOCK:
        return boto3.session.Session().resource("dynamodb", config=CLIENT_CONFIG, region_name=region)


@lru_cache(maxsize=8)
def _store(names: Tables, cfg: Settings, endpoint: str | None, region: str) -> DynamoStore:
    return DynamoStore(names, cfg, _resource(endpoint, region))


def store() -> DynamoStore:
    endpoint = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB")
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    return _store(tables(), settings(), endpoint, region)


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
