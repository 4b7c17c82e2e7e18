"""One measurement in a fresh process, so its peak RSS is its own. Run by bench/run.py, with the
production environment (DEBUG off) and DATABASE_URL pointing at a bench database:

    python bench/child.py queries URL...   one JSON line per URL: queries (first and second request)
    python bench/child.py copy             raw COPY of the case-line table to nowhere
    python bench/child.py csv URL          /cases.csv streamed through Django, to nowhere
    python bench/child.py import FILE      the import service on a spreadsheet, then rolled back

Every result is a JSON object on the last line of stdout, with peak_rss_mb.
"""

import os
import sys
import time
from pathlib import Path

# The project, not bench/: a module there named like a library's (data, web) would shadow it.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.common import emit, peak_rss_mb  # noqa: E402


def setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "misuse_tracker.settings")
    import django

    django.setup()


def client():
    from django.test import Client

    return Client(SERVER_NAME="127.0.0.1", raise_request_exception=False)


def queries(urls: list[str]) -> None:
    setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    browser = client()
    for url in urls:
        result = {"url": url}
        for which in ("cold", "warm"):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = browser.get(url)
                content = b"".join(response.streaming_content) if response.streaming else response.content
                seconds = time.perf_counter() - started
            result[f"{which}_queries"] = len(captured.captured_queries)
            result[f"{which}_s"] = seconds
            result["status"], result["bytes"] = response.status_code, len(content)
            if seconds > 30:  # a second request would only say the same, slowly
                break
        emit(result)


class Sink:
    """Counts what COPY writes, keeps none of it."""

    def __init__(self):
        self.bytes = self.rows = 0
        self.first = None

    def write(self, data):
        if self.first is None:
            self.first = time.perf_counter()
        self.bytes += len(data)
        self.rows += data.count(b"\n") if isinstance(data, bytes) else data.count("\n")


def copy() -> None:
    setup()
    from django.db import connection

    sink = Sink()
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.copy_expert("COPY cases_caseline TO STDOUT", sink)
        seconds = time.perf_counter() - started
    emit(
        {
            "rows": sink.rows,
            "bytes": sink.bytes,
            "seconds": seconds,
            "rows_per_s": sink.rows / seconds,
            "first_byte_s": sink.first - started if sink.first else None,
            "peak_rss_mb": peak_rss_mb(),
        }
    )


def csv(url: str) -> None:
    setup()
    started = time.perf_counter()
    response = client().get(url)
    sink = Sink()
    for chunk in response.streaming_content if response.streaming else [response.content]:
        sink.write(chunk)
    response.close()
    seconds = time.perf_counter() - started
    rows = max(sink.rows - 1, 0)  # less the header
    emit(
        {
            "url": url,
            "status": response.status_code,
            "rows": rows,
            "bytes": sink.bytes,
            "seconds": seconds,
            "rows_per_s": rows / seconds,
            "first_byte_s": sink.first - started if sink.first else None,
            "peak_rss_mb": peak_rss_mb(),
        }
    )


class Rollback(Exception):
    pass


def import_file(path: str) -> None:
    setup()
    from django.db import transaction

    from cases.imports import import_plan, spreadsheet_check_name_and_size, spreadsheet_read
    from cases.models import FoiRequest, ImportBatch
    from cases.services import foi_return_import

    file = Path(path)
    result = {"file_bytes": file.stat().st_size}
    try:
        with transaction.atomic():
            foi_request = FoiRequest.objects.create(
                slug="synthetic-import-benchmark",
                title="SYNTHETIC import benchmark (rolled back)",
                period_label="2024",
                year_basis="calendar",
                counting_unit="people",
            )
            started = time.perf_counter()
            spreadsheet_check_name_and_size(name=file.name, size=file.stat().st_size)
            spreadsheet = spreadsheet_read(name=file.name, data=file.read_bytes())
            plan = import_plan(foi_request=foi_request, spreadsheet=spreadsheet)
            checked = time.perf_counter()
            if plan.errors:
                result["error"] = f"{len(plan.errors)} row errors, first: {plan.errors[0]}"
                raise Rollback
            foi_return_import(plan=plan, via=ImportBatch.Via.COMMAND)
            written = time.perf_counter()
            result.update(
                lines=plan.lines,
                returns=len(plan.returns),
                check_s=checked - started,
                write_s=written - checked,
                seconds=written - started,
                lines_per_s=plan.lines / (written - started),
            )
            raise Rollback
    except Rollback:
        pass
    result["peak_rss_mb"] = peak_rss_mb()
    emit(result)


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    commands = {
        "queries": lambda: queries(args),
        "copy": copy,
        "csv": lambda: csv(args[0]),
        "import": lambda: import_file(args[0]),
    }
    commands[command]()
