"""Cost and speed benchmark: capacity units per click, dollars per million clicks, throughput.

    python -m guardctl.bench            # everything; writes bench/results.json, prints a table
    python -m guardctl.bench --quick    # a smaller run (the smoke test); --skip e2e,package,...

Capacity units are what DynamoDB Local reports through `ReturnConsumedCapacity=TOTAL`
(guardctl.capacity's meter). Traffic is a simulated day (guardctl.simulator: organic shoppers
behind carrier NAT, sellers, sieges, keyword sweeps, click farms, bots; ~85% of clicks get a
dwell report), replayed in event order:

- sync_single: the first clicks of the slice, one POST /v1/clicks each (the scoring path
  in-process, the same calls the Lambda makes);
- sync_batch: the slice as POST /v1/clicks and POST /v1/dwell batches of up to 500;
- stream: the slice as Kinesis records in batches of 1000 through the stream handler;
- contention: 1 to 32 writers posting batches back to back, every click on one keyword, and
  how often its pulse's conditional write conflicts (docs/SCALING.md, "What breaks first").

Timings are measured in-process beside a baseline from the same run (machines are shared and
noisy: read the ratios). Dollar figures use AWS us-east-1 list prices and print their arithmetic.
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results.json"

# AWS list prices, us-east-1 (USD).
PRICE = {
    "ddb_write_per_m": 0.625,  # on-demand, per million write request units
    "ddb_read_per_m": 0.125,  # on-demand, per million read request units
    "lambda_req_per_m": 0.20,
    "lambda_gb_s": 0.0000133334,  # arm64
    "http_api_per_m": 1.00,  # per million requests (512 KB units)
    "kinesis_shard_hour": 0.015,
    "kinesis_put_per_m": 0.014,  # per million 25 KB PUT payload units
}
STREAM_MEMORY_MB = 1024  # .chalice/config.json: clicks_stream
API_MEMORY_MB = 512  # .chalice/config.json: the API handler
KINESIS_UTILISATION = 0.5  # shards provisioned at twice the average rate
SLICE_START_H, SLICE_HOURS = 12.0, 3.0  # China-time afternoon: organic peak and attacks


# ---- traffic ---------------------------------------------------------------------------------


def sim_day(quick: bool):
    from guardctl.simulator import SimConfig, simulate

    return simulate(SimConfig(seed=7, hours=24, organic_clicks=4000 if quick else 20_000))


def traffic_slice(day, max_clicks: int) -> list[dict]:
    """Events of an afternoon, time-ordered, up to `max_clicks` clicks and their dwell reports."""
    first = day.events[0]["ts_ms"]
    start = first - (first + 8 * 3_600_000) % 86_400_000  # midnight, China time
    low = start + int(SLICE_START_H * 3_600_000)
    high = low + int(SLICE_HOURS * 3_600_000)
    out, clicks, ids = [], 0, set()
    for event in day.events:
        if not low <= event["ts_ms"] < high:
            continue
        if event["type"] == "click":
            if clicks >= max_clicks:
                continue
            clicks += 1
            ids.add(event["click"]["click_id"])
        elif event["dwell"]["click_id"] not in ids:
            continue
        out.append(event)
    return out


# ---- capacity on DynamoDB Local --------------------------------------------------------------


class Env:
    """A metered DynamoDB Local session with fresh tables per case."""

    def __init__(self, endpoint: str):
        import boto3

        from guardctl.capacity import CapacityMeter

        self.endpoint = endpoint
        self.meter = CapacityMeter()
        self.session = boto3.session.Session(
            aws_access_key_id="local", aws_secret_access_key="local", region_name="us-east-1"
        )
        self.meter.attach(self.session)
        self.client = self.session.client("dynamodb", endpoint_url=endpoint)

    def tables(self):
        """Fresh tables, by name."""
        from chalicelib.config import Tables
        from chalicelib.storage import schema

        prefix = f"b{uuid.uuid4().hex[:6]}-"
        schema.create_tables(self.client, prefix)
        return Tables(**{name: prefix + logical for name, logical in schema.LOGICAL_IDS.items()})

    def store_on(self, names):
        """A store on this session (metered) over the named tables."""
        from chalicelib.config import Settings
        from chalicelib.storage.dynamodb import CLIENT_CONFIG, DynamoStore

        resource_ = self.session.resource("dynamodb", endpoint_url=self.endpoint, config=CLIENT_CONFIG)
        return DynamoStore(names, Settings(), resource_)

    def store(self):
        return self.store_on(self.tables())


def _load_sellers(store, day) -> None:
    from chalicelib.config import Settings
    from chalicelib.validation import parse_profile

    for seller_id, body in day.sellers.items():
        store.put_seller(parse_profile(seller_id, body, Settings()))


def _parse_clicks(bodies):
    from chalicelib.config import Settings
    from chalicelib.validation import parse_click

    cfg = Settings()
    return [parse_click(b, "click", cfg, 10**13) for b in bodies]


def run_case(env: Env, day, events: list[dict], mode: str, sellers: bool = True) -> dict:
    """Replay `events` in one mode on fresh tables; capacity and handler time per click."""
    from chalicelib.config import Settings
    from chalicelib.ingest import ClickIngest
    from chalicelib.observability import flush_metrics

    store = env.store()
    if sellers:
        _load_sellers(store, day)
    cfg = Settings()
    ingest = ClickIngest(store, cfg)
    env.meter.reset()
    n_clicks = sum(1 for e in events if e["type"] == "click")
    calls, busy = 0, 0.0
    if mode == "sync_single":
        for click in _parse_clicks([e["click"] for e in events if e["type"] == "click"]):
            t = time.perf_counter()
            ingest.score_clicks([click])
            flush_metrics()  # as each Lambda invocation does; unflushed, powertools prints at 100 values
            busy += time.perf_counter() - t
            calls += 1
    elif mode == "sync_batch":
        for kind, group in _runs(events, 500):
            t = time.perf_counter()
            if kind == "click":
                ingest.score_clicks(_parse_clicks([e["click"] for e in group]))
            else:
                ingest.report_dwell([(e["dwell"]["click_id"], e["dwell"]["dwell_ms"]) for e in group])
            flush_metrics()
            busy += time.perf_counter() - t
            calls += 1
    else:
        from chalicelib.stream import handle_event

        parking = _ListParking()
        for i in range(0, len(events), 1000):
            records = [_kinesis(seq, e) for seq, e in enumerate(events[i : i + 1000], start=i)]
            t = time.perf_counter()
            response = handle_event(records, ingest, parking, cfg)
            flush_metrics()
            busy += time.perf_counter() - t
            calls += 1
            assert not response["batchItemFailures"], response
    snap = env.meter.snapshot(max(n_clicks, 1))
    snap.update(
        events=len(events),
        invocations=calls,
        handler_s=round(busy, 3),
        ms_per_invocation=round(busy * 1000 / max(calls, 1), 1),
        read_units=round(env.meter.read_units, 1),
        write_units=round(env.meter.write_units, 1),
    )
    return snap


def _runs(events, size):
    """Requests as an ad server sends them: clicks and dwell reports batched apart, up to `size`
    each, a dwell batch only after the clicks before it (the order the stream scores them)."""
    clicks: list[dict] = []
    dwell: list[dict] = []
    for event in events:
        (clicks if event["type"] == "click" else dwell).append(event)
        if len(clicks) == size or len(dwell) == size:
            if clicks:
                yield "click", clicks
            if len(dwell) == size:
                yield "dwell", dwell
                dwell = []
            clicks = []
    if clicks:
        yield "click", clicks
    if dwell:
        yield "dwell", dwell


class _ListParking:
    def park(self, record, reason):
        raise AssertionError(f"simulated record parked: {reason}")


def _kinesis(seq: int, event: dict) -> dict:
    body = {"click": event["click"]} if event["type"] == "click" else {"dwell": event["dwell"]}
    key = event["click"]["advertiser_id"] if event["type"] == "click" else event["dwell"]["click_id"]
    return {
        "eventSource": "aws:kinesis",
        "eventSourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/clickguard-clicks",
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": key,
            "sequenceNumber": str(seq),
            "data": base64.b64encode(json.dumps(body, ensure_ascii=False).encode()).decode(),
            "approximateArrivalTimestamp": 1386482589.12,
        },
    }


# ---- a head keyword's pulse under concurrent writers ----------------------------------------


class _PulseConflicts:
    """One writer's conditional writes to keyword pulses, and the conflicts before each."""

    def __init__(self, session, max_attempts: int):
        self.max_attempts = max_attempts
        self.batches = self.writes = self.conflicts = self.lost = self.most_retries = self._streak = 0
        session.events.register("before-call.dynamodb.UpdateItem", self._mark)
        session.events.register("after-call.dynamodb.UpdateItem", self._count)

    def _mark(self, params, context, **_):
        context["keyword_pulse"] = b'"pulse#q:' in params["body"]

    def _count(self, parsed, context, **_):
        if not context.get("keyword_pulse"):
            return
        if parsed.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            self.writes += 1
            self._streak = 0
            return
        self.conflicts += 1
        self._streak += 1
        self.most_retries = max(self.most_retries, self._streak)
        if self._streak == self.max_attempts:  # the store gives up: judged unwritten
            self.lost += 1
            self._streak = 0


def hot_keyword(endpoint: str, writers: int, seconds: float, batch: int = 25) -> dict:
    """`writers` threads posting batches back to back, every click on one keyword: how often the
    keyword pulse's conditional write conflicts, and how many batches lose or skip it."""
    import threading

    from chalicelib.config import Settings
    from chalicelib.ingest import ClickIngest
    from chalicelib.models import Click, Source
    from chalicelib.storage.dynamodb import MAX_MERGE_ATTEMPTS, DynamoStore

    names = Env(endpoint).tables()
    cfg = Settings()

    def post(writer: int, meter: _PulseConflicts, store: DynamoStore) -> None:
        ingest = ClickIngest(store, cfg)
        n = 0
        # At least one batch each, however loaded the machine: the threads' sessions are made
        # before the clock starts, and a slow first batch still counts.
        while n == 0 or time.perf_counter() - start < seconds:
            at = 1_700_000_000_000 + int((time.perf_counter() - start) * 1000)
            clicks = []
            for _ in range(batch):
                n += 1
                ip, device = f"10.{writer}.{n // 250 % 250}.{n % 250}", f"d{writer}-{n}"
                source = Source(
                    ip=ip,
                    device_id=device,
                    user_agent="Mozilla/5.0 (Windows NT 6.1) AppleWebKit/537.36 Chrome/31.0",
                )
                listing, advertiser = f"L{(writer * 7919 + n) % 400}", f"S{n % 300}"
                clicks.append(
                    Click(f"hot-{writer}-{n}", at, advertiser, listing, 10**6, source, keyword="连衣裙")
                )
            ingest.score_clicks(clicks)
            meter.batches += 1

    meters, threads = [], []
    for writer in range(writers):
        env = Env(endpoint)  # a session (and so a meter) per thread: boto3 sessions are not shared
        meter = _PulseConflicts(env.session, MAX_MERGE_ATTEMPTS)
        meters.append(meter)
        threads.append(threading.Thread(target=post, args=(writer, meter, env.store_on(names))))
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    total = {k: sum(getattr(m, k) for m in meters) for k in ("batches", "writes", "conflicts", "lost")}
    return {
        "writers": writers,
        "batches": total["batches"],
        "clicks_per_s": round(total["batches"] * batch / elapsed),
        "conflict_share": round(total["conflicts"] / max(total["writes"] + total["conflicts"], 1), 3),
        "most_retries": max(m.most_retries for m in meters),
        "writes_lost": total["lost"],
        "batches_past_the_ring": total["batches"] - total["writes"] - total["lost"],
    }


# ---- dollars ---------------------------------------------------------------------------------


def dollars(case: dict, mode: str) -> tuple[float, list[str]]:
    """All-in USD per million clicks for a measured case, with its arithmetic."""
    clicks = case["clicks"]
    per_m = 1_000_000 / clicks
    lines = []
    ddb_w = case["write_units"] * per_m / 1e6 * PRICE["ddb_write_per_m"]
    ddb_r = case["read_units"] * per_m / 1e6 * PRICE["ddb_read_per_m"]
    lines.append(
        f"DynamoDB   {case['write_units'] / clicks:.3f} WRU x $0.625/M + "
        f"{case['read_units'] / clicks:.3f} RRU x $0.125/M = ${ddb_w + ddb_r:.4f}"
    )
    invocations = case["invocations"] * per_m
    memory_gb = (STREAM_MEMORY_MB if mode == "stream" else API_MEMORY_MB) / 1024
    seconds = case["ms_per_invocation"] / 1000
    lam = (
        invocations / 1e6 * PRICE["lambda_req_per_m"]
        + invocations * seconds * memory_gb * PRICE["lambda_gb_s"]
    )
    lines.append(
        f"Lambda     {invocations:,.0f} invocations x ($0.20/M + {seconds * 1000:.0f} ms x "
        f"{memory_gb:g} GB x $0.0000133/GB-s) = ${lam:.4f}"
    )
    records = case["events"] * per_m
    if mode == "stream":
        puts = records / 1e6 * PRICE["kinesis_put_per_m"]
        shard_hours = records / 1000 / 3600 / KINESIS_UTILISATION  # 1,000 records/s per shard
        shards = shard_hours * PRICE["kinesis_shard_hour"]
        edge = puts + shards
        lines.append(
            f"Kinesis    {records:,.0f} records x $0.014/M PUT units + {shard_hours:.3f} shard-hours "
            f"(1,000 rec/s/shard at {KINESIS_UTILISATION:.0%} use) x $0.015 = ${edge:.4f}"
        )
    else:
        edge = invocations / 1e6 * PRICE["http_api_per_m"]
        lines.append(f"HTTP API   {invocations:,.0f} requests x $1.00/M = ${edge:.4f}")
    total = ddb_w + ddb_r + lam + edge
    lines.append(f"total      ${total:.4f} per million clicks")
    return total, lines


# ---- the scoring core against a no-op handler ------------------------------------------------


def core_speed(events: list[dict]) -> dict:
    """Clicks/s of ClickIngest over the in-memory store vs a handler that only answers."""
    from chalicelib.config import Settings
    from chalicelib.ingest import ClickIngest
    from chalicelib.models import CHARGE, Decision
    from chalicelib.observability import flush_metrics
    from chalicelib.storage.memory import MemoryStore

    bodies = [e["click"] for e in events if e["type"] == "click"]
    cfg = Settings()

    def run(handler) -> float:
        t = time.perf_counter()
        for i in range(0, len(bodies), 500):
            handler(_parse_clicks(bodies[i : i + 500]))
            flush_metrics()
        return time.perf_counter() - t

    def noop(clicks):
        return [Decision(c.click_id, CHARGE, c.cost_micros, 0.0) for c in clicks]

    noop_s = min(run(noop) for _ in range(3))
    core_s = min(run(ClickIngest(MemoryStore(), cfg).score_clicks) for _ in range(3))
    return {
        "clicks": len(bodies),
        "core_s": round(core_s, 3),
        "noop_s": round(noop_s, 3),
        "core_clicks_per_s": round(len(bodies) / core_s),
        "noop_clicks_per_s": round(len(bodies) / noop_s),
        "core_vs_noop_ratio": round(core_s / noop_s, 2),
    }


# ---- the sweep's detection over 10k .. 1M clicks (one subprocess each) -----------------------


def sweep_one(n: int) -> dict:
    """Detection over a 6-hour window of `n` clicks, as a sweep runs it (bursts, crews, strangers):
    the simulated day's window, tiled."""
    import numpy as np

    from chalicelib.config import Settings
    from chalicelib.detect.cohorts import Window
    from chalicelib.detect.frame import COLUMNS, ClickFrame
    from chalicelib.storage.base import ClickRecord
    from chalicelib.sweep import detect
    from guardctl.simulator import SimConfig, simulate

    cfg = Settings()
    day = simulate(SimConfig(seed=7, hours=24))
    dwell = {e["dwell"]["click_id"]: e["dwell"]["dwell_ms"] for e in day.events if e["type"] == "dwell"}
    clicks = _parse_clicks(list(day.clicks()))
    until = max(c.ts for c in clicks) - 3 * 3_600_000  # 21:00 China time: the attacks' afternoon
    low = until - cfg.sweep_lookback_s * 1000
    base = ClickFrame()
    base.upsert(
        ClickRecord(c.click_id, c, decision="charge", dwell_ms=dwell.get(c.click_id))
        for c in clicks
        if low <= c.ts < until
    )
    m = len(base)
    copies = math.ceil(n / m)
    rng = np.random.default_rng(1)
    frame = ClickFrame()
    for kind in ("target", "source"):
        names = base.names[kind].names
        frame.names[kind].names = [f"{name}~{k}" if k else name for k in range(copies) for name in names]
    n_names = {kind: len(base.names[kind].names) for kind in ("target", "source")}
    target_cols = {"listing", "advertiser", "keyword"}
    for name in COLUMNS:
        col = base.cols[name]
        parts = []
        for k in range(copies):
            part = col.copy()
            if name in target_cols or name in ("person", "account", "device", "ip", "seller"):
                offset = n_names["target" if name in target_cols else "source"] * k
                part = np.where(part >= 0, part + offset, part).astype(col.dtype)
            elif name == "ts" and k:
                part = np.clip(part + rng.integers(-30_000, 30_000, len(part)), low, until - 1)
            parts.append(part)
        frame.cols[name] = np.concatenate(parts)[:n]
    frame.click_ids = [f"{cid}~{k}" for k in range(copies) for cid in base.click_ids][:n]
    frame.low, frame.high = low, until
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t, cpu = time.perf_counter(), time.process_time()
    found = detect(Window(frame, until, cfg.sweep_lookback_s * 1000), cfg)
    seconds = time.perf_counter() - t
    return {
        "clicks": n,
        "seconds": round(seconds, 3),
        "cpu_seconds": round(time.process_time() - cpu, 3),  # beside wall time on a shared machine
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rss_before_detect_mb": round(rss_before, 1),
        "campaigns": len(found),
    }


def sweep_scaling(sizes) -> list[dict]:
    out = []
    for n in sizes:
        proc = subprocess.run(
            [sys.executable, "-m", "guardctl.bench", "--sweep-one", str(n)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=900,
        )
        if proc.returncode != 0:
            out.append({"clicks": n, "error": proc.stderr.strip().splitlines()[-1:]})
            continue
        out.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return out


# ---- cold import, package size, end to end ---------------------------------------------------


def import_time(repeats: int = 3) -> dict:
    code = "import time; t = time.perf_counter(); import app; print(time.perf_counter() - t)"
    env = {**os.environ, "FRAUDGUARD_JWT_SECRET": "x" * 40}
    env.pop("AWS_LAMBDA_FUNCTION_NAME", None)
    runs = []
    for _ in range(repeats):
        proc = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
        )
        runs.append(float(proc.stdout.strip().splitlines()[-1]))
    baseline = subprocess.run(
        [sys.executable, "-c", code.replace("import app", "import json")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return {
        "median_s": round(statistics.median(runs), 3),
        "runs_s": [round(r, 3) for r in runs],
        "baseline_import_json_s": round(float(baseline.stdout.strip()), 4),
    }


def package_size() -> dict:
    """`chalice package` of a copy of the project, as tests/test_packaging.py runs it."""
    import shutil

    chalice = str(Path(sys.executable).parent / "chalice")
    with tempfile.TemporaryDirectory() as tmp:
        project, out = Path(tmp) / "project", Path(tmp) / "out"
        project.mkdir()
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        shutil.copy2(ROOT / "app.py", project / "app.py")
        shutil.copy2(ROOT / "requirements.txt", project / "requirements.txt")
        shutil.copytree(ROOT / "chalicelib", project / "chalicelib", ignore=ignore)
        (project / ".chalice").mkdir()
        for path in (ROOT / ".chalice").glob("*.json"):
            shutil.copy2(path, project / ".chalice" / path.name)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FG_", "AWS_LAMBDA_"))}
        env.setdefault("AWS_DEFAULT_REGION", "us-east-1")
        t = time.perf_counter()
        proc = subprocess.run(
            [chalice, "package", "--stage", "dev", "--merge-template", str(ROOT / "infra" / "resources.json"),
             str(out)],
            cwd=project, env=env, capture_output=True, text=True, timeout=900,
        )  # fmt: skip
        if proc.returncode != 0:
            return {"error": (proc.stderr or proc.stdout).strip().splitlines()[-1:]}
        zip_path = out / "deployment.zip"
        return {
            "package_mb": round(zip_path.stat().st_size / 2**20, 2),
            "package_s": round(time.perf_counter() - t, 1),
        }


def end_to_end(day, requests: int = 40, batch: int = 100) -> dict:
    """POST /v1/clicks of `batch` clicks through `guardctl serve` (chalice local + DynamoDB Local)."""
    from chalicelib.auth import mint_token
    from guardctl.dynamodb_local import free_port

    secret = "bench-" + uuid.uuid4().hex + "x" * 16
    port = free_port()
    with tempfile.TemporaryDirectory() as state:
        env = {**os.environ, "FRAUDGUARD_JWT_SECRET": secret}
        proc = subprocess.Popen(
            # No scheduled sweep: the clicks' own latency is measured, not a sweep's beside it.
            [str(Path(sys.executable).parent / "guardctl"), "serve", "--port", str(port),
             "--state-dir", state, "--no-schedule"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 120
            while True:
                try:
                    urllib.request.urlopen(url + "/v1/health", timeout=2).read()
                    break
                except OSError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise RuntimeError("guardctl serve did not start") from None
                    time.sleep(0.3)
            headers = {
                "Authorization": "Bearer " + mint_token(secret, "adserver", "bench"),
                "Content-Type": "application/json",
            }
            bodies = list(day.clicks())
            noop_ms, click_ms = [], []
            for i in range(requests + 3):
                chunk = bodies[i * batch : (i + 1) * batch]
                data = json.dumps({"clicks": chunk}, ensure_ascii=False).encode()
                t = time.perf_counter()
                req = urllib.request.Request(url + "/v1/clicks", data=data, headers=headers, method="POST")
                with urllib.request.urlopen(req, timeout=60) as resp:
                    assert resp.status == 200 and len(json.loads(resp.read())["results"]) == len(chunk)
                elapsed = (time.perf_counter() - t) * 1000
                t = time.perf_counter()
                urllib.request.urlopen(url + "/v1/health", timeout=10).read()
                health = (time.perf_counter() - t) * 1000
                if i >= 3:  # warm-up: imports, first connections
                    click_ms.append(elapsed)
                    noop_ms.append(health)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
    q = statistics.quantiles(click_ms, n=100, method="inclusive")
    return {
        "p50": round(statistics.median(click_ms), 1),
        "p99": round(q[98], 1),
        "requests": len(click_ms),
        "batch": batch,
        "baseline_health_p50": round(statistics.median(noop_ms), 1),
    }


# ---- the run ---------------------------------------------------------------------------------


def run(quick: bool = False, skip: set[str] = frozenset(), endpoint: str | None = None) -> dict:
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    from chalicelib.observability import logger

    logger.setLevel("WARNING")
    t0 = time.perf_counter()
    day = sim_day(quick)
    events = traffic_slice(day, 600 if quick else 6000)
    n_clicks = sum(1 for e in events if e["type"] == "click")
    results: dict = {
        "traffic": {
            "source": "guardctl.simulator seed 7, 24 h day; an afternoon slice (12:00-15:00 China time) "
            "replayed in event order",
            "clicks": n_clicks,
            "dwell_reports": len(events) - n_clicks,
        }
    }
    if "capacity" not in skip:
        results.update(_capacity(day, events, quick, endpoint))
    if "core" not in skip:
        results["core"] = core_speed(events)
        results["core_clicks_per_s"] = results["core"]["core_clicks_per_s"]
        results["core_vs_noop_ratio"] = results["core"]["core_vs_noop_ratio"]
    if "sweep" not in skip:
        results["sweep"] = sweep_scaling([2_000, 10_000] if quick else [10_000, 100_000, 1_000_000])
    if "e2e" not in skip:
        results["e2e_ms"] = end_to_end(day, requests=5 if quick else 60)
    if "contention" not in skip:
        results["hot_keyword"] = _contention(quick, endpoint)
    if "import" not in skip:
        results["import"] = import_time()
        results["import_s"] = results["import"]["median_s"]
    if "package" not in skip:
        results["package"] = package_size()
        results["package_mb"] = results["package"].get("package_mb")
    results["bench_s"] = round(time.perf_counter() - t0, 1)
    return results


def _on_dynamodb_local(endpoint: str | None, measure):
    """`measure(url)` on the DynamoDB Local given, or on one started for it."""
    from guardctl.dynamodb_local import running_dynamodb_local

    if endpoint:
        return measure(endpoint)
    with running_dynamodb_local() as url:
        return measure(url)


def _contention(quick: bool, endpoint: str | None) -> list[dict]:
    writers, seconds = ((1, 4), 2.0) if quick else ((1, 4, 16, 32), 20.0)
    return _on_dynamodb_local(endpoint, lambda url: [hot_keyword(url, n, seconds) for n in writers])


def _capacity(day, events, quick: bool, endpoint: str | None) -> dict:
    def measure(url: str) -> dict:
        env = Env(url)
        singles = [e for e in events if e["type"] == "click"][: 50 if quick else 200]
        cases = {
            "sync_single": run_case(env, day, singles, "sync_single"),
            "sync_batch": run_case(env, day, events, "sync_batch"),
            "stream": run_case(env, day, events, "stream"),
        }
        return cases

    cases = _on_dynamodb_local(endpoint, measure)
    usd, arithmetic = {}, {}
    for mode in ("sync_batch", "stream"):
        usd[mode], arithmetic[mode] = dollars(cases[mode], mode)
    return {
        "capacity": cases,
        "ru_per_click": {mode: case["units_per_click"] for mode, case in cases.items()},
        "usd_per_million_clicks": {mode: round(v, 4) for mode, v in usd.items()},
        "usd_arithmetic": arithmetic,
    }


TARGETS = {
    "ru_per_click.stream": ("<=", 1.5),
    "ru_per_click.sync_batch": ("<=", 3.0),
    "usd_per_million_clicks.stream": ("<=", 1.0),
    "sweep.1000000.seconds": ("<=", 5.0),
    "sweep.1000000.peak_mb": ("<=", 1024.0),
    "import_s": ("<=", 1.0),
}


def _target_value(results: dict, path: str):
    head, *rest = path.split(".")
    value = results.get(head)
    if head == "sweep" and value:
        row = next((r for r in value if r.get("clicks") == int(rest[0])), None)
        return None if row is None else row.get(rest[1])
    for part in rest:
        value = value.get(part) if isinstance(value, dict) else None
    return value


def table(results: dict) -> str:
    lines = ["", "click guard benchmark", "=" * 72]
    t = results["traffic"]
    lines.append(f"traffic: {t['clicks']} clicks + {t['dwell_reports']} dwell reports ({t['source']})")
    if "capacity" in results:
        lines.append("")
        lines.append(f"{'case':<12}{'RU/click':>10}{'read':>8}{'write':>8}{'trips':>8}{'ms/inv':>9}")
        for mode, c in results["capacity"].items():
            lines.append(
                f"{mode:<12}{c['units_per_click']:>10.3f}{c['read_units_per_click']:>8.3f}"
                f"{c['write_units_per_click']:>8.3f}{c['round_trips']:>8}{c['ms_per_invocation']:>9.1f}"
            )
        for mode, lines_ in results["usd_arithmetic"].items():
            lines.append(f"\nUSD per million clicks, {mode}:")
            lines.extend("  " + line for line in lines_)
    if "core" in results:
        c = results["core"]
        lines.append(
            f"\nscoring core: {c['core_clicks_per_s']:,} clicks/s vs no-op {c['noop_clicks_per_s']:,} "
            f"clicks/s over the same {c['clicks']} clicks: ratio {c['core_vs_noop_ratio']}"
        )
    if "sweep" in results:
        lines.append("\nsweep detection (6 h window):")
        for row in results["sweep"]:
            lines.append(f"  {row}")
    if "e2e_ms" in results:
        e = results["e2e_ms"]
        lines.append(
            f"\nend to end (guardctl serve, batch of {e['batch']}): p50 {e['p50']} ms, p99 {e['p99']} ms "
            f"(GET /v1/health p50 {e['baseline_health_p50']} ms)"
        )
    if "hot_keyword" in results:
        lines.append("\none keyword's pulse, writers posting batches of 25 clicks back to back:")
        heads = ("writers", "batches", "clicks/s", "conflicts", "most retries", "lost", "past ring")
        lines.append("  " + "".join(f"{h:>13}" for h in heads))
        for r in results["hot_keyword"]:
            cells = (r["writers"], r["batches"], r["clicks_per_s"], f"{r['conflict_share']:.1%}",
                     r["most_retries"], r["writes_lost"], r["batches_past_the_ring"])  # fmt: skip
            lines.append("  " + "".join(f"{c:>13}" for c in cells))
    if "import_s" in results:
        lines.append(f"cold import of app: {results['import_s']} s  {results['import']}")
    if "package" in results:
        lines.append(f"deployment package: {results['package']}")
    lines.append("\ntargets:")
    for path, (op, limit) in TARGETS.items():
        value = _target_value(results, path)
        verdict = "n/a" if value is None else ("met" if value <= limit else "NOT met")
        lines.append(f"  {path:<34} {op} {limit:<8} measured {value}  {verdict}")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small run (smoke test)")
    cases = "capacity,core,sweep,e2e,contention,import,package"
    parser.add_argument("--skip", default="", help=f"comma list: {cases}")
    parser.add_argument("--endpoint", help="a running DynamoDB Local; default: start one")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--sweep-one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.sweep_one:
        print(json.dumps(sweep_one(args.sweep_one)))
        return
    results = run(args.quick, set(filter(None, args.skip.split(","))), args.endpoint)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(table(results))
    print(f"\nwritten: {args.out}")


if __name__ == "__main__":
    main()
