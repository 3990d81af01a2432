"""Counts the DynamoDB capacity units and round trips that the guard's own calls consume.

Every DynamoDB call made through a metered session asks for `ReturnConsumedCapacity=TOTAL`
and adds what the service reports. moto reports nothing real; DynamoDB Local reports real units.

    python -m guardctl.capacity      # capacity per click, single posts and a batch of 500
"""

from __future__ import annotations

import argparse
import json
import uuid
from dataclasses import dataclass, field

import boto3

from chalicelib.config import Settings, Tables
from chalicelib.ingest import ClickIngest
from chalicelib.models import Click, SellerProfile, Source
from chalicelib.observability import logger
from chalicelib.storage import schema
from chalicelib.storage.dynamodb import CLIENT_CONFIG, DynamoStore

METERED = {
    "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan",
    "BatchGetItem", "BatchWriteItem", "TransactGetItems", "TransactWriteItems",
}  # fmt: skip


@dataclass
class CapacityMeter:
    read_units: float = 0.0
    write_units: float = 0.0
    calls: dict[str, int] = field(default_factory=dict)

    def attach(self, session: boto3.session.Session) -> None:
        """Meter every DynamoDB client and resource the session creates from now on."""
        session.events.register("provide-client-params.dynamodb.*", self._ask)
        session.events.register("after-call.dynamodb.*", self._add)

    def _ask(self, params, model, **_):
        if model.name in METERED:
            params.setdefault("ReturnConsumedCapacity", "TOTAL")

    def _add(self, http_response, parsed, model, **_):
        self.calls[model.name] = self.calls.get(model.name, 0) + 1
        consumed = parsed.get("ConsumedCapacity")
        for entry in consumed if isinstance(consumed, list) else [consumed] if consumed else []:
            self.read_units += entry.get("ReadCapacityUnits", 0.0)
            self.write_units += entry.get("WriteCapacityUnits", 0.0)
            if "ReadCapacityUnits" not in entry and "WriteCapacityUnits" not in entry:
                # DynamoDB returns only the total for some calls: reads are the get/query kinds.
                units = entry.get("CapacityUnits", 0.0)
                if model.name in ("GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"):
                    self.read_units += units
                else:
                    self.write_units += units

    def reset(self) -> None:
        self.read_units = self.write_units = 0.0
        self.calls = {}

    def snapshot(self, clicks: int) -> dict:
        return {
            "clicks": clicks,
            "read_units_per_click": round(self.read_units / clicks, 3),
            "write_units_per_click": round(self.write_units / clicks, 3),
            "units_per_click": round((self.read_units + self.write_units) / clicks, 3),
            "round_trips": sum(self.calls.values()),
            "calls": dict(sorted(self.calls.items())),
        }


def shopper_clicks(n: int, start_ts: int, tag: str) -> list[Click]:
    """Distinct ordinary shoppers on one advertiser's listings: the costliest case for counters."""
    return [
        Click(
            click_id=f"{tag}-{i}",
            ts=start_ts + i * 50,
            advertiser_id="S1",
            listing_id=f"L{i % 40}",
            cost_micros=1_500_000,
            keyword="连衣裙",
            category="女装",
            source=Source(
                ip=f"36.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}",
                device_id=f"{tag}-dev-{i}",
                user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AliApp(TB/10.30)",
                account_id=f"{tag}-acct-{i}",
            ),
        )
        for i in range(n)
    ]


def measure(endpoint: str, singles: int = 50, batch: int = 500) -> dict:
    """Capacity per click on DynamoDB Local: `singles` one-click posts, then one batch."""
    logger.setLevel("WARNING")  # one line per dropped click would drown the figures
    meter = CapacityMeter()
    session = boto3.session.Session(
        aws_access_key_id="local", aws_secret_access_key="local", region_name="us-east-1"
    )
    meter.attach(session)
    prefix = f"cap{uuid.uuid4().hex[:6]}-"
    client = session.client("dynamodb", endpoint_url=endpoint)
    schema.create_tables(client, prefix)
    names = Tables(**{name: prefix + logical for name, logical in schema.LOGICAL_IDS.items()})
    cfg = Settings()
    resource = session.resource("dynamodb", endpoint_url=endpoint, config=CLIENT_CONFIG)
    store = DynamoStore(names, cfg, resource)
    ingest = ClickIngest(store, cfg)
    store.put_seller(SellerProfile(seller_id="S1", categories=("女装",)))
    start = 1_386_460_800_000
    results = {}
    meter.reset()
    for click in shopper_clicks(singles, start, "single"):
        ingest.score_clicks([click])
    results["sync_single"] = meter.snapshot(singles)
    meter.reset()
    ingest.score_clicks(shopper_clicks(batch, start + 3_600_000, "batch"))
    results["sync_batch"] = meter.snapshot(batch)
    schema.delete_tables(client, prefix)
    return results


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", help="a running DynamoDB Local; default: start one")
    args = parser.parse_args(argv)
    if args.endpoint:
        print(json.dumps(measure(args.endpoint), indent=2))
        return
    from guardctl.dynamodb_local import running_dynamodb_local

    with running_dynamodb_local() as endpoint:
        print(json.dumps(measure(endpoint), indent=2))


if __name__ == "__main__":
    main()
