"""Bad files get a clear message, change nothing, and leave no temporary file behind."""

import io
import random
import zipfile

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from cases.imports import import_plan, spreadsheet_read
from cases.models import CaseLine, FoiReturn, ImportBatch, Source
from cases.services import foi_return_import
from tests.cases.conftest import GOOD_ROWS, csv_bytes, row, upload, xlsx_bytes

pytestmark = pytest.mark.django_db

IMPORT_URL = "/admin/cases/importbatch/import/"


def written():
    return (
        FoiReturn.objects.count(),
        CaseLine.objects.count(),
        Source.objects.count(),
        ImportBatch.objects.count(),
    )


def garbage(size: int) -> bytes:
    return random.Random(5).randbytes(size)


def post(client, foi_request, name, data):
    before = written()
    response = client.post(IMPORT_URL, {"request": foi_request.pk, "file": upload(name, data)})
    assert response.status_code == 200, "a form error, never a 500"
    assert written() == before, "a bad file changes nothing"
    assert "cases.pending_import" not in client.session
    return response.context["form"].errors.get("file", [])


def good_xlsx() -> bytes:
    return xlsx_bytes([row(force="Kent", count="1")])


def rezip(data: bytes, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None) -> bytes:
    """The same .xlsx with some members replaced or added."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for member in source.infolist():
            target.writestr(member.filename, (replace or {}).get(member.filename, source.read(member)))
        for name, content in (add or {}).items():
            target.writestr(name, content)
    return out.getvalue()


@pytest.fixture
def openpyxl_never_opens(monkeypatch):
    """Proves a check ran before openpyxl saw the file."""

    def refuse(*args, **kwargs):
        raise AssertionError("openpyxl opened a file that should have been refused first")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)


def test_empty_file(editor_client, foi_request):
    assert post(editor_client, foi_request, "empty.csv", b"") == [
        "“empty.csv” is empty: there is nothing to import."
    ]


def test_wrong_extension(editor_client, foi_request):
    assert post(editor_client, foi_request, "reply.pdf", b"%PDF-1.7 ...") == [
        "Choose a .csv or .xlsx file: “reply.pdf” is neither."
    ]


def test_binary_garbage_renamed_csv(editor_client, foi_request):
    assert post(editor_client, foi_request, "garbage.csv", garbage(4000)) == [
        "“garbage.csv” is not a CSV text file (it holds binary data). Save the spreadsheet as “CSV UTF-8” or as "
        ".xlsx and choose it again."
    ]


def test_binary_garbage_renamed_xlsx(editor_client, foi_request):
    assert post(editor_client, foi_request, "garbage.xlsx", garbage(4000)) == [
        "“garbage.xlsx” is not a valid .xlsx workbook. Save it from your spreadsheet program as “Excel Workbook "
        "(.xlsx)” and choose it again."
    ]


def test_zip_that_is_not_a_workbook(editor_client, foi_request):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    assert post(editor_client, foi_request, "notabook.xlsx", out.getvalue()) == [
        "“notabook.xlsx” is not a valid .xlsx workbook. Save it from your spreadsheet program as “Excel Workbook "
        "(.xlsx)” and choose it again."
    ]


def test_text_in_no_encoding_an_import_reads(editor_client, foi_request):
    # 0x81 is neither UTF-8 here nor any character of Windows-1252.
    data = "force,count\nSurrey,1\nCafé,2\n".encode("latin-1") + b"\x81\n"
    assert post(editor_client, foi_request, "latin.csv", data) == [
        "“latin.csv” is not UTF-8 text, nor UTF-16 or Windows-1252 (the encodings an import reads). Save it as "
        "“CSV UTF-8” (or as .xlsx) and choose it again."
    ]


def test_file_over_the_size_cap_is_refused_before_it_is_read(editor_client, foi_request, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 2048
    # Garbage: had it been parsed, the message would be about binary data.
    assert post(editor_client, foi_request, "big.csv", garbage(4096)) == [
        "“big.csv” is 4.0 KB; the largest file an import takes is 2.0 KB. Split it into smaller files."
    ]


def test_xlsx_zip_bomb_by_size_is_refused_before_openpyxl_opens_it(
    editor_client, foi_request, openpyxl_never_opens
):
    bomb = rezip(good_xlsx(), add={"xl/media/padding.bin": bytes(60 * 1024 * 1024)})
    assert len(bomb) < 200_000
    errors = post(editor_client, foi_request, "bomb.xlsx", bomb)
    assert errors == [
        "“bomb.xlsx” would unpack to 60.0 MB, more than the 50.0 MB an import allows; it was not opened."
    ]


def test_xlsx_zip_bomb_by_ratio_is_refused_before_openpyxl_opens_it(
    editor_client, foi_request, openpyxl_never_opens
):
    bomb = rezip(good_xlsx(), add={"xl/media/padding.bin": bytes(5 * 1024 * 1024)})
    with zipfile.ZipFile(io.BytesIO(bomb)) as archive:
        members = archive.infolist()
        ratio = sum(m.file_size for m in members) / sum(m.compress_size for m in members)
    assert ratio > 100
    assert post(editor_client, foi_request, "ratio.xlsx", bomb) == [
        f"“ratio.xlsx” is compressed {ratio:,.0f} to 1, more than the 100 to 1 an import allows (a sign of a "
        "“zip bomb”); it was not opened."
    ]


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>&lol3;</t></is></c></row></sheetData></worksheet>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row></sheetData></worksheet>"""


@pytest.mark.parametrize(
    "attack", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["billion-laughs", "external-entity"]
)
def test_xml_entity_attack_is_refused(editor_client, foi_request, openpyxl_never_opens, attack):
    data = rezip(good_xlsx(), replace={"xl/worksheets/sheet1.xml": attack})
    assert post(editor_client, foi_request, "attack.xlsx", data) == [
        "“attack.xlsx” contains XML document type or entity declarations, which spreadsheets do not need and "
        "attacks use; it was not opened."
    ]


def test_header_without_rows(editor_client, foi_request):
    assert post(editor_client, foi_request, "header.csv", b"force,count\n") == [
        "“header.csv” has column names but no rows to import."
    ]


def test_unknown_column(editor_client, foi_request):
    assert post(editor_client, foi_request, "typo.csv", b"force,count,outcom\nKent,1,dismissed\n") == [
        "“typo.csv” has columns this import does not know: “outcom” (did you mean outcome?). The columns are: "
        "force, status, exemption, received_on, reported_total, count, role, offence, system, outcome, "
        "criminal_outcome, basis, period_label, period_start, period_end, summary, source_urls, notes (or another "
        "name for one, listed in docs/importing.md). Download the template to start from."
    ]


def test_missing_required_column(editor_client, foi_request):
    assert post(editor_client, foi_request, "nocount.csv", b"force,outcome\nKent,dismissed\n") == [
        "“nocount.csv” has no count column (the column names are on row 1: force, outcome). Download the "
        "template to start from."
    ]


def test_no_file_chosen(editor_client, foi_request):
    response = editor_client.post(IMPORT_URL, {"request": foi_request.pk})
    assert response.context["form"].errors["file"] == ["Choose a .csv or .xlsx file to import."]


def test_formulas_are_stored_as_text_never_worked_out(foi_request):
    data = xlsx_bytes([row(force="Kent", count="1", summary="=1+2", notes='=HYPERLINK("x")')])
    plan = import_plan(foi_request=foi_request, spreadsheet=spreadsheet_read(name="formula.xlsx", data=data))
    assert plan.errors == []
    foi_return_import(plan=plan)
    line = CaseLine.objects.get(foi_return__request=foi_request)
    assert (line.summary, line.notes) == ("=1+2", '=HYPERLINK("x")')


def test_formula_in_a_number_cell_is_a_row_error(foi_request):
    data = xlsx_bytes(
        [["Kent", "", "", "", "", "=SUM(1,2)"]],
        header=["force", "status", "exemption", "received_on", "reported_total", "count"],
    )
    plan = import_plan(foi_request=foi_request, spreadsheet=spreadsheet_read(name="formula.xlsx", data=data))
    assert plan.errors == [
        "Row 2, column “count”: “=SUM(1,2)” is a formula; formulas are not worked out on import. Type the value "
        "itself."
    ]


def test_csv_formula_text_is_kept_as_text(foi_request):
    data = csv_bytes([row(force="Kent", count="1", summary="=cmd|' /C calc'!A0")])
    plan = import_plan(foi_request=foi_request, spreadsheet=spreadsheet_read(name="f.csv", data=data))
    foi_return_import(plan=plan)
    assert CaseLine.objects.get(foi_return__request=foi_request).summary == "=cmd|' /C calc'!A0"


def test_temporary_upload_files_are_removed(editor_client, foi_request, settings, tmp_path):
    # Uploads over this size go to a temporary file on disk, which must not outlive the request.
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 100
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    post(editor_client, foi_request, "garbage.csv", garbage(5000))
    editor_client.post(
        IMPORT_URL, {"request": foi_request.pk, "file": upload("study.csv", csv_bytes(GOOD_ROWS))}
    )
    assert list(tmp_path.iterdir()) == []


def test_command_refuses_bad_file_with_the_same_message(foi_request, tmp_path):
    path = tmp_path / "garbage.csv"
    path.write_bytes(garbage(1000))
    with pytest.raises(CommandError) as error:
        call_command("import_foi_return", str(path), request=foi_request.slug)
    assert str(error.value) == (
        "Nothing was imported: “garbage.csv” is not a CSV text file (it holds binary data). Save the spreadsheet "
        "as “CSV UTF-8” or as .xlsx and choose it again."
    )
    assert not ImportBatch.objects.exists()


def test_command_checks_the_size_cap_before_reading(foi_request, tmp_path, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 10
    path = tmp_path / "big.csv"
    path.write_bytes(csv_bytes([row(force="Kent", count="1")]))
    with pytest.raises(CommandError, match="the largest file an import takes is 10 bytes"):
        call_command("import_foi_return", str(path), request=foi_request.slug)
