"""Entering returns by hand: messages that say what is wrong and how to fix it, and the reconciliation."""

from html import unescape

import pytest

from cases.models import CaseLine, FoiRequest, FoiReturn
from forces.models import Force

pytestmark = pytest.mark.django_db


def request_form(**overrides):
    data = {
        "slug": "hand-entered",
        "title": "Hand entered",
        "period_label": "2020",
        "year_basis": "calendar",
        "counting_unit": "people",
        "unit": "people_disciplined",
        "returns-TOTAL_FORMS": "0",
        "returns-INITIAL_FORMS": "0",
        "returns-MIN_NUM_FORMS": "0",
        "returns-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def inline_return(n, **values):
    fields = {"force": "", "status": "answered", "exemption": "", "received_on": "", "reported_total": ""}
    fields.update(values)
    return {f"returns-{n}-{name}": value for name, value in fields.items()}


def test_two_returns_from_one_force_is_a_form_error_not_a_500(editor_client):
    kent = Force.objects.get(slug="kent")
    data = request_form(
        **{"returns-TOTAL_FORMS": "2"}, **inline_return(0, force=kent.pk), **inline_return(1, force=kent.pk)
    )
    response = editor_client.post("/admin/cases/foirequest/add/", data)
    assert response.status_code == 200
    assert (
        "This request already has a return for Kent Police (another row): each force answers a request once, "
        "so keep one of the two rows."
    ) in unescape(response.content.decode())
    assert not FoiRequest.objects.filter(slug="hand-entered").exists()


def test_exemption_without_refusal_says_how_to_fix_it(editor_client):
    kent = Force.objects.get(slug="kent")
    data = request_form(**{"returns-TOTAL_FORMS": "1"}, **inline_return(0, force=kent.pk, exemption="s12"))
    response = editor_client.post("/admin/cases/foirequest/add/", data)
    assert (
        "Only a refused return has an exemption: set the status to Refused, or clear the exemption."
        in unescape(response.content.decode())
    )


def test_period_ending_before_it_starts(editor_client):
    response = editor_client.post(
        "/admin/cases/foirequest/add/", request_form(period_start="2020-12-31", period_end="2020-01-01")
    )
    assert "The period must end on or after its start: check the two dates." in unescape(
        response.content.decode()
    )


def test_duplicate_return_through_the_return_form(editor_client):
    existing = FoiReturn.objects.get(request__slug="parliament-street-2019", force__slug="surrey")
    response = editor_client.post(
        "/admin/cases/foireturn/add/",
        {
            "request": existing.request_id,
            "force": existing.force_id,
            "status": "answered",
            "lines-TOTAL_FORMS": "0",
            "lines-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert (
        "This request already has a return from this force: edit that return instead of adding another."
        in unescape(response.content.decode())
    )


def test_editor_creates_request_and_return_as_draft_with_reconciliation_warning(editor_client):
    kent = Force.objects.get(slug="kent")
    data = request_form(**{"returns-TOTAL_FORMS": "1"}, **inline_return(0, force=kent.pk, reported_total="7"))
    assert editor_client.post("/admin/cases/foirequest/add/", data).status_code == 302
    foi_return = FoiReturn.objects.get(request__slug="hand-entered")
    assert foi_return.review_state == "draft"
    CaseLine.objects.create(foi_return=foi_return, count=4)
    page = unescape(editor_client.get(f"/admin/cases/foireturn/{foi_return.pk}/change/").content.decode())
    assert (
        "Warning: The lines add up to 4, but the return reports 7: 3 not in any line. Add the missing lines, or a "
        "line with basis “Remainder” for the part the reply does not describe."
    ) in page
    listing = editor_client.get("/admin/cases/foireturn/?request__id__exact=" + str(foi_return.request_id))
    assert 'alt="False"' in listing.content.decode()


def test_published_figures_reconcile_a_loaded_return(editor_client):
    surrey = FoiReturn.objects.get(request__slug="parliament-street-2019", force__slug="surrey")
    page = unescape(editor_client.get(f"/admin/cases/foireturn/{surrey.pk}/change/").content.decode())
    assert "The lines add up to 50, as reported." in page


def test_force_autocomplete_finds_by_short_name(editor_client):
    response = editor_client.get(
        "/admin/autocomplete/",
        {"term": "Devon & Cornwall", "app_label": "cases", "model_name": "foireturn", "field_name": "force"},
    )
    assert [r["text"] for r in response.json()["results"]] == ["Devon and Cornwall Police"]


def test_import_button_on_the_request_page(editor_client):
    foi_request = FoiRequest.objects.get(slug="parliament-street-2019")
    page = editor_client.get(f"/admin/cases/foirequest/{foi_request.pk}/change/").content.decode()
    assert f'href="/admin/cases/importbatch/import/?request={foi_request.pk}"' in page


def test_a_line_error_in_its_folded_fields_shows_them_open(editor_client):
    study = FoiRequest.objects.create(
        slug="folded", title="Folded", period_label="2020", counting_unit="people"
    )
    foi_return = FoiReturn.objects.create(
        request=study, force=Force.objects.get(slug="kent"), status="answered"
    )
    line = {
        "count": "2",
        "basis": "stated",
        "role": "not_stated",
        "offence": "not_stated",
        "system": "not_stated",
        "outcome": "not_stated",
        "criminal_outcome": "not_stated",
        "period_start": "2020-12-31",
        "period_end": "2020-01-01",
    }
    response = editor_client.post(
        f"/admin/cases/foireturn/{foi_return.pk}/change/",
        {
            "request": study.pk,
            "force": foi_return.force_id,
            "status": "answered",
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            **{f"lines-0-{name}": value for name, value in line.items()},
        },
    )
    page = unescape(response.content.decode())
    folded = page[page.index('id="lines-0-details"') :].split("</details>")[0]
    assert "<details open>" in folded
    assert "The period must end on or after its start: check the two dates." in folded
    assert "<details>" in page[page.index('id="lines-empty-details"') :]  # the others stay folded
