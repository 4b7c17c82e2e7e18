"""The reference-data loader and the publishing gate: it never undoes a review, and adds or
removes public content only through a change request another person approves."""

import shutil

import pytest
from django.core.management import call_command

from cases.models import ChangeRequest, FoiReturn, ReportedFigure, Source
from cases.publishing import change_request_approve, record_delete, record_save
from forces.models import Force
from tests.cases.conftest import make_user
from tests.conftest import FIXTURES_DIR

pytestmark = pytest.mark.django_db

KEPT = "kept: changed in review since the last load"
NEWSSNIFFER = "https://www.newssniffer.co.uk/articles/753248/versions/1765009"
CLEVELAND_2011 = "Big Brother Watch: Police databases — how over 900 staff abuse their access (July 2011)"


@pytest.fixture
def fixtures_copy(tmp_path):
    target = tmp_path / "fixtures"
    shutil.copytree(FIXTURES_DIR, target)
    return target


@pytest.fixture
def reviewed(editor, reviewer):
    """Submit a change as the editor and have the reviewer approve it."""

    def apply(recorded):
        change_request_approve(change_request=recorded.change_request, user=reviewer)

    return apply


def load(capsys, **options) -> list[str]:
    call_command("load_reference_data", **options)
    return capsys.readouterr().out.splitlines()


def test_the_loader_keeps_a_force_renamed_in_review(client, capsys, editor, reviewed):
    cumbria = Force.objects.get(slug="cumbria")
    cumbria.name = "Cumbria Constabulary (renamed in review)"
    reviewed(record_save(instance=cumbria, user=editor))
    out = load(capsys)
    assert f"forces: 47 unchanged, 1 {KEPT}" in out
    assert out[-1] == "Already up to date."
    assert Force.objects.get(slug="cumbria").name == "Cumbria Constabulary (renamed in review)"
    assert "Cumbria Constabulary (renamed in review)" in client.get("/forces/cumbria/").content.decode()


def test_the_loader_does_not_bring_back_a_source_deleted_in_review(capsys, editor, reviewed):
    source = Source.objects.get(url=NEWSSNIFFER)
    reviewed(record_delete(instance=source, user=editor))
    out = load(capsys)
    assert any(line.startswith("sources: ") and line.endswith(f", 1 {KEPT}") for line in out), out
    assert not Source.objects.filter(url=NEWSSNIFFER).exists()
    assert load(capsys)[-1] == "Already up to date."


def test_the_loader_does_not_re_attach_a_source_removed_in_review(capsys, editor, reviewed):
    foi_return = FoiReturn.objects.get(request__title=CLEVELAND_2011, force__slug="cleveland")
    kept = foi_return.sources.order_by("pk").first()
    reviewed(record_save(instance=foi_return, user=editor, m2m={"sources": [kept]}))
    out = load(capsys)
    assert any(line.startswith("returns: ") and line.endswith(f", 1 {KEPT}") for line in out), out
    assert list(foi_return.sources.all()) == [kept]


def test_a_return_added_to_the_files_later_comes_in_as_a_draft(client, capsys, fixtures_copy):
    with (fixtures_copy / "curation/returns.csv").open("a", encoding="utf-8") as handle:
        handle.write("parliament-street-2019,kent,answered,,,,,,https://igcts.com/?p=5848,\n")
    out = load(capsys, fixtures=fixtures_copy)
    assert any(line.startswith("returns: 1 created, ") for line in out), out
    kent = FoiReturn.objects.get(request__slug="parliament-street-2019", force__slug="kent")
    assert not kent.is_approved
    assert not FoiReturn.objects.public().filter(pk=kent.pk).exists()


def test_a_figure_added_or_removed_in_the_files_waits_for_review(capsys, fixtures_copy, reviewer):
    path = fixtures_copy / "reference/additional_foi_figures.csv"
    rows = path.read_bytes().split(b"\r\n")
    removed_row = rows.pop(1)  # Humberside: "five resigned"
    path.write_bytes(b"\r\n".join(rows))
    figures = ReportedFigure.objects.count()
    out = load(capsys, fixtures=fixtures_copy)
    assert "reported figures: 271 unchanged, 10 skipped, 1 sent for review" in out, out
    # Nothing public changed: the figure is still there until a second person approves.
    assert ReportedFigure.objects.count() == figures
    deletion = ChangeRequest.objects.get()
    assert (deletion.action, deletion.state) == ("delete", "pending")
    # A second run asks for nothing new.
    assert "reported figures: 271 unchanged, 10 skipped, 1 waiting for review" in load(
        capsys, fixtures=fixtures_copy
    )
    assert ChangeRequest.objects.count() == 1
    change_request_approve(change_request=deletion, user=reviewer)
    assert ReportedFigure.objects.count() == figures - 1
    assert removed_row.startswith(b"Big Brother Watch 'Safe in Police Hands?' (July 2016),Humberside Police")


def test_a_figure_added_to_the_files_waits_for_review(capsys, fixtures_copy, reviewer):
    path = fixtures_copy / "reference/additional_foi_figures.csv"
    rows = path.read_bytes().split(b"\r\n")
    rows.insert(2, rows[1].replace(b",resigned,5,", b",resigned,6,"))
    path.write_bytes(b"\r\n".join(rows))
    figures = ReportedFigure.objects.count()
    out = load(capsys, fixtures=fixtures_copy)
    assert "reported figures: 272 unchanged, 10 skipped, 1 sent for review" in out, out
    assert ReportedFigure.objects.count() == figures
    addition = ChangeRequest.objects.get()
    assert (addition.action, addition.values["value"]) == ("create", 6)
    assert "reported figures: 272 unchanged, 10 skipped, 1 waiting for review" in load(
        capsys, fixtures=fixtures_copy
    )
    change_request_approve(change_request=addition, user=reviewer)
    assert ReportedFigure.objects.filter(value=6, scope="Humberside Police").exists()
    assert load(capsys, fixtures=fixtures_copy)[-1] == "Already up to date."


def test_the_loaders_change_requests_are_approved_by_any_reviewer(capsys, fixtures_copy):
    """The loader is no person: one reviewer's approval is the second pair of eyes."""
    path = fixtures_copy / "reference/additional_foi_figures.csv"
    rows = path.read_bytes().split(b"\r\n")
    rows.pop(1)
    path.write_bytes(b"\r\n".join(rows))
    load(capsys, fixtures=fixtures_copy)
    deletion = ChangeRequest.objects.get()
    assert deletion.submitted_by is None and deletion.via == "loader"
    change_request_approve(change_request=deletion, user=make_user("rob", "Reviewer"))
    assert ChangeRequest.objects.get().state == "approved"
