"""Load: wrk against a server on localhost, a fixed number of connections for a fixed time."""

import json
import os
import shutil
import subprocess

from bench.common import ROOT

LUA = ROOT / "bench" / "wrk_report.lua"


def ensure_wrk() -> str | None:
    """wrk's path; installed from Debian's packages when missing and this run is root, else None."""
    found = shutil.which("wrk")
    if found or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    if subprocess.run(["apt-get", "install", "-y", "wrk"], **quiet).returncode:
        subprocess.run(["apt-get", "update"], **quiet)
        subprocess.run(["apt-get", "install", "-y", "wrk"], **quiet)
    return shutil.which("wrk")


def wrk(url: str, *, connections: int, seconds: int, threads: int = 2, timeout_s: int = 10) -> dict:
    """req/s, latency percentiles and every kind of error, from wrk's own count."""
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", f"--timeout={timeout_s}s"]
    args += ["-s", str(LUA), url]
    done = subprocess.run(args, capture_output=True, text=True, timeout=seconds + timeout_s + 60)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode or not lines:
        return {"url": url, "error": (done.stderr or done.stdout).strip()[-500:] or f"exit {done.returncode}"}
    summary = json.loads(lines[-1])
    seconds_run = summary["duration_us"] / 1e6
    latency = {
        k: summary[f"{k}_us"] / 1e6 if summary["requests"] else None for k in ("p50", "p95", "p99", "max")
    }
    errors = sum(summary[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts"))
    return {
        "url": url,
        "connections": connections,
        "threads": threads,
        "seconds": seconds_run,
        "requests": summary["requests"],
        "requests_per_s": summary["requests"] / seconds_run,
        "p50_s": latency["p50"],  # None: no request finished in the time
        "p95_s": latency["p95"],
        "p99_s": latency["p99"],
        "max_s": latency["max"],
        "non_2xx": summary["status_errors"],
        "socket_errors": errors,
        "timeouts": summary["timeouts"],
    }
