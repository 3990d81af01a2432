"""The merchant dashboard in a real headless Chromium, against the guard served as `make run` does.

1. `guardctl serve` (chalice local over DynamoDB Local, in memory) on 127.0.0.1, a free port.
2. Seed it over HTTP: seller profiles, ~420 clicks over the last five hours for merchant S1
   (shoppers, bots, rival sellers, repeat clicks, short dwells) and a few for S2.
3. `node tests/browser/dashboard.mjs` drives Debian's /usr/bin/chromium with playwright-core:
   merchant sign-in, chart, table, "older" paging, reason filter, CSV download, screenshot,
   then an analyst sign-in with the campaigns section.
4. Check what it saw, and that the screenshot (out/dashboard.png) is not blank.

Needs: node + `npm ci` (playwright-core), chromium (`apt-get install chromium`), java (DynamoDB
Local). Marked `browser`: `make test-browser` runs it. Every process it starts is stopped.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zlib
from contextlib import suppress
from pathlib import Path

import numpy as np
import pytest

from chalicelib.auth import mint_token
from chalicelib.storage.campaigns import Campaign

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tests" / "browser" / "dashboard.mjs"
OUT = ROOT / "out"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SECRET = "browser-test-secret-" + "z" * 40
START_TIMEOUT_S = 45
DRIVER_TIMEOUT_S = 60
HOUR_MS = 3_600_000
REFUND_CSV_HEADER = (
    "refund_id,click_id,advertiser_id,listing_id,keyword,click_ts,refunded_at,amount_micros,"
    "currency,stage,kind,reasons,campaign_id"
)


def _require_tools() -> None:
    missing = []
    if not Path(CHROMIUM).exists():
        missing.append(f"{CHROMIUM} (apt-get install -y chromium)")
    if not shutil.which("node"):
        missing.append("node")
    if not (ROOT / "node_modules" / "playwright-core").is_dir():
        missing.append("node_modules/playwright-core (npm ci)")
    if not shutil.which("java") and not os.environ.get("JAVA_HOME"):
        missing.append("java (DynamoDB Local)")
    if missing:
        pytest.fail("the browser test needs: " + ", ".join(missing), pytrace=False)


def die_with_parent() -> None:  # runs in the child between fork and exec
    """Linux: the kernel sends SIGTERM to the child if the test process dies without stopping it."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _stop(proc: subprocess.Popen, timeout: float = 15) -> None:
    """SIGTERM the process group (the guard stops DynamoDB Local itself), then SIGKILL it."""
    if proc.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=timeout)


@pytest.fixture(scope="module")
def guard(tmp_path_factory):
    """The guard on http://127.0.0.1:<free port>, over an in-memory DynamoDB Local."""
    _require_tools()
    state = tmp_path_factory.mktemp("guard-state")
    log_path = state / "serve.log"
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FG_", "FRAUDGUARD_", "CLICKGUARD_"))
    }
    # The strict per-click dwell rule, so that the seeded day shows every kind of refund.
    env.update(FRAUDGUARD_JWT_SECRET=SECRET, PYTHONUNBUFFERED="1", FG_WEIGHT_SHORT_DWELL="0.8")
    code = (
        "import sys; from pathlib import Path; from guardctl import localrun; "
        "sys.exit(localrun.serve(port=0, project_dir=Path(sys.argv[1]), state_dir=Path(sys.argv[2])))"
    )
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-c", code, str(ROOT), str(state)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=die_with_parent,  # Linux: SIGTERM if pytest dies without cleaning up
        )
    try:
        url = _wait_for_url(proc, log_path)
        yield url
    finally:
        _stop(proc)


def _wait_for_url(proc: subprocess.Popen, log_path: Path) -> str:
    deadline = time.monotonic() + START_TIMEOUT_S
    url = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"guardctl serve exited ({proc.returncode}):\n{log_path.read_text()[-3000:]}")
        if url is None:
            found = re.search(r"serving on (http://127\.0\.0\.1:\d+)", log_path.read_text(errors="replace"))
            url = found.group(1) if found else None
        if url:
            with suppress(OSError), urllib.request.urlopen(f"{url}/v1/health", timeout=2) as resp:
                if resp.status == 200:
                    return url
        time.sleep(0.2)
    pytest.fail(f"the guard did not come up in {START_TIMEOUT_S} s:\n{log_path.read_text()[-3000:]}")


def call(url: str, method: str, path: str, token: str, body=None):
    data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
    req = urllib.request.Request(
        url + path,
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        raise AssertionError(f"{method} {path}: {exc.code} {exc.read()[:500]!r}") from None


SHOPPER_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AliApp(TB/10.30)"
KEYWORDS = ("连衣裙", "毛呢外套", "羽绒服女", "针织衫")


def seed(url: str) -> dict:
    """A few hundred clicks over the last five hours, so that every kind of refund exists."""
    rng = random.Random(20131208)
    adserver = mint_token(SECRET, "adserver", "browser-test")
    call(url, "PUT", "/v1/sellers/S1", adserver, {"categories": ["女装"]})
    call(
        url,
        "PUT",
        "/v1/sellers/S2",
        adserver,
        {"categories": ["女装"], "account_ids": ["rival-1", "rival-2"]},
    )
    now = int(time.time() * 1000)
    start = now - 5 * HOUR_MS
    clicks, short = [], []

    def click(n: int, ts: int, advertiser="S1", **source):
        src = {"ip": f"10.{n % 200}.{n // 200 % 250}.{n % 250 + 1}", "device_id": f"dev-{n}"}
        src.update({"account_id": f"acct-{n}", "user_agent": SHOPPER_UA}, **source)
        return {
            "click_id": f"bt-{n}",
            "ts": ts,
            "advertiser_id": advertiser,
            "listing_id": f"L{n % 12}",
            "cost_micros": rng.choice((1_200_000, 2_350_000, 3_990_000, 8_500_000)),
            "keyword": rng.choice(KEYWORDS),
            "category": "女装",
            "source": {k: v for k, v in src.items() if v is not None},
        }

    for n in range(420):
        ts = start + int(5 * HOUR_MS * (n / 420) ** 0.8) + rng.randrange(60_000)
        kind = rng.random()
        if kind < 0.30:  # scripted clients
            agent = rng.choice(("curl/8.4.0", "python-requests/2.31", "Mozilla/5.0 HeadlessChrome/120.0"))
            clicks.append(click(n, ts, user_agent=agent))
        elif kind < 0.40:  # a rival seller's accounts, again and again on S1's listings
            clicks.append(click(n, ts, account_id=rng.choice(("rival-1", "rival-2")), device_id="rival-dev"))
        elif kind < 0.48:  # the same shopper tapping the same listing twice
            first = click(n, ts)
            again = {**first, "click_id": f"bt-{n}-again", "ts": ts + 4_000}  # a double tap
            clicks += [first, again]
        else:
            clicks.append(click(n, ts))
            if kind > 0.86:
                short.append(f"bt-{n}")
    clicks += [click(1000 + n, start + n * 600_000, advertiser="S2") for n in range(20)]
    # a chat-room siege: the same 40 accounts on one listing in three waves, ~10 s stays
    siege = []
    for wave in range(3):
        at = now - (200 - 60 * wave) * 60_000
        for i in range(40):
            siege.append(
                click(2000 + i, at + rng.randrange(300_000), device_id=f"sg-dev-{i}", account_id=f"sg-{i}")
            )
            siege[-1].update(click_id=f"siege-{wave}-{i}", listing_id="L1", keyword="连衣裙")
    clicks += siege
    clicks.sort(key=lambda c: c["ts"])
    decisions = []
    for i in range(0, len(clicks), 250):
        decisions += call(url, "POST", "/v1/clicks", adserver, {"clicks": clicks[i : i + 250]})["results"]
    dwell = [{"click_id": c, "dwell_ms": rng.randrange(150, 900)} for c in short]
    dwell += [{"click_id": c["click_id"], "dwell_ms": rng.randrange(5_000, 90_000)} for c in clicks[:100]]
    dwell += [{"click_id": c["click_id"], "dwell_ms": rng.randrange(9_500, 10_600)} for c in siege]
    for i in range(0, len(dwell), 500):
        call(url, "POST", "/v1/dwell", adserver, {"dwell": dwell[i : i + 500]})
    call(url, "POST", "/v1/sweeps", adserver, {})
    merchant = mint_token(SECRET, "merchant", "browser-test", merchant_id="S1")
    summary = call(url, "GET", "/v1/merchants/S1/refunds/summary?bucket=hour", merchant)
    return {
        "clicks": len(clicks),
        "dropped": sum(d["decision"] == "drop" for d in decisions),
        "summary": summary,
    }


def campaign_fixture() -> dict:
    """One campaign as GET /v1/campaigns and /v1/campaigns/{id} shape it (the store's own class)."""
    now = int(time.time() * 1000)
    campaign = Campaign(
        campaign_id="cmp-test-siege",
        anchor="listing:L1",
        start_ts=now - 200 * 60_000,
        end_ts=now - 75 * 60_000,
        detected_ts=now - 70 * 60_000,
        clicks=120,
        micros=478_800_000,
        advertisers=["S1"],
        listings=["L1"],
        keywords=["连衣裙"],
        accounts=[f"sg-{i}" for i in range(40)],
        devices=[f"sg-dev-{i}" for i in range(40)],
        ips=[f"172.16.{i}.1" for i in range(12)],
        seller_ids=["S2"],
        dwell={"low_ms": 9500.0, "high_ms": 10600.0},
        reasons=["COORDINATED_CAMPAIGN", "DWELL_PATTERN"],
        signals={"lift": 14.2},
    )
    return {"summary": campaign.summary(), "detail": campaign.to_json()}


def run_driver(url: str) -> dict:
    env = {
        **os.environ,
        "DASHBOARD_URL": f"{url}/dashboard",
        "MERCHANT_TOKEN": mint_token(SECRET, "merchant", "merchant-S1", merchant_id="S1"),
        "ANALYST_TOKEN": mint_token(SECRET, "analyst", "analyst-1"),
        "MERCHANT_ID": "S1",
        "CAMPAIGN_FIXTURE": json.dumps(campaign_fixture(), ensure_ascii=False),
        "OUT_DIR": str(OUT),
        "CHROMIUM": CHROMIUM,
    }
    proc = subprocess.Popen(
        ["node", str(SCRIPT)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # node and the chromium it starts: one group to stop
        preexec_fn=die_with_parent,
    )
    try:
        out, err = proc.communicate(timeout=DRIVER_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        _stop(proc, timeout=5)
        pytest.fail(f"the browser driver took more than {DRIVER_TIMEOUT_S} s")
    finally:
        with suppress(ProcessLookupError):  # chromium helpers that outlived node
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0, f"dashboard.mjs failed ({proc.returncode}):\n{err.decode()[-4000:]}"
    return json.loads(out.decode().strip().splitlines()[-1])


# ---- PNG, decoded with zlib only ------------------------------------------------------------------


def decode_png(data: bytes) -> tuple[int, int, np.ndarray]:
    """(width, height, pixels as an array of rows x width x channels) of an 8-bit non-interlaced PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, [], None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, chunk = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat.append(chunk)
        pos += 12 + length
    width, height, depth, color, _, _, interlace = header
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[color]
    assert depth == 8 and interlace == 0, (depth, interlace)
    stride = width * channels
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), dtype=np.uint8).reshape(height, stride + 1)
    out = np.zeros((height, stride), dtype=np.uint8)
    prev = np.zeros(stride, dtype=np.uint8)
    for y in range(height):
        filt, line = raw[y, 0], raw[y, 1:]
        if filt == 0:
            row = line.copy()
        elif filt == 1:  # Sub: a running sum per channel
            row = (
                np.cumsum(line.reshape(width, channels), axis=0, dtype=np.uint64).astype(np.uint8).reshape(-1)
            )
        elif filt == 2:  # Up
            row = line + prev
        else:  # Average and Paeth depend on the pixel just decoded: one pixel at a time
            row = _unfilter_sequential(filt, line.tolist(), prev.tolist(), channels)
        out[y] = row
        prev = row
    return width, height, out.reshape(height, width, channels)


def _unfilter_sequential(filt: int, line: list, prev: list, channels: int) -> np.ndarray:
    for x in range(len(line)):
        a = line[x - channels] if x >= channels else 0
        b = prev[x]
        if filt == 3:
            line[x] = (line[x] + (a + b) // 2) & 0xFF
        else:
            c = prev[x - channels] if x >= channels else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
    return np.array(line, dtype=np.uint8)


def picture_stats(path: Path) -> dict:
    width, height, pixels = decode_png(path.read_bytes())
    rgb = pixels[..., :3] if pixels.shape[2] >= 3 else np.repeat(pixels[..., :1], 3, axis=2)
    flat = rgb.reshape(-1, 3).astype(np.int32)
    r, g, b = flat[:, 0], flat[:, 1], flat[:, 2]
    return {
        "width": width,
        "height": height,
        "colors": len(np.unique(r << 16 | g << 8 | b)),
        "not_white": float(np.mean((r < 240) | (g < 240) | (b < 240))),
        "accent": float(np.mean((r > 150) & (g < 110) & (b < 60))),  # the refunded bars' orange-red
    }


# ---- the test --------------------------------------------------------------------------------------


def test_dashboard_in_a_real_browser(guard):
    started = time.monotonic()
    seeded = seed(guard)
    summary = seeded["summary"]
    assert summary["refunded_clicks"] > 100, summary  # enough for a second page
    assert set(summary["by_reason"]) >= {"BOT_AGENT", "SHORT_DWELL", "DUPLICATE_CLICK"}, summary["by_reason"]

    seeded_s = time.monotonic() - started
    seen = run_driver(guard)
    print(f"seeded {seeded['clicks']} clicks in {seeded_s:.1f} s; browser steps: {seen['steps']}")

    assert seen["page_status"] == 200 and "Click guard" in seen["title"]
    assert seen["who"] == "Merchant S1"
    assert not [m for m in seen["console"] if "favicon" not in m], seen["console"]
    assert seen["requests"] == [guard], "the page must talk to its own origin only"
    # the chart comes first, with bars
    assert seen["first_section"].startswith("Refunded clicks per hour")
    assert seen["chart"]["bars"] >= 24 and seen["chart"]["refunded_bars"] >= 4, seen["chart"]
    assert seen["chart"]["width"] > 900
    assert "refunded of" in seen["tooltip"]
    # totals and split, money from integer micros
    refunded, amount = seen["kpis"][0], seen["kpis"][1]
    assert refunded.startswith(f"{summary['refunded_clicks']:,} of {summary['clicks']:,}")
    fen = (summary["refunded_micros"] + 5000) // 10000
    assert amount == f"¥{fen // 100:,}.{fen % 100:02d}"
    assert {code for code, _ in seen["reasons_split"]} == set(summary["by_reason"])
    # the table: headers, local time with UTC in the title, paging
    assert all(h.startswith("col:") for h in seen["headers"]), seen["headers"]
    assert seen["rows"] == 100 and seen["rows_after_older"] > 100
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \(UTC\)", seen["first_row"]["time_title"])
    assert seen["first_row"]["cells"][-1].startswith("¥")
    assert seen["labels_ok"], "every visible form control has a label"
    # reason filter and CSV
    assert 0 < seen["filtered_rows"] <= summary["by_reason"]["BOT_AGENT"]["count"]
    assert seen["csv_header"] == REFUND_CSV_HEADER
    assert seen["csv_rows"] == summary["by_reason"]["BOT_AGENT"]["count"] and seen["csv_all_bot"]
    assert seen["csv_name"].startswith("refunds-S1-BOT_AGENT-") and seen["csv_name"].endswith(".csv")
    # the analyst sees the campaigns section
    assert seen["analyst_who"].startswith("Analyst")
    assert seen["campaign_detail"] == "Campaign cmp-test-siege"
    assert seen["campaign_members"] == [
        ["Accounts (40)", 40],
        ["Devices (40)", 40],
        ["IPs (12)", 12],
        ["Seller ids (1)", 1],
    ]
    # the screenshot shows a page, a chart in the accent colour
    stats = picture_stats(OUT / "dashboard.png")
    assert stats["width"] == 1280 and stats["height"] >= 900, stats
    assert stats["colors"] > 40, stats
    assert 0.1 < stats["not_white"] < 0.95, stats
    assert stats["accent"] > 0.002, stats
    assert time.monotonic() - started < 60
