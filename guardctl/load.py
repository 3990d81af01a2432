"""`make load`: sustained concurrent load on `chalice local` over DynamoDB Local, then an audit from storage.

    python -m guardctl.load                      # 3 minutes, 8 connections, servers started here
    python -m guardctl.load --seconds 15 --concurrency 4 --json out.json
    python -m guardctl.load --url http://127.0.0.1:8000 --dynamodb-endpoint http://127.0.0.1:PORT

What it sends: simulated marketplace days (guardctl.simulator: shoppers, shopping sellers, a
pre-sale surge, a viral listing, rival sieges, click farms, bots), in event-time order, as the ad
server would: seller profiles first (PUT /v1/sellers), then batches of clicks (POST /v1/clicks)
and, as they come due, batches of dwell reports (POST /v1/dwell). On top: some click ids sent
again (exact copies: replays), a few with another payload (conflicts), some requests sent twice
(a client retrying after a lost answer), and a sweep (POST /v1/sweeps) every --sweep-every seconds.
A 503 is retried after its Retry-After, as a client should; a dropped connection is retried too.

What it checks, from storage (a scan of the tables), afterwards: every click acknowledged with a
200 is stored, with a decision, once; every dropped click has exactly one refund record, with the
refund id it was answered with, and no click has two; no refund without a click; each merchant's
summary counts every stored click once, with its charge; an answer always lists the clicks of its
own request in order; a retried request answers the same decisions.
It prints error rate, throughput and latency percentiles, and exits 1 if anything was lost.

Servers: `chalice local` is a ThreadingMixIn HTTP server (a thread per connection; its app class
keeps `current_request` in a thread-local), so one process serves requests concurrently, each
thread with its own store (boto3 resources are not thread-safe), as no Lambda container does.
--servers runs several such processes on one DynamoDB Local (default 2), like concurrent
containers; --serialize makes each process handle one request at a time, as a Lambda container
does.

Bounded: --seconds, --max-requests, a per-request timeout, and loopback addresses only.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import ipaddress
import json
import os
import queue
import random
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
SIM_START = datetime.fromisoformat("2013-12-08T00:00:00+08:00")
MAX_503_RETRIES = 8
MAX_CONNECTION_RETRIES = 3


class LoadError(RuntimeError):
    """The run cannot start (not loopback, no secret, a server that does not come up...)."""


# ---- what is sent ------------------------------------------------------------------------------


@dataclass
class Job:
    method: str
    path: str
    body: dict
    kind: str  # "seller", "clicks", "dwell", "sweep"
    retry: bool = False  # send it again after a 200, as a client that lost the answer would


def workload(
    seed: int, batch: int, dwell_batch: int, dup_share: float, conflict_share: float, retry_share: float
) -> Iterator[Job]:
    """Jobs from simulated days, one day after another (each a day later in event time)."""
    from guardctl.simulator import SimConfig, simulate

    rnd = random.Random(seed)
    recent: list[dict] = []
    for day in range(10_000):
        start = (SIM_START + timedelta(days=day)).isoformat()
        sim = simulate(SimConfig(seed=seed + day, start=start))
        # Profiles trickle in beside the clicks (a few per click batch), as sellers sign up and edit.
        profiles = [
            Job("PUT", f"/v1/sellers/{sid}", dict(profile), "seller") for sid, profile in sim.sellers.items()
        ]
        yield from profiles[:20]
        del profiles[:20]
        clicks: list[dict] = []
        dwell: list[dict] = []
        for event in sim.events:
            if event["type"] == "click":
                click = event["click"]
                clicks.append(click)
                recent.append(click)
                if len(recent) > 5000:
                    del recent[:1000]
                if rnd.random() < dup_share:
                    clicks.append(dict(rnd.choice(recent)))  # an exact copy: a replay
                if rnd.random() < conflict_share:
                    clicks.append({**rnd.choice(recent), "cost_micros": rnd.randrange(10_000, 9_000_000)})
                if len(clicks) >= batch:
                    yield Job("POST", "/v1/clicks", {"clicks": clicks}, "clicks", rnd.random() < retry_share)
                    clicks = []
                    yield from profiles[:4]
                    del profiles[:4]
            else:
                dwell.append(event["dwell"])
                if len(dwell) >= dwell_batch:
                    yield Job("POST", "/v1/dwell", {"dwell": dwell}, "dwell", rnd.random() < retry_share)
                    dwell = []
        yield from profiles
        if clicks:
            yield Job("POST", "/v1/clicks", {"clicks": clicks}, "clicks")
        if dwell:
            yield Job("POST", "/v1/dwell", {"dwell": dwell}, "dwell")


# ---- what happened -------------------------------------------------------------------------------


@dataclass
class Ledger:
    """Everything the run saw, shared by the worker threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter = field(default_factory=Counter)
    requests: int = 0
    retried_503: int = 0
    reconnects: int = 0
    failed: list[str] = field(default_factory=list)  # requests that never got a 2xx
    acked: dict[str, dict] = field(default_factory=dict)  # click_id -> first 200 result
    payloads: dict[str, str] = field(default_factory=dict)  # click_id -> fingerprint of first send
    conflicted: set[str] = field(default_factory=set)
    clicks_sent: int = 0
    clicks_acked: int = 0
    replays: int = 0
    dwell_acked: int = 0
    dwell_status: Counter = field(default_factory=Counter)
    dwell_kept: dict[str, int] = field(default_factory=dict)  # click_id -> dwell answered applied/pending
    sweeps: list[int] = field(default_factory=list)
    integrity: list[str] = field(default_factory=list)  # answers that do not match their request

    def note(self, kind: str, status: int, ms: float) -> None:
        with self.lock:
            self.requests += 1
            self.statuses[status] += 1
            self.latencies[kind].append(ms)

    def problem(self, text: str) -> None:
        with self.lock:
            if len(self.integrity) < 1000:
                self.integrity.append(text)


def _fingerprint(click: dict) -> str:
    return json.dumps({k: v for k, v in click.items() if k != "dwell_ms"}, sort_keys=True)


class Client:
    """One keep-alive HTTP connection, with the retries a well-behaved ad server does."""

    def __init__(self, base_url: str, token: str, timeout: float, ledger: Ledger):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port or 80
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.timeout = timeout
        self.ledger = ledger
        self.conn: http.client.HTTPConnection | None = None

    def _connect(self) -> http.client.HTTPConnection:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self.conn

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def send(self, job: Job, deadline: float) -> tuple[int, dict | None]:
        """The final status and body; 503s and dropped connections are retried (bounded)."""
        raw = json.dumps(job.body, ensure_ascii=False).encode()
        busy, broken = 0, 0
        while True:
            started = time.perf_counter()
            try:
                conn = self._connect()
                conn.request(job.method, job.path, body=raw, headers=self.headers)
                resp = conn.getresponse()
                data = resp.read()
                status = resp.status
            except (OSError, http.client.HTTPException):
                self.close()
                broken += 1
                with self.ledger.lock:
                    self.ledger.reconnects += 1
                if broken > MAX_CONNECTION_RETRIES or time.monotonic() > deadline:
                    return 0, None
                continue
            self.ledger.note(job.kind, status, (time.perf_counter() - started) * 1000)
            if status == 503 and busy < MAX_503_RETRIES and time.monotonic() < deadline:
                busy += 1
                with self.ledger.lock:
                    self.ledger.retried_503 += 1
                time.sleep(min(float(resp.getheader("Retry-After") or 1), 2.0) * random.uniform(0.5, 1.0))
                continue
            try:
                return status, json.loads(data) if data else None
            except ValueError:
                return status, None


def _check_clicks(job: Job, body: dict, ledger: Ledger, first: dict | None = None) -> dict:
    clicks = job.body["clicks"]
    results = body.get("results") if isinstance(body, dict) else None
    if not isinstance(results, list) or [r.get("click_id") for r in results] != [
        c["click_id"] for c in clicks
    ]:
        ledger.problem(f"clicks answer does not list its request's clicks in order: {str(body)[:200]}")
        return {}
    by_id = {}
    with ledger.lock:
        for click, result in zip(clicks, results, strict=True):
            cid = click["click_id"]
            by_id.setdefault(cid, result)
            ledger.clicks_sent += 1
            fp = _fingerprint(click)
            if cid not in ledger.payloads:
                ledger.payloads[cid] = fp
            elif ledger.payloads[cid] != fp:
                ledger.conflicted.add(cid)
            if result.get("replayed"):
                ledger.replays += 1
            if result.get("decision") not in ("charge", "drop"):
                ledger.integrity.append(f"{cid}: no decision in {result}")
                continue
            if cid not in ledger.acked:
                ledger.acked[cid] = result
                ledger.clicks_acked += 1
    if first:  # the same request again: the same answers, or a refund that came since
        for cid, again in by_id.items():
            before = first.get(cid)
            if before is None:
                continue
            same = (before["refund_id"], before["decision"]) == (again["refund_id"], again["decision"])
            credited = before["refund_id"] is None and again["refund_id"] and again["decision"] == "drop"
            if not (same or credited) or not again.get("replayed"):
                ledger.problem(f"{cid}: a retried request answered {again}, first {before}")
    return by_id


def _check_dwell(job: Job, body: dict, ledger: Ledger) -> None:
    reports = job.body["dwell"]
    results = body.get("results") if isinstance(body, dict) else None
    if not isinstance(results, list) or [r.get("click_id") for r in results] != [
        d["click_id"] for d in reports
    ]:
        ledger.problem(f"dwell answer does not list its request's reports in order: {str(body)[:200]}")
        return
    with ledger.lock:
        ledger.dwell_acked += len(results)
        for report, r in zip(reports, results, strict=True):
            ledger.dwell_status[r.get("status")] += 1
            if r.get("status") in ("applied", "pending"):
                ledger.dwell_kept.setdefault(report["click_id"], report["dwell_ms"])
            if r.get("status") not in ("applied", "duplicate", "pending"):
                ledger.integrity.append(f"dwell {r.get('click_id')}: status {r.get('status')}")


def worker(client: Client, jobs: queue.Queue, ledger: Ledger, stop: threading.Event, deadline: float) -> None:
    try:
        while not stop.is_set():
            try:
                job = jobs.get(timeout=0.2)
            except queue.Empty:
                continue
            status, body = client.send(job, deadline + 30)
            if status != 200:
                with ledger.lock:
                    ledger.failed.append(f"{job.method} {job.path} -> {status} {str(body)[:200]}")
                continue
            first = None
            if job.kind == "clicks":
                first = _check_clicks(job, body, ledger)
            elif job.kind == "dwell":
                _check_dwell(job, body, ledger)
            if job.retry and not stop.is_set():
                status, body = client.send(job, deadline + 30)
                if status == 200 and job.kind == "clicks":
                    _check_clicks(job, body, ledger, first)
                elif status == 200 and job.kind == "dwell":
                    _check_dwell(job, body, ledger)
    finally:
        client.close()


def sweeper(client: Client, every: float, ledger: Ledger, stop: threading.Event, deadline: float) -> None:
    while not stop.wait(every):
        status, body = client.send(Job("POST", "/v1/sweeps", {}, "sweep"), deadline + 30)
        if status == 200 and isinstance(body, dict):
            with ledger.lock:
                ledger.sweeps.append(int(body.get("refunds_written", 0)))
        elif status != 200:
            with ledger.lock:
                ledger.failed.append(f"POST /v1/sweeps -> {status} {str(body)[:200]}")
    client.close()


# ---- the audit -----------------------------------------------------------------------------------


def _scan(client, table: str, segments: int = 4) -> list[dict]:
    from boto3.dynamodb.types import TypeDeserializer

    des = TypeDeserializer().deserialize
    out: list[list[dict]] = [[] for _ in range(segments)]

    def one(segment: int) -> None:
        kwargs = {"TableName": table, "Segment": segment, "TotalSegments": segments, "ConsistentRead": True}
        for page in client.get_paginator("scan").paginate(**kwargs):
            out[segment].extend({k: des(v) for k, v in item.items()} for item in page["Items"])

    threads = [threading.Thread(target=one, args=(s,)) for s in range(segments)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [item for part in out for item in part]


def audit(dynamodb_client, prefix: str, ledger: Ledger) -> dict:
    """What storage holds against what was acknowledged: the money invariants."""
    clicks = {i["click_id"]: i for i in _scan(dynamodb_client, prefix + "ClicksTable")}
    refunds: dict[str, list[dict]] = defaultdict(list)
    for r in _scan(dynamodb_client, prefix + "RefundsTable"):
        refunds[r["click_id"]].append(r)
    found: Counter = Counter()
    examples: dict[str, list[str]] = defaultdict(list)

    def bad(kind: str, text: str) -> None:
        found[kind] += 1
        if len(examples[kind]) < 5:
            examples[kind].append(text)

    for cid, ack in ledger.acked.items():
        item = clicks.get(cid)
        if item is None or "click" not in item or item.get("decision") not in ("charge", "drop"):
            bad("lost", f"{cid}: acknowledged {ack['decision']}, stored {item and item.get('decision')}")
            continue
        if ack["decision"] == "drop" and item.get("refund_id") != ack["refund_id"]:
            bad(
                "decision_changed", f"{cid}: answered drop/{ack['refund_id']}, stored {item.get('refund_id')}"
            )
    for cid in ledger.dwell_kept:
        item = clicks.get(cid)
        kept = item is not None and (
            item.get("dwell_ms") is not None if "click" in item else item.get("pending_dwell_ms") is not None
        )
        if not kept:
            bad("dwell_lost", f"{cid}: dwell answered applied/pending, stored {item and sorted(item)}")
    stored_clicks = 0
    for cid, item in clicks.items():
        if "click" not in item:
            continue  # a dwell still waiting for its click
        stored_clicks += 1
        mine = refunds.get(cid, [])
        if len(mine) > 1:
            bad("double_refund", f"{cid}: {len(mine)} refund records")
        if item.get("decision") == "drop" and not item.get("refund_id"):
            bad("drop_without_refund_claim", cid)
        if item.get("refund_id"):
            if not mine:
                bad("refund_not_written", f"{cid}: refund {item['refund_id']} claimed, no record")
            elif mine[0]["refund_id"] != item["refund_id"] or mine[0]["amount_micros"] != item["cost_micros"]:
                bad("refund_mismatch", f"{cid}: {mine[0]['refund_id']} vs {item['refund_id']}")
        elif mine:
            bad("refund_without_claim", cid)
    for cid in refunds.keys() - clicks.keys():
        bad("refund_without_click", cid)
    for advertiser, problem in _summary_differences(dynamodb_client, prefix, clicks):
        bad("summary_mismatch", f"{advertiser}: {problem}")
    return {
        "stored_clicks": stored_clicks,
        "refund_records": sum(len(v) for v in refunds.values()),
        "acknowledged_checked": len(ledger.acked),
        "dwell_checked": len(ledger.dwell_kept),
        **{k: found[k] for k in FATAL},
        "examples": dict(examples),
    }


def _summary_differences(dynamodb_client, prefix: str, clicks: dict[str, dict]) -> list[tuple[str, str]]:
    """Each merchant's summary input (`iter_advertiser_clicks`) against its stored clicks."""
    import boto3

    from chalicelib.config import Settings, Tables
    from chalicelib.storage import schema
    from chalicelib.storage.dynamodb import DynamoStore
    from guardctl.dynamodb_local import DUMMY_CREDENTIALS

    stored: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    for item in clicks.values():
        if "click" in item:
            row = (int(item["ts"]), int(item["cost_micros"]), int(item["charged_micros"]))
            stored[item["click"]["advertiser_id"]].append(row)
    meta = dynamodb_client.meta
    resource = boto3.resource(
        "dynamodb", endpoint_url=meta.endpoint_url, region_name=meta.region_name, **DUMMY_CREDENTIALS
    )
    names = Tables(**{name: prefix + logical for name, logical in schema.LOGICAL_IDS.items()})
    store = DynamoStore(names, Settings(), resource)
    out = []
    for advertiser, rows in sorted(stored.items()):
        seen = [
            (c.ts, c.cost_micros, c.charged_micros)
            for c in store.iter_advertiser_clicks(advertiser, None, None)
        ]
        if seen != sorted(rows):
            out.append((advertiser, f"{len(seen)} clicks in the summary, {len(rows)} stored"))
    return out


# ---- servers -------------------------------------------------------------------------------------


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(port: int, serialize: bool) -> None:
    """One server process (started by `run`): chalice local, threaded, or one request at a time."""
    from guardctl.localrun import create_local_server

    if serialize:
        from chalice import local

        lock = threading.Lock()
        handle = local.LocalGateway.handle_request

        def one_at_a_time(self, *args, **kwargs):
            with lock:
                return handle(self, *args, **kwargs)

        local.LocalGateway.handle_request = one_at_a_time
    server = create_local_server(REPO_ROOT, HOST, port)
    try:
        server.server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server.server_close()


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path, timeout: float = 60.0) -> None:
    parts = urlsplit(url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise LoadError(f"the server on {url} exited ({proc.returncode}): {log.read_text()[-2000:]}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=2)
            conn.request("GET", "/v1/health")
            if conn.getresponse().status == 200:
                conn.close()
                return
        time.sleep(0.2)
    raise LoadError(f"the server on {url} did not answer within {timeout:.0f} s: {log.read_text()[-2000:]}")


@contextlib.contextmanager
def servers(count: int, endpoint: str, prefix: str, secret: str, serialize: bool, log_dir: Path):
    """`count` chalice local processes on DynamoDB Local at `endpoint`; yields their URLs."""
    from guardctl.dynamodb_local import _die_with_parent, free_port
    from guardctl.localrun import app_environment

    env = {**os.environ, **app_environment(endpoint, secret), "FRAUDGUARD_TABLE_PREFIX": prefix}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    procs: list[tuple[subprocess.Popen, str, Path]] = []
    try:
        for i in range(count):
            port = free_port(HOST)
            log = log_dir / f"server-{i}.log"
            args = [sys.executable, "-m", "guardctl.load", "--serve", str(port)]
            if serialize:
                args.append("--serialize")
            with open(log, "wb") as out:
                proc = subprocess.Popen(
                    args, env=env, cwd=REPO_ROOT, stdout=out, stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent(),
                )  # fmt: skip
            procs.append((proc, f"http://{HOST}:{port}", log))
        for proc, url, log in procs:
            _wait_healthy(url, proc, log)
        yield [url for _, url, _ in procs]
    finally:
        for proc, _, _ in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc, _, _ in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


# ---- the run -------------------------------------------------------------------------------------


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


def report(ledger: Ledger, elapsed: float, audit_result: dict, config: dict) -> dict:
    every = [ms for values in ledger.latencies.values() for ms in values]
    errors = len(ledger.failed)
    final_requests = ledger.requests - ledger.retried_503
    return {
        "config": config,
        "duration_s": round(elapsed, 1),
        "requests": ledger.requests,
        "requests_per_s": round(ledger.requests / elapsed, 1) if elapsed else None,
        "statuses": {str(k): v for k, v in sorted(ledger.statuses.items())},
        "retried_503": ledger.retried_503,
        "reconnects": ledger.reconnects,
        "failed_requests": errors,
        "error_rate": round(errors / final_requests, 5) if final_requests else None,
        "clicks_sent": ledger.clicks_sent,
        "clicks_acknowledged": ledger.clicks_acked,
        "clicks_per_s": round(ledger.clicks_sent / elapsed, 1) if elapsed else None,
        "replays_answered": ledger.replays,
        "conflicting_ids": len(ledger.conflicted),
        "dwell_acknowledged": ledger.dwell_acked,
        "dwell_status": dict(ledger.dwell_status),
        "sweeps": len(ledger.sweeps),
        "sweep_refunds": sum(ledger.sweeps),
        "latency_ms": {
            kind: {
                "n": len(values),
                "p50": _percentile(values, 0.50),
                "p95": _percentile(values, 0.95),
                "p99": _percentile(values, 0.99),
                "max": round(max(values), 1) if values else None,
            }
            for kind, values in sorted({**ledger.latencies, "all": every}.items())
        },
        "integrity_errors": len(ledger.integrity),
        "integrity_examples": ledger.integrity[:5],
        "failed_examples": ledger.failed[:5],
        "audit": audit_result,
    }


def run(args) -> dict:
    """Drive the load and audit storage; returns the report."""
    from chalicelib.auth import mint_token
    from guardctl.dynamodb_local import client as dynamodb_client
    from guardctl.dynamodb_local import running_dynamodb_local

    with contextlib.ExitStack() as stack:
        log_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="clickguard-load-")))
        if args.url:
            urls, endpoint, prefix = [args.url], args.dynamodb_endpoint, args.table_prefix
            secret = args.secret or _secret_for_make_run()
        else:
            endpoint = args.dynamodb_endpoint or stack.enter_context(running_dynamodb_local())
            prefix = f"load{uuid.uuid4().hex[:8]}-"
            secret = secrets.token_urlsafe(48)
            from chalicelib.storage import schema

            schema.create_tables(dynamodb_client(endpoint), prefix)
            if args.dynamodb_endpoint:  # a shared DynamoDB Local: leave it as we found it
                stack.callback(schema.delete_tables, dynamodb_client(endpoint), prefix)
            urls = stack.enter_context(
                servers(args.servers, endpoint, prefix, secret, args.serialize, log_dir)
            )
        adserver = mint_token(secret, "adserver", "load-adserver", ttl_s=int(args.seconds) + 3600)
        analyst = mint_token(secret, "analyst", "load-analyst", ttl_s=int(args.seconds) + 3600)

        ledger = Ledger()
        jobs: queue.Queue = queue.Queue(maxsize=args.concurrency * 4)
        stop = threading.Event()
        started = time.monotonic()
        deadline = started + args.seconds
        threads = [
            threading.Thread(
                target=worker,
                args=(
                    Client(urls[i % len(urls)], adserver, args.timeout, ledger),
                    jobs,
                    ledger,
                    stop,
                    deadline,
                ),
                name=f"load-{i}",
                daemon=True,
            )
            for i in range(args.concurrency)
        ]
        if args.sweep_every > 0:
            sweep_client = Client(urls[0], analyst, max(args.timeout, 60), ledger)
            threads.append(
                threading.Thread(
                    target=sweeper, args=(sweep_client, args.sweep_every, ledger, stop, deadline), daemon=True
                )
            )
        for t in threads:
            t.start()
        sent = 0
        try:
            source = workload(
                args.seed, args.batch, args.dwell_batch, args.dup_share, args.conflict_share, args.retry_share
            )
            for job in source:
                if time.monotonic() >= deadline or sent >= args.max_requests:
                    break
                while not stop.is_set():
                    try:
                        jobs.put(job, timeout=0.2)
                        break
                    except queue.Full:
                        if time.monotonic() >= deadline:
                            break
                sent += 1
        except KeyboardInterrupt:
            print("interrupted: finishing the requests in flight", file=sys.stderr)
        finally:
            # Drop what is queued but not sent (none of it was acknowledged); finish what is in flight.
            with contextlib.suppress(queue.Empty):
                while True:
                    jobs.get_nowait()
            stop.set()
            for t in threads:
                t.join(timeout=args.timeout + 35)
        elapsed = time.monotonic() - started
        result = audit(dynamodb_client(endpoint), prefix, ledger)
        # The servers' logs go with their temporary directory: keep the tracebacks of what failed.
        tracebacks = server_tracebacks(log_dir) if ledger.failed else []
    config = {
        k: getattr(args, k)
        for k in ("seconds", "concurrency", "servers", "batch", "dwell_batch", "dup_share", "conflict_share",
                  "retry_share", "sweep_every", "seed")
    }  # fmt: skip
    config["serialized"] = args.serialize and not args.url
    return {**report(ledger, elapsed, result, config), "server_tracebacks": tracebacks}


def server_tracebacks(log_dir: Path, limit: int = 3, chars: int = 3000) -> list[str]:
    """The last few tracebacks the started servers logged (a 500 says no more than its request id)."""
    found = []
    for log in sorted(log_dir.glob("server-*.log")):
        text = log.read_text(errors="replace")
        # From the line before each traceback: chalice logs which view failed there.
        found_at = [m.start() for m in re.finditer("^Traceback", text, re.M)]
        starts = [text.rfind("\n", 0, max(at - 1, 0)) + 1 for at in found_at]
        found += [f"{log.name}: {text[i : i + chars]}" for i in starts[-limit:]]
    return found[-limit:]


def _secret_for_make_run() -> str:
    from guardctl.cli import CommandError, signing_secret

    try:
        return signing_secret(None)
    except CommandError as exc:
        raise LoadError(str(exc)) from None


FATAL = (
    "lost",
    "decision_changed",
    "double_refund",
    "drop_without_refund_claim",
    "refund_not_written",
    "refund_mismatch",
    "refund_without_claim",
    "refund_without_click",
    "dwell_lost",
    "summary_mismatch",
)


def verdict(rep: dict, max_error_rate: float) -> list[str]:
    """Why the run failed (empty: it held)."""
    problems = [f"{k}: {rep['audit'][k]}" for k in FATAL if rep["audit"][k]]
    if rep["integrity_errors"]:
        problems.append(f"integrity_errors: {rep['integrity_errors']}")
    if rep["error_rate"] is not None and rep["error_rate"] > max_error_rate:
        problems.append(f"error_rate {rep['error_rate']} > {max_error_rate}")
    if not rep["clicks_acknowledged"]:
        problems.append("no click was acknowledged")
    return problems


def summary(rep: dict) -> str:
    lat = rep["latency_ms"]
    lines = [
        f"duration {rep['duration_s']} s, {rep['requests']} requests ({rep['requests_per_s']}/s), "
        f"statuses {rep['statuses']}, 503s retried {rep['retried_503']}, failed {rep['failed_requests']} "
        f"(error rate {rep['error_rate']})",
        f"clicks sent {rep['clicks_sent']} ({rep['clicks_per_s']}/s), "
        f"acknowledged {rep['clicks_acknowledged']}, replays {rep['replays_answered']}, "
        f"conflicting ids {rep['conflicting_ids']}; dwell {rep['dwell_acknowledged']} {rep['dwell_status']}; "
        f"sweeps {rep['sweeps']} ({rep['sweep_refunds']} refunds)",
    ]
    for kind, s in lat.items():
        lines.append(
            f"  {kind:7s} n={s['n']:<7} p50={s['p50']} ms  p95={s['p95']} ms  "
            f"p99={s['p99']} ms  max={s['max']} ms"
        )
    a = rep["audit"]
    lines.append(
        f"audit: {a['stored_clicks']} clicks and {a['refund_records']} refunds stored; "
        + ", ".join(f"{k}={a[k]}" for k in FATAL)
        + f"; integrity errors {rep['integrity_errors']}"
    )
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m guardctl.load", description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=180.0, help="how long to send (default 180)")
    p.add_argument("--concurrency", type=int, default=8, help="connections sending at once (default 8)")
    p.add_argument("--servers", type=int, default=2, help="chalice local processes started here (default 2)")
    p.add_argument("--batch", type=int, default=50, help="clicks per POST /v1/clicks (default 50)")
    p.add_argument("--dwell-batch", type=int, default=100, help="reports per POST /v1/dwell (default 100)")
    p.add_argument("--dup-share", type=float, default=0.03, help="clicks sent again as exact copies")
    p.add_argument("--conflict-share", type=float, default=0.002, help="clicks sent again with another cost")
    p.add_argument("--retry-share", type=float, default=0.02, help="requests sent twice")
    p.add_argument("--sweep-every", type=float, default=30.0, help="seconds between sweeps (0: none)")
    p.add_argument("--max-requests", type=int, default=1_000_000, help="stop after this many jobs")
    p.add_argument("--timeout", type=float, default=30.0, help="per-request timeout in seconds")
    p.add_argument(
        "--max-error-rate", type=float, default=0.01, help="fail above this share of failed requests"
    )
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--serialize", action="store_true", help="one request at a time per server process")
    p.add_argument("--url", help="an already running guard (make run), instead of starting servers")
    p.add_argument("--dynamodb-endpoint", help="DynamoDB Local to use (default: start one)")
    p.add_argument("--table-prefix", default="fraudguard-", help="with --url: the tables to audit")
    p.add_argument("--secret", help="with --url: the JWT secret (default: as guardctl token finds it)")
    p.add_argument("--json", type=Path, help="also write the report here as JSON")
    p.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    if args.serve:
        serve(args.serve, serialize=args.serialize)
        return 0
    if args.url and not args.dynamodb_endpoint:
        print("guardctl load: --url needs --dynamodb-endpoint (the audit reads storage)", file=sys.stderr)
        return 2
    if args.seconds <= 0 or args.concurrency < 1 or args.servers < 1 or not 1 <= args.batch <= 500:
        print(
            "guardctl load: --seconds, --concurrency, --servers must be positive, --batch 1-500",
            file=sys.stderr,
        )
        return 2
    # Before anything is created or started: the servers and DynamoDB Local started here bind
    # loopback, so only addresses given on the command line can point elsewhere.
    for url in filter(None, (args.url, args.dynamodb_endpoint)):
        if not is_loopback(url):
            print(
                f"guardctl load: {url} is not a loopback address: the load only runs on this machine",
                file=sys.stderr,
            )
            return 2
    from chalicelib.observability import logger

    logger.setLevel("WARNING")
    try:
        rep = run(args)
    except LoadError as exc:
        print(f"guardctl load: {exc}", file=sys.stderr)
        return 2
    print(summary(rep))
    if args.json:
        args.json.write_text(json.dumps(rep, indent=2, ensure_ascii=False))
    problems = verdict(rep, args.max_error_rate)
    for problem in problems:
        print(f"FAILED: {problem}", file=sys.stderr)
    for kind, examples in rep["audit"]["examples"].items():
        for example in examples:
            print(f"  {kind}: {example}", file=sys.stderr)
    for example in rep["integrity_examples"] + rep["failed_examples"] + rep["server_tracebacks"]:
        print(f"  {example}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
