"""Who may do what in the admin: every admin and import URL, for anonymous, viewer, editor, reviewer."""

import pytest

from cases.imports import import_plan, spreadsheet_read
from cases.models import CaseLine, FoiReturn, ReportedFigure, Source
from cases.services import foi_return_import
from forces.models import Force, WorkforceSnapshot
from tests.cases.conftest import GOOD_ROWS, csv_bytes, make_user

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "viewer", "editor", "reviewer"]
ALL, NOBODY = {"viewer", "editor", "reviewer"}, set()


@pytest.fixture
def objects(foi_request):
    spreadsheet = spreadsheet_read(name="study.csv", data=csv_bytes(GOOD_ROWS))
    batch = foi_return_import(plan=import_plan(foi_request=foi_request, spreadsheet=spreadsheet))
    draft = FoiReturn.objects.get(import_batch=batch, force__slug="metropolitan")
    return {
        "source": Source.objects.first().pk,
        "foirequest": foi_request.pk,
        "foireturn": draft.pk,
        "caseline": CaseLine.objects.filter(foi_return=draft).first().pk,
        "reportedfigure": ReportedFigure.objects.first().pk,
        "importbatch": batch.pk,
        "force": Force.objects.first().pk,
        "workforcesnapshot": WorkforceSnapshot.objects.first().pk,
    }


EDITABLE = {"source", "foirequest", "foireturn", "caseline"}
MODELS = {
    "cases": ["source", "foirequest", "foireturn", "caseline", "reportedfigure", "importbatch"],
    "forces": ["force", "workforcesnapshot"],
}


def matrix():
    """(method, url template, roles allowed). Everyone else gets 403; anonymous goes to the login page."""
    rows = [("GET", "/admin/", ALL)]
    for app, models in MODELS.items():
        rows.append(("GET", f"/admin/{app}/", ALL))
        for model in models:
            editors = {"editor"} if model in EDITABLE else NOBODY
            rows += [
                ("GET", f"/admin/{app}/{model}/", ALL),
                ("GET", f"/admin/{app}/{model}/{{{model}}}/change/", ALL),
                ("GET", f"/admin/{app}/{model}/{{{model}}}/history/", ALL),
                ("GET", f"/admin/{app}/{model}/add/", editors),
                ("GET", f"/admin/{app}/{model}/{{{model}}}/delete/", editors),
            ]
    rows += [
        ("GET", "/admin/cases/importbatch/import/", {"editor"}),
        ("POST", "/admin/cases/importbatch/import/", {"editor"}),
        ("POST", "/admin/cases/importbatch/import/confirm/", {"editor"}),
        ("GET", "/admin/cases/importbatch/import/template.csv", {"editor"}),
        ("GET", "/admin/cases/importbatch/import/template.xlsx", {"editor"}),
        ("GET", "/admin/cases/importbatch/{importbatch}/rollback/", {"editor", "reviewer"}),
    ]
    return rows


def allowed_status(method, url):
    if url.endswith("/confirm/"):
        return 302  # no preview pending: back to the import page, with a message
    return 200


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method, url, allowed", matrix(), ids=lambda v: v if isinstance(v, str) else None)
def test_permission_matrix(client, objects, role, method, url, allowed):
    if role != "anonymous":
        client.force_login(make_user(role, role.capitalize()))
    url = url.format(**objects)
    response = client.get(url) if method == "GET" else client.post(url, {})
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
    elif role in allowed:
        assert response.status_code == allowed_status(method, url)
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("role, can", [("viewer", False), ("editor", False), ("reviewer", True)])
def test_approve_action_is_for_reviewers_only(client, objects, role, can):
    client.force_login(make_user(role, role.capitalize()))
    response = client.post(
        "/admin/cases/foireturn/",
        {"action": "approve", "_selected_action": [objects["foireturn"]], "index": 0},
    )
    assert response.status_code in (200, 302)
    assert FoiReturn.objects.get(pk=objects["foireturn"]).is_approved is can


@pytest.mark.parametrize("role", ["anonymous", "viewer"])
def test_rollback_post_is_refused(client, objects, role):
    if role != "anonymous":
        client.force_login(make_user(role, role.capitalize()))
    response = client.post(f"/admin/cases/importbatch/{objects['importbatch']}/rollback/")
    assert response.status_code in (302, 403)
    assert FoiReturn.objects.filter(import_batch_id=objects["importbatch"]).count() == 3


def test_viewer_cannot_change_anything(client, objects):
    client.force_login(make_user("viewer", "Viewer"))
    source = Source.objects.get(pk=objects["source"])
    response = client.post(
        f"/admin/cases/source/{source.pk}/change/",
        {"url": source.url, "title": "changed", "publisher": "p", "kind": "blog"},
    )
    assert response.status_code == 403
    source.refresh_from_db()
    assert source.title != "changed"
