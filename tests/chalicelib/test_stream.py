"""The Kinesis consumer: same decisions as the API, poison records parked, transient faults retried."""

import pytest

from chalicelib import wiring
from chalicelib.config import settings
from chalicelib.errors import ServiceUnavailableError
from chalicelib.storage.dynamodb import DynamoStore
from chalicelib.stream import handle_event
from tests.conftest import kinesis_record, make_click


class ListParking:
    def __init__(self, fail=False):
        self.parked = []
        self.fail = fail

    def park(self, record, reason):
        if self.fail:
            raise RuntimeError("queue unavailable")
        self.parked.append((record.kinesis.sequence_number, reason))


def run(records, parking=None):
    return handle_event(records, wiring.ingest(), parking or ListParking(), settings())


def test_clicks_and_dwell_are_scored_and_poison_is_parked(dynamodb, strict_dwell):
    parking = ListParking()
    records = [
        kinesis_record(1, {"click": make_click(1)}),
        kinesis_record(2, {"dwell": {"click_id": "c-1", "dwell_ms": 300}}),
        kinesis_record(3, b"\xff not json"),
        kinesis_record(4, {"click": make_click(2, cost_micros=-5)}),
        kinesis_record(5, {"click": make_click(3), "dwell": {}}),
        kinesis_record(6, {"click": make_click(4, source={"user_agent": "curl/8.0"})}),
    ]
    assert run(records, parking) == {"batchItemFailures": []}
    assert [seq for seq, _ in parking.parked] == ["3", "4", "5"]
    assert parking.parked[1][1].startswith("click.cost_micros")
    stored = wiring.store().get_clicks(["c-1", "c-4"])
    assert stored["c-1"].dwell_ms == 300 and stored["c-1"].refund_id  # credited by its short dwell
    assert stored["c-4"].decision == "drop"


def test_a_storage_fault_reports_the_records_and_a_redelivery_heals(dynamodb, monkeypatch):
    records = [kinesis_record(10, {"click": make_click(1)}), kinesis_record(11, b"{}")]
    original = DynamoStore.put_clicks

    def throttled(self, batch):
        raise ServiceUnavailableError("storage unavailable (ThrottlingException)")

    monkeypatch.setattr(DynamoStore, "put_clicks", throttled)
    parking = ListParking()
    assert run(records, parking) == {"batchItemFailures": [{"itemIdentifier": "10"}]}
    assert [seq for seq, _ in parking.parked] == ["11"]
    monkeypatch.setattr(DynamoStore, "put_clicks", original)
    assert run(records[:1]) == {"batchItemFailures": []}
    assert wiring.store().get_clicks(["c-1"])["c-1"].decision == "charge"


def test_a_record_that_cannot_be_parked_is_retried_not_lost(dynamodb):
    response = run([kinesis_record(20, b"nope")], ListParking(fail=True))
    assert response == {"batchItemFailures": [{"itemIdentifier": "20"}]}


@pytest.mark.parametrize("bad", [b"", b"[]", b'{"click": 5}', b'{"dwell": {"click_id": "x"}}'])
def test_shapes_that_are_parked(dynamodb, bad):
    parking = ListParking()
    assert run([kinesis_record(30, bad)], parking) == {"batchItemFailures": []}
    assert len(parking.parked) == 1
