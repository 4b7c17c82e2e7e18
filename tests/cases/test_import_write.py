"""An import writes its lines in batches: the same rows, sources and history as line-by-line saves,
in a number of queries that does not grow with the lines."""

import csv
import io

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import services
from cases.imports import COLUMN_NAMES, import_plan, spreadsheet_read
from cases.models import CaseLine, ImportBatch
from cases.services import foi_return_import
from tests.cases.conftest import csv_bytes, row


def met_lines(n: int, cite_every: int = 3) -> list[list[str]]:
    """n lines of one Met return; every `cite_every`-th line cites its own source."""
    rows = []
    for i in range(n):
        rows.append(
            row(
                force="Met",
                count=str(1 + i % 4),
                role="officers",
                offence="unauthorised access",
                outcome="dismissed" if i % 2 else "resigned",
                period_label="2024",
                source_urls=f"https://example.org/met-{i}" if i % cite_every == 0 else "",
            )
        )
    return rows


def imported(foi_request, rows, user=None):
    plan = import_plan(
        foi_request=foi_request, spreadsheet=spreadsheet_read(name="met.csv", data=csv_bytes(rows))
    )
    assert plan.errors == []
    return foi_return_import(plan=plan, user=user, via=ImportBatch.Via.COMMAND)


def test_every_line_has_one_history_row_with_its_sources(foi_request, editor):
    batch = imported(foi_request, met_lines(7), user=editor)
    lines = CaseLine.objects.filter(import_batch=batch).order_by("pk")
    assert lines.count() == 7
    HistoricalSources = apps.get_model("cases", "HistoricalCaseLine_sources")
    for line in lines:
        (created,) = CaseLine.history.filter(id=line.pk)
        assert (created.history_type, created.via, created.import_batch_id, created.history_user) == (
            "+",
            "import",
            batch.pk,
            editor,
        )
        assert (created.count, created.outcome) == (line.count, line.outcome)
        cited = sorted(
            HistoricalSources.objects.filter(history=created).values_list("source__url", flat=True)
        )
        assert cited == sorted(line.sources.values_list("url", flat=True))
    assert [sorted(line.sources.values_list("url", flat=True)) for line in lines] == [
        ["https://example.org/met-0"],
        [],
        [],
        ["https://example.org/met-3"],
        [],
        [],
        ["https://example.org/met-6"],
    ]


def test_queries_do_not_grow_with_the_lines(foi_request, editor, monkeypatch):
    """Two batches of lines cost the same queries whether they hold 4 or 40 lines each."""

    def queries(n_lines):
        with CaptureQueriesContext(connection) as captured:
            batch = imported(foi_request, met_lines(n_lines, cite_every=n_lines + 1))
        services.import_batch_rollback(batch=batch, user=editor)
        return len(captured)

    monkeypatch.setattr(services, "IMPORT_WRITE_BATCH", 4)
    small = queries(8)
    monkeypatch.setattr(services, "IMPORT_WRITE_BATCH", 40)
    assert queries(80) == small


@pytest.mark.parametrize("batch_size", [2, 5_000])
def test_lines_split_over_batches_are_all_written(foi_request, monkeypatch, batch_size):
    monkeypatch.setattr(services, "IMPORT_WRITE_BATCH", batch_size)
    batch = imported(foi_request, met_lines(5))
    assert list(
        CaseLine.objects.filter(import_batch=batch).order_by("pk").values_list("count", flat=True)
    ) == [
        1,
        2,
        3,
        4,
        1,
    ]
    assert CaseLine.history.filter(import_batch_id=batch.pk).count() == 5


def test_text_is_written_exactly_and_blanks_stay_blank_or_null(foi_request):
    """COPY's CSV: quotes, commas, tabs, new lines and backslashes arrive as typed; a blank text
    cell is an empty string, a blank date is NULL."""
    awkward = 'He said "look it up", then\tleft;\nC:\\records \\N'
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMN_NAMES)
    values = {"force": "Met", "count": "2", "outcome": "dismissed", "summary": awkward, "notes": "\\"}
    writer.writerow([values.get(column, "") for column in COLUMN_NAMES])
    writer.writerow(
        [
            {"force": "Met", "count": "3", "period_start": "2024-04-01"}.get(column, "")
            for column in COLUMN_NAMES
        ]
    )
    plan = import_plan(
        foi_request=foi_request, spreadsheet=spreadsheet_read(name="a.csv", data=out.getvalue().encode())
    )
    assert plan.errors == []
    batch = foi_return_import(plan=plan)
    first, second = CaseLine.objects.filter(import_batch=batch).order_by("pk")
    assert (first.summary, first.notes, first.count, first.period_start, first.reference) == (
        awkward,
        "\\",
        2,
        None,
        None,
    )
    assert (second.summary, second.role_wording, second.period_end, str(second.period_start)) == (
        "",
        "",
        None,
        "2024-04-01",
    )
    assert CaseLine.history.get(id=first.pk).summary == awkward
