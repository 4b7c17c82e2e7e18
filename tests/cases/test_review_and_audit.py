"""Only approved returns are public; every change leaves a history row; an import rolls back whole."""

import re
from html import unescape

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from cases.imports import import_plan, spreadsheet_read
from cases.models import CaseLine, ChangeRequest, FoiReturn, ImportBatch, Source
from cases.publishing import PublishingRefused, change_request_approve
from cases.roles import GROUP_PERMISSIONS
from cases.services import foi_return_import, foi_returns_approve, import_batch_rollback
from forces.models import Force
from tests.cases.conftest import GOOD_ROWS, csv_bytes, row

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/cases/foireturn/"


def imported(foi_request, rows=GOOD_ROWS, user=None, name="study.csv"):
    spreadsheet = spreadsheet_read(name=name, data=csv_bytes(rows))
    return foi_return_import(plan=import_plan(foi_request=foi_request, spreadsheet=spreadsheet), user=user)


def in_case_lines(client, slug: str) -> str:
    page = client.get("/").content.decode()
    body = re.search(rf'<tr data-request="{slug}">(.*?)</tr>', page, re.S).group(1)
    cells = [
        re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", c))).strip()
        for c in re.findall(r"<td[^>]*>(.*?)</td>", body, re.S)
    ]
    return cells[3]


def test_groups_and_their_permissions_exist_after_migrate():
    for name, wanted in GROUP_PERMISSIONS.items():
        group = Group.objects.get(name=name)
        assert sorted(group.permissions.values_list("content_type__app_label", "codename")) == sorted(wanted)
    assert "approve_foireturn" not in Group.objects.get(name="Editor").permissions.values_list(
        "codename", flat=True
    )
    assert Group.objects.get(name="Viewer").permissions.exclude(codename__startswith="view_").count() == 0


def test_drafts_never_reach_the_public_pages(client, foi_request, reviewer):
    imported(foi_request)
    assert FoiReturn.objects.public().filter(request=foi_request).count() == 0
    assert CaseLine.objects.public().filter(foi_return__request=foi_request).count() == 0
    # Nothing of a request with only drafts is public: not its row, its page, nor its filter value.
    assert f'data-request="{foi_request.slug}"' not in client.get("/").content.decode()
    assert client.get(f"/requests/{foi_request.slug}/").status_code == 404
    assert client.get(f"/dashboard/?study={foi_request.slug}").status_code == 400

    foi_returns_approve(foi_returns=FoiReturn.objects.filter(request=foi_request), user=reviewer)
    assert (
        in_case_lines(client, foi_request.slug) == "at least 6"
    )  # no total is published for it, so 6 is a lower bound
    assert client.get(f"/requests/{foi_request.slug}/").status_code == 200


def test_reference_data_returns_are_approved():
    assert not FoiReturn.objects.drafts().exists()
    assert FoiReturn.objects.public().filter(request__slug="parliament-street-2019").count() == 11


def test_reviewer_approves_with_the_admin_action(reviewer_client, foi_request, reviewer):
    imported(foi_request)
    ids = list(FoiReturn.objects.filter(request=foi_request).values_list("pk", flat=True))
    response = reviewer_client.post(
        CHANGELIST, {"action": "approve", "_selected_action": ids, "index": 0}, follow=True
    )
    assert "3 returns approved: now on the public pages." in response.content.decode()
    approved = FoiReturn.objects.filter(request=foi_request)
    assert {(r.review_state, r.approved_by) for r in approved} == {("approved", reviewer)}
    # The Met's reply says 5 and its lines hold 5: no warning. None of the others states a total.
    assert "Warning" not in response.content.decode()


def test_approving_a_return_that_does_not_add_up_warns_but_approves(reviewer_client, foi_request):
    imported(
        foi_request,
        [row(force="Kent", reported_total="10", count="4", source_urls="https://example.org/kent")],
    )
    kent = FoiReturn.objects.get(request=foi_request)
    response = reviewer_client.post(
        CHANGELIST, {"action": "approve", "_selected_action": [kent.pk], "index": 0}, follow=True
    )
    page = unescape(response.content.decode())
    assert (
        "Test study 2024 — Kent Police: The lines add up to 4, but the return reports 10: 6 not in any line. "
        "Add the missing lines, or a line with basis “Remainder” for the part the reply does not describe."
    ) in page
    kent.refresh_from_db()
    assert kent.review_state == "approved"


def test_editor_cannot_approve(editor_client, foi_request):
    imported(foi_request)
    ids = list(FoiReturn.objects.filter(request=foi_request).values_list("pk", flat=True))
    response = editor_client.get(CHANGELIST)
    assert 'value="approve"' not in response.content.decode()
    editor_client.post(CHANGELIST, {"action": "approve", "_selected_action": ids, "index": 0})
    assert not FoiReturn.objects.public().filter(request=foi_request).exists()


def test_import_leaves_history_naming_the_batch_and_user(foi_request, editor):
    batch = imported(foi_request, user=editor)
    kent_like = FoiReturn.objects.get(request=foi_request, force__slug="metropolitan")
    created = kent_like.history.get(history_type="+")
    assert (created.via, created.import_batch_id, created.history_user) == ("import", batch.pk, editor)
    line_history = CaseLine.history.filter(import_batch_id=batch.pk, history_type="+")
    assert line_history.count() == 3


def test_admin_change_is_recorded_with_user_and_before_and_after(editor_client, editor, reviewer):
    source = Source.objects.get(url="https://igcts.com/?p=5848")
    old_title = source.title
    response = editor_client.post(
        f"/admin/cases/source/{source.pk}/change/",
        {
            "url": source.url,
            "title": "IGCTS (renamed)",
            "publisher": source.publisher,
            "kind": source.kind,
            "notes": source.notes,
        },
    )
    assert response.status_code == 302
    # The source is public: the change waits for a reviewer, then is recorded as the editor's.
    change_request_approve(change_request=ChangeRequest.objects.get(), user=reviewer)
    latest = source.history.latest()
    assert (latest.history_type, latest.via, latest.history_user) == ("~", "admin", editor)
    assert latest.history_change_reason == f"Change {ChangeRequest.objects.get().pk}, approved by rita"
    page = unescape(editor_client.get(f"/admin/cases/source/{source.pk}/history/").content.decode())
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page))
    assert f"Changed eddie Admin Title: {old_title} → IGCTS (renamed)" in text


def test_rollback_removes_the_batch_as_one_unit_and_keeps_history(foi_request, editor):
    before = (FoiReturn.objects.count(), CaseLine.objects.count(), Source.objects.count())
    batch = imported(foi_request, user=editor)
    rollback = import_batch_rollback(batch=batch, user=editor)
    assert (rollback.counts, rollback.pending) == ({"returns": 3, "lines": 3, "sources": 1}, False)
    assert (FoiReturn.objects.count(), CaseLine.objects.count(), Source.objects.count()) == before
    batch.refresh_from_db()
    assert (batch.state, batch.rolled_back_by) == ("rolled_back", editor)
    deleted = FoiReturn.history.filter(import_batch_id=batch.pk, history_type="-")
    assert deleted.count() == 3 and {h.via for h in deleted} == {"rollback"}
    # Once rolled back, the same file may come in again.
    again = imported(foi_request, user=editor)
    assert again.pk != batch.pk


def test_rollback_keeps_a_source_something_else_now_cites(foi_request, editor):
    batch = imported(foi_request, user=editor)
    source = Source.objects.get(import_batch=batch)
    foi_request.sources.add(source)
    assert import_batch_rollback(batch=batch, user=editor).counts["sources"] == 0
    source.refresh_from_db()
    assert source.import_batch is None


def test_rollback_through_the_admin(editor_client, foi_request, editor):
    batch = imported(foi_request, user=editor)
    url = f"/admin/cases/importbatch/{batch.pk}/rollback/"
    page = editor_client.get(url).content.decode()
    assert f"Yes, roll back import {batch.pk}" in page
    response = editor_client.post(url, follow=True)
    assert (
        f"Rolled back import {batch.pk}: deleted 3 returns, 3 case lines and 1 sources it created. "
        "The history keeps what they were."
    ) in unescape(response.content.decode())
    assert not FoiReturn.objects.filter(request=foi_request).exists()


def test_rolling_back_public_returns_waits_for_a_second_reviewer(
    client, editor_client, foi_request, editor, reviewer
):
    batch = imported(foi_request, user=editor)
    foi_returns_approve(foi_returns=FoiReturn.objects.filter(request=foi_request), user=reviewer)
    response = editor_client.post(f"/admin/cases/importbatch/{batch.pk}/rollback/", follow=True)
    change = ChangeRequest.objects.get()
    assert (
        f"Import {batch.pk} holds public returns: rolling it back waits for review as change {change.pk}. "
        "The public pages keep them until another reviewer approves it."
    ) in unescape(response.content.decode())
    # Held: the public still sees the import's lines, and the batch is not rolled back.
    assert in_case_lines(client, foi_request.slug) == "at least 6"
    assert FoiReturn.objects.public().filter(request=foi_request).count() == 3
    assert ImportBatch.objects.get(pk=batch.pk).state != ImportBatch.State.ROLLED_BACK
    # Asking again while it waits is refused, with where to look.
    with pytest.raises(PublishingRefused, match=f"waiting for review already \\(Change {change.pk}"):
        import_batch_rollback(batch=batch, user=editor)
    page = editor_client.get(f"/admin/cases/changerequest/{change.pk}/change/")
    assert (
        "The import is rolled back: its returns (public ones leave the site), every line in them and the "
        "sources only it cites are deleted. See the import."
    ) in re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", page.content.decode())))
    # The reviewer (a second person) approves it: then it is rolled back as one unit.
    change_request_approve(change_request=change, user=reviewer)
    assert not FoiReturn.objects.filter(request=foi_request).exists()
    batch.refresh_from_db()
    assert (batch.state, batch.rolled_back_by) == ("rolled_back", editor)
    assert f'data-request="{foi_request.slug}"' not in client.get("/").content.decode()


def test_a_reviewer_cannot_roll_back_public_returns_alone(foi_request, editor, reviewer):
    batch = imported(foi_request, user=editor)
    foi_returns_approve(foi_returns=FoiReturn.objects.filter(request=foi_request), user=reviewer)
    rollback = import_batch_rollback(batch=batch, user=reviewer)
    assert rollback.pending and rollback.counts == {"returns": 0, "lines": 0, "sources": 0}
    with pytest.raises(
        PublishingRefused, match="You submitted this change: another reviewer must approve it"
    ):
        change_request_approve(change_request=rollback.change_request, user=reviewer)
    assert FoiReturn.objects.public().filter(request=foi_request).count() == 3


def test_rollback_from_the_shell_needs_a_user_allowed_to_roll_back(foi_request, editor, viewer):
    batch = imported(foi_request, user=editor)
    for user in (None, viewer):
        with pytest.raises(PublishingRefused, match="Only an editor or a reviewer can roll back an import."):
            import_batch_rollback(batch=batch, user=user)
    assert FoiReturn.objects.filter(request=foi_request).count() == 3


def test_loader_history_says_loader_and_second_load_writes_none():
    assert set(Force.history.values_list("via", flat=True)) == {"loader"}
    rows = FoiReturn.history.count()
    call_command("load_reference_data")
    assert FoiReturn.history.count() == rows


def test_command_imports_with_progress_and_dry_run(foi_request, editor, tmp_path, capsys):
    path = tmp_path / "study.csv"
    path.write_bytes(csv_bytes(GOOD_ROWS))
    call_command("import_foi_return", str(path), request=foi_request.slug, dry_run=True)
    out = capsys.readouterr()
    assert out.out.splitlines() == [
        "study.csv: would import 3 returns, 3 case lines (6 people) into “Test study 2024”.",
        "Dry run: everything checked, nothing was written.",
    ]
    assert not ImportBatch.objects.exists() and not FoiReturn.objects.filter(request=foi_request).exists()

    call_command("import_foi_return", str(path), request=foi_request.slug, user="eddie")
    out = capsys.readouterr()
    batch = ImportBatch.objects.get()
    assert out.out.splitlines() == [
        f"study.csv: import {batch.pk}, 3 returns, 3 case lines (6 people) into “Test study 2024”.",
        "Imported 1 file as drafts: approve the returns in the admin to publish them.",
    ]
    assert out.err.endswith("study.csv [##############################] 3/3 lines\n")
    assert (batch.via, batch.imported_by) == ("command", editor)


def test_command_with_a_bad_row_writes_nothing_from_any_file(foi_request, editor, tmp_path):
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_bytes(csv_bytes([row(force="Kent", count="1")]))
    bad.write_bytes(csv_bytes([row(force="Surrey", count="x")]))
    with pytest.raises(CommandError) as error:
        call_command("import_foi_return", str(good), str(bad), request=foi_request.slug, user="eddie")
    assert str(error.value) == (
        "Nothing was imported: 1 row error in “bad.csv”:\nRow 2, column “count”: “x” is not a whole number: "
        "enter how many people the line counts, in digits."
    )
    assert not ImportBatch.objects.exists() and not FoiReturn.objects.filter(request=foi_request).exists()
