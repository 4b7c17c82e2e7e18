"""Servers under test (gunicorn as `make serve` runs it; Datasette) and timing requests to them
over HTTP on localhost: the time from sending a request to its last byte, one request at a time."""

import gzip
import http.client
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.common import (
    APP_PYTHON,
    BENCH_VENV,
    ROOT,
    Budget,
    Children,
    Server,
    free_port,
    percentile,
    production_env,
)

GUNICORN_WORKERS = 2


@dataclass
class Fetched:
    status: int | None
    bytes: int
    seconds: float
    first_byte_s: float | None
    rows: int = 0
    error: str | None = None
    body: bytes = b""
    headers: dict | None = None

    @property
    def timed_out(self) -> bool:
        return self.error == "timed out"


def fetch(
    port: int,
    path: str,
    *,
    timeout: float,
    keep: bool = False,
    headers: dict | None = None,
    stop_after_first=False,
) -> Fetched:
    """GET path; time to the first byte of the body and to the last. keep: return the body."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    started = time.perf_counter()
    first = None
    size = rows = 0
    kept = []
    try:
        connection.request("GET", path, headers={"Host": "127.0.0.1", **(headers or {})})
        response = connection.getresponse()
        while True:
            chunk = response.read1(1 << 16)
            if not chunk:
                break
            if first is None:
                first = time.perf_counter() - started
                if stop_after_first:
                    size += len(chunk)
                    break
            size += len(chunk)
            rows += chunk.count(b"\n")
            if keep:
                kept.append(chunk)
        seconds = time.perf_counter() - started
        return Fetched(
            response.status,
            size,
            seconds,
            first,
            rows,
            body=b"".join(kept),
            headers=dict(response.getheaders()),
        )
    except TimeoutError:
        return Fetched(None, size, time.perf_counter() - started, first, rows, error="timed out")
    except (OSError, http.client.HTTPException) as error:
        return Fetched(None, size, time.perf_counter() - started, first, rows, error=type(error).__name__)
    finally:
        connection.close()


def wait_ready(port: int, path: str, process, log: Path, deadline_s: float = 90) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode}: see {log}")
        got = fetch(port, path, timeout=5)
        if got.status == 200:
            return
        time.sleep(0.2)
    raise RuntimeError(f"the server did not answer {path} within {deadline_s:.0f} s: see {log}")


class Gunicorn:
    """gunicorn with gunicorn.conf.py and the production settings, 2 workers, on a bench database."""

    def __init__(self, children: Children, server: Server, dbname: str, log: Path, timeout: float):
        self.children, self.server, self.dbname, self.log, self.timeout = (
            children,
            server,
            dbname,
            log,
            timeout,
        )
        self.process = None
        self.port = None
        self.cache_dir = None

    def __enter__(self) -> "Gunicorn":
        self.port = free_port()
        # As `make serve`: one page cache shared by the workers; a new one per start, so the
        # first request after a start is cold.
        self.cache_dir = tempfile.mkdtemp(prefix="page-cache-", dir=self.log.parent)
        env = production_env(self.server.url(self.dbname)) | {
            "PAGE_CACHE_DIR": self.cache_dir,
            "WEB_CONCURRENCY": str(GUNICORN_WORKERS),
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "GUNICORN_TIMEOUT": str(int(self.timeout) + 10),
        }
        with open(self.log, "ab") as log:
            self.process = self.children.start(
                [
                    str(APP_PYTHON.parent / "gunicorn"),
                    "misuse_tracker.wsgi",
                    "-c",
                    str(ROOT / "gunicorn.conf.py"),
                ],
                env=env,
                stdout=log,
                stderr=log,
                cwd=ROOT,
            )
        try:
            wait_ready(self.port, "/healthz", self.process, self.log)
        except BaseException:
            self.__exit__()
            raise
        return self

    def worker_peak_rss_mb(self) -> float | None:
        """The largest peak RSS (VmHWM) among the workers now running."""
        import psutil

        peaks = []
        for worker in psutil.Process(self.process.pid).children():
            try:
                status = Path(f"/proc/{worker.pid}/status").read_text()
            except OSError:
                continue
            found = re.search(r"VmHWM:\s+(\d+) kB", status)
            if found:
                peaks.append(int(found.group(1)) / 1024)
        return max(peaks) if peaks else None

    def __exit__(self, *exc) -> None:
        if self.process is not None:
            self.children.stop(self.process)
            self.process = None
        if self.cache_dir:
            shutil.rmtree(self.cache_dir, ignore_errors=True)
        self.server.terminate_backends(self.dbname)


class Datasette:
    """`datasette serve` from .venv-bench on one SQLite file, immutable, with raised time limits."""

    SETTINGS = {"sql_time_limit_ms": 120_000, "facet_time_limit_ms": 120_000, "max_csv_mb": 0}

    def __init__(self, children: Children, database: Path, log: Path):
        self.children, self.database, self.log = children, database, log
        self.process = None
        self.port = None

    @classmethod
    def command_line(cls, database: Path, port: int) -> list[str]:
        args = [str(BENCH_VENV / "bin" / "datasette"), "serve", "-i", str(database)]
        args += ["--host", "127.0.0.1", "--port", str(port)]
        for name, value in cls.SETTINGS.items():
            args += ["--setting", name, str(value)]
        return args

    def __enter__(self) -> "Datasette":
        self.port = free_port()
        with open(self.log, "ab") as log:
            self.process = self.children.start(
                self.command_line(self.database, self.port), stdout=log, stderr=log, cwd=ROOT
            )
        try:
            wait_ready(self.port, "/-/versions.json", self.process, self.log, deadline_s=300)
        except BaseException:
            self.__exit__()
            raise
        return self

    def version(self) -> str:
        import json

        got = fetch(self.port, "/-/versions.json", timeout=10, keep=True)
        return json.loads(got.body)["datasette"]["version"]

    def __exit__(self, *exc) -> None:
        if self.process is not None:
            self.children.stop(self.process)
            self.process = None


def time_url(
    port: int,
    path: str,
    *,
    repeats: int,
    warmup: int,
    timeout: float,
    url_budget: float,
    budget: Budget,
) -> dict:
    """The first request (cold: the server has just started), `warmup` more unmeasured, then up to
    `repeats` measured (warm) ones, fewer when the URL's share of the time is spent. Sequential."""
    started = time.monotonic()
    result = {"path": path}
    cold = fetch(port, path, timeout=min(timeout, max(budget.left(), 1)))
    result.update(cold_s=cold.seconds, status=cold.status, bytes=cold.bytes)
    if cold.error or cold.status != 200:
        result["error"] = cold.error or f"HTTP {cold.status}"
        return result
    warm: list[float] = []
    done, last = 0, cold.seconds
    while len(warm) < repeats:
        spent = time.monotonic() - started
        if done and (spent + last > url_budget or not budget.allows(last + 5)):
            break
        got = fetch(port, path, timeout=timeout)
        if got.error or got.status != 200:
            result["error"] = got.error or f"HTTP {got.status}"
            break
        done, last = done + 1, got.seconds
        # The first `warmup` are not counted, unless the URL is too slow to spare them.
        if done > warmup or spent + last > url_budget / 2:
            warm.append(got.seconds)
    result.update(warm=warm, n=len(warm), p50=percentile(warm, 50), p95=percentile(warm, 95))
    return result


def gzip_size(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6))


def page_weight(port: int, path: str, static_url: str = "/static/", timeout: float = 120) -> dict:
    """The HTML as served (and gzipped as a proxy would, level 6) plus every local script and
    stylesheet it loads, as WhiteNoise serves them to a browser that accepts gzip."""
    page = fetch(port, path, timeout=timeout, keep=True)
    if page.status != 200:
        return {"path": path, "error": page.error or f"HTTP {page.status}"}
    assets = sorted(
        set(re.findall(rb'(?:src|href)="(' + re.escape(static_url.encode()) + rb'[^"]+)"', page.body))
    )
    raw = len(page.body)
    sent = gzip_size(page.body)
    html_gzip = sent
    for asset in assets:
        got = fetch(port, asset.decode(), timeout=timeout, keep=True, headers={"Accept-Encoding": "gzip"})
        if got.status != 200:
            return {"path": path, "error": f"{asset.decode()}: HTTP {got.status}"}
        encoded = (got.headers or {}).get("Content-Encoding", "")
        sent += len(got.body)
        raw += len(gzip.decompress(got.body)) if encoded == "gzip" else len(got.body)
    return {
        "path": path,
        "html_bytes": len(page.body),
        "html_gzip_bytes": html_gzip,
        "assets": len(assets),
        "total_raw_bytes": raw,
        "total_gzip_bytes": sent,
    }
