"""Who may do what in the admin: every admin and import URL, for anonymous, viewer, editor, reviewer;
and a role, given in the form that creates a person, is all it takes to sign in."""

from html import unescape

import pytest
from django.contrib.auth.models import User

from cases.imports import import_plan, spreadsheet_read
from cases.models import CaseLine, FoiReturn, ReportedFigure, Source
from cases.services import foi_return_import
from forces.models import Force, WorkforceSnapshot
from tests.cases.conftest import GOOD_ROWS, PASSWORD, csv_bytes, make_user

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


LOGIN = "/admin/login/?next=/admin/"
REFUSED = (
    "Please enter the correct username and password of an account with an admin role (Editor, Reviewer or "
    "Viewer). Both fields may be case-sensitive."
)


def add_user(client, username, roles):
    return client.post(
        "/admin/auth/user/add/",
        {"username": username, "usable_password": "true", "password1": PASSWORD, "password2": PASSWORD}
        | ({"roles": roles} if roles else {}),
    )


def sign_in(client, username):
    return client.post(LOGIN, {"username": username, "password": PASSWORD})


def test_an_editor_is_made_in_one_step_and_can_import(client, superuser):
    client.force_login(superuser)
    response = add_user(client, "nina", ["Editor"])
    assert response.status_code == 302, unescape(response.content.decode())
    nina = User.objects.get(username="nina")
    assert list(nina.groups.values_list("name", flat=True)) == ["Editor"]
    assert not nina.is_staff  # no "Staff status" to remember
    client.logout()
    assert sign_in(client, "nina")["Location"] == "/admin/"
    page = client.get("/admin/cases/importbatch/import/")
    assert page.status_code == 200
    assert "<h1>Import a spreadsheet</h1>" in page.content.decode()


def test_a_person_needs_a_role(client, superuser):
    client.force_login(superuser)
    response = add_user(client, "noone", [])
    assert "Choose a role: without one, this person cannot sign in to the admin." in unescape(
        response.content.decode()
    )
    assert not User.objects.filter(username="noone").exists()


def test_taken_out_of_every_role_a_person_loses_the_admin(client, superuser):
    eddie = make_user("eddie", "Editor")
    editor_client = client.__class__()
    editor_client.force_login(eddie)
    assert editor_client.get("/admin/").status_code == 200
    client.force_login(superuser)
    response = client.post(
        f"/admin/auth/user/{eddie.pk}/change/",
        {
            "username": "eddie",
            "is_active": "on",
            "date_joined_0": "2025-01-01",
            "date_joined_1": "09:00:00",
        },
    )
    assert response.status_code == 302, unescape(response.content.decode())
    # Still marked staff (made so by the fixture): the role, not the flag, is what counts.
    assert User.objects.get(pk=eddie.pk).is_staff
    assert editor_client.get("/admin/")["Location"] == "/admin/login/?next=/admin/"
    refused = sign_in(client.__class__(), "eddie")
    assert refused.status_code == 200
    assert REFUSED in unescape(refused.content.decode())


def test_the_users_page_shows_roles_and_keeps_other_groups(client, superuser):
    from django.contrib.auth.models import Group

    vera = make_user("vera", "Viewer")
    vera.groups.add(Group.objects.create(name="Newsletter"))
    client.force_login(superuser)
    listing = client.get("/admin/auth/user/").content.decode()
    assert '<td class="field-roles_held">Viewer</td>' in listing
    change = client.post(
        f"/admin/auth/user/{vera.pk}/change/",
        {
            "username": "vera",
            "is_active": "on",
            "roles": ["Reviewer", "Viewer"],
            "date_joined_0": "2025-01-01",
            "date_joined_1": "09:00:00",
        },
    )
    assert change.status_code == 302
    assert sorted(vera.groups.values_list("name", flat=True)) == ["Newsletter", "Reviewer", "Viewer"]
