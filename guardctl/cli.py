"""`guardctl`: the click guard's developer command line.

    guardctl token ROLE [--merchant-id ID] [--sub SUB] [--ttl SECONDS] [--secret S]
    guardctl serve [--port N] [--persist] [--no-schedule]
    guardctl simulate [--seed N] [--hours H] [--out FILE.jsonl]
    guardctl replay FILE.jsonl [--url URL] [--batch N] [--sweep-every SECONDS]
    guardctl refunds MERCHANT [--url URL] [--from T] [--to T] [--reason CODE] [--limit N]

Adding a subcommand: write `def _add_<name>(subparsers)` that adds a parser with
`subparsers.add_parser(...)` and sets `handler=<function(args) -> exit status>` with
`set_defaults`, and list it in COMMANDS. Import heavy modules inside the handler, so that
`guardctl token` stays fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SECRET_ENV = "FRAUDGUARD_JWT_SECRET"
ROLES = ("adserver", "merchant", "analyst")  # chalicelib.auth.ROLES (imported lazily)
DEFAULT_TTL_S = 12 * 3600


class CommandError(Exception):
    """A usage or environment problem to report in one line (exit status 2)."""


def project_dir() -> Path:
    """The chalice project: this checkout (editable install), else the current directory."""
    return REPO_ROOT if (REPO_ROOT / "app.py").is_file() else Path.cwd()


def ensure_project_importable() -> Path:
    """Put the project on sys.path: `chalicelib` is not installed, it is imported from there."""
    root = project_dir()
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    return root


def _env_flag(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    return raw in ("1", "true", "yes", "on") if raw else default


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    try:
        return int(raw) if raw else default
    except ValueError:
        raise CommandError(f"{name}={raw!r} is not a number") from None


# --- token -------------------------------------------------------------------------------------


def signing_secret(explicit: str | None, state_dir: Path | None = None) -> str:
    """--secret, else FRAUDGUARD_JWT_SECRET, else the secret `make run` keeps in .local/."""
    from guardctl.localrun import MIN_SECRET_BYTES, default_state_dir, read_secret_file

    secret = explicit or os.environ.get(SECRET_ENV)
    where = "--secret" if explicit else SECRET_ENV
    if not secret:
        state_dir = state_dir or default_state_dir(project_dir())
        secret = read_secret_file(state_dir)
        where = str(state_dir / "jwt-secret")
    if not secret:
        raise CommandError(
            f"no signing secret: pass --secret, set {SECRET_ENV}, or start `make run` once "
            f"(it writes {where})"
        )
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise CommandError(f"the secret from {where} is shorter than {MIN_SECRET_BYTES} bytes")
    return secret


def run_token(args) -> int:
    from chalicelib.auth import mint_token

    if args.role == "merchant" and not args.merchant_id:
        raise CommandError("a merchant token needs --merchant-id")
    if args.role != "merchant" and args.merchant_id:
        raise CommandError("--merchant-id is only for merchant tokens")
    if args.ttl <= 0:
        raise CommandError("--ttl must be a positive number of seconds")
    secret = signing_secret(args.secret, args.state_dir)
    sub = args.sub or (f"merchant-{args.merchant_id}" if args.merchant_id else f"dev-{args.role}")
    print(mint_token(secret, args.role, sub, merchant_id=args.merchant_id, ttl_s=args.ttl))
    return 0


def _add_token(subparsers) -> None:
    parser = subparsers.add_parser(
        "token",
        help="mint a dev JWT for a role",
        description=(
            "Print a signed HS256 JWT for ROLE. The secret is --secret, else "
            f"${SECRET_ENV}, else .local/jwt-secret (written by `make run`)."
        ),
    )
    parser.add_argument("role", choices=ROLES, metavar="ROLE", help=" | ".join(ROLES))
    parser.add_argument("--merchant-id", help="the merchant_id claim (merchant tokens)")
    parser.add_argument("--sub", help="the sub claim (default: dev-ROLE or merchant-ID)")
    parser.add_argument(
        "--ttl",
        type=int,
        default=DEFAULT_TTL_S,
        metavar="SECONDS",
        help=f"lifetime in seconds (default {DEFAULT_TTL_S})",
    )
    parser.add_argument("--secret", help=f"signing secret (default ${SECRET_ENV})")
    parser.add_argument("--state-dir", type=Path, help=argparse.SUPPRESS)
    parser.set_defaults(handler=run_token)


# --- serve -------------------------------------------------------------------------------------


def run_serve(args) -> int:
    from guardctl import localrun

    return localrun.serve(
        port=args.port,
        persist=args.persist,
        project_dir=project_dir(),
        state_dir=args.state_dir,
        schedule=args.schedule,
    )


def _add_serve(subparsers) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="serve the guard locally on DynamoDB Local (what `make run` runs)",
        description=(
            "Serve chalice local (stage `local`) on http://127.0.0.1:PORT over an embedded "
            "DynamoDB Local, until Ctrl-C. Tables start empty unless --persist."
        ),
    )
    parser.add_argument(
        "--port",
        type=int,
        default=_env_int("PORT", 8000),
        help="HTTP port (default $PORT or 8000)",
    )
    parser.add_argument(
        "--persist",
        action="store_true",
        default=_env_flag("PERSIST"),
        help="keep tables in .local/dynamodb across runs (default: $PERSIST=1, else in memory)",
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        help="where the secret, the DynamoDB Local log and data go (default .local/)",
    )
    parser.add_argument(
        "--no-schedule",
        dest="schedule",
        action="store_false",
        default=_env_flag("SCHEDULE", True),
        help="do not run the scheduled sweep on event time (default: run it, unless $SCHEDULE=0)",
    )
    parser.set_defaults(handler=run_serve)


# --- simulate, replay, refunds -------------------------------------------------------------------

DEFAULT_URL = "http://127.0.0.1:8000"


def run_simulate(args) -> int:
    from collections import Counter

    from guardctl.simulator import SimConfig, simulate, write_jsonl
    from guardctl.tables import render

    day = simulate(SimConfig(seed=args.seed, hours=args.hours, organic_clicks=args.organic_clicks))
    write_jsonl(day, args.out)
    counts = Counter(label["traffic"] for label in day.labels.values())
    rows = [(traffic, f"{n:,}") for traffic, n in counts.most_common()]
    rows.append(("attacks", ", ".join(a["attack_id"] for a in day.attacks)))
    print(render(("traffic", "clicks"), rows))
    print(f"wrote {args.out} and {args.out}.labels.json")
    return 0


def _add_simulate(subparsers) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="write a simulated, labelled marketplace day as JSONL",
        description="Organic shoppers, sellers who shop, a pre-sale surge, a viral listing and the "
        "attacks of the seeds, as JSONL that `guardctl replay` sends to a guard.",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--hours", type=float, default=24.0, help="span of event time (default 24)")
    parser.add_argument("--organic-clicks", type=int, default=20_000, help="organic volume over the span")
    parser.add_argument("--out", type=Path, default=Path("day.jsonl"))
    parser.set_defaults(handler=run_simulate)


def _tokens(args) -> dict[str, str]:
    from chalicelib.auth import mint_token

    secret = signing_secret(args.secret, None)
    return {role: mint_token(secret, role, f"guardctl-{role}") for role in ("adserver", "analyst")}


def run_replay(args) -> int:
    from guardctl import replay

    if not args.file.is_file():
        raise CommandError(f"{args.file} does not exist (make one with `guardctl simulate`)")
    stats = replay.replay(
        args.file,
        args.url,
        _tokens(args),
        batch_size=args.batch,
        sweep_every_s=args.sweep_every,
        progress=None if args.quiet else replay.progress_bar(),
    )
    print(replay.summary_table(stats))
    return 0


def _add_guard_arguments(parser) -> None:
    """--url and --secret, for the commands that talk to a running guard."""
    parser.add_argument("--url", default=DEFAULT_URL, help=f"the guard (default {DEFAULT_URL})")
    parser.add_argument("--secret", help=f"signing secret (default ${SECRET_ENV} or .local/jwt-secret)")


def _add_replay(subparsers) -> None:
    parser = subparsers.add_parser(
        "replay",
        help="stream recorded clicks and dwell reports to a guard, in time order",
        description="Send seller profiles, then clicks and dwell reports in event-time order, with "
        "a sweep every minute of event time; ends with a summary table.",
    )
    parser.add_argument("file", type=Path, metavar="FILE.jsonl")
    parser.add_argument("--batch", type=int, default=500, help="clicks or dwell reports per request")
    parser.add_argument(
        "--sweep-every", type=int, default=60, metavar="SECONDS", help="event time between sweeps (0: none)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_guard_arguments(parser)
    parser.set_defaults(handler=run_replay)


def run_refunds(args) -> int:
    import urllib.parse

    from chalicelib.auth import mint_token
    from guardctl.replay import GuardClient, ReplayStats, refunds_rows
    from guardctl.tables import render

    token = mint_token(signing_secret(args.secret, None), "merchant", "guardctl", merchant_id=args.merchant)
    guard = GuardClient(args.url, ReplayStats())
    query = {k: v for k, v in (("from", args.frm), ("to", args.to), ("reason", args.reason)) if v}
    refunds, cursor = [], None
    while len(refunds) < args.limit:
        page_query = {**query, "limit": min(1000, args.limit - len(refunds))}
        if cursor:
            page_query["cursor"] = cursor
        merchant = urllib.parse.quote(args.merchant, safe="")
        path = f"/v1/merchants/{merchant}/refunds?{urllib.parse.urlencode(page_query)}"
        page = guard.call("GET", path, token)
        refunds += page["refunds"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    header = ("click time (UTC)", "click", "listing", "keyword", "amount", "stage", "reasons")
    print(render(header, refunds_rows(refunds)))
    print(f"{len(refunds):,} refunds" + (" (more: raise --limit)" if cursor else ""))
    return 0


def _add_refunds(subparsers) -> None:
    parser = subparsers.add_parser(
        "refunds", help="a merchant's refunds as a table", description="Newest click first."
    )
    parser.add_argument("merchant", metavar="MERCHANT")
    parser.add_argument("--from", dest="frm", help="click time from (RFC 3339 or epoch ms)")
    parser.add_argument("--to", help="click time to")
    parser.add_argument("--reason", help="one reason code, e.g. BOT_AGENT")
    parser.add_argument("--limit", type=int, default=100)
    _add_guard_arguments(parser)
    parser.set_defaults(handler=run_refunds)


# --- main --------------------------------------------------------------------------------------

COMMANDS = [_add_token, _add_serve, _add_simulate, _add_replay, _add_refunds]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="guardctl", description="click guard developer tools")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in COMMANDS:
        add(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    ensure_project_importable()
    try:
        args = build_parser().parse_args(argv)
        return args.handler(args) or 0
    except CommandError as exc:
        print(f"guardctl: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
