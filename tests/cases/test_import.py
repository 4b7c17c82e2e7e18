"""Spreadsheet imports: forces and wordings mapped, every row checked, all or nothing, never twice."""

import hashlib
import io
import json
import os
import time
from pathlib import Path

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from cases.imports import (
    COLUMN_NAMES,
    import_plan,
    spreadsheet_read,
    upload_discard,
    upload_keep,
    upload_read,
)
from cases.models import CaseLine, FoiReturn, ImportBatch, Source
from cases.services import foi_return_import
from tests.cases.conftest import GOOD_ROWS, csv_bytes, row, upload, xlsx_bytes

pytestmark = pytest.mark.django_db

IMPORT_URL = "/admin/cases/importbatch/import/"
CONFIRM_URL = "/admin/cases/importbatch/import/confirm/"


def plan_for(foi_request, rows, name="return.csv"):
    return import_plan(foi_request=foi_request, spreadsheet=spreadsheet_read(name=name, data=csv_bytes(rows)))


def written():
    return (
        FoiReturn.objects.count(),
        CaseLine.objects.count(),
        Source.objects.count(),
        ImportBatch.objects.count(),
    )


@pytest.mark.parametrize(
    "wording, slug",
    [
        ("Met", "metropolitan"),
        ("MPS", "metropolitan"),
        ("Metropolitan Police Service", "metropolitan"),
        ("metropolitan", "metropolitan"),
        ("GMP", "greater-manchester"),
        ("Greater Manchester", "greater-manchester"),
        ("Avon & Somerset", "avon-and-somerset"),
        ("Avon and Somerset Constabulary", "avon-and-somerset"),
        ("Devon and Cornwall Police", "devon-and-cornwall"),
        ("Devon & Cornwall", "devon-and-cornwall"),
        ("surrey", "surrey"),
        ("SURREY POLICE", "surrey"),
        ("Dyfed Powys", "dyfed-powys"),
        ("PSNI", "northern-ireland"),
        ("not stated", None),
    ],
)
def test_forces_are_matched_by_slug_name_short_name_or_alias(foi_request, wording, slug):
    plan = plan_for(foi_request, [row(force=wording, count="1")])
    assert plan.errors == []
    assert (plan.returns[0].force.slug if plan.returns[0].force else None) == slug


def test_unknown_force_in_import_names_the_row(foi_request):
    plan = plan_for(
        foi_request, [row(force="Surrey", count="1"), row(force="Atlantis Constabulary", count="1")]
    )
    assert plan.errors == [
        "Row 3, column “force”: “Atlantis Constabulary” is not a force this import knows. Use the force’s name, "
        "short name or slug as listed under Forces (for example “Surrey Police”, “Surrey” or “surrey”), or "
        "“not stated” for cases the study does not attribute to a force."
    ]


def test_wording_is_mapped_to_codes_and_kept_as_written(foi_request):
    plan = plan_for(foi_request, GOOD_ROWS)
    assert plan.errors == []
    batch = foi_return_import(plan=plan)
    met = FoiReturn.objects.get(request=foi_request, force__slug="metropolitan")
    lines = sorted(
        met.lines.values_list(
            "count",
            "role",
            "role_wording",
            "offence",
            "offence_wording",
            "system",
            "system_wording",
            "outcome",
            "outcome_wording",
            "criminal_outcome",
            "criminal_outcome_wording",
        )
    )
    assert lines == [
        (
            2,
            "officer",
            "officers",
            "unauthorised_access",
            "unauthorised access",
            "pnc",
            "PNC",
            "dismissed",
            "dismissed",
            "not_stated",
            "",
        ),
        (
            3,
            "police_staff",
            "police staff",
            "unauthorised_disclosure",
            "Disclosure",
            "email",
            "e-mail",
            "final_written_warning",
            "Final written warning",
            "none",
            "none",
        ),
    ]
    assert (met.status, met.reported_total, met.review_state, met.import_batch) == (
        "answered",
        5,
        "draft",
        batch,
    )
    assert [s.url for s in met.sources.all()] == ["https://example.org/met-foi"]
    avon = FoiReturn.objects.get(request=foi_request, force__slug="avon-and-somerset")
    assert (avon.status, avon.exemption, avon.lines.count()) == ("refused", "s12", 0)
    gmp = CaseLine.objects.get(foi_return__request=foi_request, foi_return__force__slug="greater-manchester")
    assert (gmp.outcome, gmp.outcome_wording, gmp.criminal_outcome) == ("dismissed", "sacked", "cautioned")
    source = Source.objects.get(url="https://example.org/met-foi")
    assert (source.kind, source.publisher, source.import_batch) == (
        "foi_response",
        "Metropolitan Police Service",
        batch,
    )


@pytest.mark.parametrize(
    "cells, message",
    [
        (
            {"outcome": "sacked on the spot"},
            "Row 2, column “outcome”: “sacked on the spot” is not a wording this import can map. Accepted: "
            "dismissed, resigned_retired, final_written_warning, written_warning, written_or_verbal_warning, "
            "management_action, reflective_practice, misconduct_meeting, disciplined, no_further_action, "
            "not_stated (or their names as the admin shows them, or a wording listed in docs/importing.md).",
        ),
        (
            {"role": "sergeant major"},
            "Row 2, column “role”: “sergeant major” is not a wording this import can map. Accepted: officer, "
            "police_staff, pcso, special_constable, not_stated (or their names as the admin shows them, or a "
            "wording listed in docs/importing.md).",
        ),
        (
            {"count": "three"},
            "Row 2, column “count”: “three” is not a whole number: enter how many people the line counts, in "
            "digits.",
        ),
        (
            {"count": "0"},
            "Row 2, column “count” (“0”): A line counts at least one person: enter 1 or more, or delete the line.",
        ),
        (
            {"count": "=1+1"},
            "Row 2, column “count”: “=1+1” is a formula; formulas are not worked out on import. Type the value "
            "itself.",
        ),
        (
            {"period_start": "31/02/2024"},
            "Row 2, column “period_start”: “31/02/2024” is not a date. Write dates as YYYY-MM-DD (2019-03-31) or "
            "DD/MM/YYYY (31/03/2019).",
        ),
        (
            {"period_start": "2024-03-31", "period_end": "2023-04-01"},
            "Row 2, column “period_end” (“2023-04-01”): The period must end on or after its start: check the two "
            "dates.",
        ),
        (
            {"source_urls": "the FOI letter"},
            "Row 2, column “source_urls”: “the FOI letter” is not a web address. Give full addresses starting "
            "http:// or https://, separated by “;”.",
        ),
        (
            {"force": ""},
            "Row 2, column “force”: the cell is blank. Name the force that replied, or write “not stated” for "
            "cases the study does not attribute to a force.",
        ),
        (
            {"count": "", "outcome": "dismissed"},
            "Row 2, column “count”: the cell is blank, but the row describes a case line. Enter how many people "
            "it counts (1 or more), or clear the line columns for a return with no lines.",
        ),
        (
            {"exemption": "s40"},
            "Row 2, column “exemption” (“s40”): Only a refused return has an exemption: set the status to Refused, "
            "or clear the exemption.",
        ),
    ],
)
def test_bad_row_is_an_error_naming_row_column_and_fix(foi_request, cells, message):
    plan = plan_for(foi_request, [row(**{"force": "Surrey", "count": "1", **cells})])
    assert plan.errors == [message]


def test_rows_of_one_return_must_agree(foi_request):
    plan = plan_for(
        foi_request,
        [
            row(force="Kent", status="answered", count="1"),
            row(force="Kent Police", status="refused", count="2"),
        ],
    )
    assert plan.errors == [
        "Row 3, column “status”: Kent Police’s rows give different values (“refused” here, another on row 2); "
        "a return has one. Make them agree, or leave all but one blank."
    ]


def test_existing_return_is_not_overwritten(foi_request):
    FoiReturn.objects.create(
        request=foi_request,
        force_id=plan_for(foi_request, [row(force="Kent", count="1")]).returns[0].force.pk,
        status="answered",
    )
    plan = plan_for(foi_request, [row(force="Kent", count="1")])
    assert plan.errors == [
        "Row 2, column “force”: Kent Police already has a return to this request. An import only adds new "
        "returns: edit the existing one in the admin, or delete it first."
    ]


def test_preview_then_confirm_writes_drafts(editor_client, foi_request):
    before = written()
    response = editor_client.post(
        IMPORT_URL, {"request": foi_request.pk, "file": upload("study.csv", csv_bytes(GOOD_ROWS))}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert (
        "Importing “study.csv” into <strong>Test study 2024</strong> will write\n    3 new returns, 3 case lines\n"
        "    (6 people) and 1 new source,\n    all as drafts: nothing is public until a reviewer approves it."
    ) in page
    assert written() == before, "the preview writes nothing"

    token = editor_client.session["cases.pending_import"]["token"]
    response = editor_client.post(CONFIRM_URL, {"token": token}, follow=True)
    batch = ImportBatch.objects.get()
    assert response.redirect_chain[-1][0] == reverse("admin:cases_importbatch_change", args=[batch.pk])
    assert (
        "Imported “study.csv” into “Test study 2024”: 3 returns and 3 case lines (6 people), as drafts. "
        "A reviewer must approve them before they are public."
    ) in response.content.decode()
    assert FoiReturn.objects.filter(request=foi_request).count() == 3
    assert set(FoiReturn.objects.filter(request=foi_request).values_list("review_state", flat=True)) == {
        "draft"
    }
    assert (batch.file_name, batch.rows, batch.via, batch.imported_by.username) == (
        "study.csv",
        4,
        "admin",
        "eddie",
    )


def test_one_bad_row_means_nothing_is_written(editor_client, foi_request):
    before = written()
    rows = GOOD_ROWS + [row(force="Kent", count="1", outcome="promoted")]
    response = editor_client.post(
        IMPORT_URL, {"request": foi_request.pk, "file": upload("study.csv", csv_bytes(rows))}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing was imported: 1 row error in “study.csv”. Fix it and choose the file again." in page
    assert "Row 6, column “outcome”: “promoted” is not a wording this import can map." in page
    assert written() == before
    assert "cases.pending_import" not in editor_client.session


def test_same_file_imported_twice_is_refused(editor_client, foi_request):
    data = csv_bytes(GOOD_ROWS)
    editor_client.post(IMPORT_URL, {"request": foi_request.pk, "file": upload("study.csv", data)})
    editor_client.post(CONFIRM_URL, {"token": editor_client.session["cases.pending_import"]["token"]})
    batch = ImportBatch.objects.get()
    before = written()
    response = editor_client.post(IMPORT_URL, {"request": foi_request.pk, "file": upload("again.csv", data)})
    assert response.status_code == 200
    when = timezone.localtime(batch.imported_at).strftime("%-d %B %Y %H:%M")
    assert (
        f"This file was already imported (import {batch.pk}, {when}, by eddie). Nothing was written. "
        f"To import it again, roll back import {batch.pk} first."
    ) in response.content.decode()
    assert written() == before


def test_confirming_a_stale_preview_writes_nothing(editor_client, foi_request):
    response = editor_client.post(CONFIRM_URL, {"token": "made-up"}, follow=True)
    assert response.redirect_chain[-1][0] == IMPORT_URL
    assert "This preview has expired or its file was imported already: choose the file again." in (
        response.content.decode()
    )
    assert not ImportBatch.objects.exists()


def test_confirm_is_post_only(editor_client):
    assert editor_client.get(CONFIRM_URL).status_code == 405


def test_return_added_between_preview_and_confirm_is_reported_not_overwritten(editor_client, foi_request):
    editor_client.post(
        IMPORT_URL, {"request": foi_request.pk, "file": upload("study.csv", csv_bytes(GOOD_ROWS))}
    )
    token = editor_client.session["cases.pending_import"]["token"]
    gmp = plan_for(foi_request, [row(force="GMP", count="1")]).returns[0].force
    FoiReturn.objects.create(request=foi_request, force=gmp, status="answered")
    response = editor_client.post(CONFIRM_URL, {"token": token})
    assert "Row 5, column “force”: Greater Manchester Police already has a return to this request." in (
        response.content.decode()
    )
    assert FoiReturn.objects.filter(request=foi_request).count() == 1


def test_xlsx_imports_like_csv(foi_request):
    data = xlsx_bytes([[*r[:5], int(r[5]) if r[5] else None, *r[6:]] for r in GOOD_ROWS])
    plan = import_plan(foi_request=foi_request, spreadsheet=spreadsheet_read(name="study.xlsx", data=data))
    assert plan.errors == []
    assert (len(plan.returns), plan.lines, plan.people) == (3, 3, 6)


def test_kept_upload_is_read_back_by_its_token_and_checksum_only(settings):
    data = csv_bytes([row(force="Kent", count="1")])
    kept = upload_keep(name="a.csv", data=data)
    session = json.loads(json.dumps(kept.as_session()))
    assert set(session) == {"token", "name", "sha256"}, "the session holds no rows"
    assert upload_read(**session) == spreadsheet_read(name="a.csv", data=data)
    assert upload_read(**{**session, "sha256": "0" * 64}) is None, "other bytes are not this upload"
    # A token is never a path: a file outside the directory is not read, even with its checksum.
    (Path(settings.IMPORT_UPLOAD_DIR).parent / "outside.upload").write_bytes(data)
    assert upload_read(**{**session, "token": "../outside"}) is None
    upload_discard(token=kept.token)
    assert upload_read(**session) is None


def test_template_downloads_document_the_columns(editor_client):
    response = editor_client.get("/admin/cases/importbatch/import/template.csv")
    assert response["Content-Disposition"] == 'attachment; filename="foi-return-template.csv"'
    assert response.content.decode().strip() == (
        "force,status,exemption,received_on,reported_total,count,role,offence,system,outcome,criminal_outcome,basis,"
        "period_label,period_start,period_end,summary,source_urls,notes"
    )
    response = editor_client.get("/admin/cases/importbatch/import/template.xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Return", "Columns"]
    guide = list(workbook["Columns"].iter_rows(values_only=True))
    assert guide[0] == ("column", "required", "what it holds", "accepted values")
    assert guide[1][:2] == ("force", "yes")
    assert [c.value for c in workbook["Return"][1]] == COLUMN_NAMES


def kept_files(settings) -> list:
    return sorted(path.name for path in Path(settings.IMPORT_UPLOAD_DIR).iterdir())


def test_preview_keeps_the_upload_as_a_file_and_the_session_only_its_token(
    editor_client, foi_request, settings
):
    data = csv_bytes(GOOD_ROWS)
    editor_client.post(IMPORT_URL, {"request": foi_request.pk, "file": upload("study.csv", data)})
    pending = editor_client.session["cases.pending_import"]
    assert pending == {
        "request": foi_request.pk,
        "token": pending["token"],
        "name": "study.csv",
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    assert kept_files(settings) == [f"{pending['token']}.upload"]
    assert (Path(settings.IMPORT_UPLOAD_DIR) / f"{pending['token']}.upload").read_bytes() == data
    editor_client.post(CONFIRM_URL, {"token": pending["token"]})
    assert ImportBatch.objects.filter(file_sha256=pending["sha256"]).exists()
    assert kept_files(settings) == [], "the file goes once it is imported"


def test_uploads_left_for_a_day_are_removed_when_the_next_arrives(editor_client, foi_request, settings):
    directory = Path(settings.IMPORT_UPLOAD_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    for name, hours in [("old-abandoned-upload-1.upload", 25), ("recent-upload-waiting.upload", 23)]:
        (directory / name).write_bytes(b"force,count\n")
        when = time.time() - hours * 3600
        os.utime(directory / name, (when, when))
    editor_client.post(
        IMPORT_URL, {"request": foi_request.pk, "file": upload("study.csv", csv_bytes(GOOD_ROWS))}
    )
    token = editor_client.session["cases.pending_import"]["token"]
    assert kept_files(settings) == sorted(["recent-upload-waiting.upload", f"{token}.upload"])


def test_a_kept_file_changed_before_confirm_writes_nothing(editor_client, foi_request, settings):
    editor_client.post(
        IMPORT_URL, {"request": foi_request.pk, "file": upload("study.csv", csv_bytes(GOOD_ROWS))}
    )
    token = editor_client.session["cases.pending_import"]["token"]
    (Path(settings.IMPORT_UPLOAD_DIR) / f"{token}.upload").write_bytes(csv_bytes(GOOD_ROWS[:1]))
    response = editor_client.post(CONFIRM_URL, {"token": token}, follow=True)
    assert "This preview has expired or its file was imported already: choose the file again." in (
        response.content.decode()
    )
    assert not ImportBatch.objects.exists()
    assert kept_files(settings) == []
