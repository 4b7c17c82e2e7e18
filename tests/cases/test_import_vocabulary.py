"""What a file may say — column names, wordings, force names, bodies outside the record, note rows —
is curated data in fixtures/curation/: checked when loaded, matched as documented, and listed in
docs/importing.md exactly as the files hold it."""

import csv
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from cases import imports
from cases.imports import CHOICES, import_plan, spreadsheet_read
from tests.cases.conftest import csv_bytes, row

pytestmark = pytest.mark.django_db

CURATION = Path(settings.BASE_DIR) / "fixtures" / "curation"
DOC = (Path(settings.BASE_DIR) / "docs" / "importing.md").read_text()


def curated(name: str) -> list[dict]:
    with (CURATION / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def plan_for(foi_request, rows):
    return import_plan(
        foi_request=foi_request, spreadsheet=spreadsheet_read(name="r.csv", data=csv_bytes(rows))
    )


# The tables docs/importing.md must hold, built from the curated files.


def force_alias_table() -> str:
    names = {
        r["slug"]: r["name"]
        for r in csv.DictReader((CURATION.parent / "reference" / "police_forces.csv").open())
    }
    by_force: dict[str, list[str]] = {}
    for alias in curated("force_aliases.csv"):
        by_force.setdefault(alias["force"], []).append(alias["alias"])
    lines = ["| alias | force |", "|---|---|"]
    lines += [f"| {', '.join(aliases)} | {names[slug]} |" for slug, aliases in by_force.items()]
    return "\n".join(lines)


def other_bodies_table() -> str:
    by_body: dict[str, list[str]] = {}
    for body in curated("other_bodies.csv"):
        by_body.setdefault(body["body"], []).append(body["name"])
    lines = ["| name | what it is |", "|---|---|"]
    lines += [f"| {', '.join(names)} | {body} |" for body, names in by_body.items()]
    return "\n".join(lines)


def column_names_table() -> str:
    by_column: dict[str, list[str]] = {}
    for name in curated("import_columns.csv"):
        by_column.setdefault(name["column"], []).append(name["name"])
    lines = ["| column | also named |", "|---|---|"]
    lines += [f"| `{column}` | {', '.join(names)} |" for column, names in by_column.items()]
    return "\n".join(lines)


def wording_table(column: str) -> str:
    also: dict[str, list[str]] = {}
    for wording in curated("import_wordings.csv"):
        if wording["column"] == column and wording["code"] != "not_stated":
            also.setdefault(wording["code"], []).append(wording["wording"])
    lines = [f"**{column}**", "", "| code | name | also |", "|---|---|---|"]
    lines += [
        f"| `{code}` | {label} | {', '.join(also.get(code, []))} |".replace(" |  |", " | |")
        for code, label in CHOICES[column].choices
        if code != "not_stated"
    ]
    return "\n".join(lines)


def not_stated_line() -> str:
    wordings = [
        w["wording"]
        for w in curated("import_wordings.csv")
        if w["column"] == "role" and w["code"] == "not_stated"
    ]
    return f"Every coded column also takes: {', '.join(wordings)}."


@pytest.mark.parametrize(
    "table",
    [
        force_alias_table,
        other_bodies_table,
        column_names_table,
        not_stated_line,
        *[lambda column=column: wording_table(column) for column in CHOICES],
    ],
    ids=["force-aliases", "other-bodies", "column-names", "not-stated", *CHOICES],
)
def test_docs_list_the_curated_data_as_it_is(table):
    assert table() in DOC


def test_every_curated_row_is_for_something_that_exists():
    slugs = {r["slug"] for r in csv.DictReader((CURATION.parent / "reference" / "police_forces.csv").open())}
    assert {alias["force"] for alias in curated("force_aliases.csv")} <= slugs
    for name in ("force_aliases.csv", "other_bodies.csv", "import_columns.csv", "import_wordings.csv"):
        assert all(any(value.strip() for value in r.values()) for r in curated(name))
    # The loaders check codes and columns, and refuse a name meaning two things.
    imports.wordings(), imports.column_names(), imports.force_aliases(), imports.other_bodies()


@pytest.fixture
def curation_copy(tmp_path, monkeypatch):
    """The curated files copied, to be spoiled one at a time; the caches forget them after."""
    copy = tmp_path / "curation"
    shutil.copytree(CURATION, copy)
    monkeypatch.setattr(imports, "CURATION_DIR", copy)
    loaders = [imports.wordings, imports.column_names, imports.note_row_starts, imports.force_aliases]
    for loader in [*loaders, imports.other_bodies]:
        loader.cache_clear()
    yield copy
    for loader in [*loaders, imports.other_bodies]:
        loader.cache_clear()


@pytest.mark.parametrize(
    "file, line, loader, message",
    [
        (
            "import_wordings.csv",
            "outcome,dismissed,final warning,a mistake",
            imports.wordings,
            "import_wordings.csv line 144: “final warning” already means final_written_warning.",
        ),
        (
            "import_wordings.csv",
            "outcome,promoted,promotion,a mistake",
            imports.wordings,
            "import_wordings.csv line 144: 'promoted' is not a code of outcome.",
        ),
        (
            "import_columns.csv",
            "Result,count,a mistake",
            imports.column_names,
            "import_columns.csv line 64: “result” already means 'outcome', not 'count'.",
        ),
        (
            "force_aliases.csv",
            "MPS,kent,a mistake",
            imports.force_aliases,
            "force_aliases.csv line 41: “mps” already means 'metropolitan', not 'kent'.",
        ),
    ],
)
def test_a_curated_name_meaning_two_things_is_refused(curation_copy, file, line, loader, message):
    with (curation_copy / file).open("a") as handle:
        handle.write(line + "\n")
    with pytest.raises(ImproperlyConfigured) as error:
        loader()
    assert str(error.value) == message


@pytest.mark.parametrize(
    "wording, slug",
    [
        ("Met Police Service", "metropolitan"),
        ("The Metropolitan Police Service", "metropolitan"),
        ("Metropolitan Police", "metropolitan"),
        ("MPS", "metropolitan"),
        ("Police Scotland", "police-scotland"),
        ("Police Service of Scotland", "police-scotland"),
        ("Devon and Cornwall Constabulary", "devon-and-cornwall"),
        ("Hampshire and Isle of Wight Constabulary", "hampshire"),
        ("Hants Police", "hampshire"),
        ("Thames Valley Police Force", "thames-valley"),
    ],
)
def test_forces_are_matched_by_the_names_they_use_in_replies(foi_request, wording, slug):
    plan = plan_for(foi_request, [row(force=wording, count="1")])
    assert (plan.errors, plan.returns[0].force.slug) == ([], slug)


@pytest.mark.parametrize(
    "wording, message",
    [
        (
            "National Crime Agency",
            "“National Crime Agency” is not among the forces this record covers: it is the National Crime Agency, "
            "a national law-enforcement agency. Leave its rows out of the file.",
        ),
        (
            "Isle of Man Constabulary",
            "“Isle of Man Constabulary” is not among the forces this record covers: it is the Isle of Man's force, "
            "in a Crown Dependency outside the UK. Leave its rows out of the file.",
        ),
        (
            "Devon and Cornwal",
            "“Devon and Cornwal” is not a force this import knows. Did you mean “Devon and Cornwall Police”? Use "
            "the force’s name, short name or slug as listed under Forces (for example “Surrey Police”, “Surrey” "
            "or “surrey”), or “not stated” for cases the study does not attribute to a force.",
        ),
    ],
)
def test_a_body_outside_the_record_or_a_misspelt_force_is_named(foi_request, wording, message):
    assert plan_for(foi_request, [row(force=wording, count="1")]).errors == [
        f"Row 2, column “force”: {message}"
    ]


def test_a_column_named_twice_under_two_names_is_refused(foi_request):
    with pytest.raises(imports.ImportFileError) as error:
        spreadsheet_read(name="twice.csv", data=b"Force,Outcome,Result,No.\nKent,dismissed,dismissed,1\n")
    assert str(error.value) == (
        "“twice.csv” has the column outcome more than once (“Outcome”, “Result”). Download the template to start "
        "from."
    )


def test_a_file_without_a_row_of_column_names_says_so():
    data = b"Misuse of systems 2019\nKent,1\nSurrey,2\n"
    with pytest.raises(imports.ImportFileError) as error:
        spreadsheet_read(name="bare.csv", data=data)
    assert str(error.value) == (
        "“bare.csv” has no row of column names: none of its first 3 rows names the force and count columns. Put "
        "the column names (force, status, exemption, received_on, reported_total, count, role, offence, system, "
        "outcome, criminal_outcome, basis, period_label, period_start, period_end, summary, source_urls, notes) "
        "in the row above the data, or download the template to start from."
    )


def test_a_force_alone_in_a_row_is_a_return_not_a_note(foi_request):
    spreadsheet = spreadsheet_read(
        name="r.csv", data=b"force,count\nKent,1\nNottinghamshire,\nNote: Kent only,\n"
    )
    assert [(s.row, s.why) for s in spreadsheet.skipped] == [(4, "a note below the table")]
    plan = import_plan(foi_request=foi_request, spreadsheet=spreadsheet)
    assert [(r.force.slug, len(r.lines)) for r in plan.returns] == [("kent", 1), ("nottinghamshire", 0)]


def test_the_same_problem_in_many_rows_is_one_message_naming_them(foi_request):
    rows = [row(force="Kent", count="1", outcome="promoted") for _ in range(13)]
    rows[5] = row(force="Kent", count="1")
    assert (
        plan_for(foi_request, rows[:4])
        .errors[0]
        .startswith("Rows 2, 3, 4 and 5, column “outcome”: “promoted” is not a wording")
    )
    assert (
        plan_for(foi_request, rows)
        .errors[0]
        .startswith(
            "Rows 2, 3, 4, 5, 6, 8, 9, 10, 11, 12 and 2 more, column “outcome”: “promoted” is not a wording"
        )
    )


@pytest.mark.parametrize(
    "cells, message",
    [
        (
            {"period_label": "x" * 121},
            "Row 2, column “period_label” (“xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…”): the text is 121 characters "
            "long; the most it holds is 120. Shorten it, and put the rest in notes.",
        ),
        ({"reported_total": "-1"}, "Row 2, column “reported_total” (“-1”): it must be 0 or more."),
        (
            {"count": "3000000000"},
            "Row 2, column “count” (“3000000000”): it is more than the most it holds, 2,147,483,647.",
        ),
    ],
)
def test_the_models_generic_rules_are_worded_for_the_import(foi_request, cells, message):
    assert plan_for(foi_request, [row(**{"force": "Kent", "count": "1", **cells})]).errors == [message]
