"""Imports check their caps row by row, as the file is read, so memory is bounded by the caps.

Issue 9: a 4 MB CSV of 1,000,000 short rows took 852 MB and 11 s to refuse, a 5 MB CSV of wide rows
1.06 GB, a 3.5 MB XLSX of 400,000 rows 695 MB and 98 s: every row was parsed before the row cap was
checked. Here each hostile file is posted to the admin's import page by a fresh Python process, on
the test database, in a transaction it rolls back; it reports what the person saw, whether anything
was written, and its peak memory during the request.

The measure is the child's VmHWM (peak resident memory, reset just before the request where Linux
allows) less its resident memory before the request. Not ru_maxrss: a process started from this one
inherits this one's peak as its own starting ru_maxrss, which would hide the import's. Not in this
process either: memory it has freed (building the files, earlier tests) would be reused unseen.
"""

import io
import json
import os
import random
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from urllib.parse import quote

import openpyxl
import pytest
from django.conf import settings
from django.db import connection

from cases.imports import COLUMN_NAMES, ImportFileError, spreadsheet_read, xlsx_max_row_elements
from tests.cases.conftest import csv_bytes, row, xlsx_bytes
from tests.cases.test_import_bad_files import IMPORT_URL, rezip

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="peak memory is read from /proc"),
]

PEAK_LIMIT_MB = 200
MB = 1024 * 1024

# Run in a fresh interpreter: an editor posts one file to the import page; prints what happened.
POST_AND_MEASURE = r"""
import json, os, sys, time

import django

django.setup()
from django.conf import settings
from django.test.utils import setup_test_environment

setup_test_environment(debug=False)  # as the tests run: the response keeps its context
settings.STORAGES = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
import openpyxl  # noqa: F401  loaded before the baseline, as in a worker that has imported before
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client

from cases.models import CaseLine, FoiRequest, FoiReturn, ImportBatch, Source


def status(field):
    with open("/proc/self/status") as lines:
        return next(int(line.split()[1]) for line in lines if line.startswith(field + ":"))


def written():
    return [m.objects.count() for m in (FoiReturn, CaseLine, Source, ImportBatch)]


path, url = sys.argv[1], sys.argv[2]
with open(path, "rb") as file:
    data = file.read()
with transaction.atomic():
    user = User.objects.create_user("memory-probe", is_staff=True)
    user.groups.add(Group.objects.get(name="Editor"))
    foi_request = FoiRequest.objects.create(
        slug="memory-probe", title="Memory probe", period_label="FY2023/24",
        year_basis=FoiRequest.YearBasis.FINANCIAL,
        counting_unit="people disciplined",
    )
    client = Client()
    client.force_login(user)
    before = written()
    upload = SimpleUploadedFile(os.path.basename(path), data)
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")  # resets VmHWM to the current resident size
    except OSError:
        pass  # VmHWM is then this process's peak so far: higher, never lower, than the request's
    baseline = status("VmRSS")
    started = time.perf_counter()
    response = client.post(url, {"request": foi_request.pk, "file": upload})
    result = {
        "status": response.status_code,
        "errors": response.context["form"].errors.get("file", []) if response.context else None,
        "pending": "cases.pending_import" in client.session,
        "peak_mb": (status("VmHWM") - baseline) / 1024,
        "seconds": time.perf_counter() - started,
        "written": [before, written()],
    }
    transaction.set_rollback(True)
print(json.dumps(result))
"""


def database_url() -> str:
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="") + (":" + quote(db["PASSWORD"], safe="") if db["PASSWORD"] else "")
    host = quote(db["HOST"] or "localhost", safe="")
    return f"postgres://{auth}@{host}:{db['PORT'] or 5432}/{quote(db['NAME'], safe='')}"


def assert_refused_in_bounded_memory(path: Path, message: str) -> dict:
    """Post the file as an editor in a fresh process: the cap's message, nothing written, peak memory
    under PEAK_LIMIT_MB."""
    assert path.stat().st_size <= settings.IMPORT_MAX_UPLOAD_BYTES, "the caps accept the file's size"
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "misuse_tracker.settings",
        "DEBUG": "1",
        "DATABASE_URL": database_url(),
    }
    env.pop("DATABASE_REPLICA_URL", None)
    child = subprocess.run(
        [sys.executable, "-c", POST_AND_MEASURE, str(path), IMPORT_URL],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert child.returncode == 0, child.stderr
    result = json.loads(child.stdout.splitlines()[-1])
    assert result["status"] == 200, "a form error, never a 500"
    assert result["errors"] == [message]
    assert result["written"][0] == result["written"][1], "nothing is written"
    assert not result["pending"]
    assert result["peak_mb"] < PEAK_LIMIT_MB, f"peak memory {result['peak_mb']:.0f} MB"
    print(
        f"{path.name}: {path.stat().st_size / MB:.1f} MB file, peak {result['peak_mb']:.1f} MB, "
        f"{result['seconds']:.2f} s"
    )
    return result


def too_many_rows() -> str:
    return f"has more than {settings.IMPORT_MAX_ROWS:,} rows, the most one import takes. Split it into smaller files."


# The files of issue 9


def test_csv_of_a_million_short_rows(tmp_path):
    path = tmp_path / "million.csv"
    path.write_bytes(b"force,count\n" + b"x,1\n" * 1_000_000)
    assert path.stat().st_size > 4_000_000
    assert_refused_in_bounded_memory(path, f"“million.csv” {too_many_rows()}")


def test_csv_of_wide_rows(tmp_path):
    path = tmp_path / "wide.csv"
    line = b"Kent,1" + b",ab" * 2000 + b"\n"
    path.write_bytes(b"force,count\n" + line * ((settings.IMPORT_MAX_UPLOAD_BYTES - 100) // len(line)))
    assert path.stat().st_size > 5_000_000
    assert_refused_in_bounded_memory(
        path,
        f"Row 2 of “wide.csv” has 2,002 columns; the most an import reads is {settings.IMPORT_MAX_COLUMNS} "
        "(the template has 18). Delete the columns it does not need and choose it again.",
    )


def test_csv_of_one_five_megabyte_row(tmp_path):
    # 1.7 million cells in one line: refused by its length, before the csv module splits it.
    path = tmp_path / "one-line.csv"
    path.write_bytes(
        b"force,count\nKent,1" + b",ab" * ((settings.IMPORT_MAX_UPLOAD_BYTES - 100) // 3) + b"\n"
    )
    length = path.stat().st_size - len("force,count\n")
    assert_refused_in_bounded_memory(
        path,
        f"Line 2 of “one-line.csv” is {length:,} characters long, longer than any row an import takes "
        f"({settings.IMPORT_MAX_COLUMNS} columns of at most {settings.IMPORT_MAX_CELL_CHARS:,} characters). "
        "Check it in a spreadsheet program.",
    )


def write_only_xlsx(path: Path | io.BytesIO, rows: int) -> None:
    """An .xlsx of `rows` rows (Kent, 1) under a header, exactly as openpyxl's write-only mode saves it.

    openpyxl takes 20 s to write 400,000 rows; the XML it writes for each is the same but for the row
    number. So it writes two, and the second is repeated with each row's number: the sheet is the
    one openpyxl would write, byte for byte (test_write_only_xlsx_is_what_openpyxl_writes).
    """
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(["force", "count"])
    sheet.append(["Kent", 1])
    small = io.BytesIO()
    workbook.save(small)
    with zipfile.ZipFile(small) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            xml = source.read(member)
            if member.filename != "xl/worksheets/sheet1.xml":
                target.writestr(member, xml)
                continue
            head, second, tail = re.fullmatch(
                rb'(.*</row>)(<row r="2">.*?</row>)(</sheetData>.*)', xml, re.S
            ).groups()
            template = re.sub(rb'r="([A-Z]*)2"', rb'r="\g<1>%(n)d"', second.replace(b"%", b"%%"))
            with target.open(member.filename, "w") as out:
                out.write(head)
                for start in range(2, rows + 2, 10_000):
                    out.write(
                        b"".join(template % {b"n": n} for n in range(start, min(start + 10_000, rows + 2)))
                    )
                out.write(tail)


def test_xlsx_of_400_000_rows(tmp_path):
    path = tmp_path / "rows.xlsx"
    write_only_xlsx(path, 400_000)
    assert path.stat().st_size > 3_000_000
    assert_refused_in_bounded_memory(path, f"“rows.xlsx” {too_many_rows()}")


def test_write_only_xlsx_is_what_openpyxl_writes(settings):
    settings.IMPORT_MAX_ROWS = 20_000
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(["force", "count"])
    for _ in range(12_345):
        sheet.append(["Kent", 1])
    theirs, ours = io.BytesIO(), io.BytesIO()
    workbook.save(theirs)
    write_only_xlsx(ours, 12_345)
    with zipfile.ZipFile(theirs) as a, zipfile.ZipFile(ours) as b:
        assert a.namelist() == b.namelist()
        assert a.read("xl/worksheets/sheet1.xml") == b.read("xl/worksheets/sheet1.xml")
    rows = spreadsheet_read(name="ours.xlsx", data=ours.getvalue()).rows
    assert (len(rows), rows[-1][0], rows[-1][1]["force"], rows[-1][1]["count"]) == (
        12_345,
        12_346,
        "Kent",
        "1",
    )


# Other hostile workbooks


def test_xlsx_of_wide_rows(tmp_path):
    path = tmp_path / "wide.xlsx"
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(["force", "count", *(f"extra{i}" for i in range(998))])
    for i in range(100):
        sheet.append(["Kent", 1, *([i] * 998)])
    workbook.save(path)
    assert_refused_in_bounded_memory(
        path,
        f"Row 1 of “wide.xlsx” has 1,000 columns; the most an import reads is {settings.IMPORT_MAX_COLUMNS} "
        "(the template has 18). Delete the columns it does not need and choose it again.",
    )


def padded(data: bytes, replace: dict[str, bytes]) -> bytes:
    """`rezip`, with random bytes added so the compression ratio stays under the cap."""
    unpacked = sum(len(xml) for xml in replace.values())
    padding = random.Random(9).randbytes(unpacked // (settings.IMPORT_MAX_ZIP_RATIO // 2))
    return rezip(data, replace=replace, add={"xl/media/padding.bin": padding})


def test_xlsx_row_of_two_million_cells_is_refused_before_openpyxl_builds_it(tmp_path):
    # 30 MB of XML in one row: openpyxl would build every cell of it before the import saw the row
    # (the code before issue 9: 890 MB, 40 s).
    good = xlsx_bytes([row(force="Kent", count="1")])
    with zipfile.ZipFile(io.BytesIO(good)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    sheet = re.sub(rb"(<row [^>]*>)", lambda m: m.group(1) + b"<c><v>1</v></c>" * 2_000_000, sheet, count=1)
    path = tmp_path / "one-row.xlsx"
    path.write_bytes(padded(good, {"xl/worksheets/sheet1.xml": sheet}))
    assert_refused_in_bounded_memory(
        path,
        "“one-row.xlsx” is too complex to import (row 1 is made of more than 50,000 XML elements); it was not "
        "read. Copy the rows into a new workbook, or save the sheet as “CSV UTF-8”, and choose it again.",
    )


def test_xlsx_with_bloated_styles_is_refused_before_openpyxl_parses_them(tmp_path):
    # openpyxl parses styles.xml whole: 200,000 cell formats took 320 MB before issue 9.
    good = xlsx_bytes([row(force="Kent", count="1")])
    with zipfile.ZipFile(io.BytesIO(good)) as archive:
        styles = archive.read("xl/styles.xml")
    xf = b'<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"><alignment horizontal="center"/></xf>'
    styles = re.sub(rb'<cellXfs count="\d+">', b'<cellXfs count="200001">' + xf * 200_000, styles)
    path = tmp_path / "styles.xlsx"
    path.write_bytes(padded(good, {"xl/styles.xml": styles}))
    assert_refused_in_bounded_memory(
        path,
        "“styles.xlsx” is too complex to import (besides its rows and text, its XML holds more than 100,000 "
        "elements: formatting, charts, pivot tables…); it was not read. Copy the rows into a new workbook, or "
        "save the sheet as “CSV UTF-8”, and choose it again.",
    )


# The caps, one by one (small caps, read in this process)


def read(name: str, data: bytes):
    return spreadsheet_read(name=name, data=data)


def refused(name: str, data: bytes) -> str:
    with pytest.raises(ImportFileError) as error:
        read(name, data)
    return str(error.value)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_row_cap_counts_rows_that_hold_something(settings, kind):
    settings.IMPORT_MAX_ROWS = 3
    build = csv_bytes if kind == "csv" else xlsx_bytes
    blank = [""] * len(COLUMN_NAMES)
    three = [
        row(force="Kent", count="1"),
        blank,
        row(force="Kent", count="2"),
        blank,
        row(force="Kent", count="3"),
    ]
    assert [n for n, _ in read(f"three.{kind}", build(three)).rows] == [2, 4, 6]
    assert refused(f"four.{kind}", build([*three, row(force="Kent", count="4")])) == (
        f"“four.{kind}” has more than 3 rows, the most one import takes. Split it into smaller files."
    )


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_column_cap(settings, kind):
    settings.IMPORT_MAX_COLUMNS = 20
    build = csv_bytes if kind == "csv" else xlsx_bytes
    assert read(f"ok.{kind}", build([row(force="Kent", count="1") + ["", ""]]))
    assert refused(f"wide.{kind}", build([row(force="Kent", count="1") + ["", "", "x"]])) == (
        f"Row 2 of “wide.{kind}” has 21 columns; the most an import reads is 20 (the template has 18). Delete "
        "the columns it does not need and choose it again."
    )


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_cell_cap(settings, kind):
    settings.IMPORT_MAX_CELL_CHARS = 50
    build = csv_bytes if kind == "csv" else xlsx_bytes
    assert read(f"ok.{kind}", build([row(force="Kent", count="1", summary="s" * 50)]))
    assert refused(
        f"long.{kind}", build([row(force="Kent", count="1"), row(force="Kent", count="1", summary="s" * 51)])
    ) == (
        f"Row 3 of “long.{kind}” has a cell of more than 50 characters, the most an import takes. Shorten it and "
        "choose the file again."
    )


def test_cell_past_the_csv_modules_own_limit_gets_the_cell_caps_message():
    data = csv_bytes([row(force="Kent", count="1", summary="s" * 200_000)])
    assert refused("huge.csv", data) == (
        f"Row 2 of “huge.csv” has a cell of more than {settings.IMPORT_MAX_CELL_CHARS:,} characters, the most an "
        "import takes. Shorten it and choose the file again."
    )


def test_workbook_text_is_capped_like_a_csvs_size(settings):
    # Shared strings store a text once however many cells show it: five 5,000-character cells in a
    # 10 KB workbook are 25,000 characters to check and keep.
    settings.IMPORT_MAX_UPLOAD_BYTES = 20_000
    data = xlsx_bytes([row(force="Kent", count="1", summary="s" * 5000)] * 5)
    assert len(data) < 20_000
    assert refused("shared.xlsx", data) == (
        "“shared.xlsx” holds more text than an import takes (the most is 20,000 characters, as much as the "
        "largest CSV file, 19.5 KB). Split it into smaller files."
    )


def with_dimension(data: bytes, ref: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    sheet = re.sub(rb"<dimension [^>]*/>", f'<dimension ref="{ref}"/>'.encode(), sheet)
    assert ref.encode() in sheet
    return rezip(data, replace={"xl/worksheets/sheet1.xml": sheet})


def test_declared_dimension_is_not_trusted():
    # openpyxl, trusting it, would stop after row 2 and cut every row at column R (the code before
    # issue 9 imported the first of these five rows, silently).
    data = with_dimension(xlsx_bytes([row(force="Kent", count=str(n)) for n in range(1, 6)]), "A1:R2")
    rows = read("liar.xlsx", data).rows
    assert [(n, values["force"], values["count"]) for n, values in rows] == [
        (n, "Kent", str(n - 1)) for n in range(2, 7)
    ]


def test_declared_dimension_beyond_excels_grid_is_refused():
    data = with_dimension(xlsx_bytes([row(force="Kent", count="1")]), "A1:R2000000")
    assert refused("huge.xlsx", data) == (
        "“huge.xlsx” is too complex to import (its sheet declares a size beyond Excel’s last row or column); it "
        "was not read. Copy the rows into a new workbook, or save the sheet as “CSV UTF-8”, and choose it again."
    )


def blank_rows_xlsx(rows: int, *, first_number: int = 2) -> bytes:
    """A header (force, count) and `rows` rows of one blank cell each, as a spreadsheet program
    saves rows that were formatted and emptied; numbered from `first_number`."""
    data = xlsx_bytes([row(force="Kent", count="1")])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    head, _data_row, tail = re.fullmatch(
        rb'(.*?</row>)(<row r="2".*?</row>)(</sheetData>.*)', sheet, re.S
    ).groups()
    blank = b"".join(
        b'<row r="%d"><c r="A%d" t="inlineStr"><is><t></t></is></c></row>' % (n, n)
        for n in range(first_number, first_number + rows)
    )
    return rezip(data, replace={"xl/worksheets/sheet1.xml": head + blank + tail})


def test_blank_xlsx_rows_count_against_the_row_cap_as_they_stream():
    # 400,000 blank rows: refused once the rows streamed past pass the cap, before openpyxl reads
    # one (it would read all 400,000, then find nothing to import).
    data = blank_rows_xlsx(400_000)
    assert len(data) < settings.IMPORT_MAX_UPLOAD_BYTES
    assert refused("blank.xlsx", data) == f"“blank.xlsx” {too_many_rows()}"


def test_the_xlsx_row_cap_leaves_room_for_titles_notes_and_blank_rows(settings):
    settings.IMPORT_MAX_ROWS = 50
    cap = xlsx_max_row_elements()
    assert cap == 50 + 10 + 100 + 5
    # The header and cap - 1 blank rows: read (and nothing to import); one more is refused.
    assert "no rows" in refused("fits.xlsx", blank_rows_xlsx(cap - 1)).lower()
    assert refused("over.xlsx", blank_rows_xlsx(cap)) == (
        "“over.xlsx” has more than 50 rows, the most one import takes. Split it into smaller files."
    )
    # A row numbered past the cap is refused too: openpyxl would make a blank row of every number between.
    assert refused("far.xlsx", blank_rows_xlsx(1, first_number=cap + 1)) == (
        "“far.xlsx” has more than 50 rows, the most one import takes. Split it into smaller files."
    )
