"""`make load`, short: ~12 s of concurrent traffic on chalice local over DynamoDB Local, then the audit.

The full run is `make load` (3 minutes by default). This smoke run uses the session's DynamoDB
Local (its own tables, deleted at the end) and starts two server processes, and checks that the
tool itself works: traffic flows, every kind of request is answered, and the audit of storage
finds nothing lost, nothing refunded twice, no acknowledged dwell missing.
"""

from __future__ import annotations

import json

import pytest

from guardctl import load


@pytest.mark.dynamodb_local
def test_a_short_load_run_loses_nothing(tmp_path, capsys, dynamodb_local_endpoint):
    out = tmp_path / "load.json"
    status = load.main(
        [
            "--dynamodb-endpoint", dynamodb_local_endpoint,
            "--seconds", "12",
            "--concurrency", "4",
            "--servers", "2",
            "--batch", "20",
            "--dwell-batch", "40",
            "--sweep-every", "5",
            "--json", str(out),
        ]
    )  # fmt: skip
    report = json.loads(out.read_text())
    printed = capsys.readouterr()
    assert status == 0, printed.out + printed.err
    assert report["clicks_acknowledged"] > 50
    assert report["dwell_acknowledged"] > 0 and report["sweeps"] >= 1
    assert {"clicks", "dwell", "seller", "sweep"} <= set(report["latency_ms"])
    assert report["replays_answered"] > 0  # the duplicate click ids were sent and answered
    audit = report["audit"]
    assert audit["acknowledged_checked"] == report["clicks_acknowledged"]
    assert all(audit[k] == 0 for k in load.FATAL), audit
    assert report["integrity_errors"] == 0 and report["failed_requests"] == 0, (
        report["failed_examples"] + report["server_tracebacks"]
    )


def test_a_failed_run_keeps_the_servers_tracebacks(tmp_path):
    (tmp_path / "server-0.log").write_text(
        "started\n"
        "Caught exception for path /v1/clicks\n"
        "Traceback (most recent call last):\n"
        '  File "app.py", line 1, in post_clicks\n'
        "KeyError: 'click_id'\n"
    )
    (tmp_path / "server-1.log").write_text("started\nserved 200\n")
    [traceback] = load.server_tracebacks(tmp_path)
    assert traceback.startswith("server-0.log: Caught exception for path /v1/clicks")
    assert "KeyError: 'click_id'" in traceback
    # A traceback on a log's first line starts there (not at the log's last line).
    (tmp_path / "server-1.log").write_text("Traceback (most recent call last):\nOSError: boom\nserved 200\n")
    assert load.server_tracebacks(tmp_path)[-1].startswith("server-1.log: Traceback (most recent call last):")


def test_only_loopback_targets_are_accepted():
    assert load.is_loopback("http://127.0.0.1:8000")
    assert load.is_loopback("http://[::1]:8000")
    assert load.is_loopback("http://localhost:8000")
    assert not load.is_loopback("http://10.0.0.5:8000")
    assert not load.is_loopback("https://api.example.com")
    for argv in (
        ["--url", "http://10.0.0.5:8000", "--dynamodb-endpoint", "http://127.0.0.1:1", "--secret", "s" * 40],
        ["--url", "http://127.0.0.1:8000", "--dynamodb-endpoint", "http://10.0.0.5:1", "--secret", "s" * 40],
        ["--dynamodb-endpoint", "http://10.0.0.5:1"],  # refused before any table is created there
    ):
        assert load.main(argv) == 2
