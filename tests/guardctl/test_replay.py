"""`guardctl replay` against a stub guard: order, batching, sweeps, 503 retries, the summary."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from guardctl.replay import cny, replay, summary_table, windows
from guardctl.tables import render, width


class StubGuard(BaseHTTPRequestHandler):
    calls: list = []
    fail_next = 0

    def do_PUT(self):
        self._answer({})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        StubGuard.calls.append((self.path, body))
        if StubGuard.fail_next:
            StubGuard.fail_next -= 1
            self.send_response(503)
            self.send_header("Retry-After", "0")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")
            return
        if self.path == "/v1/clicks":
            results = [
                {
                    "click_id": c["click_id"],
                    "decision": "drop" if c["cost_micros"] == 0 else "charge",
                    "charged_micros": c["cost_micros"],
                    "reasons": ["BOT_AGENT"] if c["cost_micros"] == 0 else [],
                    "replayed": False,
                }
                for c in body["clicks"]
            ]
            self._answer({"results": results})
        elif self.path == "/v1/dwell":
            self._answer({"results": [{"status": "applied"} for _ in body["dwell"]]})
        else:
            self._answer({"campaigns": [{"campaign_id": "camp-1"}], "refunds_written": 2})

    def _answer(self, body):
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def stub():
    StubGuard.calls, StubGuard.fail_next = [], 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), StubGuard)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def click(n, ts, cost=1_000_000):
    return {
        "click_id": f"c-{n}",
        "ts": ts,
        "advertiser_id": "S1",
        "listing_id": "L1",
        "cost_micros": cost,
        "source": {"ip": "1.1.1.1"},
    }


def write_day(path):
    lines = [{"seller": {"seller_id": "S1", "categories": ["女装"]}}]
    # Out of order on purpose: replay sorts by event time.
    lines += [{"type": "dwell", "dwell": {"click_id": "c-1", "dwell_ms": 5000}, "ts_ms": 65_000}]
    lines += [
        {"type": "click", "click": click(n, n * 20_000, cost=0 if n == 3 else 1_000_000), "ts_ms": n * 20_000}
        for n in range(1, 6)
    ]
    path.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n")


def test_replay_sends_in_time_order_with_sweeps_and_retries(stub, tmp_path):
    day = tmp_path / "day.jsonl"
    write_day(day)
    StubGuard.fail_next = 1  # the first POST answers 503 once
    stats = replay(day, stub, {"adserver": "a", "analyst": "b"}, batch_size=2, sweep_every_s=60)
    paths = [p for p, _ in StubGuard.calls]
    # c-1 is sent twice (a 503, then again); the sweep at 60 s goes before c-3's window.
    assert paths == ["/v1/clicks"] * 3 + ["/v1/sweeps", "/v1/clicks", "/v1/dwell"] + ["/v1/clicks"] * 2 + [
        "/v1/sweeps"
    ]
    assert StubGuard.calls[3][1] == {"until": 60_000}
    assert stats.retries == 1 and stats.clicks == 5 and stats.sellers == 1
    assert stats.decisions == {"charge": 4, "drop": 1}
    assert stats.dropped_micros == 0 and stats.charged_micros == 4_000_000
    assert stats.campaigns == {"camp-1"} and stats.sweep_refunds == 4
    table = summary_table(stats)
    assert "clicks sent" in table and "campaigns they found" in table


def test_windows_bound_time_size_and_sweep_cuts():
    events = [
        {"type": t, "ts_ms": ts}
        for t, ts in [
            ("click", 0),
            ("dwell", 100),
            ("click", 200),
            ("click", 300),
            ("click", 7000),
            ("click", 61000),
        ]
    ]
    got = [(start, len(c), len(d)) for start, c, d in windows(events, 2, 5000, 60000)]
    assert got == [(0, 2, 1), (300, 1, 0), (7000, 1, 0), (61000, 1, 0)]


def test_money_and_wide_text():
    assert cny(2_350_000) == "¥2.35" and cny(1_234_567_890) == "¥1,234.57" and cny(4_999) == "¥0.00"
    assert width("连衣裙") == 6
    table = render(("k", "v"), [("连衣裙", "1"), ("ab", "2")])
    assert table.splitlines()[2] == "连衣裙  1"
