"""`make bench`: every figure in docs/performance.md, measured in one run on SYNTHETIC data.

    .venv/bin/python bench/run.py [--sizes 100k,1m] [--quick] [--sections pages,queries,...]
                                   [--budget SECONDS] [--timeout SECONDS] [--no-doc]
    .venv/bin/python bench/run.py --from-results var/bench/results.json   (rewrite the doc only)

Builds the bench databases (misuse_tracker_100k_bench, misuse_tracker_1m_bench: SYNTHETIC lines,
`manage.py generate_synthetic`) when missing, then measures, each part against the same server:

  pages     p50/p95 of each public page over HTTP against gunicorn (2 workers, the production
            settings), cold (the first request after gunicorn starts) and warm, at every size
  queries   SQL queries per page, first and second request, in-process (CaptureQueriesContext)
  export    raw COPY of the case-line table beside /cases.csv (rows/s, first byte, peak RSS), at
            the largest size
  weight    page weight of the chart pages (HTML plus scripts and stylesheets, gzipped)
  load      wrk, 10 connections, on a filtered dashboard
  import    the import service on a 100,000-line spreadsheet (rolled back), smallest size
  datasette the same lines in SQLite served by Datasette (.venv-bench): faceted page, streamed
            CSV, load

Every request has a timeout (recorded as "timed out"), each URL a share of the time, and the
run a budget: what the budget does not reach is reported as skipped. Results go to
var/bench/results.json and docs/performance.md.
"""

import argparse
import json
import os
import shlex
import signal
import subprocess
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote_plus

# The project, not bench/: a module there named like a library's (data, web) would shadow it.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench import data, load, report  # noqa: E402
from bench.common import (  # noqa: E402
    APP_PYTHON,
    BENCH_VENV,
    ROOT,
    VAR,
    Budget,
    Children,
    database_name,
    parse_size,
    percentile,
    production_env,
    run_child,
    server,
    size_label,
    stream_child,
)
from bench.web import Datasette, Gunicorn, fetch, page_weight, time_url  # noqa: E402

SECTIONS = ["pages", "queries", "export", "weight", "load", "import", "datasette"]
IMPORT_LINES = 100_000
LOAD_CONNECTIONS = 10


def say(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", flush=True)


def page_list(found: dict) -> list[dict]:
    """The public page types, each with a key that is the same at every size."""
    force, study, region = found["force"], found["study"], found["region"]
    every, rare = found.get("search_every"), found.get("search_selective")
    filters = [
        ("unfiltered", ""),
        ("one force", f"?force={force}"),
        ("two filters", f"?outcome=dismissed&region={region.replace(' ', '%20')}"),
        ("a study by rate", f"?study={study}&sort=rate"),
    ]
    if every:
        filters.append(("search, every line", f"?q={quote_plus(every)}"))
    if rare:
        filters.append(("search, selective", f"?q={quote_plus(rare)}"))
    pages = [{"key": "home", "page": "/", "what": "home", "path": "/"}]
    for base in ("dashboard", "cases"):
        for what, query in filters:
            pages.append(
                {"key": f"{base}:{what}", "page": f"/{base}/", "what": what, "path": f"/{base}/{query}"}
            )
    pages += [
        {"key": "forces", "page": "/forces/", "what": "list", "path": "/forces/"},
        {"key": "force", "page": "/forces/<slug>/", "what": "biggest force", "path": f"/forces/{force}/"},
        {"key": "requests", "page": "/requests/", "what": "list", "path": "/requests/"},
        {
            "key": "request",
            "page": "/requests/<slug>/",
            "what": "SYNTHETIC study",
            "path": f"/requests/{study}/",
        },
        {"key": "figures", "page": "/figures/", "what": "published figures", "path": "/figures/"},
        {"key": "methodology", "page": "/methodology/", "what": "", "path": "/methodology/"},
        {
            "key": "dashboard-csv",
            "page": "/dashboard/forces.csv",
            "what": "unfiltered",
            "path": "/dashboard/forces.csv",
        },
    ]
    return pages


class Run:
    def __init__(self, args):
        self.args = args
        self.budget = Budget(args.budget)
        self.children = Children()
        self.results = {"sizes": {}, "skipped": {}, "errors": {}}
        VAR.mkdir(parents=True, exist_ok=True)
        self.log = VAR / "run.log"
        self.log.write_text("")

    # --- helpers -----------------------------------------------------------------------------

    def wanted(self, section: str) -> bool:
        return section in self.args.sections

    def section(self, name: str, function, *args, needed: float = 30):
        """Run one part; record it as skipped when the budget cannot hold it, or its error."""
        if not self.budget.allows(needed):
            self.results["skipped"][name] = f"the time budget ({self.args.budget:.0f} s) ran out"
            say(f"{name}: skipped, the time budget ran out")
            return None
        say(f"{name}: started ({self.budget.left():.0f} s of the budget left)")
        started = time.monotonic()
        try:
            return function(*args)
        except Exception as error:
            self.results["errors"][name] = f"{type(error).__name__}: {error}"
            with open(self.log, "a") as log:
                log.write(f"--- {name}\n{traceback.format_exc()}\n")
            say(f"{name}: FAILED: {error} (traceback in {self.log})")
            return None
        finally:
            say(f"{name}: {time.monotonic() - started:.0f} s")

    def gunicorn(self, dbname: str) -> Gunicorn:
        return Gunicorn(self.children, self.server, dbname, VAR / "gunicorn.log", self.args.timeout)

    def env(self, dbname: str, **extra) -> dict:
        return production_env(self.server.url(dbname)) | extra

    # --- the run -----------------------------------------------------------------------------

    def main(self) -> dict:
        started = datetime.now(UTC)
        self.server = server()
        self.results["meta"] = report.machine() | {
            "started": started.isoformat(timespec="seconds"),
            "command": "make bench"
            + (f" BENCH_ARGS={shlex.quote(' '.join(sys.argv[1:]))}" if sys.argv[1:] else ""),
            "args": vars(self.args),
            "git": report.git(),
            "database_server": "embedded PostgreSQL (var/pgdata)"
            if self.server.embedded
            else "DATABASE_URL's server",
        }
        sizes = sorted(self.args.sizes)
        try:
            built_all = {}
            for lines in sizes:
                say(f"database {database_name(lines)}: checking ({lines:,} SYNTHETIC lines)")
                built = built_all[lines] = data.build_database(self.server, lines, VAR / "generate.log")
                if built["built"]:
                    say(f"database {built['database']}: built in {built['build_s']:.0f} s")
            # The search words come from the largest database, so every size runs the same searches.
            words = None
            for lines in reversed(sizes):
                label, built = size_label(lines), built_all[lines]
                found = data.discover(self.server, built["database"], words=words)
                words = words or {k: found[k] for k in ("search_every", "search_selective")}
                self.results["sizes"][label] = {
                    "lines": lines,
                    "database": built,
                    "found": found,
                    "pages": {},
                }
                self.results["meta"]["postgresql"] = found["postgresql"]
                say(
                    f"{label}: {found['lines']:,} lines; force {found['force']}, study {found['study']}, "
                    f"searches {found.get('search_every')!r} / {found.get('search_selective')!r}"
                )
            self.collectstatic(database_name(sizes[-1]))
            for lines in sizes:
                label = size_label(lines)
                if self.wanted("pages"):
                    self.section(f"pages {label}", self.pages, label)
                if self.wanted("queries"):
                    self.section(f"queries {label}", self.queries, label)
            largest, smallest = size_label(sizes[-1]), size_label(sizes[0])
            if any(self.wanted(s) for s in ("export", "weight", "load")):
                self.section(f"export, weight and load {largest}", self.served, largest)
            if self.wanted("import"):
                self.section(f"import {smallest}", self.importing, smallest)
            if self.wanted("datasette"):
                self.section(f"datasette {largest}", self.datasette, largest, needed=120)
        finally:
            self.children.stop_all()
            self.results["meta"]["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
            self.results["meta"]["spent_s"] = self.budget.spent()
            (VAR / "results.json").write_text(json.dumps(self.results, indent=1, default=str))
        return self.results

    def collectstatic(self, dbname: str) -> None:
        """Hashed and gzipped static files, as `make serve` collects them (into var/bench/static)."""
        subprocess.run(
            [str(APP_PYTHON), "manage.py", "collectstatic", "--no-input", "-v", "0"],
            cwd=ROOT,
            env=self.env(dbname),
            check=True,
        )

    def pages(self, label: str) -> None:
        """Each page on a freshly started gunicorn: its first request is cold, then warm ones."""
        size = self.results["sizes"][label]
        dbname = size["database"]["database"]
        for page in page_list(size["found"]):
            if not self.budget.allows(10):
                size["pages"].setdefault(page["key"], page | {"error": "skipped: time budget"})
                continue
            with self.gunicorn(dbname) as app:
                timed = time_url(
                    app.port,
                    page["path"],
                    repeats=self.args.repeats,
                    warmup=self.args.warmup,
                    timeout=self.args.timeout,
                    url_budget=self.args.url_budget,
                    budget=self.budget,
                )
            entry = size["pages"].setdefault(page["key"], dict(page))
            entry.update(timed)
            say(
                f"  {label} {page['path']}: cold {report.ms(timed.get('cold_s'))}, "
                f"warm p50 {report.ms(timed.get('p50'))} p95 {report.ms(timed.get('p95'))} "
                f"(n={timed.get('n', 0)}){' ' + timed['error'] if timed.get('error') else ''}"
            )

    def queries(self, label: str) -> None:
        size = self.results["sizes"][label]
        dbname = size["database"]["database"]
        remaining = page_list(size["found"])
        while remaining and self.budget.allows(10):
            by_path = {page["path"]: page for page in remaining}
            args = [str(APP_PYTHON), str(ROOT / "bench" / "child.py"), "queries", *by_path]
            per_url = min(2 * self.args.timeout + 30, max(self.budget.left(), 10))
            for result in stream_child(
                args,
                env=self.env(dbname),
                per_item_timeout=per_url,
                children=self.children,
                log=VAR / "child.log",
            ):
                page = remaining.pop(0)
                entry = size["pages"].setdefault(page["key"], dict(page))
                if result.get("timed_out"):
                    entry["queries_error"] = f"timed out after {per_url:.0f} s"
                    self.server.terminate_backends(dbname)
                    break
                entry.update(
                    cold_queries=result.get("cold_queries"),
                    warm_queries=result.get("warm_queries"),
                    inprocess_bytes=result.get("bytes"),
                    inprocess_status=result.get("status"),
                )
                say(
                    f"  {label} {page['path']}: {result.get('cold_queries')} / {result.get('warm_queries')} queries"
                )
            else:
                if remaining:  # the child stopped early (crashed): note it, go on from the next URL
                    entry = size["pages"].setdefault(remaining[0]["key"], dict(remaining[0]))
                    entry["queries_error"] = f"the child failed (see {VAR / 'child.log'})"
                    remaining.pop(0)

    def served(self, label: str) -> None:
        """Export, page weight and load share one gunicorn on the largest database."""
        size = self.results["sizes"][label]
        dbname, found = size["database"]["database"], size["found"]
        if self.wanted("export"):
            self.results["export"] = {"size": label, "lines": size["lines"]}
            self.export_inprocess(dbname)
        with self.gunicorn(dbname) as app:
            if self.wanted("export"):
                self.export_http(app, found)
            if self.wanted("weight"):
                self.weight(app, found, label)
            if self.wanted("load"):
                self.load(app, found, label)

    def export_inprocess(self, dbname: str) -> None:
        export = self.results["export"]
        child = [str(APP_PYTHON), str(ROOT / "bench" / "child.py")]
        timeout = max(min(self.args.export_timeout, self.budget.left()), 10)
        log = VAR / "child.log"
        say("  raw COPY of cases_caseline")
        export["copy"] = run_child(
            [*child, "copy"], env=self.env(dbname), timeout=timeout, children=self.children, log=log
        )
        say(f"  {report.describe_export(export['copy'])}")
        say("  /cases.csv through Django in a fresh process")
        export["csv"] = run_child(
            [*child, "csv", "/cases.csv"],
            env=self.env(dbname),
            timeout=timeout,
            children=self.children,
            log=log,
        )
        say(f"  {report.describe_export(export['csv'])}")

    def export_http(self, app: Gunicorn, found: dict) -> None:
        export = self.results["export"]
        timeout = self.args.timeout
        for key, path in (
            ("first_byte_unfiltered", "/cases.csv"),
            ("first_byte_force", f"/cases.csv?force={found['force']}"),
        ):
            fetch(app.port, path, timeout=timeout, stop_after_first=True)  # the first after a start is cold
            got = []
            for _ in range(3):
                time.sleep(1)  # the download just abandoned frees its slot (EXPORT_MAX_CONCURRENT)
                got.append(fetch(app.port, path, timeout=timeout, stop_after_first=True))
            firsts = [g.first_byte_s for g in got if g.first_byte_s is not None and g.status == 200]
            export[key] = {"path": path, "first_byte_s": percentile(firsts, 50), "tries": len(got)}
            if not firsts:
                export[key]["error"] = got[-1].error or f"HTTP {got[-1].status}"
            say(f"  first byte of {path}: {report.ms(export[key]['first_byte_s'])}")
        got = fetch(
            app.port, "/cases.csv", timeout=max(min(self.args.export_timeout, self.budget.left()), 10)
        )
        export["http"] = {
            "path": "/cases.csv",
            "status": got.status,
            "rows": max(got.rows - 1, 0),
            "bytes": got.bytes,
            "seconds": got.seconds,
            "rows_per_s": max(got.rows - 1, 0) / got.seconds,
            "first_byte_s": got.first_byte_s,
            "worker_peak_rss_mb": app.worker_peak_rss_mb(),
            "error": got.error,
        }
        say(f"  /cases.csv over HTTP: {report.describe_export(export['http'])}")

    def weight(self, app: Gunicorn, found: dict, label: str) -> None:
        paths = ["/", "/dashboard/", f"/dashboard/?study={found['study']}", f"/forces/{found['force']}/"]
        paths.append(f"/requests/{found['study']}/")
        self.results["weight"] = {
            "size": label,
            "pages": [page_weight(app.port, path, timeout=self.args.timeout) for path in paths],
            "plotly": report.plotly_sizes(),
        }

    def load(self, app: Gunicorn, found: dict, label: str) -> None:
        if not load.ensure_wrk():
            self.results["skipped"]["load"] = (
                "wrk is not installed (and this run cannot install it: not root)"
            )
            say("  load: skipped, no wrk")
            return
        path = next(p["path"] for p in page_list(found) if p["key"] == "dashboard:two filters")
        for _ in range(4):  # both workers' first requests, so the load is of warm pages
            fetch(app.port, path, timeout=self.args.timeout)
        seconds = int(min(self.args.load_seconds, max(self.budget.left() - 60, 5)))
        result = load.wrk(f"http://127.0.0.1:{app.port}{path}", connections=LOAD_CONNECTIONS, seconds=seconds)
        self.results["load"] = result | {"size": label, "path": path, "workers": 2}
        say(f"  load {path}: {report.describe_load(result)}")

    def importing(self, label: str) -> None:
        size = self.results["sizes"][label]
        dbname = size["database"]["database"]
        sheet = data.import_spreadsheet(
            self.server, dbname, IMPORT_LINES, VAR / f"import-{size_label(IMPORT_LINES)}.csv"
        )
        env = self.env(
            dbname,
            IMPORT_MAX_ROWS=str(IMPORT_LINES + 1000),
            IMPORT_MAX_UPLOAD_BYTES=str(max(sheet.stat().st_size * 2, 5 * 1024 * 1024)),
        )
        result = run_child(
            [str(APP_PYTHON), str(ROOT / "bench" / "child.py"), "import", str(sheet)],
            env=env,
            timeout=max(min(self.args.export_timeout, self.budget.left()), 10),
            children=self.children,
            log=VAR / "child.log",
        )
        self.results["import"] = result | {
            "size": label,
            "database": dbname,
            "file": str(sheet.relative_to(ROOT)),
        }
        say(f"  import: {report.describe_import(result)}")

    def datasette(self, label: str) -> None:
        if not (BENCH_VENV / "bin" / "datasette").exists():
            self.results["skipped"]["datasette"] = (
                f"{BENCH_VENV.name} has no datasette: `make bench` installs it"
            )
            return
        size = self.results["sizes"][label]
        dbname, found = size["database"]["database"], size["found"]
        sqlite_path = VAR / f"lines_{label}.db"
        say(f"  SQLite copy of {dbname}: {sqlite_path.relative_to(ROOT)}")
        peer = {"size": label, "sqlite": data.sqlite_copy(self.server, dbname, sqlite_path)}
        self.results["datasette"] = peer
        table = f"/{sqlite_path.stem}/lines"
        facets = "_facet=force&_facet=outcome&_facet=offence"
        force = found["force_name"].replace(" ", "+")
        pages = [
            {"key": "faceted", "what": "faceted table page, unfiltered", "path": f"{table}?{facets}"},
            {
                "key": "faceted-force",
                "what": "faceted table page, one force",
                "path": f"{table}?force={force}&{facets}",
            },
        ]
        peer["pages"] = {}
        for page in pages:
            with Datasette(self.children, sqlite_path, VAR / "datasette.log") as server:
                peer["version"] = server.version()
                timed = time_url(
                    server.port,
                    page["path"],
                    repeats=self.args.repeats,
                    warmup=self.args.warmup,
                    timeout=self.args.timeout,
                    url_budget=self.args.url_budget,
                    budget=self.budget,
                )
            peer["pages"][page["key"]] = page | timed
            say(
                f"  datasette {page['what']}: cold {report.ms(timed.get('cold_s'))}, warm p95 {report.ms(timed.get('p95'))}"
            )
        with Datasette(self.children, sqlite_path, VAR / "datasette.log") as server:
            path = f"{table}.csv?_stream=on&_size=max"
            got = fetch(server.port, path, timeout=max(min(self.args.export_timeout, self.budget.left()), 10))
            peer["csv"] = {
                "path": path,
                "status": got.status,
                "rows": max(got.rows - 1, 0),
                "bytes": got.bytes,
                "seconds": got.seconds,
                "rows_per_s": max(got.rows - 1, 0) / got.seconds,
                "first_byte_s": got.first_byte_s,
                "error": got.error,
            }
            say(f"  datasette CSV: {report.describe_export(peer['csv'])}")
            if self.wanted("load") and load.ensure_wrk():
                path = pages[1]["path"]
                for _ in range(2):
                    fetch(server.port, path, timeout=self.args.timeout)
                seconds = int(min(self.args.load_seconds, max(self.budget.left() - 30, 5)))
                peer["load"] = load.wrk(
                    f"http://127.0.0.1:{server.port}{path}", connections=LOAD_CONNECTIONS, seconds=seconds
                ) | {"path": path}
                say(f"  datasette load: {report.describe_load(peer['load'])}")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100k,1m", help="line counts, e.g. 100k or 100k,1m (default)")
    parser.add_argument("--quick", action="store_true", help="100k only, 5 repeats, 10 s of load")
    parser.add_argument("--sections", default=",".join(SECTIONS), help=f"any of {','.join(SECTIONS)}")
    parser.add_argument("--repeats", type=int, default=20, help="warm requests measured per URL (20)")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured requests after the cold one (2)")
    parser.add_argument("--timeout", type=float, default=120, help="seconds one page request may take (120)")
    parser.add_argument("--url-budget", type=float, default=60, help="seconds one URL's timing may take (60)")
    parser.add_argument(
        "--export-timeout", type=float, default=600, help="seconds an export or import may take"
    )
    parser.add_argument("--load-seconds", type=int, default=30, help="seconds of load (30)")
    parser.add_argument(
        "--budget", type=float, default=2.5 * 3600, help="seconds the whole run may take (9000)"
    )
    parser.add_argument("--no-doc", action="store_true", help="leave docs/performance.md alone")
    parser.add_argument("--from-results", type=Path, help="only rewrite the doc from a results.json")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.repeats, args.load_seconds = "100k", min(args.repeats, 5), min(args.load_seconds, 10)
    args.sizes = sorted({parse_size(s) for s in args.sizes.split(",") if s.strip()})
    args.sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = set(args.sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}; choose from {', '.join(SECTIONS)}")
    return args


def _stop(signum, frame):
    raise KeyboardInterrupt  # so every server this run started is stopped on the way out


def main(argv=None) -> int:
    args = parse_args(argv)
    # Also when started in the background, where SIGINT is ignored: stopping the run stops its servers.
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    doc = ROOT / "docs" / "performance.md"
    if args.from_results:
        results = json.loads(args.from_results.read_text())
    else:
        os.chdir(ROOT)
        try:
            results = Run(args).main()
        except KeyboardInterrupt:
            say("stopped")
            return 130
    if not args.no_doc:
        report.write(results, doc)
        say(f"wrote {doc.relative_to(ROOT)}")
    for line in report.target_lines(results):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
