"""The publishing gate, path by path: what a second person must see before the public does."""

import re
from html import unescape

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from cases.models import CaseLine, ChangeRequest, FoiRequest, FoiReturn, ImportBatch, ReportedFigure, Source
from cases.publishing import (
    PublishingRefused,
    change_request_approve,
    foi_returns_approve,
    foi_returns_withdraw,
    record_delete,
    record_save,
)
from forces.models import Force, WorkforceSnapshot
from tests.cases.conftest import csv_bytes, make_user, row

pytestmark = pytest.mark.django_db

# Public return 28 of the reference data: no lines, two sources.
CLEVELAND_2011 = "Big Brother Watch: Police databases — how over 900 staff abuse their access (July 2011)"


def text(response) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))


@pytest.fixture
def second_reviewer(db):
    return make_user("rob", "Reviewer")


@pytest.fixture
def both(db):
    user = make_user("bea", "Editor")
    user.groups.add(Group.objects.get(name="Reviewer"))
    return user


def draft_return_by(editor, slug="gate-study") -> FoiReturn:
    """A new request, a source and a draft return citing it, all written by `editor`."""
    foi_request = FoiRequest(
        slug=slug, title="Gate study", period_label="2024", counting_unit="people disciplined"
    )
    record_save(instance=foi_request, user=editor)
    source = Source(
        url=f"https://example.org/{slug}", title="Reply", publisher="Kent Police", kind="foi_response"
    )
    record_save(instance=source, user=editor)
    foi_return = FoiReturn(request=foi_request, force=Force.objects.get(slug="kent"), status="answered")
    record_save(instance=foi_return, user=editor, m2m={"sources": [source]})
    return foi_return


def approve(foi_return, user):
    return foi_returns_approve(foi_returns=FoiReturn.objects.filter(pk=foi_return.pk), user=user)


# --- Four eyes covers everything an approval publishes ------------------------------------


def test_whoever_edited_a_draft_source_the_return_cites_cannot_approve_it(
    client, editor, both, second_reviewer
):
    foi_return = draft_return_by(editor)
    source = foi_return.sources.get()
    source.url = "https://evil.example.com/a"
    assert not record_save(instance=source, user=both).pending  # a draft source: written at once
    result = approve(foi_return, both)
    assert result.approved == []
    assert result.refused == [
        (foi_return, "you imported or edited it: another reviewer must approve it (four eyes)")
    ]
    assert "evil.example.com" not in client.get("/sources/").content.decode()
    assert not FoiReturn.objects.public().filter(pk=foi_return.pk).exists()
    # A second person sees it and approves: only now is it public.
    assert approve(foi_return, second_reviewer).approved == [foi_return]


def test_whoever_retitled_the_draft_request_cannot_approve_its_first_return(editor, both, second_reviewer):
    foi_return = draft_return_by(editor)
    foi_request = FoiRequest.objects.get(pk=foi_return.request_id)
    foi_request.title = "Retitled by bea"
    record_save(instance=foi_request, user=both)
    assert approve(foi_return, both).approved == []
    assert approve(foi_return, second_reviewer).approved == [foi_return]


def test_whoever_edited_a_source_only_a_line_cites_cannot_approve(
    foi_request, editor, both, second_reviewer, tmp_path
):
    path = tmp_path / "kent.csv"
    path.write_bytes(csv_bytes([row(force="Kent", count="4", source_urls="https://example.org/line")]))
    call_command("import_foi_return", str(path), request=foi_request.slug, user="eddie", no_progress=True)
    source = Source.objects.get(url="https://example.org/line")
    source.title = "Edited by bea"
    record_save(instance=source, user=both)
    kent = FoiReturn.objects.get(request=foi_request)
    assert approve(kent, both).approved == []
    assert approve(kent, second_reviewer).approved == [kent]


def test_a_change_a_second_person_approved_does_not_bar_its_author_later(editor, both, second_reviewer):
    """What a second person approved already is not the author's alone any more."""
    foi_return = draft_return_by(editor)
    assert approve(foi_return, second_reviewer).approved == [foi_return]
    foi_return.refresh_from_db()
    foi_return.notes = "Checked against the reply by bea"
    change = record_save(instance=foi_return, user=both).change_request
    change_request_approve(change_request=change, user=second_reviewer)
    foi_returns_withdraw(foi_returns=FoiReturn.objects.filter(pk=foi_return.pk), user=second_reviewer)
    assert approve(foi_return, both).approved == [foi_return]


# --- A public return keeps a source --------------------------------------------------------


def cleveland_2011() -> FoiReturn:
    """A public return cited by two sources, its lines (which carry sources of their own) taken out
    for the test, so that the return's own sources are all it cites."""
    foi_return = FoiReturn.objects.get(request__title=CLEVELAND_2011, force__slug="cleveland")
    CaseLine.objects.filter(foi_return=foi_return).delete()
    return foi_return


def test_a_change_removing_every_source_of_a_public_return_is_refused(client, editor, reviewer):
    foi_return = cleveland_2011()
    urls = sorted(foi_return.sources.values_list("url", flat=True))
    change = record_save(instance=foi_return, user=editor, m2m={"sources": []}).change_request
    with pytest.raises(PublishingRefused) as refused:
        change_request_approve(change_request=change, user=reviewer)
    assert str(refused.value) == (
        f"{change} cannot be applied: the public return “{foi_return}” would cite no source. "
        "Add a source to the return (or to every line) first, or withdraw it."
    )
    assert sorted(foi_return.sources.values_list("url", flat=True)) == urls
    assert ChangeRequest.objects.get(pk=change.pk).is_pending


def test_deleting_the_last_source_of_a_public_return_is_refused(reviewer_client, editor):
    foi_return = cleveland_2011()
    first, second = foi_return.sources.order_by("pk")
    # Another return and figures cite them too: take those citations out of the way.
    ReportedFigure.objects.filter(source__in=[first, second]).delete()
    FoiReturn.sources.through.objects.filter(source__in=[first, second]).exclude(
        foireturn_id=foi_return.pk
    ).delete()
    FoiRequest.sources.through.objects.filter(source__in=[first, second]).delete()
    change_request_approve(
        change_request=record_delete(instance=first, user=editor).change_request,
        user=make_user("rob", "Reviewer"),
    )
    change = record_delete(instance=second, user=editor).change_request
    response = reviewer_client.post(
        "/admin/cases/changerequest/",
        {"action": "approve", "_selected_action": [change.pk], "index": 0},
        follow=True,
    )
    assert response.status_code == 200
    assert f"the public return “{foi_return}” would cite no source" in text(response)
    assert list(foi_return.sources.all()) == [second]


# --- Deletions the database would refuse -----------------------------------------------------


def test_deleting_a_source_figures_cite_is_refused_when_asked(editor):
    figure = ReportedFigure.objects.select_related("source").first()
    with pytest.raises(
        PublishingRefused, match="cannot be deleted: .* still depend on it .*Change or delete"
    ):
        record_delete(instance=figure.source, user=editor)
    assert not ChangeRequest.objects.exists()


def test_a_deletion_the_database_refuses_at_approval_is_a_message_not_a_500(
    reviewer_client, editor, second_reviewer
):
    foi_return = draft_return_by(editor)
    approve(foi_return, second_reviewer)
    source = foi_return.sources.get()
    deletion = record_delete(instance=source, user=editor).change_request
    other_source = Source.objects.get(url="https://igcts.com/?p=5848")
    other = Source.objects.get(url="https://igcts.com/?p=5848")
    other.title = "Retitled"
    edit = record_save(instance=other, user=editor).change_request
    # Since the deletion was asked for, a figure started citing the source.
    figure = ReportedFigure.objects.first()
    ReportedFigure.objects.filter(pk=figure.pk).update(source=source)
    response = reviewer_client.post(
        "/admin/cases/changerequest/",
        {"action": "approve", "_selected_action": [deletion.pk, edit.pk], "index": 0},
        follow=True,
    )
    assert response.status_code == 200
    assert f"{deletion} cannot be applied: other rows still depend on it." in text(response)
    assert f"{edit}: approved, now public." in text(response)
    assert Source.objects.filter(pk=source.pk).exists()
    assert ChangeRequest.objects.get(pk=deletion.pk).is_pending
    assert Source.objects.get(pk=other_source.pk).title == "Retitled"


# --- Withdrawing, importing ------------------------------------------------------------------


def test_an_editor_cannot_withdraw_a_public_return_from_the_shell(client, editor):
    foi_return = cleveland_2011()
    with pytest.raises(PublishingRefused, match="Only a reviewer can withdraw a return from publication."):
        foi_returns_withdraw(foi_returns=FoiReturn.objects.filter(pk=foi_return.pk), user=editor)
    assert FoiReturn.objects.public().filter(pk=foi_return.pk).exists()


def test_the_import_command_needs_a_user_to_write(foi_request, tmp_path):
    path = tmp_path / "kent.csv"
    path.write_bytes(csv_bytes([row(force="Kent", count="4", source_urls="https://example.org/kent")]))
    with pytest.raises(CommandError) as error:
        call_command("import_foi_return", str(path), request=foi_request.slug, no_progress=True)
    assert str(error.value) == (
        "Nothing was imported: give --user USERNAME, the person the import is recorded against (another "
        "reviewer approves it: four eyes). A --dry-run needs no user."
    )
    assert not ImportBatch.objects.exists()


# --- Forces and workforce --------------------------------------------------------------------


def force_form(force, **changes) -> dict:
    fields = ["slug", "name", "short_name", "country", "region", "kind", "ons_code", "data_police_uk_id"]
    values = {name: getattr(force, name) for name in fields} | {"source_note": force.source_note}
    management = {
        "workforce-TOTAL_FORMS": "0",
        "workforce-INITIAL_FORMS": "0",
        "workforce-MIN_NUM_FORMS": "0",
        "workforce-MAX_NUM_FORMS": "1000",
    }
    return values | management | changes


def test_a_superuser_renaming_a_force_waits_for_a_second_person(client, superuser, reviewer):
    cumbria = Force.objects.get(slug="cumbria")
    client.force_login(superuser)
    response = client.post(
        f"/admin/forces/force/{cumbria.pk}/change/",
        force_form(cumbria, name="Cumbria Constabulary (EDITED BY ONE PERSON)"),
        follow=True,
    )
    change = ChangeRequest.objects.get()
    assert f"your change waits for review as change {change.pk}" in text(response)
    assert "EDITED BY ONE PERSON" not in client.get("/forces/cumbria/").content.decode()
    with pytest.raises(PublishingRefused, match="four eyes"):
        change_request_approve(change_request=change, user=superuser)
    change_request_approve(change_request=change, user=reviewer)
    assert "EDITED BY ONE PERSON" in client.get("/forces/cumbria/").content.decode()


def test_a_workforce_number_edit_waits_for_review(client, editor, reviewer):
    snapshot = WorkforceSnapshot.objects.get(force__slug="surrey", date="2019-03-31", measure="headcount")
    snapshot.total = 1
    recorded = record_save(instance=snapshot, user=editor)
    assert recorded.pending
    assert WorkforceSnapshot.objects.get(pk=snapshot.pk).total == 3728
    with pytest.raises(PublishingRefused, match="cannot be deleted"):
        record_delete(instance=Force.objects.get(slug="surrey"), user=editor)
    change_request_approve(change_request=recorded.change_request, user=reviewer)
    assert WorkforceSnapshot.objects.get(pk=snapshot.pk).total == 1
