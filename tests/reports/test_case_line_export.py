"""The case-line download: exactly the filtered lines, paged out of PostgreSQL, safe in every cell."""

import csv
import io
import json
from datetime import date

import psycopg2
import pytest
from django.db import connection
from django.http import QueryDict
from django.utils import timezone
from openpyxl import load_workbook

from cases.models import (
    CaseLine,
    CriminalOutcome,
    FoiRequest,
    FoiReturn,
    Offence,
    Outcome,
    Role,
    Source,
    System,
)
from forces.models import Force
from reports import exports
from reports.exports import FORMULA_TRIGGERS, HEADER
from reports.models import ExportLog
from reports.selectors import filtered_lines

pytestmark = pytest.mark.django_db


def content(response) -> bytes:
    return b"".join(response.streaming_content)


def csv_records(response) -> list[dict]:
    table = list(csv.reader(io.StringIO(content(response).decode())))
    return [dict(zip(table[0], row, strict=True)) for row in table[1:]]


def json_records(response) -> list[dict]:
    return json.loads(content(response))["rows"]


def xlsx_records(response, tmp_path) -> list[dict]:
    path = tmp_path / "cases.xlsx"
    path.write_bytes(content(response))
    values = list(load_workbook(path)["data"].values)
    return [dict(zip(values[0], row, strict=True)) for row in values[1:]]


@pytest.fixture
def cited_thrice():
    """A Dorset line citing three sources, made in another order than the file's (publisher, url)."""
    foi_return = FoiReturn.objects.get(request__slug="dorset-2022-130", force__slug="dorset")
    line = CaseLine.objects.create(
        foi_return=foi_return,
        count=5,
        role="officer",
        role_wording="PC",
        offence="other",
        offence_wording="Looked up a neighbour",
        outcome="dismissed",
        outcome_wording="Dismissed",
    )
    for publisher, url, title in [
        ("Zeta News", "https://a.example/1", 'Zeta\'s story, "quoted"'),
        ("Alpha Press", "https://z.example/2", "=SUM(A1)"),
        ("Alpha Press", "https://b.example/3", "-Minus first"),
    ]:
        line.sources.add(
            Source.objects.create(publisher=publisher, url=url, title=title, kind="press_article")
        )
    return line


DORSET = (
    "dorset-2022-130,Dorset Police FOI 2022-130: staff misuse of PNC,misconduct_allegations,"
    "Misconduct allegations,misconduct allegations (access and/or disclosure of information),dorset,"
    "Dorset Police,South West,2020–2021,2020-01-01,2021-12-31"
)


def test_a_line_with_several_sources_exactly(client, cited_thrice):
    query = "force=dorset&unit=misconduct_allegations&outcome=dismissed"
    # The sources in (publisher, url) order, titles and addresses alike; only the cell's start is a
    # formula risk, so "=SUM(A1)" in the middle stays as it is. Dorset's lines now add up to 23 (7 +
    # 11 + 5) of its published 18: not complete.
    assert content(client.get(f"/cases.csv?{query}")).decode() == (
        ",".join(HEADER) + "\n"
        f"{cited_thrice.id},{DORSET},5,officer,Police officer,PC,other,Other (see wording),Looked up a neighbour,"
        'not_stated,Not stated,"",dismissed,Dismissed,Dismissed,not_stated,Not stated,stated,answered,no,23,18,"","",'
        '"\'-Minus first | =SUM(A1) | Zeta\'s story, ""quoted""",'
        "https://b.example/3 https://z.example/2 https://a.example/1\n"
    )
    (row,) = json_records(client.get(f"/cases.json?{query}"))
    assert (row["line_id"], row["count"], row["force_lines_total"], row["summary"]) == (
        cited_thrice.id,
        5,
        23,
        "",
    )
    assert row["source_titles"] == "'-Minus first | =SUM(A1) | Zeta's story, \"quoted\""
    assert row["source_urls"] == "https://b.example/3 https://z.example/2 https://a.example/1"


@pytest.fixture
def formula_everywhere():
    """A study, force, return, line and source whose every text starts with a formula trigger."""
    force = Force.objects.create(
        slug="-force", name="=Force", short_name="F", region="+Region", kind="territorial", source_note="test"
    )
    study = FoiRequest.objects.create(
        slug="-study",
        title="=Title",
        period_label="@2020",
        period_start=date(2020, 1, 1),
        period_end=date(2020, 12, 31),
        year_basis="calendar",
        unit="misconduct_allegations",
        counting_unit="+counted",
    )
    foi_return = FoiReturn.objects.create(
        request=study, force=force, status="answered", review_state="approved", approved_at=timezone.now()
    )
    line = CaseLine.objects.create(
        foi_return=foi_return,
        count=2,
        role_wording="=role",
        offence_wording="+offence",
        system_wording="-system",
        outcome_wording="@outcome",
        period_label="\tperiod",
        summary="\rsummary",
        summary_publishable=True,
        disagreement="\ndisagreement",
        basis="=basis",
    )
    line.sources.add(
        Source.objects.create(url="=https://example.org/x", title="-title", publisher="P", kind="blog")
    )
    CaseLine.objects.create(foi_return=foi_return, count=1)  # dated by its study


NEUTRALISED = {
    "request": "'-study",
    "request_title": "'=Title",
    "counting_unit": "'+counted",
    "force": "'-force",
    "force_name": "'=Force",
    "region": "'+Region",
    "period": "'\tperiod",
    "role_wording": "'=role",
    "offence_wording": "'+offence",
    "system_wording": "'-system",
    "outcome_wording": "'@outcome",
    "basis": "'=basis",
    "summary": "'\rsummary",
    "disagreement": "'\ndisagreement",
    "source_titles": "'-title",
    "source_urls": "'=https://example.org/x",
}


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
def test_every_text_column_is_neutralised(client, formula_everywhere, fmt, tmp_path):
    response = client.get(f"/cases.{fmt}?study=-study")
    records = {
        "csv": csv_records,
        "json": json_records,
        "xlsx": lambda r: xlsx_records(r, tmp_path),
    }[fmt](response)
    by_count = {str(record["count"]): record for record in records}
    expected = dict(NEUTRALISED)
    if fmt == "xlsx":  # XML reads a carriage return back as a line feed
        expected["summary"] = "'\nsummary"
    assert {name: by_count["2"][name] for name in NEUTRALISED} == expected
    assert by_count["1"]["period"] == "'@2020"
    assert str(by_count["1"]["period_start"]).startswith("2020-01-01")


def test_no_code_starts_like_a_formula():
    # Codes reach the file as they are: CHECK constraints hold each to these values.
    for codes in (Role, Offence, System, Outcome, CriminalOutcome):
        assert not [code for code in codes.values if code.startswith(FORMULA_TRIGGERS)]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "study=parliament-street-2019&study=northumbria-183-20",
        "force=surrey&force=metropolitan&outcome=dismissed",
        "force=dorset&unit=misconduct_allegations",
        "region=North+West&outcome=not_stated",
        "country=Wales",
        "unit=data_breaches&region=North+East",
        "unit=people_investigated",
        "year_from=2019",
        "year_to=2014",
        "year_from=2010&year_to=2016&role=officer",
        "q=family",
        "q=disclosure&country=England",
        "criminal_outcome=convicted",
        "offence=unauthorised_disclosure&system=several",
        "study=bbw-2016-safe-in-police-hands&force=surrey&force=durham",
    ],
)
def test_the_download_holds_the_pages_lines_in_id_order(client, query):
    lines, _ = filtered_lines(params=QueryDict(query))
    expected = list(lines.order_by("id").values_list("id", flat=True))
    assert expected, "a query that reaches no line tests little"
    assert [int(record["line_id"]) for record in csv_records(client.get(f"/cases.csv?{query}"))] == expected
    assert [record["line_id"] for record in json_records(client.get(f"/cases.json?{query}"))] == expected


@pytest.mark.parametrize("query", ["", "force=surrey&force=metropolitan", "unit=misconduct_allegations"])
def test_pages_of_a_few_ids_add_up_to_the_same_file(client, monkeypatch, cited_thrice, query):
    whole_csv = content(client.get(f"/cases.csv?{query}"))
    whole_json = content(client.get(f"/cases.json?{query}")).partition(b'"rows": [')[2]
    monkeypatch.setattr(exports, "PAGE_IDS", 3)
    monkeypatch.setattr(exports, "JSON_PAGE_IDS", 2)
    assert content(client.get(f"/cases.csv?{query}")) == whole_csv
    assert content(client.get(f"/cases.json?{query}")).partition(b'"rows": [')[2] == whole_json


@pytest.mark.parametrize("query", ["role=police_staff", "outcome=dismissed"])
def test_every_page_is_full_but_the_last(monkeypatch, query):
    """Pages are counted in matching lines, not in ids: lines of other filters between them cost
    no extra page."""
    monkeypatch.setattr(exports, "PAGE_IDS", 2)
    lines, filterset = filtered_lines(params=QueryDict(query))
    matching = lines.count()
    ids = list(lines.values_list("id", flat=True))
    assert max(ids) - min(ids) + 1 > matching + 2, "the lines must be spread among others' to test this"
    export = exports.CaseLineExport(filterset)
    with export.reading() as cursor:
        sizes = []
        for page in export.pages(cursor):
            cursor.execute(f"SELECT count(*) FROM ({page}) AS p")
            sizes.append(cursor.fetchone()[0])
    assert sizes == [2] * (matching // 2) + ([1] if matching % 2 else [])


def test_the_header_goes_out_before_any_query(client, django_assert_num_queries):
    response = client.get("/cases.csv")
    chunks = iter(response.streaming_content)
    with django_assert_num_queries(0):
        assert next(chunks) == (",".join(HEADER) + "\n").encode()
    response.close()


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_a_page_that_fails_breaks_the_download_mid_stream(client, monkeypatch, fmt):
    pages = exports.CaseLineExport.pages

    def second_page_fails(self, cursor, **size):
        for number, page in enumerate(pages(self, cursor, **size)):
            yield page if number == 0 else "SELECT 1 / 0 AS line_id"

    monkeypatch.setattr(exports.CaseLineExport, "pages", second_page_fails)
    monkeypatch.setattr(exports, "PAGE_IDS", 10)
    monkeypatch.setattr(exports, "JSON_PAGE_IDS", 10)
    response = client.get(f"/cases.{fmt}")
    received = []
    with pytest.raises(psycopg2.errors.DivisionByZero):
        for chunk in response.streaming_content:
            received.append(chunk)
    assert b"".join(received).count(b"\n") > 2  # the start went out; the server then aborts the transfer
    assert ExportLog.objects.get().completed is False


def test_a_download_left_unfinished_ends_its_transaction(client, monkeypatch):
    monkeypatch.setattr(exports, "PAGE_IDS", 10)
    depth = len(connection.savepoint_ids)
    response = client.get("/cases.csv")
    chunks = iter(response.streaming_content)
    next(chunks), next(chunks)
    assert len(connection.savepoint_ids) == depth + 1  # reading, in a transaction of its own
    response.close()  # the client went away
    assert len(connection.savepoint_ids) == depth
