"""A reply as a force sends it — a title and a note above the table, its own column names, a footnote
below, several mistakes in a row — is checked whole: one upload names every problem of every row,
one round of edits fixes them, and the preview says which rows were skipped and how the file was
read, whatever program saved it (UTF-8, UTF-8 with a BOM, Windows-1252, UTF-16, .xlsx)."""

import csv
import io
import re
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command

from cases.imports import SkippedRow, import_plan, spreadsheet_read
from cases.models import FoiReturn, ImportBatch
from tests.cases.conftest import upload

pytestmark = pytest.mark.django_db

IMPORT_URL = "/admin/cases/importbatch/import/"
CONFIRM_URL = "/admin/cases/importbatch/import/confirm/"
MESSY = (Path(__file__).parent / "files" / "messy_reply.csv").read_text(encoding="utf-8")
MET_REPLY = (
    "https://www.met.police.uk/foi-ai/metropolitan-police/disclosure-2019/may/misuse-of-police-systems/"
)
OUTCOMES = (
    "dismissed, resigned_retired, final_written_warning, written_warning, written_or_verbal_warning, "
    "management_action, reflective_practice, misconduct_meeting, disciplined, no_further_action, not_stated"
)
EVERY_PROBLEM = [
    "Row 6, column “count” (“-1”): A line counts at least one person: enter 1 or more, or delete the line.",
    "Row 6, column “outcome”: “Final writen warning” is not a wording this import can map. Did you mean “Final "
    f"written warning”? Accepted: {OUTCOMES} (or their names as the admin shows them, or a wording listed in "
    "docs/importing.md).",
    "Row 7, column “force”: “Metropolitian Police” is not a force this import knows. Did you mean “Metropolitan "
    "Police Service”? Use the force’s name, short name or slug as listed under Forces (for example “Surrey "
    "Police”, “Surrey” or “surrey”), or “not stated” for cases the study does not attribute to a force.",
    "Row 7, column “period_end” (“31/03/2016”): The period must end on or after its start: check the two dates.",
    "Row 8, column “count”: “two” is not a whole number: enter how many people the line counts, in digits.",
    "Row 8, column “role”: “Police Oficer” is not a wording this import can map. Did you mean “Police officer”? "
    "Accepted: officer, police_staff, pcso, special_constable, not_stated (or their names as the admin shows "
    "them, or a wording listed in docs/importing.md).",
    "Row 8, column “source_urls”: “met.police.uk/foi” is not a web address. Give full addresses starting "
    "http:// or https://, separated by “;”.",
    "Row 10, column “force”: “HMRC” is not among the forces this record covers: it is HM Revenue and Customs, a "
    "government department. Leave its rows out of the file.",
]
SKIPPED = [
    "Row 1 (above the column names): “Freedom of Information Request 2019/123 – Misuse of police systems”",
    "Row 3 (above the column names): “Figures relate to officers and staff disciplined between 1 April 2016 and "
    "31 March 2019. Source: Ce…”",
]


def fixed() -> str:
    """The one round of edits the problems ask for."""
    text = MESSY
    for wrong, right in [
        ("Niche,Final writen warning,Not known,-1,", "Niche,Final written warning,Not known,1,"),
        (
            "Metropolitian Police,2017/18,01/04/2017,31/03/2016,",
            "Metropolitan Police,2017/18,01/04/2017,31/03/2018,",
        ),
        ("Police Oficer", "Police Officer"),
        ("Cautioned,two,met.police.uk/foi,", f"Cautioned,2,{MET_REPLY},"),
    ]:
        assert text.count(wrong) == 1
        text = text.replace(wrong, right)
    return "".join(line for line in text.splitlines(keepends=True) if not line.startswith("HMRC,"))


def tab_separated(text: str) -> str:
    """As Excel's "Unicode Text" saves a sheet: tabs between the cells."""
    out = io.StringIO()
    csv.writer(out, delimiter="\t", lineterminator="\r\n").writerows(csv.reader(io.StringIO(text)))
    return out.getvalue()


def as_workbook(text: str) -> bytes:
    """The reply as a workbook: the title merged across the table, counts and dates typed as such."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for n, cells in enumerate(csv.reader(io.StringIO(text)), start=1):
        for column, cell in enumerate(cells, start=1):
            value = int(cell) if cell.lstrip("-").isdigit() else cell
            if n > 4 and column in (3, 4) and cell:
                value = datetime.strptime(cell, "%d/%m/%Y")
            sheet.cell(row=n, column=column, value=value if value != "" else None)
    sheet.merge_cells("A1:L1")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def page_list(response, list_id: str) -> list[str]:
    page = response.content.decode()
    start = page.index(f'id="{list_id}"')
    items = page[start : page.index("</ul>", start)].split("<li>")[1:]
    return [" ".join(item.replace("</li>", "").split()) for item in items]


def element_text(response, element_id: str) -> str:
    page = response.content.decode()
    found = re.search(rf'<li id="{element_id}">(.*?)</li>', page, re.S)
    return " ".join(found.group(1).split()) if found else ""


def unescape(text: str) -> str:
    return text.replace("&quot;", '"').replace("&#x27;", "'").replace("&amp;", "&")


def test_one_upload_names_every_problem_of_every_row(editor_client, foi_request):
    response = editor_client.post(
        IMPORT_URL, {"request": foi_request.pk, "file": upload("messy_reply.csv", MESSY.encode())}
    )
    page = response.content.decode()
    assert (
        "Nothing was imported: 8 row errors in “messy_reply.csv”. Fix them and choose the file again." in page
    )
    assert response.context["plan"].errors == EVERY_PROBLEM
    assert [unescape(item) for item in page_list(response, "skipped-rows")] == [
        *SKIPPED,
        "Row 11 (a note below the table): “* Outcome as recorded when the misconduct case closed.”",
    ]
    assert not FoiReturn.objects.filter(request=foi_request).exists()
    assert "cases.pending_import" not in editor_client.session


def test_one_round_of_edits_imports_it(editor_client, foi_request):
    response = editor_client.post(
        IMPORT_URL, {"request": foi_request.pk, "file": upload("messy_reply.csv", fixed().encode())}
    )
    assert response.context["plan"].errors == []
    summary = " ".join(response.content.decode().split('id="import-summary">')[1].split("</p>")[0].split())
    assert summary == (
        "Importing “messy_reply.csv” into <strong>Test study 2024</strong> will write 1 new return, 5 case lines "
        "(9 people) and 1 new source, all as drafts: nothing is public until a reviewer approves it."
    )
    assert [unescape(item) for item in page_list(response, "skipped-rows")] == [
        *SKIPPED,
        "Row 10 (a note below the table): “* Outcome as recorded when the misconduct case closed.”",
    ]
    assert element_text(response, "renamed-columns") == (
        "Columns named otherwise than the template: “Force name” read as <code>force</code>, “Financial year” "
        "read as <code>period_label</code>, “Period from” read as <code>period_start</code>, “Period to” read as "
        "<code>period_end</code>, “Rank/Role” read as <code>role</code>, “Nature of breach” read as "
        "<code>offence</code>, “System accessed” read as <code>system</code>, “Criminal proceedings” read as "
        "<code>criminal_outcome</code>, “No. of individuals” read as <code>count</code>, “Reply link” read as "
        "<code>source_urls</code>, “Comments” read as <code>notes</code>."
    )
    assert 'id="read-as"' not in response.content.decode(), "plain UTF-8 is not worth a mention"

    editor_client.post(CONFIRM_URL, {"token": editor_client.session["cases.pending_import"]["token"]})
    met = FoiReturn.objects.get(
        request=foi_request, force__slug="metropolitan", import_batch=ImportBatch.objects.get()
    )
    assert sorted(
        met.lines.values_list(
            "count", "role", "outcome", "outcome_wording", "period_start", "period_end", "notes"
        )
    ) == [
        (
            1,
            "police_staff",
            "final_written_warning",
            "Final written warning",
            *dates(2016),
            "Looked up a neighbour’s record",
        ),
        (
            1,
            "special_constable",
            "resigned_retired",
            "Resigned whilst under investigation",
            *dates(2018),
            "Resigned before the hearing",
        ),
        (2, "officer", "dismissed", "Dismissed", *dates(2016), ""),
        (2, "officer", "dismissed", "Sacked", *dates(2017), ""),
        (3, "pcso", "management_action", "Management advice", *dates(2017), ""),
    ]
    assert [source.url for source in met.sources.all()] == [MET_REPLY]


def dates(year: int) -> tuple:
    return (datetime(year, 4, 1).date(), datetime(year + 1, 3, 31).date())


@pytest.mark.parametrize(
    "encode, encoding",
    [
        (lambda text: text.encode("utf-8-sig"), "UTF-8"),
        (lambda text: text.encode("cp1252"), "Windows-1252"),
        (lambda text: tab_separated(text).encode("utf-16"), "UTF-16"),
        (lambda text: text.encode("utf-16-le"), "UTF-16"),
    ],
    ids=["utf-8-with-bom", "windows-1252", "utf-16-unicode-text", "utf-16-without-bom"],
)
def test_every_encoding_gives_the_same_problems(foi_request, encode, encoding):
    spreadsheet = spreadsheet_read(name="messy_reply.csv", data=encode(MESSY))
    assert spreadsheet.encoding == encoding
    assert spreadsheet.skipped[0] == SkippedRow(
        1, "Freedom of Information Request 2019/123 – Misuse of police systems", "above the column names"
    )
    assert import_plan(foi_request=foi_request, spreadsheet=spreadsheet).errors == EVERY_PROBLEM


def test_workbook_with_a_merged_title_gives_the_same_problems(foi_request):
    spreadsheet = spreadsheet_read(name="messy_reply.xlsx", data=as_workbook(MESSY))
    assert [skipped.row for skipped in spreadsheet.skipped] == [1, 3, 11]
    # A workbook's dates are dates, shown as such.
    assert import_plan(foi_request=foi_request, spreadsheet=spreadsheet).errors == [
        problem.replace("(“31/03/2016”)", "(“2016-03-31”)") for problem in EVERY_PROBLEM
    ]


def test_windows_1252_is_named_in_the_preview_and_read_right(editor_client, foi_request):
    response = editor_client.post(
        IMPORT_URL, {"request": foi_request.pk, "file": upload("messy_reply.csv", fixed().encode("cp1252"))}
    )
    assert element_text(response, "read-as") == (
        "Read as Windows-1252 text (it is not UTF-8): check that letters and signs such as é, £ and – look right."
    )
    assert response.context["plan"].errors == []
    planned = response.context["plan"].returns[0]
    assert planned.lines[1].values["notes"] == "Looked up a neighbour’s record"


def test_utf16_is_named_in_the_preview(editor_client, foi_request):
    data = tab_separated(fixed()).encode("utf-16")
    response = editor_client.post(
        IMPORT_URL, {"request": foi_request.pk, "file": upload("messy_reply.csv", data)}
    )
    assert element_text(response, "read-as") == "Read as UTF-16 text."
    assert response.context["plan"].people == 9


def test_the_command_says_how_it_read_the_file_too(foi_request, tmp_path, capsys):
    path = tmp_path / "messy_reply.csv"
    path.write_bytes(fixed().encode("cp1252"))
    call_command("import_foi_return", str(path), request=foi_request.slug, dry_run=True, no_progress=True)
    said = capsys.readouterr().out.splitlines()
    assert said[0] == (
        "messy_reply.csv: Read as Windows-1252 text (it is not UTF-8): check that letters and signs such as é, "
        "£ and – look right."
    )
    assert said[1].startswith(
        "messy_reply.csv: Columns named otherwise than the template: “Force name” read as force, "
        "“Financial year” read as period_label,"
    )
    assert said[2:-2] == [f"messy_reply.csv: {line.replace(' (', ' skipped (', 1)}" for line in SKIPPED] + [
        "messy_reply.csv: Row 10 skipped (a note below the table): “* Outcome as recorded when the misconduct "
        "case closed.”"
    ]
    assert said[-1] == "Dry run: everything checked, nothing was written."
