"""Reading a force's return (or a whole study) from a CSV or XLSX file, safely, into an import plan.

Nothing here writes to the database: `spreadsheet_read` turns bytes into rows (or refuses the file
with a message a person can act on), skipping the title and note rows a reply puts around its
table, and `import_plan` checks every cell of every row, with the models' own rules, and says what
an import would write, or every problem at once. `cases.services.foi_return_import` writes a plan,
all or nothing. The words a file may use (column names, wordings, force names) are curated data in
fixtures/curation/; the format is documented in docs/importing.md.
"""

import codecs
import csv
import difflib
import functools
import hashlib
import io
import os
import re
import secrets
import zipfile
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path, PurePath

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models

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

EXTENSIONS = (".csv", ".xlsx")
MAX_ERRORS_SHOWN = 50
# Title and note rows a reply may put above its column names; past this many, the file is taken
# to have no row of column names at all.
HEADER_SEARCH_ROWS = 10


class ImportFileError(Exception):
    """The file as a whole cannot be imported; the message says why and what to do."""


@dataclass(frozen=True)
class Column:
    name: str
    help: str
    accepted: str = ""
    required: bool = False


@dataclass(frozen=True)
class SkippedRow:
    """A row that holds no case line: a title or note above the column names, or a note below."""

    row: int
    text: str
    why: str


@dataclass
class Spreadsheet:
    """A file's rows as text, keyed by column, with their row numbers as a spreadsheet shows them."""

    name: str
    size: int
    sha256: str
    rows: list[tuple[int, dict[str, str]]]
    # How a CSV file's bytes were read ("UTF-8", "Windows-1252", ...); blank for a workbook.
    encoding: str = ""
    skipped: list[SkippedRow] = field(default_factory=list)
    # Each column the file names otherwise than the template, with the name it gives it.
    renamed: dict[str, str] = field(default_factory=dict)

    @property
    def read_as(self) -> str:
        """The encoding, where the preview should name it: anything but plain UTF-8."""
        return self.encoding if self.encoding not in ("", "UTF-8") else ""

    def how_read(self) -> list[str]:
        """What the preview says of how the file was read, as sentences (for the command line)."""
        said = []
        if self.read_as:
            said.append(
                f"Read as {self.read_as} text"
                + (
                    " (it is not UTF-8): check that letters and signs such as é, £ and – look right."
                    if self.read_as == "Windows-1252"
                    else "."
                )
            )
        if self.renamed:
            said.append(
                "Columns named otherwise than the template: "
                + ", ".join(f"“{given}” read as {column}" for column, given in self.renamed.items())
                + "."
            )
        said += [f"Row {row.row} skipped ({row.why}): “{row.text}”" for row in self.skipped]
        return said


def _normal(text: str) -> str:
    """Wording as compared: case, '&', punctuation and spacing do not matter."""
    text = text.lower().replace("&", " and ").replace("’", "'")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


# Curated data: what a file may say, kept in fixtures/curation/ with a note on where each came from.

CURATION_DIR = Path(settings.BASE_DIR) / "fixtures" / "curation"
WORDINGS_FILE = "import_wordings.csv"
COLUMNS_FILE = "import_columns.csv"
NOTE_ROWS_FILE = "import_note_rows.csv"
FORCE_ALIASES_FILE = "force_aliases.csv"
OTHER_BODIES_FILE = "other_bodies.csv"

# The columns whose cells are mapped to a code, and the codes each takes.
CHOICES = {
    "role": Role,
    "offence": Offence,
    "system": System,
    "outcome": Outcome,
    "criminal_outcome": CriminalOutcome,
    "basis": CaseLine.Basis,
    "status": FoiReturn.Status,
    "exemption": FoiReturn.Exemption,
}
UNATTRIBUTED = "not_stated"


def _curated(file_name: str, columns: tuple[str, ...]) -> Iterator[tuple[str, dict[str, str]]]:
    """The rows of a curated file, each with where it is ("force_aliases.csv line 4")."""
    path = CURATION_DIR / file_name
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in columns if column not in (reader.fieldnames or [])]
        if missing:
            raise ImproperlyConfigured(f"{path}: it has no {', '.join(missing)} column.")
        for n, row in enumerate(reader, start=2):
            yield f"{file_name} line {n}", row


def _add(index: dict, key: str, value, where: str) -> None:
    if index.get(key, value) != value:
        raise ImproperlyConfigured(f"{where}: “{key}” already means {index[key]!r}, not {value!r}.")
    index[key] = value


@functools.cache
def wordings() -> dict[str, dict[str, tuple[str, str]]]:
    """Per coded column (and "force", for "not stated"): every wording accepted, normalised, to
    its code and the wording as written. Each code and its label are always accepted."""
    index: dict[str, dict[str, tuple[str, str]]] = {column: {} for column in [*CHOICES, "force"]}
    for column, choices in CHOICES.items():
        for code, label in choices.choices:
            index[column][_normal(code)] = (code, code)
            # The label wins as the wording shown in a suggestion.
            index[column][_normal(label)] = (code, label)
    for where, row in _curated(WORDINGS_FILE, ("column", "code", "wording", "note")):
        column, code = row["column"], row["code"]
        if column not in index:
            raise ImproperlyConfigured(f"{where}: {column!r} is not a column taking wordings.")
        codes = CHOICES[column].values if column in CHOICES else [UNATTRIBUTED]
        if code not in codes:
            raise ImproperlyConfigured(f"{where}: {code!r} is not a code of {column}.")
        key = _normal(row["wording"])
        if index[column].get(key, (code,))[0] != code:
            raise ImproperlyConfigured(f"{where}: “{row['wording']}” already means {index[column][key][0]}.")
        index[column].setdefault(key, (code, row["wording"]))
    return index


@functools.cache
def column_names() -> dict[str, str]:
    """Every name a file may give a column, normalised, to the column."""
    index = {_normal(name): name for name in COLUMN_NAMES}
    for where, row in _curated(COLUMNS_FILE, ("name", "column", "note")):
        if row["column"] not in COLUMN_NAMES:
            raise ImproperlyConfigured(f"{where}: {row['column']!r} is not a column of the import.")
        _add(index, _normal(row["name"]), row["column"], where)
    return index


@functools.cache
def note_row_starts() -> tuple[str, ...]:
    """How a note below a table begins: "*", "Note", "Source"…, lower case."""
    return tuple(
        row["starts_with"].strip().lower() for _, row in _curated(NOTE_ROWS_FILE, ("starts_with", "note"))
    )


@functools.cache
def force_aliases() -> dict[str, str]:
    """Names forces are known by beyond their slug, name and short name, normalised, to the slug."""
    index: dict[str, str] = {}
    for where, row in _curated(FORCE_ALIASES_FILE, ("alias", "force", "note")):
        _add(index, _normal(row["alias"]), row["force"], where)
    return index


@functools.cache
def other_bodies() -> dict[str, str]:
    """Bodies that answer FOI requests but are not among the forces this record covers,
    normalised, to what the body is."""
    index: dict[str, str] = {}
    for where, row in _curated(OTHER_BODIES_FILE, ("name", "body", "note")):
        _add(index, _normal(row["name"]), row["body"], where)
    return index


FORCE_SUFFIXES = ("police service", "police force", "constabulary", "police")


def force_index() -> dict[str, Force]:
    """Every way a force may be named in a file, normalised, to the force."""
    forces = {force.slug: force for force in Force.objects.all()}
    index = {}
    for force in forces.values():
        for name in (force.slug, force.name, force.short_name):
            normal = _normal(name)
            index[normal] = force
            for suffix in FORCE_SUFFIXES:
                if normal.endswith(" " + suffix):
                    index[normal[: -len(suffix) - 1]] = force
    for alias, slug in force_aliases().items():
        if slug in forces:
            index[alias] = forces[slug]
    return index


def _force_keys(normal: str) -> Iterator[str]:
    """A force's name as written, then without a leading "the" or a trailing "Police"…: "The Met
    Police Service" is looked up as itself, "met police service" and "met"."""
    yield normal
    if normal.startswith("the "):
        normal = normal[4:]
        yield normal
    for suffix in FORCE_SUFFIXES:
        if normal.endswith(" " + suffix):
            yield normal[: -len(suffix) - 1]


def _accepted(column: str) -> str:
    return ", ".join(CHOICES[column].values)


COLUMNS = [
    Column(
        "force",
        "The force that replied: its name, short name or slug as listed under Forces, or a known "
        "alias (Met, MPS, GMP…). “not stated” for cases the study does not attribute to a force.",
        "e.g. Surrey Police, Surrey, surrey, Met",
        required=True,
    ),
    Column("status", "The return’s status. Blank: answered.", _accepted("status")),
    Column("exemption", "Only for a refused return: the exemption cited.", _accepted("exemption")),
    Column("received_on", "When the reply was received.", "YYYY-MM-DD or DD/MM/YYYY"),
    Column(
        "reported_total",
        "The total the reply itself states for the force, to check the lines against.",
        "a whole number",
    ),
    Column(
        "count",
        "How many people the line counts. Blank: a return with no case lines (a refusal, say); "
        "then leave the line columns blank too.",
        "a whole number, 1 or more",
        required=True,
    ),
    Column("role", "Who: the reply’s wording, kept as written and mapped to a code.", _accepted("role")),
    Column("offence", "What they did, in the reply’s wording.", _accepted("offence")),
    Column("system", "The system misused, in the reply’s wording.", _accepted("system")),
    Column("outcome", "The misconduct outcome, in the reply’s wording.", _accepted("outcome")),
    Column(
        "criminal_outcome", "Any criminal outcome, in the reply’s wording.", _accepted("criminal_outcome")
    ),
    Column(
        "basis",
        "“remainder” for a line computed as a reported total minus the lines the reply describes. "
        "Blank: stated.",
        _accepted("basis"),
    ),
    Column("period_label", "The period the line covers, as the reply states it.", "text, e.g. FY2018/19"),
    Column("period_start", "First day of that period.", "YYYY-MM-DD or DD/MM/YYYY"),
    Column("period_end", "Last day of that period.", "YYYY-MM-DD or DD/MM/YYYY"),
    Column(
        "summary", "A short description of the case (not published unless marked so in the admin).", "text"
    ),
    Column(
        "source_urls",
        "Where the figures were read (the FOI reply's web address); attached to the line and its "
        "return. Several: separate them with “;”.",
        "http(s) addresses",
    ),
    Column("notes", "Anything a reviewer should know.", "text"),
]
COLUMN_NAMES = [column.name for column in COLUMNS]
REQUIRED = [column.name for column in COLUMNS if column.required]
RETURN_COLUMNS = ["status", "exemption", "received_on", "reported_total"]
LINE_COLUMNS = [
    name for name in COLUMN_NAMES if name not in ("force", "count", "source_urls", *RETURN_COLUMNS)
]
CODED = ["role", "offence", "system", "outcome", "criminal_outcome"]
FREE_TEXT = {"summary", "notes", "period_label"}


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def size_display(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size} bytes"


# Reading the file


def spreadsheet_check_name_and_size(*, name: str, size: int) -> None:
    """Refuse a file by its name and size alone, before a byte of it is read."""
    suffix = PurePath(name).suffix.lower()
    if suffix not in EXTENSIONS:
        raise ImportFileError(f"Choose a .csv or .xlsx file: “{name}” is neither.")
    if size == 0:
        raise ImportFileError(f"“{name}” is empty: there is nothing to import.")
    limit = settings.IMPORT_MAX_UPLOAD_BYTES
    if size > limit:
        raise ImportFileError(
            f"“{name}” is {size_display(size)}; the largest file an import takes is "
            f"{size_display(limit)}. Split it into smaller files."
        )


def _row_width_check(name: str, n: int, width: int) -> None:
    limit = settings.IMPORT_MAX_COLUMNS
    if width > limit:
        raise ImportFileError(
            f"Row {n:,} of “{name}” has {width:,} columns; the most an import reads is {limit:,} (the "
            f"template has {len(COLUMN_NAMES)}). Delete the columns it does not need and choose it again."
        )


def _cell_too_long(name: str, n: int) -> ImportFileError:
    return ImportFileError(
        f"Row {n:,} of “{name}” has a cell of more than {settings.IMPORT_MAX_CELL_CHARS:,} characters, "
        "the most an import takes. Shorten it and choose the file again."
    )


def spreadsheet_read(*, name: str, data: bytes) -> Spreadsheet:
    """Rows of a CSV or XLSX file, or ImportFileError saying why the file cannot be read.

    Rows are read one at a time and every cap is checked as they arrive: a file is refused at the
    first row past a cap, before the rest of it is read, so memory stays bounded by the caps and
    not by what the file holds.
    """
    spreadsheet_check_name_and_size(name=name, size=len(data))
    encoding = ""
    if PurePath(name).suffix.lower() == ".csv":
        encoding, table = _csv_rows(name, data)
    else:
        table = _xlsx_rows(name, data)
    with closing(table):
        rows, skipped, renamed = _rows_by_column(name, table)
    return Spreadsheet(name, len(data), hashlib.sha256(data).hexdigest(), rows, encoding, skipped, renamed)


# Control characters other than tab, CR and LF.
CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# The five bytes Windows-1252 leaves undefined: a file holding one is not Windows-1252 text.
CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
# (byte-order mark, codec, the encoding's name). UTF-32's little-endian mark begins with UTF-16's,
# so it is looked for first.
BYTE_ORDER_MARKS = [
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
]
DELIMITERS = (",", "\t", ";")


def _not_text(name: str) -> ImportFileError:
    return ImportFileError(
        f"“{name}” is not a CSV text file (it holds binary data). Save the spreadsheet as "
        "“CSV UTF-8” or as .xlsx and choose it again."
    )


def _unreadable(name: str) -> ImportFileError:
    return ImportFileError(
        f"“{name}” is not UTF-8 text, nor UTF-16 or Windows-1252 (the encodings an import reads). Save it "
        "as “CSV UTF-8” (or as .xlsx) and choose it again."
    )


def _csv_rows(name: str, data: bytes) -> tuple[str, Iterator[tuple[int, list[str]]]]:
    codec, encoding = _encoding(name, data)
    return encoding, _csv_records(name, data, codec, _delimiter(data, codec))


def _encoding(name: str, data: bytes) -> tuple[str, str]:
    """The codec a CSV file is read with and the encoding's name, or ImportFileError.

    A byte-order mark names its encoding (Excel's "CSV UTF-8" and "Unicode Text" write one); without
    one, the file is UTF-8 if it decodes as UTF-8, else Windows-1252 (Excel's plain "CSV" on
    Windows), which the preview names so that a wrong guess is seen.
    """
    for mark, codec, encoding in BYTE_ORDER_MARKS:
        if data.startswith(mark):
            _check_decodes(name, data, codec)
            return codec, encoding
    if b"\x00" in data:
        codec = _utf16_without_mark(data)
        if codec is None:
            raise _not_text(name)
        _check_decodes(name, data, codec)
        return codec, "UTF-16"
    # In UTF-8 and Windows-1252 these bytes are never part of another character: the bytes are
    # searched, not the decoded text.
    if CONTROL_BYTES.search(data):
        raise _not_text(name)
    try:
        # The whole file is checked before a row is read, in pieces: nothing is kept.
        for _ in codecs.iterdecode(_chunks(data), "utf-8"):
            pass
    except UnicodeDecodeError:
        if CP1252_UNDEFINED.search(data):
            raise _unreadable(name) from None
        return "cp1252", "Windows-1252"
    return "utf-8", "UTF-8"


def _utf16_without_mark(data: bytes) -> str | None:
    """UTF-16 without a byte-order mark, told by its zero bytes: mostly-ASCII text has a zero in
    every other byte, on the same side."""
    sample = data[:4096]
    even, odd = sample[0::2], sample[1::2]
    if len(data) % 2 or not odd:
        return None
    if odd.count(0) >= 0.9 * len(odd) and 0 not in even:
        return "utf-16-le"
    if even.count(0) >= 0.9 * len(even) and 0 not in odd:
        return "utf-16-be"
    return None


def _check_decodes(name: str, data: bytes, codec: str) -> None:
    try:
        for text in codecs.iterdecode(_chunks(data), codec):
            if CONTROL_CHARACTERS.search(text):
                raise _not_text(name)
    except UnicodeDecodeError:
        raise _unreadable(name) from None


def _delimiter(data: bytes, codec: str) -> str:
    """Comma, tab (Excel's "Unicode Text") or semicolon (a "CSV" saved where the decimal mark is a
    comma): whichever the first lines hold most of; a comma on a tie."""
    head = data[: 1 << 16].decode(codec, errors="ignore")
    lines = "\n".join(head.splitlines()[:20])
    return max(DELIMITERS, key=lambda delimiter: lines.count(delimiter))


def _chunks(data: bytes, size: int = 1 << 20) -> Iterator[memoryview]:
    view = memoryview(data)
    for start in range(0, len(view), size):
        yield view[start : start + size]


def _csv_records(name: str, data: bytes, codec: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    stream = io.TextIOWrapper(io.BytesIO(data), encoding=codec, newline="")
    n = 0
    try:
        for n, cells in enumerate(csv.reader(_csv_lines(name, stream), delimiter=delimiter), start=1):
            _row_width_check(name, n, len(cells))
            yield n, cells
    except csv.Error as error:
        if "field larger than field limit" in str(error):
            raise _cell_too_long(name, n + 1) from None
        raise ImportFileError(
            f"“{name}” could not be read as CSV ({error}). Check it in a spreadsheet program."
        ) from None


def _csv_lines(name: str, stream: io.TextIOWrapper) -> Iterator[str]:
    """The file's lines, refusing one longer than any row within the caps could be, before the
    csv module splits it into cells: a row of millions of cells is never built."""
    # Every cell quoted, every character a doubled quote, a comma after each, and CRLF.
    limit = settings.IMPORT_MAX_COLUMNS * (2 * settings.IMPORT_MAX_CELL_CHARS + 3) + 2
    for number, line in enumerate(stream, start=1):
        if len(line) > limit:
            raise ImportFileError(
                f"Line {number:,} of “{name}” is {len(line):,} characters long, longer than any row an "
                f"import takes ({settings.IMPORT_MAX_COLUMNS:,} columns of at most "
                f"{settings.IMPORT_MAX_CELL_CHARS:,} characters). Check it in a spreadsheet program."
            )
        yield line


# Excel's own grid; a workbook beyond it was not written by a spreadsheet program.
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384
# What openpyxl may hold at once while it reads a workbook (see _XmlBudget).
XLSX_MAX_ROW_ELEMENTS = 50_000
XLSX_MAX_STRING_ELEMENTS = 10_000
XLSX_MAX_STRINGS = 500_000
XLSX_MAX_OTHER_ELEMENTS = 100_000


def xlsx_max_row_elements() -> int:
    """The rows a sheet may hold, counted as they stream past, blank or not: IMPORT_MAX_ROWS data
    rows, the title and note rows around them, and a tenth more for blank rows between. Past it the
    sheet is refused before openpyxl reads a row (it would read every one, blank rows too)."""
    return settings.IMPORT_MAX_ROWS + HEADER_SEARCH_ROWS + 100 + settings.IMPORT_MAX_ROWS // 10


def _too_many_rows(name: str) -> ImportFileError:
    return ImportFileError(
        f"“{name}” has more than {settings.IMPORT_MAX_ROWS:,} rows, the most one import takes. "
        "Split it into smaller files."
    )


def _xlsx_rows(name: str, data: bytes) -> Iterator[tuple[int, list[str]]]:
    not_xlsx = (
        f"“{name}” is not a valid .xlsx workbook. Save it from your spreadsheet program as "
        "“Excel Workbook (.xlsx)” and choose it again."
    )
    buffer = io.BytesIO(data)
    if not zipfile.is_zipfile(buffer):
        raise ImportFileError(not_xlsx)
    try:
        with zipfile.ZipFile(buffer) as archive:
            _check_zip(name, archive)
            checked = _check_xml(name, archive)
    except zipfile.BadZipFile:
        raise ImportFileError(not_xlsx) from None
    # Only now, with the archive's size and XML known to be safe, does openpyxl open it; it
    # reads through defusedxml too. data_only=False: a formula is read as its text, never run.
    # read_only: the sheet is parsed as its rows are asked for, never held whole.
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds for a corrupt workbook; all mean the same here.
        raise ImportFileError(not_xlsx) from None
    return _xlsx_records(name, workbook, checked, not_xlsx)


def _xlsx_records(name: str, workbook, checked: set[str], not_xlsx: str) -> Iterator[tuple[int, list[str]]]:
    try:
        sheet = workbook.worksheets[0]
        # The sheet read must be one of the parts whose XML was checked above.
        if getattr(sheet, "_worksheet_path", None) not in checked:
            raise ImportFileError(not_xlsx)
        # The size the sheet declares (its <dimension>) is checked, then not trusted: openpyxl
        # would stop at its last row and cut or pad every row to its width. Reset, every row is
        # read, each as wide as its cells, and the caps are checked on what is actually there.
        if (sheet.max_row or 0) > EXCEL_MAX_ROWS or (sheet.max_column or 0) > EXCEL_MAX_COLUMNS:
            raise _too_complex(name, "its sheet declares a size beyond Excel’s last row or column")
        sheet.reset_dimensions()
        for n, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if n > EXCEL_MAX_ROWS:
                raise _too_complex(name, f"it has rows past Excel’s last, {EXCEL_MAX_ROWS:,}")
            _row_width_check(name, n, len(values))
            yield n, [_cell_text(value) for value in values]
    except ImportFileError:
        raise
    except Exception:
        raise ImportFileError(not_xlsx) from None
    finally:
        workbook.close()


def _too_complex(name: str, why: str) -> ImportFileError:
    return ImportFileError(
        f"“{name}” is too complex to import ({why}); it was not read. Copy the rows into a new "
        "workbook, or save the sheet as “CSV UTF-8”, and choose it again."
    )


def _check_zip(name: str, archive: zipfile.ZipFile) -> None:
    members = archive.infolist()
    unpacked = sum(member.file_size for member in members)
    packed = sum(member.compress_size for member in members) or 1
    limit = settings.IMPORT_MAX_UNZIPPED_BYTES
    if unpacked > limit:
        raise ImportFileError(
            f"“{name}” would unpack to {size_display(unpacked)}, more than the {size_display(limit)} "
            "an import allows; it was not opened."
        )
    ratio = unpacked / packed
    if ratio > settings.IMPORT_MAX_ZIP_RATIO:
        raise ImportFileError(
            f"“{name}” is compressed {ratio:,.0f} to 1, more than the {settings.IMPORT_MAX_ZIP_RATIO} to 1 "
            "an import allows (a sign of a “zip bomb”); it was not opened."
        )


def _check_xml(name: str, archive: zipfile.ZipFile) -> set[str]:
    """Stream every XML part through defusedxml's parser (no DTDs, no entities), building no tree,
    and through _XmlBudget. Returns the names of the parts checked."""
    checked = set()
    budget = _XmlBudget(name)
    for member in archive.infolist():
        if not member.filename.endswith((".xml", ".rels")):
            continue
        try:
            with archive.open(member) as xml:
                parser = DefusedXMLParser(target=_NoTree(), forbid_dtd=True)
                budget.watch(parser.parser)
                while chunk := xml.read(1 << 16):
                    parser.feed(chunk)
                parser.close()
        except ImportFileError:
            raise
        except DefusedXmlException:
            raise ImportFileError(
                f"“{name}” contains XML document type or entity declarations, which spreadsheets do not "
                "need and attacks use; it was not opened."
            ) from None
        except Exception:
            raise ImportFileError(
                f"“{name}” is not a valid .xlsx workbook. Save it from your spreadsheet program as "
                "“Excel Workbook (.xlsx)” and choose it again."
            ) from None
        checked.add(member.filename)
    return checked


class _NoTree:
    """A parser target that builds nothing: _XmlBudget's handlers see the elements instead."""

    def close(self) -> None:
        return None


class _XmlBudget:
    """Counts a workbook's XML elements as they stream past, to refuse, before openpyxl sees it, a
    workbook that would make openpyxl hold too much at once.

    openpyxl in read-only mode holds one sheet row at a time (all its elements), keeps every shared
    string, and parses the other parts it reads (styles, the workbook, ...) whole. So a row may be
    made of at most XLSX_MAX_ROW_ELEMENTS elements and a sheet have at most xlsx_max_row_elements()
    rows (a little over IMPORT_MAX_ROWS, every <row> counted, blank or not, and no row numbered past
    it: openpyxl would make a blank row of every number skipped);
    a shared string at most XLSX_MAX_STRING_ELEMENTS elements and a workbook at most
    XLSX_MAX_STRINGS of them; everything else, across all parts, at most XLSX_MAX_OTHER_ELEMENTS.

    The handlers are set on the expat parser defusedxml guards (as defusedxml sets its own) rather
    than given as an ElementTree target: that would wrap each call, taking twice as long.
    """

    def __init__(self, name: str):
        self.name = name
        self.other = 0
        self.strings = 0

    def watch(self, expat) -> None:
        # Per part: the local names of the open elements outside rows and strings; inside one, its
        # depth, what it may hold and how many elements it holds so far.
        self.open: list[str] = []
        self.max_rows = xlsx_max_row_elements()
        self.inside = self.elements = self.limit = self.rows = self.row = 0
        self.in_row = False
        expat.StartElementHandler = self.start
        expat.EndElementHandler = self.end

    def start(self, tag: str, attributes: list[str]) -> None:
        if self.inside:
            self.inside += 1
            self.elements += 1
            if self.elements > self.limit:
                raise self._item_too_big()
            return
        local = tag.rpartition("}")[2]
        parent = self.open[-1] if self.open else None
        if local == "row" and parent == "sheetData":
            self._row_start(dict(zip(attributes[::2], attributes[1::2], strict=False)))
            self.inside, self.elements, self.limit, self.in_row = 1, 0, XLSX_MAX_ROW_ELEMENTS, True
        elif local == "si" and parent == "sst":
            self.strings += 1
            if self.strings > XLSX_MAX_STRINGS:
                raise _too_complex(self.name, f"it holds more than {XLSX_MAX_STRINGS:,} pieces of text")
            self.inside, self.elements, self.limit, self.in_row = 1, 0, XLSX_MAX_STRING_ELEMENTS, False
        else:
            self.open.append(local)
            self.other += 1
            if self.other > XLSX_MAX_OTHER_ELEMENTS:
                raise _too_complex(
                    self.name,
                    f"besides its rows and text, its XML holds more than {XLSX_MAX_OTHER_ELEMENTS:,} "
                    "elements: formatting, charts, pivot tables…",
                )

    def _row_start(self, attributes: dict) -> None:
        self.rows += 1
        try:
            self.row = int(attributes.get("r", self.row + 1))
        except ValueError:
            self.row += 1  # openpyxl decides what it makes of it
        if self.rows > EXCEL_MAX_ROWS or self.row > EXCEL_MAX_ROWS:
            raise _too_complex(self.name, f"it has rows past Excel’s last, {EXCEL_MAX_ROWS:,}")
        if self.rows > self.max_rows or self.row > self.max_rows:
            raise _too_many_rows(self.name)

    def _item_too_big(self) -> ImportFileError:
        if self.in_row:
            return _too_complex(
                self.name, f"row {self.row:,} is made of more than {self.limit:,} XML elements"
            )
        return _too_complex(
            self.name, f"a piece of its text is made of more than {self.limit:,} XML elements"
        )

    def end(self, tag: str) -> None:
        if self.inside:
            self.inside -= 1
        else:
            self.open.pop()


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    # Array formulas come back as objects holding their text.
    return str(getattr(value, "text", value)).strip()


# Finding the table: the row of column names, the title and note rows around it


def _rows_by_column(
    name: str, table: Iterator[tuple[int, list[str]]]
) -> tuple[list[tuple[int, dict[str, str]]], list[SkippedRow], dict[str, str]]:
    """The rows under the column names, keyed by column; the rows skipped; the columns renamed.

    The column names are the first row that names every required column (by its own name or one
    in fixtures/curation/import_columns.csv): the title and note rows a reply puts above its table
    are skipped, and so is a note below it (a row of one cell, in the first column, beginning as
    import_note_rows.csv says: “* figures under 5 suppressed”). Blank rows are passed over. Caps
    are checked as each row arrives: past one, the file is refused and the rest is never read.
    """
    header: list[str] | None = None
    above: list[tuple[int, list[str]]] = []
    rows, skipped, renamed = [], [], {}
    counted = text = 0
    max_rows, max_cell, max_text = (
        settings.IMPORT_MAX_ROWS,
        settings.IMPORT_MAX_CELL_CHARS,
        settings.IMPORT_MAX_UPLOAD_BYTES,
    )
    for n, raw in table:
        cells = [cell.strip() for cell in raw]
        if not any(cells):
            continue
        if max(map(len, cells)) > max_cell:
            raise _cell_too_long(name, n)
        if header is None:
            named = _columns_named(cells)
            if all(column in named for column in REQUIRED):
                header, renamed = _header(name, n, cells)
                skipped += [SkippedRow(m, _row_text(row), "above the column names") for m, row in above]
            else:
                above.append((n, cells))
                if len(above) > HEADER_SEARCH_ROWS:
                    _no_header(name, above)
            continue
        if counted == max_rows:
            raise _too_many_rows(name)
        counted += 1
        if any(cells[len(header) :]):
            raise ImportFileError(f"Row {n} of “{name}” has more cells than there are columns.")
        # A workbook's shared strings could repeat one long text in every cell: no import takes
        # more text than the largest CSV file could hold.
        text += sum(map(len, cells))
        if text > max_text:
            raise ImportFileError(
                f"“{name}” holds more text than an import takes (the most is {max_text:,} characters, as "
                f"much as the largest CSV file, {size_display(max_text)}). Split it into smaller files."
            )
        if _is_note(cells):
            skipped.append(SkippedRow(n, _row_text(cells), "a note below the table"))
            continue
        values = dict.fromkeys(COLUMN_NAMES, "")
        values.update(zip(header, cells, strict=False))
        rows.append((n, values))
    if header is None:
        if not above:
            raise ImportFileError(f"“{name}” is empty: there is nothing to import.")
        _no_header(name, above)
    if not rows:
        raise ImportFileError(f"“{name}” has column names but no rows to import.")
    return rows, skipped, renamed


def _columns_named(cells: list[str]) -> list[str | None]:
    names = column_names()
    return [names.get(_normal(cell)) if cell else None for cell in cells]


def _header(name: str, n: int, cells: list[str]) -> tuple[list[str], dict[str, str]]:
    """The column of each cell of the row of column names, and the columns it names otherwise than
    the template; or ImportFileError saying everything wrong with the row at once."""
    cells = list(cells)
    while cells and not cells[-1]:
        cells.pop()
    columns = _columns_named(cells)
    problems = []
    unknown = [_unknown_column(cell) for cell, column in zip(cells, columns, strict=True) if column is None]
    if unknown:
        problems.append(
            f"“{name}” has columns this import does not know: {', '.join(unknown)}. The columns are: "
            f"{', '.join(COLUMN_NAMES)} (or another name for one, listed in docs/importing.md)."
        )
    for column in dict.fromkeys(c for c in columns if c is not None and columns.count(c) > 1):
        given = [f"“{cell}”" for cell, named in zip(cells, columns, strict=True) if named == column]
        problems.append(f"“{name}” has the column {column} more than once ({', '.join(given)}).")
    missing = [column for column in REQUIRED if column not in columns]
    if missing:
        problems.append(
            f"“{name}” has no {' or '.join(missing)} column (the column names are on row {n}: "
            f"{', '.join(cell or '(blank)' for cell in cells)})."
        )
    if problems:
        raise ImportFileError(" ".join(problems) + " Download the template to start from.")
    renamed = {
        column: cell for cell, column in zip(cells, columns, strict=True) if _normal(cell) != _normal(column)
    }
    return columns, renamed


def _unknown_column(cell: str) -> str:
    if not cell:
        return "(blank)"
    close = difflib.get_close_matches(_normal(cell), column_names(), n=1, cutoff=SUGGESTION_CUTOFF)
    return f"“{cell}” (did you mean {column_names()[close[0]]}?)" if close else f"“{cell}”"


def _no_header(name: str, above: list[tuple[int, list[str]]]) -> None:
    """Refuse a file none of whose first rows names the required columns, saying what is wrong
    with the row most like a row of column names."""
    n, cells = max(above, key=lambda item: sum(column is not None for column in _columns_named(item[1])))
    if not any(_columns_named(cells)):
        raise ImportFileError(
            f"“{name}” has no row of column names: none of its first {plural(len(above), 'row')} names "
            f"the {' and '.join(REQUIRED)} columns. Put the column names ({', '.join(COLUMN_NAMES)}) in the "
            "row above the data, or download the template to start from."
        )
    _header(name, n, cells)
    raise AssertionError("a row lacking a required column is refused by _header")  # pragma: no cover


def _row_text(cells: list[str], limit: int = 100) -> str:
    text = " | ".join(cell for cell in cells if cell)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_note(cells: list[str]) -> bool:
    first = cells[0].lower()
    if not first or any(cells[1:]):
        return False
    for start in note_row_starts():
        if first.startswith(start):
            after = first[len(start) : len(start) + 1]
            # "Note: …" and "Notes …" are notes; "Nottinghamshire" is not.
            if not (start[-1].isalnum() and after.isalnum()):
                return True
    return False


# Uploads waiting for their preview to be confirmed: kept as files, named by a random token


UPLOAD_SUFFIX = ".upload"
UPLOAD_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
UPLOAD_KEPT_FOR = timedelta(days=1)


@dataclass(frozen=True)
class KeptUpload:
    """An uploaded file kept on disk until its preview is confirmed; the session holds only this."""

    token: str
    name: str
    sha256: str

    def as_session(self) -> dict:
        return {"token": self.token, "name": self.name, "sha256": self.sha256}


def upload_keep(*, name: str, data: bytes) -> KeptUpload:
    """Keep an upload's bytes in IMPORT_UPLOAD_DIR under a random token (never under the name the
    file came with), readable by this process's user only. Uploads kept longer than a day, never
    confirmed, are removed first."""
    directory = Path(settings.IMPORT_UPLOAD_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    _uploads_expire(directory)
    token = secrets.token_urlsafe(16)
    descriptor = os.open(directory / f"{token}{UPLOAD_SUFFIX}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    return KeptUpload(token, name, hashlib.sha256(data).hexdigest())


def upload_read(*, token: str, name: str, sha256: str) -> Spreadsheet | None:
    """A kept upload read again, or None if it is gone, expired or no longer the same bytes."""
    path = _upload_path(token)
    try:
        data = path.read_bytes() if path else None
    except FileNotFoundError:
        return None
    if data is None or hashlib.sha256(data).hexdigest() != sha256:
        return None
    try:
        return spreadsheet_read(name=name, data=data)
    except ImportFileError:  # the caps were lowered since the preview
        return None


def upload_discard(*, token: str) -> None:
    path = _upload_path(token)
    if path:
        path.unlink(missing_ok=True)


def _upload_path(token: str) -> Path | None:
    if not isinstance(token, str) or not UPLOAD_TOKEN.fullmatch(token):
        return None
    return Path(settings.IMPORT_UPLOAD_DIR) / f"{token}{UPLOAD_SUFFIX}"


def _uploads_expire(directory: Path) -> None:
    oldest = datetime.now().timestamp() - UPLOAD_KEPT_FOR.total_seconds()
    for path in directory.glob(f"*{UPLOAD_SUFFIX}"):
        try:
            if path.stat().st_mtime < oldest:
                path.unlink()
        except FileNotFoundError:  # another process removed it first
            continue


# Checking the rows


@dataclass
class PlannedLine:
    row: int
    count: int
    values: dict
    source_urls: list[str]


@dataclass
class PlannedReturn:
    force: Force | None
    first_row: int
    values: dict = field(default_factory=dict)
    source_urls: list[str] = field(default_factory=list)
    lines: list[PlannedLine] = field(default_factory=list)
    # The row each return-level value was taken from, and its cell, to name them in a problem.
    value_rows: dict = field(default_factory=dict)
    value_cells: dict = field(default_factory=dict)

    @property
    def force_name(self) -> str:
        return self.force.name if self.force else "Force not stated"

    @property
    def people(self) -> int:
        return sum(line.count for line in self.lines)


@dataclass(frozen=True)
class RowProblem:
    """One thing wrong with one cell. `value` is the cell, shown beside a message that does not
    quote it (the models' messages state a rule, not the value)."""

    row: int
    column: str
    message: str
    value: str = ""


@dataclass
class ImportPlan:
    foi_request: FoiRequest
    spreadsheet: Spreadsheet
    returns: list[PlannedReturn] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    new_source_urls: list[str] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def lines(self) -> int:
        return sum(len(r.lines) for r in self.returns)

    @property
    def people(self) -> int:
        return sum(r.people for r in self.returns)

    @property
    def errors_shown(self) -> list[str]:
        if len(self.errors) <= MAX_ERRORS_SHOWN:
            return self.errors
        return self.errors[:MAX_ERRORS_SHOWN] + [f"… and {len(self.errors) - MAX_ERRORS_SHOWN} more."]


# How close a wording must be to an accepted one to be suggested (difflib's ratio, 0 to 1).
SUGGESTION_CUTOFF = 0.75
# Fields of a line or return that the file does not give: foreign keys to rows not yet saved (or
# known to exist), so the models' checks of them would only query the database.
LINE_NOT_FROM_FILE = frozenset({"foi_return", "import_batch"})
RETURN_NOT_FROM_FILE = frozenset({"request", "force", "approved_by", "import_batch"})
# The column a model field's problem is shown in, where its name differs.
FIELD_COLUMNS = {f"{column}_wording": column for column in CODED}
# Cells too long to repeat whole in a message are cut to this many characters.
VALUE_SHOWN = 40
ROWS_NAMED = 10


class _ModelRules:
    """A model's own checks — each field's validators, choices and length, then the model's clean()
    — as Model.full_clean runs them (without the uniqueness and constraint checks, which query the
    database: the plan checks those for the whole file at once), on values from a file.

    A field's checks depend on its value alone, so each distinct value is checked once; clean() is
    cross-field and runs for every row. Lines are checked on one instance, refilled row by row:
    building a model instance per row would take longer than the rest of the plan.
    """

    def __init__(self, model: type[models.Model], *, exclude: frozenset[str]):
        self.instance = model()
        self.fields = {f.name: f for f in model._meta.fields if f.name not in exclude and not f.generated}
        self.checked: dict[tuple[str, object], tuple[ValidationError, ...]] = {}

    def errors(self, instance: models.Model) -> dict[str, list[ValidationError]]:
        """Every problem of an instance, field by field."""
        values = {name: getattr(instance, f.attname) for name, f in self.fields.items()}
        return self._errors(instance, values, frozenset())

    def errors_of_values(self, values: dict, *, skip: set[str]) -> dict[str, list[ValidationError]]:
        """Every problem of the values (fields of the model, none a relation) but those in `skip`;
        the fields they do not give keep the model's defaults."""
        # Plain fields are stored in the instance's __dict__: one update sets them all.
        self.instance.__dict__.update(values)
        return self._errors(self.instance, values, skip)

    def _errors(self, instance: models.Model, values: dict, skip) -> dict[str, list[ValidationError]]:
        errors: dict[str, list[ValidationError]] = {}
        checked = self.checked
        for name, value in values.items():
            if name in skip:
                continue
            found = checked.get((name, value))
            if found is None:
                found = checked[(name, value)] = self._field_errors(instance, name, value)
            if found:
                errors[name] = list(found)
        try:
            instance.clean()
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        return errors

    def _field_errors(self, instance: models.Model, name: str, value) -> tuple[ValidationError, ...]:
        f = self.fields[name]
        # As Model.clean_fields: a blank value of a field that may be blank is not checked.
        if f.blank and value in f.empty_values:
            return ()
        try:
            f.clean(value, instance)
        except ValidationError as error:
            return tuple(error.error_list)
        return ()


def _model_message(error: ValidationError) -> str:
    """A model's message as the import gives it: the models' own messages as written; Django's
    generic ones (a length, a range) in words that say what to do."""
    params = error.params or {}
    if error.code == "max_length" and error.message is MaxLengthValidator.message:
        return (
            f"the text is {params['show_value']:,} characters long; the most it holds is "
            f"{params['limit_value']:,}. Shorten it, and put the rest in notes."
        )
    if error.code == "min_value" and error.message is MinValueValidator.message:
        return f"it must be {params['limit_value']:,} or more."
    if error.code == "max_value" and error.message is MaxValueValidator.message:
        return f"it is more than the most it holds, {params['limit_value']:,}."
    return str(error.message % params if params else error.message)


class _Invalid:
    """A cell that could not be read; its problem is recorded where it was found."""


INVALID = _Invalid()


class _RowChecker:
    """Reads and checks the rows of one file against one request, reading each distinct cell once."""

    def __init__(self, foi_request: FoiRequest):
        self.foi_request = foi_request
        self.forces = force_index()
        self.existing = set(FoiReturn.objects.filter(request=foi_request).values_list("force_id", flat=True))
        self.wordings = wordings()
        self.lines = _ModelRules(CaseLine, exclude=LINE_NOT_FROM_FILE)
        self.returns = _ModelRules(FoiReturn, exclude=RETURN_NOT_FROM_FILE)
        self.url_field = Source._meta.get_field("url")
        # (column, cell) -> (value, None) or (None, what is wrong with it)
        self.cells: dict[tuple[str, str], tuple[object, str | None]] = {}
        self.readers = {
            "force": self._force,
            "status": self._code,
            "exemption": self._code,
            "received_on": self._date,
            "reported_total": self._whole_number,
            "count": self._whole_number,
            **dict.fromkeys([*CODED, "basis"], self._code),
            "period_start": self._date,
            "period_end": self._date,
            "source_urls": self._urls,
        }

    def read(self, column: str, cell: str, n: int, problems: list[RowProblem]):
        """The cell's value, or INVALID with its problem added to `problems`."""
        key = (column, cell)
        found = self.cells.get(key)
        if found is None:
            if cell.startswith("=") and column not in FREE_TEXT:
                found = (
                    None,
                    f"“{cell}” is a formula; formulas are not worked out on import. Type the value itself.",
                )
            else:
                found = self.readers[column](column, cell)
            self.cells[key] = found
        value, problem = found
        if problem is not None:
            problems.append(RowProblem(n, column, problem))
            return INVALID
        return value

    def _force(self, column: str, wording: str) -> tuple[object, str | None]:
        if not wording:
            return None, (
                "the cell is blank. Name the force that replied, or write “not stated” for cases the study "
                "does not attribute to a force."
            )
        normal = _normal(wording)
        if normal in self.wordings["force"]:
            return None, None
        for key in _force_keys(normal):
            if key in self.forces:
                return self.forces[key], None
        for key in _force_keys(normal):
            if key in other_bodies():
                return None, (
                    f"“{wording}” is not among the forces this record covers: it is {other_bodies()[key]}. "
                    "Leave its rows out of the file."
                )
        # Compared without "Police", "Constabulary"…, which every name shares.
        *_, bare = _force_keys(normal)
        close = difflib.get_close_matches(bare, self.forces, n=1, cutoff=SUGGESTION_CUTOFF)
        suggestion = f" Did you mean “{self.forces[close[0]].name}”?" if close else ""
        return None, (
            f"“{wording}” is not a force this import knows.{suggestion} Use the force’s name, short name or "
            "slug as listed under Forces (for example “Surrey Police”, “Surrey” or “surrey”), or "
            "“not stated” for cases the study does not attribute to a force."
        )

    def _code(self, column: str, wording: str) -> tuple[object, str | None]:
        accepted = self.wordings[column]
        normal = _normal(wording)
        if normal in accepted:
            return accepted[normal][0], None
        close = difflib.get_close_matches(normal, accepted, n=1, cutoff=SUGGESTION_CUTOFF)
        suggestion = f" Did you mean “{accepted[close[0]][1]}”?" if close else ""
        return None, (
            f"“{wording}” is not a wording this import can map.{suggestion} Accepted: {_accepted(column)} "
            "(or their names as the admin shows them, or a wording listed in docs/importing.md)."
        )

    def _date(self, column: str, cell: str) -> tuple[object, str | None]:
        for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
            try:
                return datetime.strptime(cell, pattern).date(), None
            except ValueError:
                continue
        return None, (
            f"“{cell}” is not a date. Write dates as YYYY-MM-DD (2019-03-31) or DD/MM/YYYY (31/03/2019)."
        )

    def _whole_number(self, column: str, cell: str) -> tuple[object, str | None]:
        digits = cell.replace(",", "")
        # A sign is read, so that the models' own rules say what is wrong with "-3".
        if re.fullmatch(r"[+-]?[0-9]+", digits):
            return int(digits), None
        what = "how many people the line counts" if column == "count" else "the total the reply states"
        return None, f"“{cell}” is not a whole number: enter {what}, in digits."

    def _urls(self, column: str, cell: str) -> tuple[object, str | None]:
        urls = list(dict.fromkeys(url.strip() for url in cell.split(";") if url.strip()))
        for url in urls:
            try:
                self.url_field.clean(url, None)
            except ValidationError:
                return None, (
                    f"“{url}” is not a web address. Give full addresses starting http:// or https://, "
                    "separated by “;”."
                )
        return urls, None


def import_plan(*, foi_request: FoiRequest, spreadsheet: Spreadsheet) -> ImportPlan:
    """What importing the rows into the request would write, or every problem of every row."""
    plan = ImportPlan(foi_request=foi_request, spreadsheet=spreadsheet)
    checker = _RowChecker(foi_request)
    returns: dict[int | None, PlannedReturn] = {}
    for n, row in spreadsheet.rows:
        _plan_row(checker, returns, plan.problems, n, row)
    plan.returns = list(returns.values())
    for planned in plan.returns:
        foi_return = FoiReturn(
            request=foi_request,
            force=planned.force,
            status=planned.values.get("status", FoiReturn.Status.ANSWERED),
            exemption=planned.values.get("exemption", ""),
            received_on=planned.values.get("received_on"),
            reported_total=planned.values.get("reported_total"),
        )
        for name, errors in checker.returns.errors(foi_return).items():
            column = name if name in COLUMN_NAMES else "force"
            plan.problems += [
                RowProblem(
                    planned.value_rows.get(name, planned.first_row),
                    column,
                    _model_message(error),
                    planned.value_cells.get(name, ""),
                )
                for error in errors
            ]
    plan.errors = problems_described(plan.problems)
    known = set(Source.objects.filter(url__in=_all_urls(plan)).values_list("url", flat=True))
    plan.new_source_urls = [url for url in _all_urls(plan) if url not in known]
    return plan


def _all_urls(plan: ImportPlan) -> list[str]:
    urls = []
    for planned in plan.returns:
        for url in planned.source_urls:
            if url not in urls:
                urls.append(url)
    return urls


def _plan_row(checker: _RowChecker, returns: dict, problems: list[RowProblem], n: int, row: dict) -> None:
    """Every problem of one row, each cell checked whatever is wrong with the others. A row of a
    known force joins its return; its line only if nothing in the row is wrong."""
    found: list[RowProblem] = []
    force = checker.read("force", row["force"], n, found)
    key = None if force is INVALID or force is None else force.pk
    if force is not INVALID and key in checker.existing:
        name = force.name if force else "Force not stated"
        found.append(
            RowProblem(
                n,
                "force",
                f"{name} already has a return to this request. An import only adds new returns: edit the "
                "existing one in the admin, or delete it first.",
            )
        )
    return_values = {
        column: checker.read(column, row[column], n, found) for column in RETURN_COLUMNS if row[column]
    }
    urls = checker.read("source_urls", row["source_urls"], n, found) if row["source_urls"] else []
    line = _line(checker, n, row, found)
    if force is INVALID or key in checker.existing:
        problems += found
        return
    planned = returns.setdefault(key, PlannedReturn(force=force, first_row=n))
    for column, value in return_values.items():
        if value is INVALID:
            continue
        if planned.values.get(column, value) != value:
            found.append(
                RowProblem(
                    n,
                    column,
                    f"{planned.force_name}’s rows give different values (“{row[column]}” here, another on "
                    f"row {planned.value_rows[column]}); a return has one. Make them agree, or leave all "
                    "but one blank.",
                )
            )
            continue
        planned.values[column] = value
        planned.value_rows.setdefault(column, n)
        planned.value_cells.setdefault(column, row[column])
    if urls is not INVALID:
        for url in urls:
            if url not in planned.source_urls:
                planned.source_urls.append(url)
    if line is not None and not found:
        line.source_urls = urls
        planned.lines.append(line)
    problems += found


def _line(checker: _RowChecker, n: int, row: dict, found: list[RowProblem]) -> PlannedLine | None:
    """The row's case line, checked by the model's own rules; None for a row of a return only."""
    if not row["count"]:
        if any(row[column] for column in LINE_COLUMNS):
            found.append(
                RowProblem(
                    n,
                    "count",
                    "the cell is blank, but the row describes a case line. Enter how many people it counts "
                    "(1 or more), or clear the line columns for a return with no lines.",
                )
            )
        return None
    values = {"count": checker.read("count", row["count"], n, found)}
    for column in CODED:
        wording = row[column]
        values[column] = checker.read(column, wording, n, found) if wording else "not_stated"
        values[f"{column}_wording"] = wording
    values["basis"] = checker.read("basis", row["basis"], n, found) if row["basis"] else CaseLine.Basis.STATED
    values["period_label"] = row["period_label"]
    for column in ("period_start", "period_end"):
        values[column] = checker.read(column, row[column], n, found) if row[column] else None
    values["summary"] = row["summary"]
    values["notes"] = row["notes"]
    unread = set()
    if found:
        unread = {name for name, value in values.items() if value is INVALID}
        values.update(dict.fromkeys(unread))
    for name, errors in checker.lines.errors_of_values(values, skip=unread).items():
        column = FIELD_COLUMNS.get(name, name)
        found += [RowProblem(n, column, _model_message(error), row.get(column, "")) for error in errors]
    return PlannedLine(row=n, count=values["count"], values=values, source_urls=[])


def problems_described(problems: list[RowProblem]) -> list[str]:
    """One message per problem, in row and column order; the same problem in several rows is one
    message naming them all: “Rows 4, 9 and 12, column “outcome”: …”."""
    order = {name: i for i, name in enumerate(COLUMN_NAMES)}
    rows_of: dict[tuple[str, str, str], list[int]] = {}
    for problem in sorted(problems, key=lambda p: (p.row, order.get(p.column, len(order)))):
        rows = rows_of.setdefault((problem.column, problem.value, problem.message), [])
        if problem.row not in rows:
            rows.append(problem.row)
    described = []
    for (column, value, message), rows in rows_of.items():
        shown = value if len(value) <= VALUE_SHOWN else value[: VALUE_SHOWN - 1] + "…"
        described.append(
            f"{_rows_named(rows)}, column “{column}”{f' (“{shown}”)' if value else ''}: {message}"
        )
    return described


def _rows_named(rows: list[int]) -> str:
    if len(rows) == 1:
        return f"Row {rows[0]}"
    if len(rows) <= ROWS_NAMED:
        return f"Rows {', '.join(map(str, rows[:-1]))} and {rows[-1]}"
    return f"Rows {', '.join(map(str, rows[:ROWS_NAMED]))} and {len(rows) - ROWS_NAMED:,} more"
