"""Quality benchmark: replay simulated days through the guard in-process and score what it refunds.

The guard runs exactly as deployed: seller profiles through the API's validation into the store,
clicks and dwell reports through ClickIngest (the code behind POST /v1/clicks and /v1/dwell) in
event-time order, in batches of up to 500 or one second of event time, and a sweep every simulated
minute (the deployed schedule), all on MemoryStore. Days differ by seed and by the simulator's
knobs drawn from the seed (attack sizes, dwell scripts, jitter, camouflage, surges), and the
thresholds were tuned on TUNING_SEEDS only: HELD_OUT_SEEDS are the honest measure.

    python -m guardctl.evaluate [--seeds 1,2] [--json out.json] [--hours 24] [--variant NAME]
                                [--delivery NAME] [--day FILE.jsonl ...]

A variant moves some knobs outside the ranges the seeds draw from (VARIANTS): traffic the
thresholds were never tuned to, to see how the guard degrades rather than to meet the targets.
A delivery (--delivery NAME, DELIVERIES) changes how the same day reaches the guard: the stay
inside the click, dwell reports minutes late, a sweep every 5 minutes, or sources with only an ip.
A day from a file (--day, repeatable) is a labelled log built elsewhere, in the format `guardctl
simulate` writes (JSONL events and FILE.labels.json): traffic the thresholds never saw.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import defaultdict
from collections.abc import Collection
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace

import numpy as np

from chalicelib import sweep, validation
from chalicelib.config import Settings, overrides, settings
from chalicelib.detect.matcher import StoreCampaignMatcher
from chalicelib.ingest import ClickIngest
from chalicelib.models import COORDINATED_CAMPAIGN, DUPLICATE_CLICK, STAGE_DWELL, STAGE_REALTIME, Refund
from chalicelib.observability import logger, metrics
from chalicelib.storage.memory import MemoryStore
from guardctl.simulator import SimConfig, SimDay, read_jsonl, simulate

TUNING_SEEDS = (1, 2, 3)
HELD_OUT_SEEDS = (11, 12, 13)
LEGIT = ("organic", "seller_shopper", "surge", "viral")
# The targets of the issue; seller_shopper is reported, not gated (sellers do click rivals).
TARGETS = {
    "fraud_refunded": 0.97,
    "fraud_realtime": 0.80,
    "legit_refunded_max": 0.003,
    "target_charge_ratio_max": 1.5,
}
GATED_LEGIT = ("organic", "surge", "viral")
# Each target by name, in the order the summary counts the days meeting it.
MET = ("fraud_refunded", "fraud_realtime", *GATED_LEGIT, "charge_ratio")
# Days unlike the tuning days: each overrides the knobs a seed draws, outside their ranges.
VARIANTS: dict[str, dict] = {
    # Organic stays nearly exponential (Weibull shape 0.95 instead of 0.7): fewer bounces and
    # reads, closer to a script's band.
    "flat-dwell": {"organic_dwell_shape": 0.95},
    # Twice the shoppers behind carrier NAT, and a fifth of sessions logged out.
    "crowded-nat": {"nat_share": 0.6, "logged_out_share": 0.2},
    # Honest crowds beyond the drawn ranges: a viral listing at 30x, a pre-sale evening at 6x.
    "big-crowds": {"viral_multiplier": 30.0, "surge_multiplier": 6.0},
    # Dwell reported for 60% of clicks instead of 85%.
    "few-dwell": {"no_dwell_share": 0.4},
    # A loose script that looks like browsing: 20 s stays, log jitter 0.3, half the crews camouflaged.
    "loose-script": {"dwell_script_ms": 20_000, "dwell_jitter": 0.3, "camouflage": 0.5},
}


@dataclass(frozen=True)
class Delivery:
    """How a day reaches the guard. The default is the deployed path: dwell reported when the
    stay ends, a sweep every minute."""

    inline_dwell: bool = False  # the stay inside the click, no reports (a replay of logs)
    ip_only: bool = False  # sources without device, account or seller id (only the required ip)
    dwell_delay_ms: int = 0  # each report arrives this long after the stay ends
    sweep_every_ms: int = 60_000


DELIVERIES: dict[str, Delivery] = {
    # An ad server replaying logs in which the stay is already known: `dwell_ms` in the click.
    "inline-dwell": Delivery(inline_dwell=True),
    # Dwell reports batched by the ad server and sent 2 minutes after the stay ends.
    "late-dwell": Delivery(dwell_delay_ms=120_000),
    # A schedule (or a client calling POST /v1/sweeps) that sweeps every 5 minutes.
    "sweep-every-5min": Delivery(sweep_every_ms=300_000),
    # An ad server that knows no device fingerprint or login: every source is its ip (and agent).
    "ip-only": Delivery(ip_only=True),
}
IDENTITIES = ("device_id", "account_id", "seller_id")
BATCH = 500
SECOND_MS = 1000
MINUTE_MS = 60_000


def scenario(seed: int, hours: float = 24.0, variant: str | None = None) -> SimConfig:
    """The simulated day of a seed: the simulator's knobs drawn from the seed, so days differ,
    then a variant's overrides."""
    rng = np.random.default_rng([seed, 7919])
    script = int(rng.choice([8_000, 10_000, 12_000, 15_000]))
    low = int(rng.integers(8, 20)) * 1000
    drawn = SimConfig(
        seed=seed,
        hours=hours,
        attack_scale=float(rng.uniform(0.6, 1.5)),
        dwell_script_ms=script,
        dwell_jitter=float(rng.uniform(0.06, 0.22)),
        camouflage=float(rng.uniform(0.05, 0.3)),
        farm_dwell_ms=(low, low + int(rng.integers(15, 35)) * 1000),
        farm_repeat_share=float(rng.uniform(0.0, 0.4)),
        surge_multiplier=float(rng.uniform(3.0, 5.0)),
        viral_multiplier=float(rng.uniform(10.0, 20.0)),
        siege_same_category_share=float(rng.uniform(0.3, 0.7)),
        alliance_overlap=float(rng.uniform(0.2, 0.7)),
    )
    return replace(drawn, **VARIANTS[variant]) if variant else drawn


class ReplayStore(MemoryStore):
    """MemoryStore that notes the day's time at which each click's refund was written (`clock`,
    kept by the replay): the net charge during an attack needs the day's clock, not the wall's."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = 0
        self.refunded_on_day: dict[str, int] = {}

    def put_refund(self, refund: Refund) -> None:
        self.refunded_on_day.setdefault(refund.click_id, self.clock)
        super().put_refund(refund)


@dataclass
class Run:
    store: ReplayStore
    seconds: float
    sweeps: int
    sweep_seconds: float


def deliver(events: list[dict], delivery: Delivery) -> list[dict]:
    """The day's events in the order the guard receives them under `delivery`."""
    if delivery.ip_only:
        events = [
            {**e, "click": {**e["click"], "source": _ip_only(e["click"]["source"])}}
            if e["type"] == "click"
            else e
            for e in events
        ]
    if delivery.inline_dwell:
        stays = {e["dwell"]["click_id"]: e["dwell"]["dwell_ms"] for e in events if e["type"] == "dwell"}
        return [
            {**e, "click": {**e["click"], "dwell_ms": stays[e["click"]["click_id"]]}}
            if e["click"]["click_id"] in stays
            else e
            for e in events
            if e["type"] == "click"
        ]
    if delivery.dwell_delay_ms:
        delay = delivery.dwell_delay_ms
        late = [{**e, "ts_ms": e["ts_ms"] + delay} if e["type"] == "dwell" else e for e in events]
        return sorted(late, key=lambda e: e["ts_ms"])  # stable: same-time events keep their order
    return events


def _ip_only(source: dict) -> dict:
    return {k: v for k, v in source.items() if k not in IDENTITIES}


def replay(day: SimDay, cfg: Settings, delivery: Delivery = Delivery()) -> Run:
    """Drive the guard through a day: profiles first, then events in time order, sweeping each minute
    (or as `delivery` says)."""
    store = ReplayStore()
    for seller_id, body in day.sellers.items():
        store.put_seller(validation.parse_profile(seller_id, body, cfg))
    started = time.perf_counter()
    sweep_time = 0.0
    sweeps = 0
    ingest = ClickIngest(store, cfg, StoreCampaignMatcher(store, cfg))
    clicks: list[dict] = []
    dwells: list[tuple[str, int]] = []
    batch_second = None
    next_sweep = None
    last_ts = 0

    def flush():
        store.clock = last_ts
        if clicks:
            ingest.score_clicks(validation.parse_clicks({"clicks": clicks}, cfg))
            clicks.clear()
        if dwells:
            ingest.report_dwell(list(dwells))
            dwells.clear()
        metrics.clear_metrics()  # each request would publish its own; the benchmark publishes none

    def sweep_at(until: int) -> None:
        """Score what is batched, then sweep up to `until`, timed, with the day's clock at `until`."""
        nonlocal ingest, sweep_time, sweeps
        flush()
        store.clock = until
        t0 = time.perf_counter()
        sweep.run_sweep(store, cfg, until)
        sweep_time += time.perf_counter() - t0
        sweeps += 1
        # Campaigns change only at sweeps: a fresh matcher sees them, like a new request.
        ingest = ClickIngest(store, cfg, StoreCampaignMatcher(store, cfg))

    every = delivery.sweep_every_ms
    for event in deliver(day.events, delivery):
        ts = event["ts_ms"]
        if next_sweep is None:
            next_sweep = (ts // every + 1) * every
        while ts >= next_sweep:
            sweep_at(next_sweep)
            next_sweep += every
        second = ts // SECOND_MS
        if second != batch_second or len(clicks) >= BATCH or len(dwells) >= BATCH:
            flush()
            batch_second = second
        last_ts = ts
        if event["type"] == "click":
            clicks.append(event["click"])
        else:
            dwells.append((event["dwell"]["click_id"], event["dwell"]["dwell_ms"]))
    flush()
    if next_sweep is not None:
        sweep_at(next_sweep)
    return Run(store, time.perf_counter() - started, sweeps, sweep_time)


def score(day: SimDay, run: Run) -> dict:
    """The benchmark's numbers for one day (see the module docstring and docs/QUALITY.md)."""
    store = run.store
    clicks = {c["click_id"]: c for c in day.clicks()}
    stage: dict[str, str] = {}
    by_campaign: set[str] = set()
    only_duplicate: set[str] = set()
    for advertiser in {c["advertiser_id"] for c in clicks.values()}:
        after = None
        while True:
            page, after = store.query_refunds(advertiser, None, None, 1000, after, None)
            stage.update((r.click_id, r.stage) for r in page)
            by_campaign.update(r.click_id for r in page if COORDINATED_CAMPAIGN in r.reasons)
            only_duplicate.update(r.click_id for r in page if list(r.reasons) == [DUPLICATE_CLICK])
            if after is None:
                break
    spend: dict[str, int] = defaultdict(int)
    refunded: dict[str, int] = defaultdict(int)
    realtime: dict[str, int] = defaultdict(int)
    campaign: dict[str, int] = defaultdict(int)
    duplicate: dict[str, int] = defaultdict(int)
    for cid, click in clicks.items():
        label = day.labels[cid]
        # A log built elsewhere may name other honest traffic; it is organic to the targets.
        group = "fraud" if label["fraud"] else label["traffic"] if label["traffic"] in LEGIT else "organic"
        cost = click["cost_micros"]
        spend[group] += cost
        if cid in stage:
            refunded[group] += cost
            campaign[group] += cost if cid in by_campaign else 0
            duplicate[group] += cost if cid in only_duplicate else 0
            if stage[cid] in (STAGE_REALTIME, STAGE_DWELL):
                realtime[group] += cost
    out = {
        "clicks": len(clicks),
        "fraud_refunded": _share(refunded["fraud"], spend["fraud"]),
        "fraud_realtime": _share(realtime["fraud"], spend["fraud"]),
        "legit_refunded": {g: _share(refunded[g], spend[g]) for g in LEGIT},
        # The part refunded as a campaign's: what the campaign detection costs honest traffic,
        # apart from the per-click rules (duplicates, sub-second stays, rivals, agents).
        "legit_refunded_by_campaigns": {g: _share(campaign[g], spend[g]) for g in LEGIT},
        # The part refunded only as a second click within the duplicate window: a double click
        # is billed once, whoever makes it (an honest back-button re-click after a short stay too).
        "legit_refunded_as_duplicates": {g: _share(duplicate[g], spend[g]) for g in LEGIT},
        "fraud_spend_cny": round(spend["fraud"] / 1e6),
        "attacks": [],
        "run_seconds": round(run.seconds, 1),
        "sweeps": run.sweeps,
        "sweep_ms_mean": round(1000 * run.sweep_seconds / max(run.sweeps, 1), 2),
    }
    for attack in day.attacks:
        out["attacks"].append(_attack_numbers(attack, clicks, day.labels, stage, store.refunded_on_day))
    return out


def run_seed(
    seed: int, hours: float, cfg: Settings, variant: str | None = None, delivery: str | None = None
) -> dict:
    """Simulate, replay and score one day."""
    return _replay_and_score(simulate(scenario(seed, hours, variant)), cfg, delivery)


def run_file(path: str, cfg: Settings, delivery: str | None = None) -> dict:
    """Replay and score a labelled day read from a file (`guardctl simulate`'s format)."""
    day = read_jsonl(path)
    if not day.labels:
        raise SystemExit(f"{path}: no labels (expected {path}.labels.json)")
    unlabelled = [c["click_id"] for c in day.clicks() if c["click_id"] not in day.labels]
    if unlabelled:
        raise SystemExit(f"{path}: {len(unlabelled)} clicks have no label, the first {unlabelled[0]}")
    return _replay_and_score(day, cfg, delivery)


def _replay_and_score(day: SimDay, cfg: Settings, delivery: str | None) -> dict:
    logger.setLevel("WARNING")  # a day drops thousands of clicks; each is logged at INFO
    return score(day, replay(day, cfg, DELIVERIES[delivery] if delivery else Delivery()))


def _attack_numbers(
    attack: dict, clicks: dict, labels: dict, stage: dict, refunded_on_day: dict[str, int]
) -> dict:
    """What the attacked advertisers paid during the attack, against their honest traffic then.

    Charged at the time (gated): every click on them in the attack's span that was not stopped at
    click or dwell time (a later sweep gives the money back, but the budget was drained
    meanwhile). Net at its end (reported): of those, what was not given back by the time the
    attack ended (`refunded_on_day`: when each refund was written, on the day's clock), the budget
    a target had lost once the attack was over if a refund goes back into it when written. Paid in
    the end: what no rule refunded, the sweep's credits included.
    """
    advertisers = set(attack["targets"]["advertiser_ids"])
    lo, hi = attack["start_ms"], attack["end_ms"]
    charged = net = paid = honest = fraud = fraud_refunded = fraud_live = 0
    for cid, c in clicks.items():
        if c["advertiser_id"] not in advertisers or not lo <= c["ts"] <= hi:
            continue
        cost = c["cost_micros"]
        if not labels[cid]["fraud"]:
            honest += cost
        if stage.get(cid) not in (STAGE_REALTIME, STAGE_DWELL):
            charged += cost
            net += cost if refunded_on_day.get(cid, hi + 1) > hi else 0
        if cid not in stage:
            paid += cost
        if labels[cid]["attack_id"] == attack["attack_id"]:
            fraud += cost
            fraud_refunded += cost if cid in stage else 0
            fraud_live += cost if stage.get(cid) in (STAGE_REALTIME, STAGE_DWELL) else 0
    return {
        "attack_id": attack["attack_id"],
        "kind": attack["kind"],
        "minutes": round((hi - lo) / MINUTE_MS, 1),
        "fraud_cny": round(fraud / 1e6),
        "refunded": _share(fraud_refunded, fraud),
        "stopped_live": _share(fraud_live, fraud),
        "charge_ratio": round(charged / honest, 2) if honest else None,
        "net_ratio": round(net / honest, 2) if honest else None,
        "paid_ratio": round(paid / honest, 2) if honest else None,
    }


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 5) if whole else None


def _missed(numbers: dict) -> list[tuple[str, str]]:
    """The targets a day misses: each as its name in `MET` and in words."""
    out = []
    if (numbers["fraud_refunded"] or 0) < TARGETS["fraud_refunded"]:
        out.append(
            (
                "fraud_refunded",
                f"fraud refunded {numbers['fraud_refunded']:.3f} < {TARGETS['fraud_refunded']}",
            )
        )
    if (numbers["fraud_realtime"] or 0) < TARGETS["fraud_realtime"]:
        out.append(("fraud_realtime", f"fraud stopped live {numbers['fraud_realtime']:.3f} < 0.80"))
    # Everything refunded counts against honest traffic, whichever rule refunded it.
    for g in GATED_LEGIT:
        v = numbers["legit_refunded"][g]
        if v is not None and v > TARGETS["legit_refunded_max"]:
            out.append((g, f"{g} refunded {v:.4f} > 0.003"))
    for a in _over_ratio(numbers, "charge_ratio"):
        out.append(("charge_ratio", f"{a['attack_id']} targets charged {a['charge_ratio']}x honest > 1.5x"))
    return out


def _over_ratio(numbers: dict, ratio: str) -> list[dict]:
    """The day's attacks, bots aside as the gate always had them, whose targets paid over 1.5x their
    honest spend by `ratio` (charged at the time, or net at the attack's end)."""
    return [
        a
        for a in numbers["attacks"]
        if a["kind"] != "bots" and (a[ratio] or 0) > TARGETS["target_charge_ratio_max"]
    ]


def misses(numbers: dict) -> list[str]:
    """The targets a day misses, in words."""
    return [words for _, words in _missed(numbers)]


def days_meeting(results: dict, days: Collection) -> dict[str, int]:
    """Of these days, how many meet each target, and how many meet them all: the count a reader
    of the table would otherwise tally by hand."""
    missed = [{name for name, _ in _missed(results[d])} for d in days if d in results]
    out = {name: sum(1 for m in missed if name not in m) for name in MET}
    net = sum(1 for d in days if d in results and not _over_ratio(results[d], "net_ratio"))
    return {"days": len(missed), **out, "all": sum(1 for m in missed if not m), "net_ratio": net}


def _pct(v: float | None, digits: int = 1) -> str:
    return "  n/a" if v is None else f"{100 * v:.{digits}f}%"


def print_table(results: dict, held_out: Collection) -> None:
    groups = ("legit_refunded", "legit_refunded_by_campaigns", "legit_refunded_as_duplicates")
    titles = ("honest spend refunded", "of it, as a campaign's", "of it, only as duplicates")
    w = max([6, *(len(str(key)) for key in results)])  # a day from a file is named by its path
    lead = f"{'seed':>{w}} {'set':>8} {'clicks':>7} {'fraud ref':>9} {'live':>7} "
    width = 11 * len(LEGIT) - 1
    print(" " * len(lead) + " | ".join(f"{t:^{width}}" for t in titles))
    head = (
        lead
        + " | ".join(" ".join(f"{g[:10]:>10}" for g in LEGIT) for _ in groups)
        + f" {'run s':>6} {'sweep ms':>8}"
    )
    print(head)
    print("-" * len(head))
    for seed, n in results.items():
        print(
            f"{seed!s:>{w}} {'held-out' if seed in held_out else 'tuning':>8} {n['clicks']:>7} "
            f"{_pct(n['fraud_refunded']):>9} {_pct(n['fraud_realtime']):>7} "
            + " | ".join(" ".join(f"{_pct(n[k][g], 2):>10}" for g in LEGIT) for k in groups)
            + f" {n['run_seconds']:>6} {n['sweep_ms_mean']:>8}"
        )
    print()
    print(
        f"{'seed':>{w}} {'attack':>17} {'kind':>14} {'min':>6} {'fraud CNY':>9} {'refunded':>9} "
        f"{'live':>7} {'charged/honest':>14} {'net at end':>10} {'paid/honest':>11}"
    )
    for seed, n in results.items():
        for a in n["attacks"]:
            ratio, net, paid = (
                "n/a" if a[k] is None else f"{a[k]}x" for k in ("charge_ratio", "net_ratio", "paid_ratio")
            )
            shares = f"{_pct(a['refunded']):>9} {_pct(a['stopped_live']):>7}"
            print(
                f"{seed!s:>{w}} {a['attack_id']:>17} {a['kind']:>14} {a['minutes']:>6} "
                f"{a['fraud_cny']:>9} {shares} {ratio:>14} {net:>10} {paid:>11}"
            )


def overall(results: dict[int, dict], seeds) -> dict:
    """Mean of the per-day shares over some seeds."""
    picked = [results[s] for s in seeds if s in results]
    if not picked:
        return {}

    def mean(values):
        values = [v for v in values if v is not None]
        return round(float(np.mean(values)), 5) if values else None

    return {
        "fraud_refunded": mean(n["fraud_refunded"] for n in picked),
        "fraud_realtime": mean(n["fraud_realtime"] for n in picked),
        "legit_refunded": {g: mean(n["legit_refunded"][g] for n in picked) for g in LEGIT},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", help="comma-separated seeds (default: tuning and held-out)")
    parser.add_argument("--hours", type=float, default=24.0, help="simulated hours per day")
    parser.add_argument("--json", help="write the numbers to this file")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="days replayed at once")
    parser.add_argument("--variant", choices=sorted(VARIANTS), help="days unlike the tuning days (VARIANTS)")
    parser.add_argument("--delivery", choices=sorted(DELIVERIES), help="how the days reach the guard")
    parser.add_argument(
        "--day",
        action="append",
        default=[],
        metavar="FILE",
        help="a labelled JSONL day from elsewhere (repeatable)",
    )
    args = parser.parse_args(argv)
    if args.seeds or not args.day:
        seeds = [int(s) for s in args.seeds.split(",")] if args.seeds else list(TUNING_SEEDS + HELD_OUT_SEEDS)
    else:
        seeds = []
    # Days from files were never tuned on: they count as held out, named by their file.
    held_out = sorted({s for s in seeds if s not in TUNING_SEEDS} | set(args.day), key=str)
    # The guard's own FG_* overrides apply, as in a deployed stage: `FG_STRICT_RIVAL=true make eval`.
    cfg, overridden = settings(), overrides()
    started = time.perf_counter()
    tasks = {seed: (run_seed, (seed, args.hours, cfg, args.variant, args.delivery)) for seed in seeds}
    tasks.update({path: (run_file, (path, cfg, args.delivery)) for path in args.day})
    jobs = max(1, min(args.jobs, len(tasks)))
    if jobs == 1:
        results = {key: fn(*fn_args) for key, (fn, fn_args) in tasks.items()}
    else:
        # One day per process: days are independent and each replay is single-threaded.
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = {key: pool.submit(fn, *fn_args) for key, (fn, fn_args) in tasks.items()}
            results = {key: f.result() for key, f in futures.items()}
    print(
        f"Tuned on seeds {list(TUNING_SEEDS)}; held out (never tuned on): "
        f"{held_out or 'none in this run'}."
        + (f" Variant {args.variant}: {VARIANTS[args.variant]}." if args.variant else "")
        + (f" Delivery {args.delivery}: {DELIVERIES[args.delivery]}." if args.delivery else "")
        + (
            " Settings overridden: " + ", ".join(f"{k}={v}" for k, v in overridden.items()) + "."
            if overridden
            else ""
        )
    )
    print_table(results, held_out)
    summary = {
        "tuning": overall(results, TUNING_SEEDS),
        "held_out": overall(results, held_out),
    }
    print()
    for name, numbers in summary.items():
        if numbers:
            print(
                f"{name:>9}: fraud refunded {_pct(numbers['fraud_refunded'])}, stopped live "
                f"{_pct(numbers['fraud_realtime'])}, legit refunded "
                + ", ".join(f"{g} {_pct(v, 3)}" for g, v in numbers["legit_refunded"].items())
            )
    meeting = days_meeting(results, held_out)
    if meeting["days"]:
        print(
            f"held-out days meeting each target (of {meeting['days']}): fraud refunded >= 97% "
            f"{meeting['fraud_refunded']}, stopped live >= 80% {meeting['fraud_realtime']}, "
            + ", ".join(f"{g} <= 0.3% {meeting[g]}" for g in GATED_LEGIT)
            + f", charged <= 1.5x honest {meeting['charge_ratio']}; every target {meeting['all']}"
            + f" (reported, not gated: net <= 1.5x at the attack's end {meeting['net_ratio']})"
        )
    failed = {s: misses(results[s]) for s in held_out}
    failed = {s: m for s, m in failed.items() if m}
    for s, m in failed.items():
        print(f"held-out {s} misses: " + "; ".join(m))
    print(f"run time {time.perf_counter() - started:.1f} s")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(
                {
                    "seeds": results,
                    "summary": summary,
                    "held_out": held_out,
                    "tuning": list(TUNING_SEEDS),
                    "misses": failed,
                    "held_out_days_meeting": meeting,
                    "variant": args.variant,
                    "delivery": args.delivery,
                    "overrides": overridden,
                },
                f,
                indent=2,
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
