"""Replays recorded clicks and dwell reports against a running guard, in event-time order.

Reads JSONL written by `guardctl simulate` (seller profiles, then click and dwell events) or
stream-style lines (`{"click": ...}` / `{"dwell": ...}`), sends profiles first, then clicks and
dwell reports in batches, runs a sweep every minute of event time as the deployed schedule
would, retries 503s after `Retry-After`, and ends with a summary table.
"""

from __future__ import annotations

import http.client
import json
import sys
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from guardctl.simulator import read_log
from guardctl.tables import render

MAX_ATTEMPTS = 6


@dataclass
class ReplayStats:
    sellers: int = 0
    clicks: int = 0
    decisions: Counter = field(default_factory=Counter)
    reasons: Counter = field(default_factory=Counter)
    charged_micros: int = 0
    dropped_micros: int = 0
    replayed: int = 0
    conflicts: int = 0
    dwell: Counter = field(default_factory=Counter)
    sweeps: int = 0
    campaigns: set = field(default_factory=set)
    sweep_refunds: int = 0
    retries: int = 0
    seconds: float = 0.0

    def rows(self) -> list[tuple[str, str]]:
        rate = self.clicks / self.seconds if self.seconds else 0.0
        return [
            ("seller profiles", f"{self.sellers:,}"),
            ("clicks sent", f"{self.clicks:,}"),
            ("  charged", f"{self.decisions['charge']:,}  ({cny(self.charged_micros)})"),
            ("  dropped at click time", f"{self.decisions['drop']:,}  ({cny(self.dropped_micros)})"),
            ("  replayed / conflicts", f"{self.replayed:,} / {self.conflicts:,}"),
            ("dwell reports", ", ".join(f"{k} {v:,}" for k, v in sorted(self.dwell.items())) or "0"),
            # Only the sweeps posted here: a guard's own schedule (`make run`) sweeps and credits too.
            ("sweeps posted", f"{self.sweeps:,}"),
            ("campaigns they found", f"{len(self.campaigns):,}"),
            ("refunds they wrote", f"{self.sweep_refunds:,}"),
            ("reasons at click time", ", ".join(f"{k} {v:,}" for k, v in self.reasons.most_common())),
            ("503 retries", f"{self.retries:,}"),
            ("elapsed", f"{self.seconds:.1f} s  ({rate:,.0f} clicks/s)"),
        ]


def cny(micros: int) -> str:
    """Integer micros as yuan with two decimals, without going through floats."""
    sign = "-" if micros < 0 else ""
    cents = (abs(micros) + 5_000) // 10_000
    return f"{sign}¥{cents // 100:,}.{cents % 100:02d}"


class GuardClient:
    """A keep-alive JSON client for one guard, retrying 503s as the contract allows."""

    def __init__(self, url: str, stats: ReplayStats, timeout: float = 60.0):
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme != "http" or not parsed.hostname:
            raise ValueError(f"--url must be http://host:port, not {url!r}")
        self.host, self.port = parsed.hostname, parsed.port or 80
        self.base = parsed.path.rstrip("/")
        self.stats = stats
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None

    def call(self, method: str, path: str, token: str, body: dict | None = None) -> dict:
        payload = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        for attempt in range(MAX_ATTEMPTS):
            status, data, retry_after = self._send(method, self.base + path, payload, headers)
            if status == 503 and attempt + 1 < MAX_ATTEMPTS:
                self.stats.retries += 1
                time.sleep(retry_after)
                continue
            if status != 200:
                raise RuntimeError(f"{method} {path}: HTTP {status}: {data[:300]!r}")
            return json.loads(data)
        raise AssertionError("unreachable")

    def _send(self, method, path, payload, headers) -> tuple[int, bytes, float]:
        for reconnect in (False, True):
            if self.conn is None or reconnect:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=payload, headers=headers)
                resp = self.conn.getresponse()
                data = resp.read()
                return resp.status, data, float(resp.getheader("Retry-After") or 1)
            except (ConnectionError, http.client.HTTPException):
                self.conn.close()
                if reconnect:
                    raise
        raise AssertionError("unreachable")


def read_events(path: Path) -> tuple[list[dict], list[dict]]:
    """Seller profiles and events (`type`, `ts_ms`, payload) from a JSONL file, events sorted by time."""
    sellers, events = read_log(path)
    return [{"seller_id": sid, **profile} for sid, profile in sellers.items()], events


def windows(events: list[dict], size: int, window_ms: int, cut_every_ms: int = 0) -> Iterator[tuple]:
    """Runs of events within `window_ms` of event time, at most `size` clicks and `size` dwell
    reports each, never across a multiple of `cut_every_ms` (a sweep goes there): (start, clicks,
    dwell). Sending a window's clicks before its dwell keeps every dwell after its click."""
    clicks: list[dict] = []
    dwell: list[dict] = []
    start = cut = None
    for event in events:
        ts = event["ts_ms"]
        full = len(clicks) == size or len(dwell) == size
        if start is not None and (full or ts - start > window_ms or (cut is not None and ts >= cut)):
            yield start, clicks, dwell
            clicks, dwell, start = [], [], None
        if start is None:
            start = ts
            cut = (ts // cut_every_ms + 1) * cut_every_ms if cut_every_ms else None
        (clicks if event["type"] == "click" else dwell).append(event)
    if start is not None:
        yield start, clicks, dwell


def replay(
    path: Path,
    url: str,
    tokens: dict[str, str],
    batch_size: int = 500,
    sweep_every_s: int = 60,
    window_ms: int = 5_000,
    progress=None,
) -> ReplayStats:
    """Send a recorded day to the guard; `tokens` has `adserver` and `analyst` bearer tokens."""
    stats = ReplayStats()
    guard = GuardClient(url, stats)
    started = time.monotonic()
    sellers, events = read_events(path)
    for profile in sellers:
        seller_id = urllib.parse.quote(profile["seller_id"], safe="")
        body = {k: v for k, v in profile.items() if k != "seller_id"}
        guard.call("PUT", f"/v1/sellers/{seller_id}", tokens["adserver"], body)
        stats.sellers += 1
    total = sum(1 for e in events if e["type"] == "click")
    every_ms = sweep_every_s * 1000
    next_sweep = (events[0]["ts_ms"] // every_ms + 1) * every_ms if events and every_ms else None
    for start, clicks, dwell in windows(events, batch_size, window_ms, every_ms):
        while next_sweep is not None and start >= next_sweep:
            _sweep(guard, tokens, next_sweep, stats)
            next_sweep += every_ms
        if clicks:
            body = {"clicks": [e["click"] for e in clicks]}
            answer = guard.call("POST", "/v1/clicks", tokens["adserver"], body)
            for event, result in zip(clicks, answer["results"], strict=True):
                _count_click(stats, event["click"], result)
        if dwell:
            answer = guard.call(
                "POST", "/v1/dwell", tokens["adserver"], {"dwell": [e["dwell"] for e in dwell]}
            )
            stats.dwell.update(r["status"] for r in answer["results"])
        if progress:
            progress(stats.clicks, total)
    if next_sweep is not None:
        _sweep(guard, tokens, events[-1]["ts_ms"] + 1, stats)
    stats.seconds = time.monotonic() - started
    return stats


def _count_click(stats: ReplayStats, click: dict, result: dict) -> None:
    stats.clicks += 1
    if result.get("replayed"):
        stats.replayed += 1
        stats.conflicts += bool(result.get("conflict"))
        return
    stats.decisions[result["decision"]] += 1
    stats.reasons.update(result["reasons"] if result["decision"] == "drop" else [])
    if result["decision"] == "charge":
        stats.charged_micros += result["charged_micros"]
    else:
        stats.dropped_micros += click["cost_micros"]


def _sweep(guard: GuardClient, tokens: dict, until_ms: int, stats: ReplayStats) -> None:
    answer = guard.call("POST", "/v1/sweeps", tokens["analyst"], {"until": until_ms})
    stats.sweeps += 1
    stats.sweep_refunds += answer.get("refunds_written", 0)
    stats.campaigns.update(c["campaign_id"] for c in answer.get("campaigns", []))


def progress_bar(stream=sys.stderr, width: int = 30):
    """A one-line progress bar on a terminal, redrawn at most ten times a second."""
    last = [0.0]

    def draw(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] < 0.1 and done < total:
            return
        last[0] = now
        share = done / total if total else 1.0
        filled = int(width * share)
        stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {share:4.0%} {done:,}/{total:,} clicks")
        if done >= total:
            stream.write("\n")
        stream.flush()

    return draw


def summary_table(stats: ReplayStats) -> str:
    return render(("replay", "value"), stats.rows())


def refunds_rows(refunds: Iterable[dict]) -> list[tuple]:
    """A merchant's refunds as table rows: time, click, listing, keyword, amount, stage, reasons."""
    return [
        (
            r["click_ts"][:19].replace("T", " "),
            r["click_id"],
            r["listing_id"],
            r.get("keyword") or "",
            cny(r["amount_micros"]),
            f"{r['stage']}/{r['kind']}",
            ",".join(r["reasons"]),
        )
        for r in refunds
    ]
