"""Reading a force's return (or a whole study) from a CSV or XLSX file, safely, into an import plan.

Nothing here writes: `spreadsheet_read` turns bytes into rows (or refuses the file with a message a
person can act on), and `import_plan` checks every row against the request and the database and
says what an import would write, or every row error. `cases.services.foi_return_import` writes a
plan, all or nothing. The format is documented in docs/importing.md.
"""

import codecs
import csv
import hashlib
import io
import re
import zipfile
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import PurePath

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

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


class ImportFileError(Exception):
    """The file as a whole cannot be imported; the message says why and what to do."""


@dataclass(frozen=True)
class Column:
    name: str
    help: str
    accepted: str = ""
    required: bool = False


@dataclass
class Spreadsheet:
    """A file's rows as text, keyed by column, with their row numbers as a spreadsheet shows them."""

    name: str
    size: int
    sha256: str
    rows: list[tuple[int, dict[str, str]]]

    def as_session(self) -> dict:
        return {"name": self.name, "size": self.size, "sha256": self.sha256, "rows": self.rows}

    @classmethod
    def from_session(cls, data: dict) -> "Spreadsheet":
        return cls(data["name"], data["size"], data["sha256"], [(n, row) for n, row in data["rows"]])


def _normal(text: str) -> str:
    """Wording as compared: case, '&', punctuation and spacing do not matter."""
    text = text.lower().replace("&", " and ").replace("’", "'")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


# Wordings forces use, beyond each code and its label (which are always accepted).
NOT_STATED_WORDINGS = ["not stated", "unknown", "not known", "n/a", "na", "not recorded", "none given"]
WORDINGS = {
    "role": (
        Role,
        {
            Role.OFFICER: [
                "officer",
                "officers",
                "police officers",
                "constable",
                "pc",
                "sergeant",
                "inspector",
            ],
            Role.STAFF: ["staff", "police staff member", "member of staff", "civilian", "civilian staff"],
            Role.PCSO: ["police community support officer", "pcsos"],
            Role.SPECIAL: ["special", "specials", "special constables"],
            Role.NOT_STATED: NOT_STATED_WORDINGS,
        },
    ),
    "offence": (
        Offence,
        {
            Offence.ACCESS: [
                "unauthorised access",
                "unauthorized access",
                "access without a policing purpose",
                "accessing information without a policing purpose",
                "no policing purpose",
                "inappropriate access",
            ],
            Offence.DISCLOSURE: [
                "unauthorised disclosure",
                "unauthorized disclosure",
                "disclosure",
                "disclosing information",
                "leaking information",
            ],
            Offence.SOCIAL_MEDIA: [
                "social media",
                "misuse of social media",
                "inappropriate use of social media",
            ],
            Offence.EMAIL: ["email", "e mail", "misuse of email", "email misuse"],
            Offence.SYSTEM_MISUSE: [
                "misuse of police systems",
                "misuse of systems",
                "system misuse",
                "computer misuse",
                "it misuse",
                "misuse of it",
            ],
            Offence.NOT_STATED: NOT_STATED_WORDINGS,
        },
    ),
    "system": (
        System,
        {
            System.PNC: ["police national computer"],
            System.PND: ["police national database"],
            System.NICHE: ["niche rms", "niche"],
            System.CRIS: ["crime reporting information system"],
            System.EMAIL: ["e mail"],
            System.SEVERAL: ["several systems", "multiple systems", "several"],
            System.NOT_STATED: NOT_STATED_WORDINGS,
        },
    ),
    "outcome": (
        Outcome,
        {
            Outcome.DISMISSED: ["dismissal", "dismissed without notice", "sacked"],
            Outcome.RESIGNED: ["resigned", "retired", "resignation", "resigned retired"],
            Outcome.FINAL_WRITTEN_WARNING: ["fww"],
            Outcome.WRITTEN_WARNING: ["ww"],
            Outcome.WARNING: [
                "written or verbal warning",
                "verbal or written warning",
                "verbal and written warnings",
            ],
            Outcome.MANAGEMENT_ACTION: ["management advice", "management action", "words of advice"],
            Outcome.REFLECTIVE_PRACTICE: ["reflective practice review process", "rprp"],
            Outcome.MISCONDUCT_MEETING: ["misconduct meeting"],
            Outcome.DISCIPLINED: ["disciplined", "reprimanded", "disciplined internally"],
            Outcome.NO_FURTHER_ACTION: ["nfa"],
            Outcome.NOT_STATED: NOT_STATED_WORDINGS,
        },
    ),
    "criminal_outcome": (
        CriminalOutcome,
        {
            CriminalOutcome.CONVICTED: ["conviction", "prosecuted and convicted"],
            CriminalOutcome.CAUTIONED: ["caution"],
            CriminalOutcome.NONE: ["no criminal action", "no criminal proceedings"],
            CriminalOutcome.NOT_STATED: NOT_STATED_WORDINGS,
        },
    ),
    "basis": (CaseLine.Basis, {CaseLine.Basis.REMAINDER: ["computed", "remainder of a reported total"]}),
    "status": (
        FoiReturn.Status,
        {
            FoiReturn.Status.PARTIAL: ["partly answered", "part answered", "partially answered"],
            FoiReturn.Status.NO_REPLY: ["no response", "not answered"],
        },
    ),
    "exemption": (
        FoiReturn.Exemption,
        {
            FoiReturn.Exemption.S12: ["section 12", "s 12", "cost"],
            FoiReturn.Exemption.S14: ["section 14", "s 14"],
            FoiReturn.Exemption.S21: ["section 21", "s 21"],
            FoiReturn.Exemption.S30: ["section 30", "s 30"],
            FoiReturn.Exemption.S31: ["section 31", "s 31"],
            FoiReturn.Exemption.S40: ["section 40", "s 40"],
        },
    ),
}


def _wording_index(choices, extra: dict) -> dict[str, str]:
    index = {}
    for code, label in choices.choices:
        index[_normal(code)] = code
        index[_normal(label)] = code
    for code, wordings in extra.items():
        for wording in wordings:
            index[_normal(wording)] = code
    return index


WORDING_INDEX = {column: _wording_index(choices, extra) for column, (choices, extra) in WORDINGS.items()}

# Names forces are known by that are not their slug, name or short name (nor those without
# "Police", "Constabulary" or "Police Service").
FORCE_ALIASES = {
    "met": "metropolitan",
    "the met": "metropolitan",
    "mps": "metropolitan",
    "met police": "metropolitan",
    "metropolitan police": "metropolitan",
    "gmp": "greater-manchester",
    "btp": "btp",
    "cnc": "civil-nuclear-constabulary",
    "mdp": "ministry-of-defence-police",
    "mod police": "ministry-of-defence-police",
    "psni": "northern-ireland",
    "tvp": "thames-valley",
    "wmp": "west-midlands",
    "wyp": "west-yorkshire",
    "syp": "south-yorkshire",
    "nyp": "north-yorkshire",
    "swp": "south-wales",
    "col": "city-of-london",
    "city of london police": "city-of-london",
}
UNATTRIBUTED = {"not stated", "force not stated", "unattributed", "not attributed"}
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
    for alias, slug in FORCE_ALIASES.items():
        if slug in forces:
            index[_normal(alias)] = forces[slug]
    return index


def _accepted(column: str) -> str:
    return ", ".join(WORDINGS[column][0].values)


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
MAX_LENGTHS = {
    "period_label": CaseLine._meta.get_field("period_label").max_length,
    **{f"{column}": CaseLine._meta.get_field(f"{column}_wording").max_length for column in CODED},
}


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


def spreadsheet_read(*, name: str, data: bytes) -> Spreadsheet:
    """Rows of a CSV or XLSX file, or ImportFileError saying why the file cannot be read.

    Rows are read one at a time and every cap is checked as they arrive: a file is refused at the
    first row past a cap, before the rest of it is read, so memory stays bounded by the caps and
    not by what the file holds.
    """
    spreadsheet_check_name_and_size(name=name, size=len(data))
    if PurePath(name).suffix.lower() == ".csv":
        table = _csv_rows(name, data)
    else:
        table = _xlsx_rows(name, data)
    with closing(table):
        rows = _rows_by_column(name, table)
    return Spreadsheet(name, len(data), hashlib.sha256(data).hexdigest(), rows)


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


# Control characters other than tab, CR and LF.
CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _csv_rows(name: str, data: bytes) -> Iterator[tuple[int, list[str]]]:
    not_text = (
        f"“{name}” is not a CSV text file (it holds binary data). Save the spreadsheet as "
        "“CSV UTF-8” or as .xlsx and choose it again."
    )
    if b"\x00" in data:
        raise ImportFileError(not_text)
    # The whole file is checked as UTF-8 before a row is read, in pieces: nothing is kept.
    try:
        for _ in codecs.iterdecode(_chunks(data), "utf-8-sig"):
            pass
    except UnicodeDecodeError:
        raise ImportFileError(
            f"“{name}” is not UTF-8 text. Save it as “CSV UTF-8” (or as .xlsx) and choose it again."
        ) from None
    # In UTF-8 these bytes are never part of another character: the bytes are searched, not the
    # decoded text.
    if CONTROL_BYTES.search(data):
        raise ImportFileError(not_text)
    return _csv_records(name, data)


def _chunks(data: bytes, size: int = 1 << 20) -> Iterator[memoryview]:
    view = memoryview(data)
    for start in range(0, len(view), size):
        yield view[start : start + size]


def _csv_records(name: str, data: bytes) -> Iterator[tuple[int, list[str]]]:
    stream = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")
    n = 0
    try:
        for n, cells in enumerate(csv.reader(_csv_lines(name, stream)), start=1):
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
    made of at most XLSX_MAX_ROW_ELEMENTS elements and a sheet have at most Excel's 1,048,576 rows;
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


def _rows_by_column(name: str, table: Iterator[tuple[int, list[str]]]) -> list[tuple[int, dict[str, str]]]:
    """The rows under the header (the first row that is not blank), keyed by column. Caps are
    checked as each row arrives: past one, the file is refused and the rest is never read."""
    header = None
    rows = []
    text = 0
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
            header = _header(name, cells)
            continue
        if len(rows) == max_rows:
            raise ImportFileError(
                f"“{name}” has more than {max_rows:,} rows, the most one import takes. "
                "Split it into smaller files."
            )
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
        values = dict.fromkeys(COLUMN_NAMES, "")
        values.update(zip(header, cells, strict=False))
        rows.append((n, values))
    if header is None:
        raise ImportFileError(f"“{name}” is empty: there is nothing to import.")
    if not rows:
        raise ImportFileError(f"“{name}” has column names but no rows to import.")
    return rows


def _header(name: str, cells: list[str]) -> list[str]:
    header = [re.sub(r"[\s-]+", "_", cell.lower()) for cell in cells]
    while header and not header[-1]:
        header.pop()
    unknown = [cell or "(blank)" for cell in header if cell not in COLUMN_NAMES]
    if unknown:
        raise ImportFileError(
            f"“{name}” has columns this import does not know: {', '.join(unknown)}. The columns are: "
            f"{', '.join(COLUMN_NAMES)}. Download the template to start from."
        )
    repeated = sorted({cell for cell in header if header.count(cell) > 1})
    if repeated:
        raise ImportFileError(f"“{name}” has the column {', '.join(repeated)} more than once.")
    missing = [column for column in REQUIRED if column not in header]
    if missing:
        raise ImportFileError(
            f"“{name}” has no {' or '.join(missing)} column. Its first row must hold the column "
            "names: download the template to start from."
        )
    return header


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
    # The row each return-level value was taken from, to name it when another row disagrees.
    value_rows: dict = field(default_factory=dict)

    @property
    def force_name(self) -> str:
        return self.force.name if self.force else "Force not stated"

    @property
    def people(self) -> int:
        return sum(line.count for line in self.lines)


@dataclass
class ImportPlan:
    foi_request: FoiRequest
    spreadsheet: Spreadsheet
    returns: list[PlannedReturn] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    new_source_urls: list[str] = field(default_factory=list)

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


class RowError(Exception):
    def __init__(self, column: str, message: str):
        self.column, self.message = column, message


def _formula_check(column: str, value: str) -> None:
    if value.startswith("=") and column not in FREE_TEXT:
        raise RowError(
            column, f"“{value}” is a formula; formulas are not worked out on import. Type the value itself."
        )


def _whole_number(column: str, value: str, minimum: int, how: str) -> int:
    _formula_check(column, value)
    if not re.fullmatch(r"[0-9]+", value.replace(",", "")):
        raise RowError(column, f"“{value}” is not a whole number. {how}")
    number = int(value.replace(",", ""))
    if number < minimum:
        raise RowError(column, how)
    return number


def _date(column: str, value: str) -> date | None:
    if not value:
        return None
    _formula_check(column, value)
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise RowError(
        column, f"“{value}” is not a date. Write dates as YYYY-MM-DD (2019-03-31) or DD/MM/YYYY (31/03/2019)."
    )


def _code(column: str, value: str) -> str:
    _formula_check(column, value)
    code = WORDING_INDEX[column].get(_normal(value))
    if code is None:
        raise RowError(
            column,
            f"“{value}” is not a wording this import can map. Accepted: {_accepted(column)} "
            "(or their names as the admin shows them, or a wording listed in docs/importing.md).",
        )
    return code


def _urls(value: str) -> list[str]:
    urls = [url.strip() for url in value.split(";") if url.strip()]
    validate = URLValidator(schemes=["http", "https"])
    max_length = Source._meta.get_field("url").max_length
    for url in urls:
        try:
            validate(url)
            if len(url) > max_length:
                raise ValidationError("too long")
        except ValidationError:
            raise RowError(
                "source_urls",
                f"“{url}” is not a web address. Give full addresses starting http:// or https://, "
                "separated by “;”.",
            ) from None
    return urls


def _return_values(row: dict) -> dict:
    values = {}
    if row["status"]:
        values["status"] = _code("status", row["status"])
    if row["exemption"]:
        values["exemption"] = _code("exemption", row["exemption"])
    if row["received_on"]:
        values["received_on"] = _date("received_on", row["received_on"])
    if row["reported_total"]:
        values["reported_total"] = _whole_number(
            "reported_total", row["reported_total"], 0, "Enter the total the reply states, as digits."
        )
    return values


def _too_long(text: str, limit: int) -> str:
    return (
        f"the text is {len(text)} characters long; the most it holds is {limit}. "
        "Shorten it, and put the rest in notes."
    )


def _line_values(row: dict) -> tuple[int, dict]:
    count = _whole_number(
        "count",
        row["count"],
        1,
        "A line counts at least one person: enter 1 or more, or delete the row.",
    )
    values = {"count": count}
    for column in CODED:
        wording = row[column]
        if len(wording) > MAX_LENGTHS[column]:
            raise RowError(column, _too_long(wording, MAX_LENGTHS[column]))
        values[column] = _code(column, wording) if wording else "not_stated"
        values[f"{column}_wording"] = wording
    if len(row["period_label"]) > MAX_LENGTHS["period_label"]:
        raise RowError("period_label", _too_long(row["period_label"], MAX_LENGTHS["period_label"]))
    values["basis"] = _code("basis", row["basis"]) if row["basis"] else CaseLine.Basis.STATED
    values["period_label"] = row["period_label"]
    values["period_start"] = _date("period_start", row["period_start"])
    values["period_end"] = _date("period_end", row["period_end"])
    if values["period_start"] and values["period_end"] and values["period_start"] > values["period_end"]:
        raise RowError("period_end", "The period must end on or after its start: check the two dates.")
    values["summary"] = row["summary"]
    values["notes"] = row["notes"]
    return count, values


def import_plan(*, foi_request: FoiRequest, spreadsheet: Spreadsheet) -> ImportPlan:
    """What importing the rows into the request would write, or every row error."""
    plan = ImportPlan(foi_request=foi_request, spreadsheet=spreadsheet)
    forces = force_index()
    existing = {
        foi_return.force_id: foi_return for foi_return in FoiReturn.objects.filter(request=foi_request)
    }
    returns: dict[int | None, PlannedReturn] = {}
    for n, row in spreadsheet.rows:
        try:
            _plan_row(plan, forces, existing, returns, n, row)
        except RowError as error:
            plan.errors.append(f"Row {n}, column “{error.column}”: {error.message}")
    plan.returns = list(returns.values())
    for planned in plan.returns:
        exemption = planned.values.get("exemption")
        if exemption and planned.values.get("status", FoiReturn.Status.ANSWERED) != FoiReturn.Status.REFUSED:
            plan.errors.append(
                f"Row {planned.value_rows['exemption']}, column “exemption”: only a refused return has an "
                "exemption: set the status to refused, or clear the exemption."
            )
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


def _plan_row(plan, forces, existing, returns, n: int, row: dict) -> None:
    wording = row["force"]
    if not wording:
        raise RowError(
            "force",
            "the cell is blank. Name the force that replied, or write “not stated” for cases "
            "the study does not attribute to a force.",
        )
    _formula_check("force", wording)
    if _normal(wording) in UNATTRIBUTED:
        force = None
    else:
        force = forces.get(_normal(wording))
        if force is None:
            raise RowError(
                "force",
                f"“{wording}” is not a force this import knows. Use the force’s name, short name or slug as "
                "listed under Forces (for example “Surrey Police”, “Surrey” or “surrey”), or “not stated” "
                "for cases the study does not attribute to a force.",
            )
    key = force.pk if force else None
    if key in existing:
        raise RowError(
            "force",
            f"{force.name if force else 'Force not stated'} already has a return to this request. An import "
            "only adds new returns: edit the existing one in the admin, or delete it first.",
        )
    planned = returns.setdefault(key, PlannedReturn(force=force, first_row=n))
    for column, value in _return_values(row).items():
        if column in planned.values and planned.values[column] != value:
            raise RowError(
                column,
                f"{planned.force_name}’s rows give different values (“{row[column]}” here, another on "
                f"row {planned.value_rows[column]}); a return has one. Make them agree, or leave all but "
                "one blank.",
            )
        planned.values[column] = value
        planned.value_rows.setdefault(column, n)
    urls = _urls(row["source_urls"])
    for url in urls:
        if url not in planned.source_urls:
            planned.source_urls.append(url)
    if not row["count"]:
        described = [column for column in LINE_COLUMNS if row[column]]
        if described:
            raise RowError(
                "count",
                "the cell is blank, but the row describes a case line. Enter how many people it "
                "counts (1 or more), or clear the line columns for a return with no lines.",
            )
        return
    count, values = _line_values(row)
    planned.lines.append(PlannedLine(row=n, count=count, values=values, source_urls=urls))
