"""`guardctl token`: the tokens it mints are the ones the guard accepts."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import jwt
import pytest

from chalicelib.auth import authenticate
from chalicelib.errors import ForbiddenError, UnauthorizedError
from guardctl import cli
from tests.conftest import SECRET


def mint(capsys, *argv) -> str:
    assert cli.main(["token", *argv]) == 0
    out = capsys.readouterr().out.strip()
    assert out.count(".") == 2, out
    return out


def bearer(token: str) -> dict:
    return {"authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    ("argv", "role", "merchant_id"),
    [
        (["adserver"], "adserver", None),
        (["merchant", "--merchant-id", "S1"], "merchant", "S1"),
        (["analyst"], "analyst", None),
    ],
)
def test_minted_token_is_accepted_for_each_role(capsys, argv, role, merchant_id):
    principal = authenticate(bearer(mint(capsys, *argv)))  # signed with $FRAUDGUARD_JWT_SECRET
    assert principal.role == role
    assert principal.merchant_id == merchant_id
    assert principal.sub


def test_sub_and_ttl_claims(capsys):
    token = mint(capsys, "analyst", "--sub", "alice", "--ttl", "120")
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert claims["sub"] == "alice"
    assert claims["role"] == "analyst"
    assert 100 <= claims["exp"] - time.time() <= 121
    assert authenticate(bearer(token)).sub == "alice"


def test_merchant_token_is_only_good_for_its_own_merchant(capsys):
    principal = authenticate(bearer(mint(capsys, "merchant", "--merchant-id", "S1")))
    assert principal.require_merchant_access("S1") is principal
    with pytest.raises(ForbiddenError, match="not yours"):
        principal.require_merchant_access("S2")


def test_explicit_secret_wins(capsys, monkeypatch):
    other = "another-secret-" + "y" * 40
    token = mint(capsys, "adserver", "--secret", other)
    with pytest.raises(UnauthorizedError):
        authenticate(bearer(token))
    monkeypatch.setenv("FRAUDGUARD_JWT_SECRET", other)
    assert authenticate(bearer(token)).role == "adserver"


def test_secret_falls_back_to_the_file_make_run_writes(capsys, monkeypatch, tmp_path):
    from guardctl.localrun import resolve_secret

    monkeypatch.delenv("FRAUDGUARD_JWT_SECRET")
    generated = resolve_secret(tmp_path)  # what `make run` does without the variable
    assert generated.source == "generated"
    token = mint(capsys, "adserver", "--state-dir", str(tmp_path))
    monkeypatch.setenv("FRAUDGUARD_JWT_SECRET", generated.value)
    assert authenticate(bearer(token)).role == "adserver"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["merchant"], "needs --merchant-id"),
        (["analyst", "--merchant-id", "S1"], "only for merchant tokens"),
        (["analyst", "--ttl", "0"], "--ttl"),
        (["analyst", "--secret", "short"], "shorter than 32 bytes"),
    ],
)
def test_bad_requests_exit_2_with_a_message(capsys, argv, message):
    assert cli.main(["token", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert message in captured.err


def test_no_secret_anywhere_says_where_to_get_one(capsys, monkeypatch, tmp_path):
    monkeypatch.delenv("FRAUDGUARD_JWT_SECRET")
    assert cli.main(["token", "analyst", "--state-dir", str(tmp_path)]) == 2
    assert "make run" in capsys.readouterr().err


def test_unknown_role_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["token", "admin"])
    assert exc.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_console_script_works_from_any_directory(tmp_path):
    """`.venv/bin/guardctl` (installed by make) finds chalicelib wherever it is run from."""
    script = shutil.which("guardctl", path=str(Path(sys.executable).parent))
    if script is None:
        pytest.skip("guardctl is not installed in this environment (`make` installs it)")
    result = subprocess.run(
        [script, "token", "merchant", "--merchant-id", "S7"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    principal = authenticate(bearer(result.stdout.strip()))
    assert (principal.role, principal.merchant_id) == ("merchant", "S7")


def test_simulate_writes_a_replayable_day(tmp_path, capsys):
    from guardctl.cli import main
    from guardctl.replay import read_events

    out = tmp_path / "day.jsonl"
    args = ["simulate", "--seed", "3", "--hours", "2", "--organic-clicks", "400", "--out", str(out)]
    assert main(args) == 0
    assert "traffic" in capsys.readouterr().out
    sellers, events = read_events(out)
    assert sellers and events
    assert [e["ts_ms"] for e in events] == sorted(e["ts_ms"] for e in events)
    assert (tmp_path / "day.jsonl.labels.json").is_file()
