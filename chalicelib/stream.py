"""The clicks stream (Kinesis): the scoring core of POST /v1/clicks, one aggregated pass per batch.

Records are `{"click": Click}` or `{"dwell": {"click_id": ..., "dwell_ms": ...}}` in UTF-8 JSON.
A malformed record is parked (dead-letter queue) and reported, never retried: it cannot block its
shard. A batch that storage cannot take reports its records as failures, so Lambda retries from
the first of them; every step of scoring is idempotent, so replaying what succeeded is harmless.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import KinesisStreamRecord

from chalicelib.config import Settings
from chalicelib.errors import BadRequestError, ServiceUnavailableError
from chalicelib.ingest import ClickIngest
from chalicelib.models import Click
from chalicelib.observability import logger, metrics_add
from chalicelib.timefmt import now_ms
from chalicelib.validation import parse_click, parse_dwell

# Chalice needs a name at packaging time; infra/resources.json creates the stream (parameter
# ClicksStreamName, same default) and points the event source at its ARN.
STREAM_NAME = "clickguard-clicks"


class Malformed(Exception):
    """A record that no retry can fix."""


class Parking(Protocol):
    def park(self, record: KinesisStreamRecord, reason: str) -> None:
        """Keep a malformed record for inspection; raise if it could not be kept."""


@dataclass
class SqsParking:
    """Parks records on the dead-letter queue named by PARKING_QUEUE_URL."""

    queue_url: str
    client: object = None

    def park(self, record: KinesisStreamRecord, reason: str) -> None:
        if self.client is None:
            import boto3

            self.client = boto3.client("sqs")
        body = {
            "reason": reason[:1000],
            "sequence_number": record.kinesis.sequence_number,
            "partition_key": record.kinesis.partition_key,
            "event_source_arn": record.event_source_arn,
            "data": record.kinesis.data,  # base64 as received
        }
        self.client.send_message(QueueUrl=self.queue_url, MessageBody=json.dumps(body))


def parking_from_env() -> Parking:
    return SqsParking(queue_url=os.environ.get("PARKING_QUEUE_URL", ""))


def decode(record: KinesisStreamRecord, cfg: Settings, server_now: int) -> tuple[str, object]:
    """A record as ("click", Click) or ("dwell", (click_id, dwell_ms)); Malformed otherwise."""
    try:
        body = json.loads(base64.b64decode(record.kinesis.data, validate=True).decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise Malformed(f"data: not base64 UTF-8 JSON ({type(exc).__name__})") from None
    if not isinstance(body, dict) or len(body.keys() & {"click", "dwell"}) != 1:
        raise Malformed('data: must be {"click": ...} or {"dwell": ...}')
    try:
        if "click" in body:
            if not isinstance(body["click"], dict):
                raise Malformed("click: must be an object")
            return "click", parse_click(body["click"], "click", cfg, server_now)
        return "dwell", parse_dwell({"dwell": [body["dwell"]]}, cfg)[0]
    except BadRequestError as exc:
        raise Malformed(str(exc)) from None


def score_batch(
    records: list[KinesisStreamRecord], ingest: ClickIngest, parking: Parking, cfg: Settings
) -> dict[str, Exception]:
    """Decode, park the malformed, score clicks then dwell in aggregated chunks; failures by seq."""
    clicks: list[tuple[KinesisStreamRecord, Click]] = []
    dwell: list[tuple[KinesisStreamRecord, tuple[str, int]]] = []
    failures: dict[str, Exception] = {}
    server_now = now_ms()
    parked = 0
    for record in records:
        try:
            kind, item = decode(record, cfg, server_now)
        except Malformed as exc:
            try:
                parking.park(record, str(exc))
                parked += 1
                logger.warning(
                    "record parked",
                    extra={"sequence_number": record.kinesis.sequence_number, "reason": str(exc)},
                )
            except Exception as park_error:
                failures[record.kinesis.sequence_number] = park_error
            continue
        (clicks if kind == "click" else dwell).append((record, item))
    metrics_add("RecordsParked", parked)
    # Clicks first, so a dwell whose click is in the same batch finds it. If clicks failed, the
    # batch's dwell waits for the redelivery: applied now it would be kept pending and change
    # how its click is decided when it comes back.
    _in_chunks(clicks, cfg.stream_chunk, ingest.score_clicks, failures)
    if failures and any(record.kinesis.sequence_number in failures for record, _ in clicks):
        cause = next(iter(failures.values()))
        failures.update({record.kinesis.sequence_number: cause for record, _ in dwell})
    else:
        _in_chunks(dwell, cfg.stream_chunk, ingest.report_dwell, failures)
    return failures


def _in_chunks(pairs, size: int, run: Callable[[list], object], failures: dict) -> None:
    for i in range(0, len(pairs), size):
        chunk = pairs[i : i + size]
        try:
            run([item for _, item in chunk])
        except ServiceUnavailableError as exc:
            for record, _ in chunk:
                failures[record.kinesis.sequence_number] = exc


class BatchedKinesisProcessor(BatchProcessor):
    """Powertools' Kinesis processor with one handler call for the whole batch, so that state
    updates aggregate across records; failures are still reported record by record."""

    def __init__(self, batch_handler: Callable[[list[KinesisStreamRecord]], dict[str, Exception]]):
        super().__init__(event_type=EventType.KinesisDataStreams, raise_on_entire_batch_failure=False)
        self.batch_handler = batch_handler

    def process(self) -> list[tuple]:
        typed = [KinesisStreamRecord(r) for r in self.records]
        failures = self.batch_handler(typed)
        outcomes = []
        for record in typed:
            error = failures.get(record.kinesis.sequence_number)
            if error is None:
                outcomes.append(self.success_handler(record, None))
            else:
                outcomes.append(self.failure_handler(record, (type(error), error, None)))
        return outcomes


def handle_event(raw_records: Iterable[dict], ingest: ClickIngest, parking: Parking, cfg: Settings) -> dict:
    """The Lambda response for a Kinesis event: `{"batchItemFailures": [...]}`."""
    processor = BatchedKinesisProcessor(lambda records: score_batch(records, ingest, parking, cfg))
    with processor(records=list(raw_records), handler=None):
        processor.process()
    return processor.response()
