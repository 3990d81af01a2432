"""`make run` / `guardctl serve`: the guard on http://127.0.0.1:8000 over an embedded DynamoDB Local.

1. Resolve the JWT secret: FRAUDGUARD_JWT_SECRET if set, else `.local/jwt-secret` (generated
   on first use, mode 0600), so `guardctl token ...` in another shell signs with the same one.
2. Check that the HTTP port is free (a busy port fails before anything else starts).
3. Start DynamoDB Local on a free port: in memory (empty tables every run), or with `persist`
   in `.local/dynamodb/` (tables and items kept across runs).
4. Create the tables of `infra/resources.json` as `fraudguard-<LogicalId>`, the names that
   `chalicelib.config.tables()` uses by default.
5. Run the app's scheduled sweep on event time (guardctl/schedules.py), which `chalice local`
   does not, unless told not to.
6. Serve `chalice local` (stage `local`) in the foreground until Ctrl-C or SIGTERM; then stop
   DynamoDB Local.

chalice's request handler writes the headers and the body of a response in two sends; with
Nagle's algorithm on, the second waits for the client's delayed ACK (~40 ms on Linux) on every
keep-alive request. We turn Nagle off (TCP_NODELAY) on the handler, as `chalice local` does not.
It also matches routes on the raw path, so path parameters arrive percent-encoded; API Gateway
decodes them, and so do we. An unknown route gets the 404 that infra/resources.json's gateway
response gives deployed, not chalice local's 403 "Missing Authentication Token".
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from guardctl import dynamodb_local

REPO_ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
DEFAULT_PORT = 8000
STAGE = "local"
TABLE_PREFIX = "fraudguard-"  # chalicelib.config.tables() defaults: no table env vars needed
SECRET_ENV = "FRAUDGUARD_JWT_SECRET"
SECRET_FILE = "jwt-secret"
MIN_SECRET_BYTES = 32  # as chalicelib.auth.MIN_SECRET_BYTES: the app refuses shorter ones


class LocalRunError(RuntimeError):
    """The local run cannot start (bad secret, busy port, no DynamoDB Local...)."""


def default_project_dir() -> Path:
    """The chalice project: this checkout (editable install), else the current directory."""
    return REPO_ROOT if (REPO_ROOT / "app.py").is_file() else Path.cwd()


def default_state_dir(project_dir: Path | None = None) -> Path:
    return (project_dir or default_project_dir()) / ".local"


@dataclass(frozen=True)
class Secret:
    value: str
    source: str  # "environment", "file" or "generated"
    path: Path | None = None


def secret_file(state_dir: Path) -> Path:
    return state_dir / SECRET_FILE


def read_secret_file(state_dir: Path) -> str | None:
    try:
        value = secret_file(state_dir).read_text().strip()
    except FileNotFoundError:
        return None
    return value or None


def resolve_secret(state_dir: Path, environ=os.environ) -> Secret:
    """FRAUDGUARD_JWT_SECRET if set; else the one in <state_dir>/jwt-secret, made if missing."""
    value = environ.get(SECRET_ENV)
    if value:
        if len(value.encode()) < MIN_SECRET_BYTES:
            raise LocalRunError(
                f"{SECRET_ENV} is {len(value.encode())} bytes; the guard needs at least "
                f"{MIN_SECRET_BYTES} (HS256). Unset it to have one generated."
            )
        return Secret(value, "environment")
    path = secret_file(state_dir)
    existing = read_secret_file(state_dir)
    if existing and len(existing.encode()) >= MIN_SECRET_BYTES:
        return Secret(existing, "file", path)
    value = secrets.token_urlsafe(48)  # 64 characters, 384 random bits
    state_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(value + "\n")
    return Secret(value, "generated", path)


def app_environment(endpoint_url: str | None, secret: str) -> dict[str, str]:
    """The environment the app runs with locally."""
    env = {
        "FRAUDGUARD_TABLE_PREFIX": TABLE_PREFIX,
        "AWS_DEFAULT_REGION": dynamodb_local.REGION,
        "AWS_REGION": dynamodb_local.REGION,
        "AWS_ACCESS_KEY_ID": dynamodb_local.DUMMY_CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": dynamodb_local.DUMMY_CREDENTIALS["aws_secret_access_key"],
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_TRACE_DISABLED": "true",
        SECRET_ENV: secret,
    }
    if endpoint_url:
        env["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint_url
    return env


def _apply_environment(env: dict[str, str]) -> None:
    # A developer's real credentials or profile must not leak into a local run.
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_SECURITY_TOKEN"):
        os.environ.pop(name, None)
    os.environ.update(env)


def check_port_free(host: str, port: int) -> None:
    """Fail fast on a busy port, before DynamoDB Local starts (the server binds it later)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as HTTPServer does
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise LocalRunError(f"cannot listen on http://{host}:{port}: {exc.strerror}") from None


_raw_match_route = None


def patch_chalice_local() -> None:
    """Make chalice local behave as deployed where it does not: once per process."""
    from chalice import local

    # StreamRequestHandler.setup() sets TCP_NODELAY when this is true (see the module docstring).
    local.ChaliceRequestHandler.disable_nagle_algorithm = True
    if local.RouteMatcher.match_route is not _decoded_match_route:
        global _raw_match_route, _raw_lambda_event
        _raw_match_route = local.RouteMatcher.match_route
        local.RouteMatcher.match_route = _decoded_match_route
        _raw_lambda_event = local.LocalGateway._generate_lambda_event
        local.LocalGateway._generate_lambda_event = _lambda_event_or_404


def _decoded_match_route(self, url: str):
    """chalice local's route match with each path parameter percent-decoded, as API Gateway does:
    without it a merchant id like 店铺 arrives as %E5%BA%97%E9%93%BA (403 on its own refunds)."""
    from chalice.local import MatchResult

    match = _raw_match_route(self, url)
    return MatchResult(match.route, {k: unquote(v) for k, v in match.captured.items()}, match.query_params)


_raw_lambda_event = None


def _lambda_event_or_404(self, *args, **kwargs):
    """chalice local's event for a request, or the deployed API's 404 for an unknown route."""
    from chalice.local import LocalGatewayException

    try:
        return _raw_lambda_event(self, *args, **kwargs)
    except ValueError:  # no route matches (chalice.local.RouteMatcher)
        error = LocalGatewayException({"Content-Type": "application/json"}, unknown_route_body())
        error.CODE = 404
        raise error from None


def unknown_route_body() -> bytes:
    """The body that infra/resources.json's MISSING_AUTHENTICATION_TOKEN response sends."""
    fragment = json.loads((REPO_ROOT / "infra" / "resources.json").read_text())
    responses = fragment["Resources"]["RestAPI"]["Properties"]["GatewayResponses"]
    return responses["MISSING_AUTHENTICATION_TOKEN"]["ResponseTemplates"]["application/json"].encode()


def create_local_server(project_dir: Path, host: str, port: int, stage: str = STAGE):
    """chalice's LocalDevServer for the project, patched as `patch_chalice_local` says. Binds the port."""
    from chalice.cli import create_local_server as chalice_create_local_server
    from chalice.cli.factory import CLIFactory

    patch_chalice_local()
    factory = CLIFactory(str(project_dir), environ=os.environ)
    try:
        server = chalice_create_local_server(factory, host, port, stage)
    except OSError as exc:
        raise LocalRunError(f"cannot listen on http://{host}:{port}: {exc.strerror}") from exc
    report_error = server.server.handle_error

    def handle_error(request, client_address):
        # A client that hangs up mid-response (curl -m, a load generator's timeout) is not news.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            report_error(request, client_address)

    server.server.handle_error = handle_error
    return server


def banner(url: str, endpoint: str, secret: Secret, persist_dir: Path | None, scheduled=()) -> str:
    guardctl = ".venv/bin/guardctl"
    lines = [
        "",
        f"  click guard is serving on {url}   (Ctrl-C stops it)",
        f"  health:          curl {url}/v1/health",
        f"  DynamoDB Local:  {endpoint}   tables fraudguard-*, "
        + (f"kept in {persist_dir}" if persist_dir else "in memory (empty every run)"),
    ]
    for function in scheduled:
        lines.append(
            f"  schedule:        {function.name} every {function.every_s} s of event time "
            "(SCHEDULE=0 turns it off)"
        )
    if secret.source == "environment":
        lines.append(f"  JWT secret:      from {SECRET_ENV} (keep it set where you mint tokens)")
    else:
        what = "generated" if secret.source == "generated" else "reused"
        lines.append(f"  JWT secret:      {secret.value}")
        lines.append(f"                   ({what}; in {secret.path}, where guardctl finds it)")
    lines += [
        "  tokens:          " + f"{guardctl} token adserver",
        "                   " + f"{guardctl} token merchant --merchant-id S1",
        "                   " + f"{guardctl} token analyst",
        "  e.g.             "
        + f'curl -H "Authorization: Bearer $({guardctl} token analyst)" {url}/v1/campaigns',
        "",
    ]
    return "\n".join(lines)


def _start_schedules(app):
    """The app's scheduled functions on event time, reading the newest event time from the store."""
    from chalicelib import wiring
    from guardctl import schedules

    return schedules.start(app, lambda: wiring.store().newest_click_ts())


@contextlib.contextmanager
def _stop_on_sigterm():
    """SIGINT, SIGTERM and SIGHUP unwind like Ctrl-C, so DynamoDB Local is always stopped.

    SIGINT too: a shell starts background jobs with SIGINT ignored, which Python keeps.
    """

    def interrupt(signum, frame):
        raise KeyboardInterrupt(signal.Signals(signum).name)

    signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {sig: signal.signal(sig, interrupt) for sig in signals}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def serve(
    port: int = DEFAULT_PORT,
    host: str = HOST,
    persist: bool = False,
    project_dir: Path | None = None,
    state_dir: Path | None = None,
    schedule: bool = True,
    out=sys.stdout,
) -> int:
    """Run the guard locally in the foreground until interrupted. Returns an exit status."""
    project_dir = Path(project_dir or default_project_dir()).resolve()
    state_dir = Path(state_dir or default_state_dir(project_dir)).resolve()
    if str(project_dir) not in sys.path:
        sys.path.insert(0, str(project_dir))
    from chalicelib.storage import schema

    with _stop_on_sigterm():
        try:
            secret = resolve_secret(state_dir)
            _apply_environment(app_environment(None, secret.value))
            check_port_free(host, port)
            started = time.monotonic()
            persist_dir = state_dir / "dynamodb" if persist else None
            with dynamodb_local.running_dynamodb_local(
                db_path=persist_dir, log_path=state_dir / "dynamodb-local.log"
            ) as endpoint:
                _apply_environment(app_environment(endpoint, secret.value))
                schema.create_tables(dynamodb_local.client(endpoint), TABLE_PREFIX)
                server = create_local_server(project_dir, host, port)
                stop_schedules, running = _start_schedules(server.app_object) if schedule else (None, [])
                try:
                    url = f"http://{host}:{server.server.server_address[1]}"
                    scheduled = [s.function for s in running]
                    print(banner(url, endpoint, secret, persist_dir, scheduled), file=out)
                    print(f"  ready in {time.monotonic() - started:.1f} s\n", file=out, flush=True)
                    try:
                        server.server.serve_forever(poll_interval=0.2)
                    except KeyboardInterrupt:
                        print("\nstopping...", file=out, flush=True)
                finally:
                    if stop_schedules is not None:
                        stop_schedules.set()
                    for s in running:
                        print(f"  {s.function.name} ran {s.runs} times ({s.failures} failed)", file=out)
                    server.server.server_close()
        except KeyboardInterrupt:  # interrupted while starting up
            print("\ninterrupted", file=out, flush=True)
            return 130
        except (LocalRunError, dynamodb_local.DynamoDBLocalError) as exc:
            print(f"guardctl serve: {exc}", file=sys.stderr, flush=True)
            return 1
    print("stopped", file=out, flush=True)
    return 0
