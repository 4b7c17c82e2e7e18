"""Export of 1,000,000 case lines: our streamed CSV against PostgreSQL's own COPY, same run.

    .venv/bin/python bench/export.py [--lines 1000000]

Builds a separate database (misuse_tracker_bench) on the same server: the real reference data
plus SYNTHETIC lines (a request titled "SYNTHETIC benchmark data", one source titled
"SYNTHETIC benchmark source"), so nothing synthetic ever reaches the app's own database. Each
measurement runs in a fresh process, so its peak RSS is its own. Rewrites the "Export" section
of docs/performance.md.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "misuse_tracker.settings")
BENCH_DB = "misuse_tracker_bench"
QUERY = (
    "force=surrey&force=metropolitan&force=kent&force=essex&force=sussex&force=thames-valley&force=hampshire"
)


def setup_django(database: str | None = None):
    import django
    from django.conf import settings

    if database:
        settings.DATABASES["default"]["NAME"] = database
    django.setup()


def build(lines: int) -> None:
    setup_django()
    import psycopg2
    from django.db import connection

    params = connection.get_connection_params()
    admin = psycopg2.connect(**{**params, "dbname": "postgres"})
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
        cursor.execute(f"CREATE DATABASE {BENCH_DB}")
    admin.close()
    connection.close()
    connection.settings_dict["NAME"] = BENCH_DB

    from django.core.management import call_command
    from django.utils import timezone

    from cases.models import FoiRequest, FoiReturn, Source
    from forces.models import Force

    call_command("migrate", verbosity=0)
    call_command("load_reference_data", verbosity=0)
    request = FoiRequest.objects.create(
        slug="synthetic-benchmark",
        title="SYNTHETIC benchmark data (not real figures)",
        period_label="2020",
        period_start="2020-01-01",
        period_end="2020-12-31",
        year_basis="calendar",
        counting_unit="synthetic lines",
    )
    source = Source.objects.create(
        url="https://example.org/synthetic",
        title="SYNTHETIC benchmark source",
        publisher="Synthetic",
        kind="report",
    )
    returns = [
        FoiReturn.objects.create(
            request=request,
            force=force,
            status="answered",
            review_state="approved",
            approved_at=timezone.now(),
        ).id
        for force in Force.objects.order_by("slug")
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO cases_caseline (foi_return_id, count, role, role_wording, offence, offence_wording,
                system, system_wording, outcome, outcome_wording, criminal_outcome, criminal_outcome_wording,
                period_label, summary,
                summary_publishable, basis, disagreement, notes)
            SELECT (%s::bigint[])[1 + g %% %s], 1 + g %% 7,
                (ARRAY['officer','police_staff','pcso','special_constable','not_stated'])[1 + g %% 5],
                'synthetic role wording, "quoted"',
                (ARRAY['unauthorised_access','unauthorised_disclosure','social_media','email','not_stated'])[1 + g %% 5],
                '=synthetic offence wording ' || g,
                (ARRAY['pnc','pnd','niche','email','not_stated'])[1 + g %% 5], 'synthetic system',
                (ARRAY['dismissed','resigned_retired','written_warning','management_action','not_stated'])[1 + g %% 5],
                'synthetic outcome, line ' || g, 'not_stated', '', '', 'SYNTHETIC summary, not a real case', g %% 2 = 0,
                'stated', '', 'synthetic'
            FROM generate_series(1, %s) AS g
            """,
            [returns, len(returns), lines],
        )
        cursor.execute(
            "INSERT INTO cases_caseline_sources (caseline_id, source_id) "
            "SELECT id, %s FROM cases_caseline WHERE foi_return_id = ANY(%s)",
            [source.id, returns],
        )
        cursor.execute("ANALYZE")


def measure(kind: str, query: str) -> dict:
    """One measurement, in this (fresh) process."""
    import resource

    setup_django(BENCH_DB)
    from django.db import connection
    from django.http import QueryDict
    from django.test import Client

    from reports import exports, selectors

    lines, _ = selectors.filtered_lines(params=QueryDict(query))
    rows = exports.case_line_rows(lines)
    started = time.perf_counter()
    count = size = 0
    if kind == "copy":
        # PostgreSQL's own COPY of the same query, no neutralising, written nowhere.
        class Discard:
            def write(self, data):
                nonlocal size
                size += len(data)

        with connection.cursor() as cursor:
            sql, params = rows.query.sql_with_params()
            inner = cursor.cursor.mogrify(sql, params).decode()
            cursor.cursor.copy_expert(f"COPY ({inner}) TO STDOUT WITH (FORMAT csv, HEADER true)", Discard())
            count = cursor.cursor.rowcount
    elif kind == "cursor":
        # The hand-written way: a server-side cursor and csv.writer, neutralising in Python.
        for chunk in exports.csv_bytes(exports.HEADER, rows.iterator(chunk_size=5000)):
            size += len(chunk)
        count = rows.count()
    else:
        response = Client(SERVER_NAME="127.0.0.1").get(f"/cases.{kind}?{query}")
        assert response.status_code == 200
        for chunk in response.streaming_content:
            size += len(chunk)
        from reports.models import ExportLog

        count = ExportLog.objects.latest("id").rows
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "kind": kind,
        "rows": count,
        "bytes": size,
        "seconds": seconds,
        "rows_per_s": count / seconds,
        "peak_rss_mb": peak_mb,
    }


def run_measurement(kind: str, query: str) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--measure", kind, "--query", query],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--measure")
    parser.add_argument("--query", default="")
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.query)))
        return

    started = time.perf_counter()
    build(args.lines)
    print(f"built {args.lines:,} synthetic lines in {time.perf_counter() - started:.0f} s", flush=True)
    query = "study=synthetic-benchmark"
    best = {}
    for kind in ("copy", "csv", "json", "cursor"):
        runs = [run_measurement(kind, query) for _ in range(args.repeat if kind != "cursor" else 1)]
        best[kind] = max(runs, key=lambda r: r["rows_per_s"])
        best[kind]["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
        print(json.dumps(best[kind]), flush=True)
    copy_rate = best["copy"]["rows_per_s"]
    table = ["| method | rows | MB | seconds | rows/s | × COPY | peak RSS |", "|---|---|---|---|---|---|---|"]
    names = {
        "copy": "PostgreSQL `COPY (same query) TO STDOUT`, unneutralised, to nowhere",
        "csv": "**`/cases.csv`**: streamed COPY, formula-safe cells",
        "json": "`/cases.json`: streamed COPY of row_to_json",
        "cursor": "server-side cursor + csv.writer (formula-safe in Python), for comparison",
    }
    for kind in ("copy", "csv", "json", "cursor"):
        r = best[kind]
        table.append(
            f"| {names[kind]} | {r['rows']:,} | {r['bytes'] / 1e6:,.0f} | {r['seconds']:.2f} | "
            f"{r['rows_per_s']:,.0f} | {r['rows_per_s'] / copy_rate:.2f} | {r['peak_rss_mb']:.0f} MB |"
        )
    section = "\n".join(
        [
            "## Export of 1,000,000 lines",
            "",
            f"Reproduce: `.venv/bin/python bench/export.py --lines {args.lines}` (builds its own database, "
            "`misuse_tracker_bench`, with SYNTHETIC lines; about a minute).",
            "",
            f"{args.lines:,} synthetic case lines (every column filled, one source each) beside the real data, "
            "filtered to the synthetic study; best of "
            f"{args.repeat} runs each (the cursor baseline once), each run in a fresh process whose peak "
            "resident memory is reported. Target: at least 0.7 × COPY's rows/s with formula-safe cells, "
            "peak RSS at most 150 MB.",
            "",
            *table,
            "",
            "What limits it: the query, not the streaming. Each line carries ~480 bytes (the sources' "
            "wording, and every cited source's title and address, looked up per line), and PostgreSQL "
            "sorts the rows by line id; so even the cursor-and-csv.writer path comes close here. The "
            "next step, if exports of this size become common, is to join the sources once with a "
            "LATERAL subquery and let an index on (return, id) replace the sort. The DISTINCT that "
            "django-filter adds by default was removed (no filter can repeat a row): it sorted every "
            "row to disk.",
            "",
        ]
    )
    path = ROOT / "docs" / "performance.md"
    text = path.read_text()
    text = re.sub(r"\n## Export of 1,000,000 lines\n.*?(?=\n## |\Z)", "", text, flags=re.S).rstrip()
    path.write_text(text + "\n\n" + section)
    print(section)


if __name__ == "__main__":
    main()
