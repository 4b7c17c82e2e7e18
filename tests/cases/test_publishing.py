"""The publishing gate: nothing public changes without a second person, by any path."""

import re
from html import unescape

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command

from cases.imports import import_plan, spreadsheet_read
from cases.models import CaseLine, ChangeRequest, FoiRequest, FoiReturn, ReportedFigure, Source
from cases.publishing import (
    PublishingRefused,
    change_request_approve,
    change_request_reject,
    foi_returns_approve,
    is_public,
    record_delete,
    record_save,
)
from cases.services import foi_return_import
from tests.cases.conftest import PASSWORD, csv_bytes, make_user, row

pytestmark = pytest.mark.django_db

HOME_SOURCE = "https://igcts.com/?p=5848"


@pytest.fixture
def second_reviewer(db):
    return make_user("rob", "Reviewer")


def text(response) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))


def imported(foi_request, user, rows=None):
    rows = rows or [row(force="Kent", count="4", source_urls="https://example.org/kent")]
    spreadsheet = spreadsheet_read(name="study.csv", data=csv_bytes(rows))
    return foi_return_import(plan=import_plan(foi_request=foi_request, spreadsheet=spreadsheet), user=user)


def approved_kent(foi_request, editor, reviewer) -> FoiReturn:
    imported(foi_request, editor)
    result = foi_returns_approve(foi_returns=FoiReturn.objects.filter(request=foi_request), user=reviewer)
    assert len(result.approved) == 1
    return FoiReturn.objects.get(request=foi_request)


def source_form(source, **changes) -> dict:
    values = {
        "url": source.url,
        "title": source.title,
        "publisher": source.publisher,
        "kind": source.kind,
        "notes": source.notes,
    }
    return values | changes


# --- Admin path ------------------------------------------------------------------------------


def test_editor_changing_a_cited_source_url_waits_for_review(client, editor_client, editor, reviewer):
    source = Source.objects.get(url=HOME_SOURCE)
    assert is_public(source)
    response = editor_client.post(
        f"/admin/cases/source/{source.pk}/change/",
        source_form(source, url="https://attacker.example/"),
        follow=True,
    )
    change = ChangeRequest.objects.get()
    assert (
        f"Source “{source}” is public: your change waits for review as change {change.pk}. "
        "The public pages keep the approved version until another reviewer approves it."
    ) in text(response)
    assert "was changed successfully" not in text(response)
    source.refresh_from_db()
    assert source.url == HOME_SOURCE
    assert "attacker.example" not in client.get("/").content.decode()
    assert (change.action, change.values, change.before) == (
        "change",
        {"url": "https://attacker.example/"},
        {"url": HOME_SOURCE},
    )

    reviewer_client = editor_client
    reviewer_client.force_login(reviewer)
    response = reviewer_client.post(
        "/admin/cases/changerequest/",
        {"action": "approve", "_selected_action": [change.pk], "index": 0},
        follow=True,
    )
    assert f"Change {change.pk}: change source “{source}”: approved, now public." in text(response)
    source.refresh_from_db()
    assert source.url == "https://attacker.example/"
    assert "https://attacker.example/" in client.get("/").content.decode()


def test_editor_changing_an_approved_requests_title_keeps_the_public_title(
    client, editor_client, foi_request, editor, reviewer
):
    approved_kent(foi_request, editor, reviewer)
    page = editor_client.get(f"/admin/cases/foirequest/{foi_request.pk}/change/")
    assert page.status_code == 200
    kent = FoiReturn.objects.get(request=foi_request)
    form = {
        "slug": foi_request.slug,
        "title": "Renamed by an editor",
        "period_label": foi_request.period_label,
        "year_basis": foi_request.year_basis,
        "unit": foi_request.unit,
        "counting_unit": foi_request.counting_unit,
        "returns-TOTAL_FORMS": 1,
        "returns-INITIAL_FORMS": 1,
        "returns-0-id": kent.pk,
        "returns-0-request": foi_request.pk,
        "returns-0-force": kent.force_id,
        "returns-0-status": kent.status,
    }
    response = editor_client.post(f"/admin/cases/foirequest/{foi_request.pk}/change/", form)
    assert response.status_code == 302
    foi_request.refresh_from_db()
    kent.refresh_from_db()
    assert foi_request.title == "Test study 2024"
    assert kent.is_approved  # still public, as approved, while the change waits
    assert "Test study 2024" in client.get(f"/requests/{foi_request.slug}/").content.decode()
    assert ChangeRequest.objects.get().values == {"title": "Renamed by an editor"}


def test_editor_changing_a_line_of_an_approved_return_leaves_it_approved(
    editor_client, foi_request, editor, reviewer, second_reviewer
):
    kent = approved_kent(foi_request, editor, reviewer)
    line = kent.lines.get()
    response = editor_client.post(
        f"/admin/cases/caseline/{line.pk}/change/",
        {
            "foi_return": kent.pk,
            "count": 5,
            "sources": list(line.sources.values_list("pk", flat=True)),
            "role": "not_stated",
            "offence": "not_stated",
            "system": "not_stated",
            "outcome": "not_stated",
            "criminal_outcome": "not_stated",
            "basis": "stated",
        },
    )
    assert response.status_code == 302
    line.refresh_from_db()
    kent.refresh_from_db()
    assert (line.count, kent.is_approved) == (4, True)
    change = ChangeRequest.objects.get()
    assert change.values == {"count": 5}
    change_request_approve(change_request=change, user=second_reviewer)
    line.refresh_from_db()
    assert line.count == 5
    assert line.history.latest().history_user == User.objects.get(username="eddie")


def test_deleting_a_public_source_or_return_is_a_reviewed_change(
    editor_client, foi_request, editor, reviewer
):
    kent = approved_kent(foi_request, editor, reviewer)
    response = editor_client.post(f"/admin/cases/foireturn/{kent.pk}/delete/", {"post": "yes"}, follow=True)
    assert f"your deletion waits for review as change {ChangeRequest.objects.get().pk}" in text(response)
    assert "was deleted successfully" not in text(response)
    assert FoiReturn.objects.filter(pk=kent.pk).exists()
    source = Source.objects.get(url="https://example.org/kent")
    editor_client.post(f"/admin/cases/source/{source.pk}/delete/", {"post": "yes"})
    assert Source.objects.filter(pk=source.pk).exists()
    assert sorted(ChangeRequest.objects.values_list("action", flat=True)) == ["delete", "delete"]
    second = make_user("rob", "Reviewer")
    deletion = ChangeRequest.objects.get(object_id=kent.pk)
    change_request_approve(change_request=deletion, user=second)
    assert not FoiReturn.objects.filter(pk=kent.pk).exists()


def test_draft_content_is_edited_at_once(editor_client, foi_request, editor):
    imported(foi_request, editor)
    kent = FoiReturn.objects.get(request=foi_request)
    line = kent.lines.get()
    record_save(instance=CaseLine(foi_return=kent, count=2), user=editor)
    line.count = 7
    assert not record_save(instance=line, user=editor).pending
    assert sorted(kent.lines.values_list("count", flat=True)) == [2, 7]
    assert not record_delete(instance=kent, user=editor).pending
    assert not ChangeRequest.objects.exists()


def test_adding_a_line_to_an_approved_return_through_the_admin_waits(
    editor_client, foi_request, editor, reviewer
):
    kent = approved_kent(foi_request, editor, reviewer)
    response = editor_client.post(
        "/admin/cases/caseline/add/",
        {
            "foi_return": kent.pk,
            "count": 9,
            "role": "officer",
            "offence": "not_stated",
            "system": "not_stated",
            "outcome": "dismissed",
            "criminal_outcome": "not_stated",
            "basis": "stated",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert kent.lines.count() == 1
    assert ChangeRequest.objects.get().action == "create"


# --- Four eyes and sources -----------------------------------------------------------------


def test_nobody_approves_their_own_edit(foi_request, reviewer, second_reviewer):
    source = Source.objects.get(url=HOME_SOURCE)
    source.title = "Retitled by a reviewer"
    change = record_save(instance=source, user=reviewer).change_request
    with pytest.raises(
        PublishingRefused, match=r"You submitted this change: another reviewer must approve it"
    ):
        change_request_approve(change_request=change, user=reviewer)
    change_request_approve(change_request=change, user=second_reviewer)
    assert Source.objects.get(pk=source.pk).title == "Retitled by a reviewer"


def test_superuser_is_four_eyes_too_unless_the_setting_allows(superuser, settings):
    source = Source.objects.get(url=HOME_SOURCE)
    source.title = "Retitled by the superuser"
    change = record_save(instance=source, user=superuser).change_request
    with pytest.raises(PublishingRefused):
        change_request_approve(change_request=change, user=superuser)
    settings.PUBLISHING_ALLOW_SELF_APPROVAL = True
    change_request_approve(change_request=change, user=superuser)
    assert Source.objects.get(pk=source.pk).title == "Retitled by the superuser"


def test_editor_and_reviewer_in_one_cannot_approve_their_own_import(client, foi_request, second_reviewer):
    both = make_user("bea", "Editor")
    both.groups.add(Group.objects.get(name="Reviewer"))
    imported(foi_request, both)
    client.force_login(both)
    kent = FoiReturn.objects.get(request=foi_request)
    response = client.post(
        "/admin/cases/foireturn/",
        {"action": "approve", "_selected_action": [kent.pk], "index": 0},
        follow=True,
    )
    assert (
        "“Test study 2024 — Kent Police” was not approved: you imported or edited it: another reviewer must "
        "approve it (four eyes)."
    ) in text(response)
    kent.refresh_from_db()
    assert not kent.is_approved
    assert (
        len(
            foi_returns_approve(
                foi_returns=FoiReturn.objects.filter(pk=kent.pk), user=second_reviewer
            ).approved
        )
        == 1
    )


def test_reviewer_who_edited_a_draft_cannot_approve_it(foi_request, reviewer, second_reviewer):
    imported(foi_request, None)
    kent = FoiReturn.objects.get(request=foi_request)
    kent.notes = "checked against the reply"
    record_save(instance=kent, user=reviewer)
    assert foi_returns_approve(foi_returns=FoiReturn.objects.filter(pk=kent.pk), user=reviewer).approved == []
    assert foi_returns_approve(
        foi_returns=FoiReturn.objects.filter(pk=kent.pk), user=second_reviewer
    ).approved


def test_a_return_without_a_source_is_not_approved(reviewer_client, foi_request):
    imported(foi_request, None, [row(force="Kent", count="4")])
    kent = FoiReturn.objects.get(request=foi_request)
    response = reviewer_client.post(
        "/admin/cases/foireturn/",
        {"action": "approve", "_selected_action": [kent.pk], "index": 0},
        follow=True,
    )
    assert (
        "“Test study 2024 — Kent Police” was not approved: it cites no source: add the reply's address to the "
        "return or every line."
    ) in text(response)
    assert not FoiReturn.objects.get(pk=kent.pk).is_approved


# --- Shell and commands ----------------------------------------------------------------------


def test_shell_write_to_a_published_figure_waits_for_review(editor, second_reviewer):
    figure = ReportedFigure.objects.filter(value__isnull=False).first()
    old = figure.value
    figure.value = old + 1000
    recorded = record_save(instance=figure, user=editor)
    assert recorded.pending
    assert ReportedFigure.objects.get(pk=figure.pk).value == old
    change_request_reject(
        change_request=recorded.change_request, user=second_reviewer, note="no source says so"
    )
    assert ReportedFigure.objects.get(pk=figure.pk).value == old
    with pytest.raises(PublishingRefused, match="rejected already"):
        change_request_approve(change_request=recorded.change_request, user=second_reviewer)


def test_a_review_state_cannot_be_edited_past_the_gate(foi_request, editor):
    imported(foi_request, editor)
    kent = FoiReturn.objects.get(request=foi_request)
    kent.review_state = "approved"
    with pytest.raises(PublishingRefused, match="reviewer's decision"):
        record_save(instance=kent, user=editor)
    assert not FoiReturn.objects.get(pk=kent.pk).is_approved


def test_a_stale_change_is_refused_not_applied_over_a_newer_one(editor, reviewer, second_reviewer):
    source = Source.objects.get(url=HOME_SOURCE)
    first, second = Source.objects.get(pk=source.pk), Source.objects.get(pk=source.pk)
    first.title, second.title = "First", "Second"
    one = record_save(instance=first, user=editor).change_request
    two = record_save(instance=second, user=editor).change_request
    change_request_approve(change_request=one, user=reviewer)
    with pytest.raises(PublishingRefused, match="has changed since it was submitted"):
        change_request_approve(change_request=two, user=reviewer)
    assert Source.objects.get(pk=source.pk).title == "First"


def test_an_invalid_change_is_refused_at_approval_with_the_models_message(editor, reviewer):
    foi_request = FoiRequest.objects.public().first()
    foi_request.forces_asked, foi_request.forces_answered = 1, 99
    change = record_save(instance=foi_request, user=editor).change_request
    with pytest.raises(PublishingRefused, match="More forces cannot answer than were asked"):
        change_request_approve(change_request=change, user=reviewer)
    assert ChangeRequest.objects.get(pk=change.pk).is_pending


def test_command_import_by_a_reviewer_needs_another_reviewer(
    foi_request, reviewer, second_reviewer, tmp_path
):
    path = tmp_path / "kent.csv"
    path.write_bytes(csv_bytes([row(force="Kent", count="4", source_urls="https://example.org/kent")]))
    call_command("import_foi_return", str(path), request=foi_request.slug, user="rita", no_progress=True)
    drafts = FoiReturn.objects.filter(request=foi_request)
    assert foi_returns_approve(foi_returns=drafts, user=reviewer).approved == []
    assert len(foi_returns_approve(foi_returns=drafts, user=second_reviewer).approved) == 1


def test_editor_cannot_approve_changes(client, editor):
    source = Source.objects.get(url=HOME_SOURCE)
    source.title = "x"
    change = record_save(instance=source, user=editor).change_request
    other_editor = User.objects.create_user("ed2", password=PASSWORD, is_staff=True)
    other_editor.groups.add(Group.objects.get(name="Editor"))
    with pytest.raises(PublishingRefused, match="Only a reviewer"):
        change_request_approve(change_request=change, user=other_editor)
    client.force_login(other_editor)
    client.post(
        "/admin/cases/changerequest/", {"action": "approve", "_selected_action": [change.pk], "index": 0}
    )
    assert ChangeRequest.objects.get(pk=change.pk).is_pending
