"""Creates the tables of the CloudFormation fragment in `infra/` (tests and local runs)."""

from __future__ import annotations

import json
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parents[2] / "infra" / "resources.json"
LOGICAL_IDS = {
    "clicks": "ClicksTable",
    "refunds": "RefundsTable",
    "sources": "SourcesTable",
    "sellers": "SellersTable",
    "campaigns": "CampaignsTable",
    "summary": "SummaryTable",
}


def table_specs(template: Path = TEMPLATE) -> dict[str, dict]:
    """CreateTable arguments for every AWS::DynamoDB::Table in the fragment, by logical id."""
    resources = json.loads(template.read_text())["Resources"]
    specs = {}
    for logical_id, resource in resources.items():
        if resource["Type"] != "AWS::DynamoDB::Table":
            continue
        props = resource["Properties"]
        spec = {
            "KeySchema": props["KeySchema"],
            "AttributeDefinitions": props["AttributeDefinitions"],
            "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
        }
        if "GlobalSecondaryIndexes" in props:
            spec["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        specs[logical_id] = spec
    return specs


def create_tables(client, prefix: str, template: Path = TEMPLATE) -> dict[str, str]:
    """Create (or keep) every table as `<prefix><LogicalId>`; returns logical id -> table name."""
    existing = set(client.list_tables().get("TableNames", []))
    names = {}
    for logical_id, spec in table_specs(template).items():
        name = names[logical_id] = f"{prefix}{logical_id}"
        if name not in existing:
            client.create_table(TableName=name, **spec)
    for name in names.values():
        client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1})
    return names


def delete_tables(client, prefix: str, template: Path = TEMPLATE) -> None:
    existing = set(client.list_tables().get("TableNames", []))
    for logical_id in table_specs(template):
        if f"{prefix}{logical_id}" in existing:
            client.delete_table(TableName=f"{prefix}{logical_id}")
