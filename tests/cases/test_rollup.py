"""The rollups the database keeps of the case lines are always exactly a fresh GROUP BY of them.

Whatever writes the lines (the loader, an import, the admin's saves, a rollback, a delete that
cascades from a return, a raw COPY), the triggers keep `cases_caselinerollup` and
`cases_caselinewording` exact inside the same transaction, so a page never reads a stale figure.
"""

import io
from datetime import date

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from cases.models import CaseLine, FoiReturn, Offence, Outcome, ReviewState, Role
from cases.services import foi_return_import, import_batch_rollback
from tests.cases.conftest import GOOD_ROWS
from tests.cases.test_import import plan_for

pytestmark = pytest.mark.django_db

KEY = "foi_return_id, role, offence, system, outcome, criminal_outcome, start_year, end_year"
FRESH_ROLLUP = """
    SELECT foi_return_id, role, offence, system, outcome, criminal_outcome,
           extract(year FROM period_start)::int, extract(year FROM period_end)::int,
           sum(count)::bigint, count(*)::bigint
    FROM cases_caseline GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 ORDER BY 1, 2, 3, 4, 5, 6, 7, 8
"""
KEPT_ROLLUP = f"SELECT {KEY}, cases, lines FROM cases_caselinerollup ORDER BY 1, 2, 3, 4, 5, 6, 7, 8"
FRESH_WORDINGS = " UNION ALL ".join(
    f"SELECT foi_return_id, '{d}', {d}, {d}_wording, count(*)::bigint FROM cases_caseline "
    f"WHERE {d}_wording <> '' GROUP BY 1, 2, 3, 4"
    for d in ("offence", "system", "outcome", "role")
)
KEPT_WORDINGS = "SELECT foi_return_id, dimension, code, wording, lines::bigint FROM cases_caselinewording"


def rows(sql: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [tuple(None if v is None else int(v) if isinstance(v, int) else v for v in r) for r in cursor]


def assert_exact():
    fresh = rows(FRESH_ROLLUP)
    assert rows(KEPT_ROLLUP) == fresh
    assert sorted(rows(KEPT_WORDINGS)) == sorted(rows(FRESH_WORDINGS))
    return fresh


def test_the_loaded_reference_data_is_rolled_up_exactly():
    fresh = assert_exact()
    assert sum(r[8] for r in fresh) == CaseLine.objects.total() == 3923
    assert sum(r[9] for r in fresh) == CaseLine.objects.count() == 100


def test_every_kind_of_write_keeps_the_rollup_exact(foi_request, editor):
    # An import (all its lines in one transaction), then the admin's kinds of single-line edits.
    batch = foi_return_import(plan=plan_for(foi_request, GOOD_ROWS), user=editor)
    assert_exact()
    line = CaseLine.objects.filter(import_batch=batch).first()
    line.outcome, line.count = Outcome.DISMISSED, 7
    line.save()
    assert_exact()
    line.offence_wording = "Looked up a neighbour on the PNC"
    line.period_start, line.period_end = date(2016, 4, 1), date(2017, 3, 31)
    line.save()
    assert_exact()
    CaseLine.objects.filter(import_batch=batch).update(role=Role.STAFF, offence=Offence.NOT_STATED)
    assert_exact()
    line.delete()
    assert_exact()
    # A write that fails leaves nothing behind in the rollup either.
    with pytest.raises(RuntimeError), transaction.atomic():
        CaseLine.objects.filter(import_batch=batch).update(count=1000)
        raise RuntimeError("the write fails half way")
    assert_exact()
    # A return deleted with its lines, and an import rolled back.
    FoiReturn.objects.filter(lines__import_batch=batch).first().delete()
    assert_exact()
    import_batch_rollback(batch=batch, user=editor)
    assert_exact()
    assert not rows(
        f"SELECT 1 FROM cases_caselinerollup WHERE foi_return_id IN "
        f"(SELECT id FROM cases_foireturn WHERE request_id = {foi_request.id})"
    )


def test_a_raw_copy_of_lines_is_rolled_up_too():
    foi_return = FoiReturn.objects.filter(review_state=ReviewState.APPROVED, force__slug="surrey").first()
    before = sum(r[8] for r in assert_exact())
    columns = (
        "foi_return_id, count, role, offence, system, outcome, criminal_outcome, reference, role_wording, "
        "offence_wording, system_wording, outcome_wording, criminal_outcome_wording, period_label, summary, "
        "summary_publishable, basis, disagreement, notes"
    )
    data = io.StringIO(
        "".join(
            f"{foi_return.id},{n + 1},police_staff,other,pnc,dismissed,not_stated,copy-{n},,Misused PNC,,,,,,"
            "false,stated,,\n"
            for n in range(500)
        )
    )
    with connection.cursor() as cursor:
        cursor.copy_expert(f"COPY cases_caseline ({columns}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", data)
    fresh = assert_exact()
    assert sum(r[8] for r in fresh) == before + sum(range(1, 501))


def test_pages_read_the_rollup_not_the_lines(client):
    """No page but a text search reads the case-line table for its figures."""
    for url in (
        "/",
        "/dashboard/",
        "/dashboard/?force=surrey&outcome=dismissed",
        "/dashboard/?year_from=2016",
        "/forces/surrey/",
        "/requests/parliament-street-2019/",
        "/requests/",
        "/methodology/",
    ):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, url
        reading_lines = [
            q["sql"]
            for q in queries.captured_queries
            if 'FROM "cases_caseline"' in q["sql"] and "disagreement" not in q["sql"]
        ]
        assert reading_lines == [], url
