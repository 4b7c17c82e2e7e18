"""docs/performance.md from a run's results: the machine, the targets met or not, and every table.

Everything here reads the results dict only (no database), so the doc can be rewritten from a
saved var/bench/results.json: `.venv/bin/python bench/run.py --from-results var/bench/results.json`.
"""

import gzip
import os
import platform
import re
import subprocess
from pathlib import Path

from bench.common import ROOT, kib, ms, number, percentile  # noqa: F401  (percentile: re-exported)

EXPLAIN_PLACEHOLDER = (
    "_For the integrator: the query plans behind the slowest pages above (`EXPLAIN (ANALYZE, BUFFERS)` "
    "at 1M lines), and what each index or rollup changed. `make bench` keeps this section as it is._"
)


# --- Facts about the run ----------------------------------------------------------------------


def machine() -> dict:
    model = ""
    try:
        found = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
        model = found.group(1).strip() if found else ""
    except OSError:
        pass
    ram = None
    try:
        found = re.search(r"MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text())
        ram = int(found.group(1)) / 1024 / 1024 if found else None
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "ram_gib": ram,
        "os": platform.platform(terse=True),
        "python": platform.python_version(),
        "load_average_at_start": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }


def git() -> dict:
    def out(*args) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    # Branches this code has merged that main has not (what the figures owe to work not yet in main).
    beyond = ["--no-merged", "main"] if out("rev-parse", "--verify", "--quiet", "main") else []
    merged = [b.strip("* +").strip() for b in out("branch", "--merged", "HEAD", *beyond).splitlines()]
    current = out("rev-parse", "--abbrev-ref", "HEAD")
    return {
        "commit": out("rev-parse", "--short", "HEAD"),
        "subject": out("log", "-1", "--format=%s"),
        "branch": current,
        "dirty": bool(out("status", "--porcelain", "--untracked-files=no")),
        "merged_branches": sorted(b for b in merged if b and b != current),
    }


def plotly_sizes() -> dict:
    """The vendored basic bundle against the full plotly.min.js, gzipped as WhiteNoise does (level 9)."""
    basic = ROOT / "static" / "vendor" / "plotly" / "plotly-basic-4.1.1.min.js"
    sizes = {}
    try:
        import plotly

        full = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    except ImportError:
        full = None
    for name, path in (("basic", basic), ("full", full)):
        if path and path.exists():
            raw = path.read_bytes()
            sizes[name] = {"raw": len(raw), "gzip": len(gzip.compress(raw, compresslevel=9))}
    return sizes


# --- One-line descriptions, for the run's own output ---------------------------------------------


def describe_export(result: dict | None) -> str:
    if not result:
        return "not measured"
    if result.get("timed_out"):
        return f"timed out after {result.get('timeout_s')} s"
    if result.get("error") and not result.get("rows"):
        return f"failed: {result['error']}"
    rss = result.get("peak_rss_mb") or result.get("worker_peak_rss_mb")
    return (
        f"{number(result.get('rows'))} rows in {result.get('seconds', 0):.1f} s = "
        f"{number(result.get('rows_per_s'))} rows/s, first byte {ms(result.get('first_byte_s'))}"
        + (f", peak RSS {rss:.0f} MB" if rss else "")
    )


def describe_load(result: dict | None) -> str:
    if not result:
        return "not measured"
    if result.get("error"):
        return f"failed: {result['error']}"
    return (
        f"{result['requests_per_s']:,.0f} req/s, p95 {ms(result['p95_s'])}, "
        f"{result['non_2xx']} non-2xx, {result['socket_errors']} socket errors"
    )


def describe_import(result: dict | None) -> str:
    if not result:
        return "not measured"
    if result.get("timed_out"):
        return f"timed out after {result.get('timeout_s')} s"
    if "lines_per_s" not in result:
        return f"failed: {result.get('error')}"
    return (
        f"{result['lines']:,} lines in {result['seconds']:.1f} s = {result['lines_per_s']:,.0f} lines/s, "
        f"peak RSS {result['peak_rss_mb']:.0f} MB"
    )


# --- Targets ----------------------------------------------------------------------------------


def _labels(results: dict) -> tuple[str | None, str | None]:
    """(the 100k size, the 1M size) when measured; else the smallest and largest measured."""
    sizes = results.get("sizes", {})
    ordered = sorted(sizes, key=lambda label: sizes[label]["lines"])
    if not ordered:
        return None, None
    small = "100k" if "100k" in sizes else ordered[0]
    big = "1m" if "1m" in sizes else ordered[-1]
    return small, big


def _pages(results: dict, label: str | None) -> dict:
    return results.get("sizes", {}).get(label, {}).get("pages", {}) if label else {}


def _page_time(entry: dict | None, stat: str = "p95") -> float | None:
    return entry.get(stat) if entry and not entry.get("error") else None


def _failures(pages: dict) -> list[str]:
    return [f"`{p['path']}` {p['error']}" for p in pages.values() if p.get("error")]


def targets(results: dict) -> list[dict]:
    """Each target of issue 10: what was measured, and met (True), not met (False) or not measured (None)."""
    small, big = _labels(results)
    at_1m = big == "1m"
    big_pages, small_pages = _pages(results, big), _pages(results, small)
    where = "" if at_1m else f" (at {big}: 1M not measured)"
    rows = []

    def add(text, measured, met):
        rows.append({"target": text, "measured": measured, "met": met if at_1m or met is None else None})

    # Every public page p95 ≤ 50 ms.
    timed = {k: p for k, p in big_pages.items() if _page_time(p) is not None}
    failures = _failures(big_pages)
    if timed or failures:
        worst_key = max(timed, key=lambda k: timed[k]["p95"]) if timed else None
        text = f"slowest: `{timed[worst_key]['path']}` {ms(timed[worst_key]['p95'])}" if worst_key else ""
        over = sum(1 for p in timed.values() if p["p95"] > 0.05)
        text += f"; {over} of {len(timed)} pages over 50 ms" if timed else ""
        if failures:
            text += f"; {len(failures)} failed: " + ", ".join(failures[:3])
        add("Every public page p95 ≤ 50 ms (warm) at 1M lines", text + where, not failures and over == 0)
    else:
        add("Every public page p95 ≤ 50 ms (warm) at 1M lines", "not measured", None)

    # ≥ 40× faster than Datasette's faceted page.
    peer = results.get("datasette", {}).get("pages", {})
    ratios = []
    for ours, theirs, what in (
        ("dashboard:unfiltered", "faceted", "unfiltered"),
        ("dashboard:one force", "faceted-force", "one force"),
    ):
        a, b = _page_time(big_pages.get(ours)), _page_time(peer.get(theirs))
        if a and b:
            ratios.append((b / a, what))
    if ratios:
        text = ", ".join(f"{r:,.1f}× ({what})" for r, what in ratios) + " (Datasette p95 ÷ /dashboard/ p95)"
        add(
            "/dashboard/ ≥ 40× faster than Datasette's faceted page",
            text + where,
            min(r for r, _ in ratios) >= 40,
        )
    else:
        add("/dashboard/ ≥ 40× faster than Datasette's faceted page", "not measured", None)

    # Searches.
    for which, limit, text in (("every line", 1.0, "≤ 1 s"), ("selective", 0.1, "≤ 100 ms")):
        entries = [big_pages.get(f"{base}:search, {which}") for base in ("dashboard", "cases")]
        entries = [e for e in entries if e]
        if entries:
            worst = max(entries, key=lambda e: _page_time(e) if _page_time(e) is not None else float("inf"))
            value = _page_time(worst)
            found = results["sizes"][big].get("found", {})
            key = "search_every_lines" if which == "every line" else "search_selective_lines"
            share = ""
            if found.get(key) and found.get("public_lines"):
                share = f" (matches {found[key]:,} lines, {100 * found[key] / found['public_lines']:.1f}%)"
            measured = f"`{worst['path']}`{share} " + (
                ms(value) if value is not None else worst.get("error", "not measured")
            )
            add(
                f"A search matching {'every line' if which == 'every line' else 'few lines'} {text}",
                measured + where,
                value is not None and value <= limit,
            )
        else:
            add(
                f"A search matching {'every line' if which == 'every line' else 'few lines'} {text}",
                "not measured",
                None,
            )

    # /methodology/.
    method = big_pages.get("methodology")
    value = _page_time(method)
    add(
        "/methodology/ ≤ 100 ms",
        (ms(value) if value is not None else (method or {}).get("error", "not measured")) + where,
        value is not None and value <= 0.1 if method else None,
    )
    a, b = small_pages.get("methodology", {}).get("bytes"), big_pages.get("methodology", {}).get("bytes")
    if a and b and small != big:
        rows.append(
            {
                "target": "/methodology/ HTML size independent of line count",
                # Its counts gain digits as the lines grow tenfold; anything more would be lines.
                "measured": f"{a:,} bytes at {small}, {b:,} at {big} ({b - a:+,} bytes, {100 * (b - a) / a:+.1f}%)",
                "met": abs(b - a) <= 0.01 * a,
            }
        )
    else:
        rows.append(
            {
                "target": "/methodology/ HTML size independent of line count",
                "measured": "needs two sizes",
                "met": None,
            }
        )

    # Scaling: time and queries.
    if small != big and small_pages and big_pages:
        ratios = []
        for key, entry in big_pages.items():
            a, b = _page_time(small_pages.get(key), "p50"), _page_time(entry, "p50")
            if a and b:
                ratios.append((b / a, entry["path"]))
        if ratios:
            worst = max(ratios)
            over = sum(1 for r, _ in ratios if r > 1.5)
            rows.append(
                {
                    "target": "Each page at 1M ≤ 1.5× its time at 100k (warm p50)",
                    "measured": f"worst `{worst[1]}` {worst[0]:.2f}×; {over} of {len(ratios)} over 1.5×",
                    "met": over == 0 and at_1m,
                }
            )
        changed, compared = [], 0
        for key, entry in big_pages.items():
            other = small_pages.get(key, {})
            pair = [(other.get(k), entry.get(k)) for k in ("cold_queries", "warm_queries")]
            if all(x is not None and y is not None for x, y in pair):
                compared += 1
                if any(x != y for x, y in pair):
                    changed.append(f"`{entry['path']}` {pair[0][0]}→{pair[0][1]}")
        if compared:
            rows.append(
                {
                    "target": "Queries per page the same at 100k and 1M",
                    "measured": f"{compared - len(changed)} of {compared} pages the same"
                    + (": differ " + ", ".join(changed[:4]) if changed else ""),
                    "met": not changed and at_1m,
                }
            )
    else:
        rows.append(
            {
                "target": "Each page at 1M ≤ 1.5× its time at 100k (warm p50)",
                "measured": "needs two sizes",
                "met": None,
            }
        )
        rows.append(
            {"target": "Queries per page the same at 100k and 1M", "measured": "needs two sizes", "met": None}
        )

    # Export.
    export = results.get("export", {})
    copy, csv = export.get("copy", {}), export.get("csv", {})
    there = "" if export.get("size") == "1m" else f" (at {export.get('size')})"
    if copy.get("rows_per_s") and csv.get("rows_per_s"):
        ratio = csv["rows_per_s"] / copy["rows_per_s"]
        per_byte = ""
        if all(r.get("bytes") and r.get("seconds") and r.get("rows") for r in (copy, csv)):
            by_bytes = (csv["bytes"] / csv["seconds"]) / (copy["bytes"] / copy["seconds"])
            per_byte = (
                f"; {by_bytes:.2f}× its MB/s, a row of the download being "
                f"{csv['bytes'] / csv['rows']:,.0f} bytes against COPY's {copy['bytes'] / copy['rows']:,.0f}"
            )
        add(
            "/cases.csv ≥ 0.4× raw COPY of the case-line table",
            f"{ratio:.2f}× ({csv['rows_per_s']:,.0f} vs {copy['rows_per_s']:,.0f} rows/s{per_byte}){there}",
            ratio >= 0.4,
        )
    else:
        add("/cases.csv ≥ 0.4× raw COPY of the case-line table", "not measured", None)
    firsts = [export.get(k, {}).get("first_byte_s") for k in ("first_byte_unfiltered", "first_byte_force")]
    firsts = [f for f in firsts if f is not None]
    if firsts:
        add(
            "/cases.csv first byte ≤ 100 ms",
            f"{ms(max(firsts))} (worst of unfiltered and one force){there}",
            max(firsts) <= 0.1,
        )
    else:
        add("/cases.csv first byte ≤ 100 ms", "not measured", None)
    if csv.get("peak_rss_mb"):
        add("/cases.csv peak RSS ≤ 150 MB", f"{csv['peak_rss_mb']:.0f} MB{there}", csv["peak_rss_mb"] <= 150)
    else:
        add("/cases.csv peak RSS ≤ 150 MB", "not measured", None)

    # Load.
    loaded = results.get("load", {})
    if loaded.get("requests_per_s") is not None:
        errors = loaded["non_2xx"] + loaded["socket_errors"]
        add(
            "≥ 300 req/s on a filtered dashboard, 10 connections, 0 errors",
            f"{loaded['requests_per_s']:,.0f} req/s, {errors} errors (`{loaded['path']}`){'' if loaded.get('size') == '1m' else ' (at ' + str(loaded.get('size')) + ')'}",
            loaded["requests_per_s"] >= 300 and errors == 0,
        )
    else:
        add(
            "≥ 300 req/s on a filtered dashboard, 10 connections, 0 errors",
            (loaded.get("error") or "not measured"),
            None,
        )

    # Import (not size-bound: any bench database will do).
    imported = results.get("import", {})
    if imported.get("lines_per_s"):
        rows.append(
            {
                "target": "Import ≥ 20,000 lines/s",
                "measured": f"{imported['lines_per_s']:,.0f} lines/s",
                "met": imported["lines_per_s"] >= 20_000,
            }
        )
        rows.append(
            {
                "target": "Import peak RSS ≤ 200 MB",
                "measured": f"{imported['peak_rss_mb']:.0f} MB",
                "met": imported["peak_rss_mb"] <= 200,
            }
        )
    else:
        for text in ("Import ≥ 20,000 lines/s", "Import peak RSS ≤ 200 MB"):
            rows.append({"target": text, "measured": describe_import(imported or None), "met": None})

    # Page weight (not size-bound either).
    weight = [p for p in results.get("weight", {}).get("pages", []) if "total_gzip_bytes" in p]
    if weight:
        worst = max(weight, key=lambda p: p["total_gzip_bytes"])
        rows.append(
            {
                "target": "Chart pages ≤ 500 KB compressed in total",
                "measured": f"heaviest `{worst['path']}` {kib(worst['total_gzip_bytes'])}",
                "met": all(p["total_gzip_bytes"] <= 500 * 1024 for p in weight),
            }
        )
    else:
        rows.append(
            {"target": "Chart pages ≤ 500 KB compressed in total", "measured": "not measured", "met": None}
        )
    return rows


def verdict(met) -> str:
    return {True: "**met**", False: "**not met**", None: "not measured"}[met]


def target_lines(results: dict) -> list[str]:
    return [f"{verdict(t['met']).strip('*'):>12}  {t['target']}: {t['measured']}" for t in targets(results)]


# --- The document -----------------------------------------------------------------------------


def _table(header: list[str], rows: list[list]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
        *("| " + " | ".join(str(c) for c in row) + " |" for row in rows),
    ]


def _queries(entry: dict | None) -> str:
    if not entry:
        return "—"
    if entry.get("queries_error"):
        return entry["queries_error"]
    cold, warm = entry.get("cold_queries"), entry.get("warm_queries")
    if cold is None:
        return "—"
    return str(cold) if warm in (None, cold) else f"{cold} / {warm}"


def _cell(entry: dict | None, stat: str) -> str:
    if not entry:
        return "—"
    value = entry.get(stat)
    if value is None and entry.get("error") and stat in ("cold_s", "p50"):
        return entry["error"]
    return ms(value)


def _machine_section(results: dict) -> list[str]:
    meta = results.get("meta", {})
    git_info = meta.get("git", {})
    sizes = results.get("sizes", {})
    data_lines = []
    for size in sorted(sizes.values(), key=lambda size: size["lines"]):
        found = size.get("found", {})
        built = size.get("database", {})
        data_lines.append(
            f"`{built.get('database')}`: {found.get('lines', 0):,} lines ({found.get('public_lines', 0):,} public), "
            f"SYNTHETIC study `{found.get('study')}` ({found.get('study_lines', 0):,} lines, unit {found.get('study_unit')})"
            + (f", built by this run in {built['build_s']:.0f} s" if built.get("built") else "")
        )
    started = meta.get("started", "")
    spent = meta.get("spent_s")
    merged = ", ".join(git_info.get("merged_branches", [])) or "none"
    rows = [
        [
            "machine",
            f"{meta.get('cpus')} cores ({meta.get('cpu_model') or 'CPU model unknown'}), {meta.get('ram_gib', 0):.0f} GiB RAM, {meta.get('os')}",
        ],
        [
            "load average at start",
            f"{meta.get('load_average_at_start', 0):.2f} (the cores are shared with other work; figures are from one run)",
        ],
        ["PostgreSQL", f"{meta.get('postgresql', '?')}, {meta.get('database_server', '')}"],
        ["Python", meta.get("python", "?")],
        [
            "date",
            f"{started[:10]} (started {started[11:16]} UTC, took {spent / 60:.0f} min)" if spent else started,
        ],
        ["command", f"`{meta.get('command', 'make bench')}`"],
        [
            "code",
            f"`{git_info.get('commit')}` on `{git_info.get('branch')}`{' (uncommitted changes)' if git_info.get('dirty') else ''}: {git_info.get('subject', '')}; branches merged in: {merged}",
        ],
        ["data", "; ".join(data_lines) or "—"],
    ]
    return ["## Machine and run", "", *_table(["", ""], rows), ""]


def _pages_section(results: dict) -> list[str]:
    sizes = sorted(results.get("sizes", {}).items(), key=lambda item: item[1]["lines"])
    if not sizes:
        return []
    args = results.get("meta", {}).get("args", {})
    header = ["page", "filter"]
    for label, _ in sizes:
        header += [f"{label} cold", f"{label} p50", f"{label} p95", f"{label} queries"]
    header += ["HTML"]
    if len(sizes) > 1:
        header += [f"{sizes[-1][0]} ÷ {sizes[0][0]} (p50)"]
    keys = []
    for _, size in sizes:
        for key in size.get("pages", {}):
            if key not in keys:
                keys.append(key)
    rows = []
    for key in keys:
        entries = [size.get("pages", {}).get(key) for _, size in sizes]
        first = next(e for e in entries if e)
        row = [f"`{first['page']}`", first.get("what", "")]
        for entry in entries:
            row += [_cell(entry, "cold_s"), _cell(entry, "p50"), _cell(entry, "p95"), _queries(entry)]
        byte_counts = [e.get("bytes") for e in entries if e and e.get("bytes")]
        row.append(
            " → ".join(kib(b) for b in byte_counts)
            if len(set(byte_counts)) > 1
            else kib(byte_counts[0])
            if byte_counts
            else "—"
        )
        if len(sizes) > 1:
            a, b = _page_time(entries[0], "p50"), _page_time(entries[-1], "p50")
            row.append(f"{b / a:.2f}×" if a and b else "—")
        rows.append(row)
    found_lines = []
    for label, size in sizes:
        found = size.get("found", {})
        found_lines.append(
            f"at {label}: force `{found.get('force')}` ({found.get('force_lines', 0):,} lines), region "
            f"{found.get('region')}, study `{found.get('study')}`, searches `{found.get('search_every')}` "
            f"(matches {number(found.get('search_every_lines'))} lines"
            + (
                f" of the {found['lines_with_words']:,} with any wording"
                if found.get("lines_with_words")
                else ""
            )
            + f") and `{found.get('search_selective')}` "
            f"(matches {number(found.get('search_selective_lines'))})"
        )
    return [
        "## Pages",
        "",
        "Each page is timed over HTTP against gunicorn as `make serve` runs it (`gunicorn.conf.py`, the "
        "production settings with DEBUG off, 2 workers sharing a page cache on disk) on localhost: from "
        "sending the request to its last byte, one request at a time. **Cold** is the first request after "
        "gunicorn was started for that page (the page cache empty; the workers have built the unfiltered "
        "figures at start, as `make serve`'s do; PostgreSQL's buffers as earlier pages left them); then "
        f"{args.get('warmup', 2)} unmeasured requests, then up to {args.get('repeats', 20)} measured "
        f"(**warm** p50 and p95; fewer when a page is slow: each URL gets {args.get('url_budget', 60):.0f} s, "
        f"each request {args.get('timeout', 120):.0f} s before it counts as timed out). **Queries**: SQL "
        "queries for the page's first request in a fresh Django process, and for its second where that "
        'differs ("first / second"), counted in-process with `CaptureQueriesContext`. **HTML**: the '
        "page's size as served.",
        "",
        "The filters were found in the data: " + "; ".join(found_lines) + ".",
        "",
        *_table(header, rows),
        "",
    ]


def _export_section(results: dict) -> list[str]:
    export = results.get("export")
    if not export:
        return []
    copy = export.get("copy", {})
    base = copy.get("rows_per_s")
    base_mb_s = copy["bytes"] / 1e6 / copy["seconds"] if copy.get("bytes") and copy.get("seconds") else None
    peer = results.get("datasette", {}).get("csv")

    def row(name, result, rss_key="peak_rss_mb"):
        if not result:
            return [name, "not measured", "", "", "", "", "", "", "", ""]
        if result.get("timed_out") or (result.get("error") and not result.get("rows")):
            return [name, describe_export(result), "", "", "", "", "", "", "", ""]
        rss = result.get(rss_key)
        mb_s = result.get("bytes", 0) / 1e6 / result["seconds"] if result.get("seconds") else None
        return [
            name,
            number(result.get("rows")),
            f"{result.get('bytes', 0) / 1e6:,.0f}",
            f"{result.get('seconds', 0):.1f}",
            number(result.get("rows_per_s")),
            f"{result['rows_per_s'] / base:.2f}" if base and result.get("rows_per_s") else "—",
            f"{mb_s:,.0f}" if mb_s else "—",
            f"{mb_s / base_mb_s:.2f}" if mb_s and base_mb_s else "—",
            ms(result.get("first_byte_s")),
            f"{rss:.0f} MB" if rss else "—",
        ]

    rows = [
        row("PostgreSQL `COPY cases_caseline TO STDOUT`, to nowhere (fresh process)", copy),
        row("**`/cases.csv`** through Django, to nowhere (fresh process)", export.get("csv")),
        row(
            "`/cases.csv` over HTTP from gunicorn (peak RSS: its largest worker)",
            export.get("http"),
            "worker_peak_rss_mb",
        ),
    ]
    if peer:
        rows.append(row(f"Datasette `{peer.get('path', '').split('?')[0]}?_stream=on` over HTTP", peer))
    firsts = [
        f"`{export[k]['path']}` {ms(export[k].get('first_byte_s'))}"
        for k in ("first_byte_unfiltered", "first_byte_force")
        if export.get(k)
    ]
    return [
        f"## Export ({export.get('lines', 0):,} lines)",
        "",
        "Measured by `bench/run.py` itself (not `bench/export.py`), each in a fresh process whose peak "
        "resident memory (`getrusage`) is its own. `/cases.csv` unfiltered holds the lines of the default "
        "unit (people disciplined), so its row count differs from the table's; rows/s is the comparable "
        "figure, and MB/s the cost per byte: a row of the download carries its study, force, labels and "
        "sources beside the line (33 columns), several times the bytes of the table's own row. First byte: the median of 3 requests over HTTP (each read to its first chunk, then dropped) after one cold one: "
        + ", ".join(firsts)
        + ".",
        "",
        *_table(
            [
                "method",
                "rows",
                "MB",
                "seconds",
                "rows/s",
                "× COPY",
                "MB/s",
                "× COPY (MB/s)",
                "first byte",
                "peak RSS",
            ],
            rows,
        ),
        "",
    ]


def _import_section(results: dict) -> list[str]:
    imported = results.get("import")
    if not imported:
        return []
    lines = [
        "## Import",
        "",
        f"The import service the admin's *Confirm import* and `manage.py import_foi_return` call "
        f"(`spreadsheet_read`, `import_plan`, `foi_return_import`) on `{imported.get('file')}`: a CSV of "
        "100,000 SYNTHETIC lines over every force (one draft return each), into a new request in "
        f"`{imported.get('database')}`, in a fresh process with `IMPORT_MAX_ROWS` and "
        "`IMPORT_MAX_UPLOAD_BYTES` raised for this run only; everything written is rolled back.",
        "",
    ]
    if "lines_per_s" in imported:
        lines += _table(
            ["lines", "file", "read and check", "write", "total", "lines/s", "peak RSS"],
            [
                [
                    f"{imported['lines']:,}",
                    f"{imported['file_bytes'] / 1e6:.1f} MB",
                    f"{imported['check_s']:.1f} s",
                    f"{imported['write_s']:.1f} s",
                    f"{imported['seconds']:.1f} s",
                    f"{imported['lines_per_s']:,.0f}",
                    f"{imported['peak_rss_mb']:.0f} MB",
                ]
            ],
        )
    else:
        lines.append(describe_import(imported))
    return [*lines, ""]


def _load_section(results: dict) -> list[str]:
    ours, theirs = results.get("load"), results.get("datasette", {}).get("load")
    if not ours and not theirs:
        return []
    rows = []
    for name, result in (("gunicorn, 2 workers (gthread, 4 threads each)", ours), ("Datasette", theirs)):
        if not result:
            continue
        if result.get("error") or result.get("requests_per_s") is None:
            rows.append(
                [name, f"`{result.get('path', '')}`", result.get("error", "failed"), "", "", "", "", "", ""]
            )
            continue
        rows.append(
            [
                name,
                f"`{result['path']}`",
                f"{result['seconds']:.0f} s",
                f"{result['requests']:,}",
                f"{result['requests_per_s']:,.0f}",
                ms(result["p50_s"]),
                ms(result["p95_s"]),
                ms(result["p99_s"]),
                f"{result['non_2xx']} / {result['socket_errors']}",
            ]
        )
    size = (ours or theirs or {}).get("size") or results.get("datasette", {}).get("size")
    return [
        "## Load",
        "",
        f"`wrk` on the same machine (so it takes CPU from the server), 2 threads, 10 connections, each "
        f"server's page requested a few times first; at {size}. Errors: non-2xx responses / socket errors "
        "and timeouts (10 s). A request still running when the time ends is not counted: 0 requests "
        "means none finished.",
        "",
        *_table(["server", "page", "time", "requests", "req/s", "p50", "p95", "p99", "errors"], rows),
        "",
    ]


def _weight_section(results: dict) -> list[str]:
    weight = results.get("weight")
    if not weight:
        return []
    rows = []
    for page in weight.get("pages", []):
        if "error" in page:
            rows.append([f"`{page['path']}`", page["error"], "", "", ""])
            continue
        rows.append(
            [
                f"`{page['path']}`",
                f"{kib(page['html_bytes'])} / {kib(page['html_gzip_bytes'])}",
                page["assets"],
                kib(page["total_raw_bytes"]),
                kib(page["total_gzip_bytes"]),
            ]
        )
    plotly = weight.get("plotly", {})
    lines = [
        "## Page weight",
        "",
        f"At {weight.get('size')}, over HTTP from gunicorn: the HTML (gzipped at level 6 as a proxy would; "
        "the app itself does not compress HTML) plus every local script and stylesheet it loads, as "
        "WhiteNoise serves them to a browser that accepts gzip.",
        "",
        *_table(["page", "HTML raw / gzip", "local assets", "total raw", "total gzip"], rows),
        "",
    ]
    basic, full = plotly.get("basic"), plotly.get("full")
    if basic and full:
        lines += [
            "The plotly.js bundle served is the vendored `plotly.js-basic-dist-min` 4.1.1 (bar, scatter and "
            f"pie traces: all the charts use): **{kib(basic['raw'])} raw, {kib(basic['gzip'])} gzipped**, "
            f"against the full `plotly.min.js` at {kib(full['raw'])} raw, {kib(full['gzip'])} gzipped: "
            f"{100 * (1 - basic['gzip'] / full['gzip']):.0f}% less to download. Pages without charts load no "
            "JavaScript at all.",
            "",
        ]
    return lines


def _datasette_section(results: dict) -> list[str]:
    peer = results.get("datasette")
    if not peer:
        return []
    sqlite = peer.get("sqlite", {})
    big_pages = _pages(results, peer.get("size"))
    settings = "`-i` (immutable, as `datasette publish` serves), `--setting sql_time_limit_ms 120000`, "
    settings += "`--setting facet_time_limit_ms 120000` (so the facets complete: the defaults are 1,000 "
    settings += "and 200 ms) and `--setting max_csv_mb 0` (the whole table streams)"
    rows = []
    for key, ours_key in (("faceted", "dashboard:unfiltered"), ("faceted-force", "dashboard:one force")):
        page = peer.get("pages", {}).get(key)
        ours = big_pages.get(ours_key)
        if not page:
            continue
        a, b = _page_time(ours), _page_time(page)
        rows.append(
            [
                page["what"],
                f"`{page['path']}`",
                _cell(page, "cold_s"),
                _cell(page, "p50"),
                _cell(page, "p95"),
                _cell(ours, "p95"),
                f"{b / a:,.1f}×" if a and b else "—",
            ]
        )
    lines = [
        "## Datasette, a peer",
        "",
        f"Datasette {peer.get('version', '?')} (`bench/requirements.txt`, installed in `.venv-bench`: a peer "
        "to compare with, not a dependency of the app) serves the same public lines, flattened (force, "
        "study, unit, role, offence, system, outcome, criminal outcome, count, the wordings, period) into "
        f"one SQLite table `lines` with an index on each facet column: {sqlite.get('lines', 0):,} SYNTHETIC "
        f"lines from `{sqlite.get('database')}`, {sqlite.get('bytes', 0) / 1e6:,.0f} MB"
        + (f", built in {sqlite['build_s']:.0f} s" if sqlite.get("build_s") else "")
        + f". Served with {settings}. Timed exactly as our pages are (a fresh server per page, cold then warm).",
        "",
        *_table(
            [
                "Datasette page",
                "URL",
                "cold",
                "p50",
                "p95",
                "our `/dashboard/` p95, same filter",
                "ours faster by",
            ],
            rows,
        ),
        "",
        "Its streamed CSV is in the export table above and its load in the load table.",
        "",
    ]
    return lines


def _problems_section(results: dict) -> list[str]:
    items = [f"- {name}: skipped, {why}." for name, why in results.get("skipped", {}).items()]
    items += [f"- {name}: failed: {why}" for name, why in results.get("errors", {}).items()]
    if not items:
        return []
    return ["## Not measured in this run", "", *items, ""]


def explain_notes(old: str) -> str:
    found = re.search(r"^## EXPLAIN notes\n(.*?)(?=^## |\Z)", old, flags=re.S | re.M)
    body = found.group(1).strip() if found else ""
    return body or EXPLAIN_PLACEHOLDER


def render(results: dict, old: str = "") -> str:
    targets_rows = [[t["target"], t["measured"], verdict(t["met"])] for t in targets(results)]
    parts = [
        "# Performance",
        "",
        "Every figure here comes from one run of `make bench` (`bench/run.py`), on **SYNTHETIC** data: "
        "databases of generated case lines (`manage.py generate_synthetic`) beside the real reference "
        "data, never the app's own database. None of these lines are real figures. Rerun `make bench` to "
        "measure again; it rewrites this file (all but the EXPLAIN notes). `make bench BENCH_ARGS=--quick` "
        "measures 100k lines only, cheaply.",
        "",
        *_machine_section(results),
        "## Targets",
        "",
        "Issue 10's targets, each from this run. Times are warm p95 unless the target says otherwise.",
        "",
        *_table(["target", "measured", ""], targets_rows),
        "",
        *_pages_section(results),
        *_export_section(results),
        *_import_section(results),
        *_load_section(results),
        *_weight_section(results),
        *_datasette_section(results),
        *_problems_section(results),
        "## EXPLAIN notes",
        "",
        explain_notes(old),
        "",
    ]
    return "\n".join(parts)


def write(results: dict, path: Path) -> None:
    old = path.read_text() if path.exists() else ""
    path.write_text(render(results, old))
