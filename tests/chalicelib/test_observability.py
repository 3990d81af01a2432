"""One JSON log line per event (no duplicate from Chalice's logger) and EMF business metrics."""

import io
import json

from chalicelib.observability import flush_metrics, logger, metrics_add
from tests.conftest import make_click, post


def test_a_dropped_click_logs_one_json_line_with_its_ids(client, adserver, capfd):
    stream = io.StringIO()
    previous = logger.registered_handler.setStream(stream)
    try:
        bot = make_click(1, source={"user_agent": "curl/8.0"})
        post(client, "/v1/clicks", {"clicks": [bot]}, adserver)
    finally:
        logger.registered_handler.setStream(previous)
    everything = stream.getvalue() + capfd.readouterr().out
    lines = [line for line in everything.splitlines() if "click dropped" in line]
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["click_id"] == "c-1" and record["advertiser_id"] == "S1"
    assert record["level"] == "INFO" and record["service"] == "clickguard"


def test_metrics_are_flushed_once_per_request(client, adserver, capfd, monkeypatch):
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    bot = make_click(1, source={"user_agent": "curl/8.0"})
    post(client, "/v1/clicks", {"clicks": [bot, make_click(2)]}, adserver)
    emf = [json.loads(line) for line in capfd.readouterr().out.splitlines() if '"_aws"' in line]
    assert len(emf) == 1
    assert emf[0]["ClicksScored"] == [2.0] and emf[0]["ClicksDropped"] == [1.0]
    assert emf[0]["RefundedMicros"] == [2_350_000.0]


def test_a_metric_is_one_sum_per_invocation_however_many_refunds(capfd, monkeypatch):
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    for _ in range(150):  # past powertools' 100 values, which it prints even when disabled
        metrics_add("RefundedMicros", 1_000)
    assert '"_aws"' not in capfd.readouterr().out
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    metrics_add("RefundedMicros", 500)
    flush_metrics()
    (emf,) = [json.loads(line) for line in capfd.readouterr().out.splitlines() if '"_aws"' in line]
    assert emf["RefundedMicros"] == [150_500.0]
