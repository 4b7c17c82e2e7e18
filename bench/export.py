"""Export of 1,000,000 case lines: our downloads against PostgreSQL's raw COPY of the table, same run.

    .venv/bin/python bench/export.py [--lines 1000000] [--figures 20000] [--repeat 3] [--write-doc]

Builds a separate database (misuse_tracker_bench) on the same server: the real reference data
plus SYNTHETIC lines and figures (a request titled "SYNTHETIC benchmark data", one source titled
"SYNTHETIC benchmark source"), so nothing synthetic ever reaches the app's own database. Each
measurement runs in a fresh process, so its peak RSS is its own; each is repeated and the best
rate kept. The reference is `COPY cases_caseline TO STDOUT` (the table as stored, to nowhere):
what PostgreSQL itself can send, whatever our query. The last line of stdout is every result as
one JSON object (for `make bench`); `--write-doc` also rewrites the "Export" section of
docs/performance.md.
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
UNFILTERED = ""
FILTERED = (
    "force=surrey&force=metropolitan&force=kent&force=essex&force=sussex&force=thames-valley&force=hampshire"
)


def setup_django(database: str | None = None):
    import django
    from django.conf import settings

    if database:
        settings.DATABASES["default"]["NAME"] = database
    django.setup()


def build(lines: int, figures: int) -> None:
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
    forces = list(Force.objects.order_by("slug").values_list("id", flat=True))
    returns = [
        FoiReturn.objects.create(
            request=request,
            force_id=force,
            status="answered",
            review_state="approved",
            approved_at=timezone.now(),
        ).id
        for force in forces
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
        # Case examples: no number, so no total or completeness reads them.
        cursor.execute(
            """
            INSERT INTO cases_reportedfigure (request_id, force_id, reference, scope, metric, detail,
                metric_as_recorded, unit, value, qualifier, role_wording, period_label, quote, source_id,
                notes, uncertain, disagreement)
            SELECT %s, (%s::bigint[])[1 + g %% %s], 'synthetic-figure-' || g, 'SYNTHETIC scope', 'case_example',
                '', 'synthetic case example', 'people_disciplined', NULL, 'no_number', 'synthetic role',
                '2020', '=SYNTHETIC quote ' || g, %s, '', '', ''
            FROM generate_series(1, %s) AS g
            """,
            [request.id, forces, len(forces), source.id, figures],
        )
        cursor.execute("ANALYZE")


def measure(kind: str, query: str) -> dict:
    """One measurement, in this (fresh) process."""
    import resource

    setup_django(BENCH_DB)
    from django.db import connection
    from django.test import Client

    from reports.models import ExportLog

    class Discard:
        size = 0

        def write(self, data):
            self.size += len(data)

    client = Client(SERVER_NAME="127.0.0.1")
    started = time.perf_counter()
    result = {"kind": kind, "query": query}
    if kind in ("copy", "figures_copy"):
        table = "cases_caseline" if kind == "copy" else "cases_reportedfigure"
        sink = Discard()
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(f"COPY {table} TO STDOUT", sink)
            result |= {"rows": cursor.cursor.rowcount, "bytes": sink.size}
    elif kind == "query_copy":
        # The export's own query for every line as one COPY, to nowhere: what paging, Django and
        # the response add beside it.
        from django.http import QueryDict

        from reports import exports, selectors

        _, filterset = selectors.filtered_lines(params=QueryDict(query))
        export = exports.CaseLineExport(filterset)
        sink = Discard()
        with export.reading() as cursor:
            for page in export.pages(cursor, ids=10**12):
                cursor.copy_expert(f"COPY ({page}) TO STDOUT WITH (FORMAT csv)", sink)
                result |= {"rows": cursor.rowcount, "bytes": sink.size}
    elif kind == "cursor":
        # The plain way, for comparison: a server-side cursor over the same query and csv.writer.
        # (Not byte-identical: csv.writer cannot tell an empty text from NULL.)
        import csv
        import io

        from django.http import QueryDict

        from reports import exports, selectors

        _, filterset = selectors.filtered_lines(params=QueryDict(query))
        export = exports.CaseLineExport(filterset)
        rows = size = 0
        with export.reading() as cursor:
            for page in export.pages(cursor, ids=10**12):
                named = connection.connection.cursor(name="bench_export")
                named.itersize = 5000
                named.execute(page)
                buffer = io.StringIO()
                writer = csv.writer(buffer, lineterminator="\n")
                for row in named:
                    writer.writerow(row)
                    rows += 1
                    if buffer.tell() > 65536:
                        size += len(buffer.getvalue().encode())
                        buffer.seek(0)
                        buffer.truncate()
                size += len(buffer.getvalue().encode())
                named.close()
        result |= {"rows": rows, "bytes": size}
    elif kind.startswith("first_byte"):
        path = f"/cases.csv?{query}"
        b"".join(client.get("/cases.csv?force=gwent").streaming_content)  # warm: imports, URLs, templates
        firsts, rows = [], []
        for _ in range(3):
            started = time.perf_counter()
            response = client.get(path)
            chunks = iter(response.streaming_content)
            next(chunks)
            firsts.append(time.perf_counter() - started)
            next(chunks)
            rows.append(time.perf_counter() - started)
            response.close()
        result |= {"first_byte_ms": min(firsts) * 1000, "first_row_ms": min(rows) * 1000}
    else:  # a download: csv, json or figures_csv
        path = {"csv": "/cases.csv", "json": "/cases.json", "figures_csv": "/figures.csv"}[kind]
        response = client.get(f"{path}?{query}")
        assert response.status_code == 200
        size = 0
        for chunk in response.streaming_content if response.streaming else [response.content]:
            size += len(chunk)
        result |= {"rows": ExportLog.objects.latest("id").rows, "bytes": size}
    seconds = time.perf_counter() - started
    if "rows" in result:
        result |= {"seconds": seconds, "rows_per_s": result["rows"] / seconds}
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def run_measurement(kind: str, query: str) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--measure", kind, "--query", query],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


MEASUREMENTS = {
    # name: (kind, query, what it is)
    "copy": ("copy", "", "PostgreSQL `COPY cases_caseline TO STDOUT`: the table as stored, to nowhere"),
    "csv": ("csv", UNFILTERED, "**`/cases.csv`**, every line: formula-safe, through Django, to nowhere"),
    "csv_filtered": ("csv", FILTERED, "**`/cases.csv?force=…`** (7 forces), through Django"),
    "json": ("json", UNFILTERED, "`/cases.json`, every line"),
    "query_copy": ("query_copy", UNFILTERED, "the export's query for every line as one COPY (no pages)"),
    "cursor": ("cursor", UNFILTERED, "the same query through a server-side cursor + csv.writer"),
    "figures_copy": ("figures_copy", "", "PostgreSQL `COPY cases_reportedfigure TO STDOUT`"),
    "figures_csv": ("figures_csv", "", "**`/figures.csv`**, every figure, through Django"),
    "first_byte_unfiltered": ("first_byte", UNFILTERED, "first byte of `/cases.csv`"),
    "first_byte_filtered": ("first_byte", FILTERED, "first byte of `/cases.csv?force=…`"),
}


def summary(best: dict, lines: int, figures: int) -> dict:
    copy, figures_copy = best["copy"]["rows_per_s"], best["figures_copy"]["rows_per_s"]
    result = {"lines": lines, "figures": figures, "copy_rows_per_s": copy}
    for name in ("csv", "csv_filtered", "json", "query_copy", "cursor"):
        result |= {
            f"{name}_rows_per_s": best[name]["rows_per_s"],
            f"{name}_x_copy": best[name]["rows_per_s"] / copy,
            f"{name}_peak_rss_mb": best[name]["peak_rss_mb"],
        }
    result |= {
        "figures_copy_rows_per_s": figures_copy,
        "figures_csv_rows_per_s": best["figures_csv"]["rows_per_s"],
        "figures_csv_x_copy": best["figures_csv"]["rows_per_s"] / figures_copy,
        "figures_csv_peak_rss_mb": best["figures_csv"]["peak_rss_mb"],
    }
    for which in ("unfiltered", "filtered"):
        result |= {
            f"first_byte_ms_{which}": best[f"first_byte_{which}"]["first_byte_ms"],
            f"first_row_ms_{which}": best[f"first_byte_{which}"]["first_row_ms"],
        }
    return result


def doc_section(best: dict, args) -> str:
    copy, figures_copy = best["copy"]["rows_per_s"], best["figures_copy"]["rows_per_s"]
    table = ["| method | rows | MB | seconds | rows/s | × COPY | peak RSS |", "|---|---|---|---|---|---|---|"]
    for name, (_, _, what) in MEASUREMENTS.items():
        r = best[name]
        if "rows" not in r:
            continue
        reference = figures_copy if name.startswith("figures") else copy
        table.append(
            f"| {what} | {r['rows']:,} | {r['bytes'] / 1e6:,.0f} | {r['seconds']:.2f} | "
            f"{r['rows_per_s']:,.0f} | {r['rows_per_s'] / reference:.2f} | {r['peak_rss_mb']:.0f} MB |"
        )
    firsts = ", ".join(
        f"{which} {best[f'first_byte_{which}']['first_byte_ms']:.0f} ms "
        f"(first line {best[f'first_byte_{which}']['first_row_ms']:.0f} ms)"
        for which in ("unfiltered", "filtered")
    )
    return "\n".join(
        [
            f"## Export of {args.lines:,} lines",
            "",
            f"Reproduce: `.venv/bin/python bench/export.py --lines {args.lines} --write-doc` (builds its own "
            "database, `misuse_tracker_bench`, with SYNTHETIC lines and figures; a few minutes).",
            "",
            f"{args.lines:,} synthetic case lines (every column filled, one source each, every offence "
            f"wording a formula to neutralise) and {args.figures:,} synthetic figures beside the real data; "
            f"best of {args.repeat} runs each, each in a fresh process whose peak resident memory is "
            "reported. × COPY compares with PostgreSQL's raw COPY of the table in the same run (figures "
            "with the figures table). Target: `/cases.csv` at least 0.4 × COPY, first byte within 100 ms, "
            "peak RSS at most 150 MB.",
            "",
            *table,
            "",
            f"First byte of `/cases.csv` (in-process, best of 3): {firsts}. The header goes out before "
            "any query; the first line waits for the completeness of every return (a sum over all lines "
            "until a rollup holds it) and the first page of line ids.",
            "",
            "What limits it: PostgreSQL writing the file, not the streaming. A line of the download is "
            "33 columns and ~530 bytes against the table's 22 and ~250, and COPY's CSV costs about twice "
            "the raw table's time even with every joined value a constant. On top of that each page "
            "reads its lines in id order from the primary key (no sort), finds each line's return in a "
            "short list worked out once per return (Memoize), merge-joins the page's sources aggregated "
            "in the same order, and checks the text read per line for formula triggers. Against one COPY "
            "of every line (the no-pages row), pages of 10,000 ids (one COPY each, no thread), Django's "
            "response and the completeness sum before the first line cost the difference; a "
            "server-side cursor with csv.writer is several times slower. A download filtered to "
            "lines spread over the whole table still reads every page's sources. The next steps, if "
            "exports this size become common: per-line source strings and per-return values kept by "
            "triggers with the rollup, which would leave COPY little but the lines themselves.",
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--figures", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-build", action="store_true", help="measure the bench database as it is")
    parser.add_argument(
        "--write-doc", action="store_true", help="rewrite the Export section of performance.md"
    )
    parser.add_argument("--measure")
    parser.add_argument("--query", default="")
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.query)))
        return

    if not args.no_build:
        started = time.perf_counter()
        build(args.lines, args.figures)
        print(f"built {args.lines:,} synthetic lines in {time.perf_counter() - started:.0f} s", flush=True)
    runs = {name: [] for name in MEASUREMENTS}
    for _ in range(args.repeat):  # interleaved, so a busy moment of the machine hits every method
        for name, (kind, query, _) in MEASUREMENTS.items():
            runs[name].append(run_measurement(kind, query))
            print(json.dumps({"name": name} | runs[name][-1]), flush=True)
    best = {}
    for name, measured in runs.items():
        if "rows_per_s" in measured[0]:
            best[name] = max(measured, key=lambda r: r["rows_per_s"])
        else:
            best[name] = {
                "first_byte_ms": min(r["first_byte_ms"] for r in measured),
                "first_row_ms": min(r["first_row_ms"] for r in measured),
            }
        best[name]["peak_rss_mb"] = max(r["peak_rss_mb"] for r in measured)
    section = doc_section(best, args)
    print(section)
    if args.write_doc:
        path = ROOT / "docs" / "performance.md"
        text, found = re.subn(
            r"## Export of [\d,]+ lines\n.*?(?=\n## |\Z)", section, path.read_text(), flags=re.S
        )
        path.write_text(text if found else text.rstrip() + "\n\n" + section)
    print(json.dumps(summary(best, args.lines, args.figures)))


if __name__ == "__main__":
    main()
