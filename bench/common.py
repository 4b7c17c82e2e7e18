"""What every part of the benchmark shares: sizes, statistics, the database server, child processes.

Pure helpers (sizes, percentiles, formatting) import nothing from Django, so tests/test_bench.py
can check them without a database.
"""

import json
import math
import os
import re
import resource
import secrets
import selectors
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench"
APP_PYTHON = ROOT / ".venv" / "bin" / "python"
BENCH_VENV = ROOT / ".venv-bench"
SYNTHETIC_SUFFIX = "_bench"


# --- Sizes ------------------------------------------------------------------------------------


def parse_size(text: str) -> int:
    """'100k' → 100_000, '1m' or '1M' → 1_000_000, '2500' → 2500."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*", text)
    if not match:
        raise ValueError(f"{text!r} is not a size: write e.g. 100k, 1m or 250000.")
    number, unit = float(match.group(1)), match.group(2).lower()
    value = number * {"": 1, "k": 1_000, "m": 1_000_000}[unit]
    if value < 1 or value != int(value):
        raise ValueError(f"{text!r} is not a whole number of lines.")
    return int(value)


def size_label(lines: int) -> str:
    """1_000_000 → '1m', 100_000 → '100k', 2500 → '2500'."""
    if lines % 1_000_000 == 0:
        return f"{lines // 1_000_000}m"
    if lines % 1_000 == 0:
        return f"{lines // 1_000}k"
    return str(lines)


def database_name(lines: int) -> str:
    return f"misuse_tracker_{size_label(lines)}{SYNTHETIC_SUFFIX}"


# --- Statistics and formatting ------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float | None:
    """The p-th percentile (0–100) by linear interpolation between closest ranks; None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def ms(seconds: float | None) -> str:
    """A duration for a table: '12.3 ms', '1.23 s', '—' when not measured."""
    if seconds is None:
        return "—"
    if seconds < 0.1:
        return f"{seconds * 1000:.1f} ms"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:.2f} s"


def number(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def kib(n: int | None) -> str:
    return "—" if n is None else f"{n / 1024:,.0f} KB"


# --- The database server ------------------------------------------------------------------------


@dataclass
class Server:
    """Where the bench databases live: the embedded PostgreSQL (socket) or DATABASE_URL's server."""

    host: str
    port: str
    user: str
    password: str = ""
    embedded: bool = False

    def connect(self, dbname: str = "postgres"):
        import psycopg2

        return psycopg2.connect(
            host=self.host or None,
            port=self.port or None,
            user=self.user or None,
            password=self.password or None,
            dbname=dbname,
        )

    def url(self, dbname: str) -> str:
        """A DATABASE_URL for dbname; a socket directory goes percent-encoded in the host part."""
        auth = quote(self.user or "", safe="")
        if self.password:
            auth += ":" + quote(self.password, safe="")
        host = quote(self.host, safe="") if self.host.startswith("/") else self.host
        port = f":{self.port}" if self.port else ""
        return f"postgres://{auth}@{host}{port}/{dbname}"

    def database_exists(self, dbname: str) -> bool:
        connection = self.connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname])
                return cursor.fetchone() is not None
        finally:
            connection.close()

    def terminate_backends(self, dbname: str) -> None:
        """End queries still running on a bench database (a page the client gave up on)."""
        connection = self.connect()
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    [dbname],
                )
        finally:
            connection.close()


def server() -> Server:
    """Attach to the server the app would use. The embedded one stays up while this process lives."""
    if os.environ.get("DATABASE_URL"):
        import dj_database_url

        config = dj_database_url.parse(os.environ["DATABASE_URL"])
        return Server(
            host=str(config.get("HOST") or ""),
            port=str(config.get("PORT") or ""),
            user=str(config.get("USER") or ""),
            password=str(config.get("PASSWORD") or ""),
        )
    sys.path.insert(0, str(ROOT))
    from misuse_tracker.embedded_db import server_settings

    settings = server_settings(ROOT)
    return Server(host=settings["HOST"], port=settings["PORT"], user=settings["USER"], embedded=True)


def production_env(database_url: str) -> dict:
    """The environment `make serve` runs with (DEBUG off), pointed at a bench database, over plain
    HTTP on localhost: no HTTPS redirect, static files collected into var/bench/static."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_REPLICA_URL", "DEBUG"}}
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=database_url,
        SECURE_SSL_REDIRECT="0",
        SECURE_COOKIES="0",
        STATIC_ROOT=str(VAR / "static"),
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
        DJANGO_SETTINGS_MODULE="misuse_tracker.settings",
    )
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peak_rss_mb() -> float:
    """This process's peak resident memory (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def emit(result: dict) -> None:
    """A child's answer: one JSON object on its own line (the parent reads the last such line)."""
    print(json.dumps(result), flush=True)


# --- The time budget ----------------------------------------------------------------------------


@dataclass
class Budget:
    """The run's bound: every step asks how much time is left before it starts."""

    seconds: float
    started: float = field(default_factory=time.monotonic)

    def left(self) -> float:
        return self.seconds - (time.monotonic() - self.started)

    def spent(self) -> float:
        return time.monotonic() - self.started

    def allows(self, needed: float = 0) -> bool:
        return self.left() > needed


# --- Child processes ----------------------------------------------------------------------------


class Children:
    """Every process this run starts, so each is stopped (by its own id) however the run ends."""

    def __init__(self):
        self.processes: list[subprocess.Popen] = []

    def start(self, args, **kwargs) -> subprocess.Popen:
        process = subprocess.Popen(args, start_new_session=True, **kwargs)
        self.processes.append(process)
        return process

    def stop(self, process: subprocess.Popen, grace: float = 10) -> None:
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)  # the group this run made for it
            except ProcessLookupError:
                pass
            try:
                process.wait(grace)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait()
        if process in self.processes:
            self.processes.remove(process)

    def stop_all(self) -> None:
        for process in list(self.processes):
            self.stop(process, grace=5)


def run_child(args, *, env: dict, timeout: float, children: Children, log: Path | None = None) -> dict:
    """Run a child to the end (or the timeout); return the JSON of its last JSON line.

    {"error": ...} when it failed, {"timed_out": True} when it ran out of time.
    """
    stderr = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115
    try:
        process = children.start(args, env=env, stdout=subprocess.PIPE, stderr=stderr, cwd=ROOT)
        try:
            out, _ = process.communicate(timeout=max(timeout, 1))
        except subprocess.TimeoutExpired:
            children.stop(process, grace=2)
            return {"timed_out": True, "timeout_s": round(timeout)}
        children.processes.remove(process)
    finally:
        if log:
            stderr.close()
    for line in reversed(out.decode(errors="replace").splitlines()):
        if line.startswith("{"):
            try:
                result = json.loads(line)
            except ValueError:
                continue
            if process.returncode and "error" not in result:
                result["error"] = f"exit status {process.returncode}"
            return result
    return {"error": f"exit status {process.returncode}, no result" + (f" (see {log})" if log else "")}


def stream_child(args, *, env: dict, per_item_timeout: float, children: Children, log: Path):
    """Run a child that prints one JSON line per item; yield each, or {"timed_out": True} (and stop)
    when no line comes within per_item_timeout."""
    with open(log, "ab") as stderr:
        process = children.start(args, env=env, stdout=subprocess.PIPE, stderr=stderr, cwd=ROOT)
        watcher = selectors.DefaultSelector()
        watcher.register(process.stdout, selectors.EVENT_READ)
        buffer = b""
        try:
            while True:
                if b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    if line.startswith(b"{"):
                        yield json.loads(line)
                    continue
                if not watcher.select(per_item_timeout):
                    yield {"timed_out": True}
                    return
                chunk = os.read(process.stdout.fileno(), 65536)
                if not chunk:
                    return
                buffer += chunk
        finally:
            watcher.close()
            children.stop(process, grace=2)
