"""The same filters refused with the same messages as the pages, as JSON; and nothing but reading."""

import re
from html import unescape

import pytest

from tests.api.conftest import api

pytestmark = pytest.mark.django_db


def page_messages(client, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 400, url
    found = re.search(
        r'<ul class="error-list" id="filter-errors">(.*?)</ul>', response.content.decode(), re.S
    )
    return [unescape(item).strip() for item in re.findall(r"<li>(.*?)</li>", found.group(1), re.S)]


@pytest.mark.parametrize(
    "endpoint, page",
    [
        ("/api/v1/case-lines/", "/cases/"),
        ("/api/v1/case-lines/", "/cases.csv"),
        ("/api/v1/dashboard/headline/", "/dashboard/"),
        ("/api/v1/dashboard/forces/", "/dashboard/forces.json"),
        ("/api/v1/dashboard/outcomes/", "/dashboard/outcomes.csv"),
    ],
)
@pytest.mark.parametrize(
    "query",
    [
        "force=atlantis",
        "nope=1",
        "unit=cats&unit=dogs",
        "year_from=2019&year_to=2015",
        "year_from=1066",
        "outcome=hanged&role=wizard&zzz=1&aaa=2",
        "study=no-such-study",
    ],
)
def test_case_line_filters_are_refused_in_the_pages_words(client, endpoint, page, query):
    expected = page_messages(client, f"{page}?{query}")
    assert api(client, f"{endpoint}?{query}", status=400) == {"errors": expected}


@pytest.mark.parametrize(
    "endpoint, page",
    [("/api/v1/dashboard/headline/", "/dashboard/"), ("/api/v1/dashboard/roles/", "/dashboard/roles.json")],
)
@pytest.mark.parametrize("query", ["sort=bogus", "sort=cases&unit=cats"])
def test_a_bad_sort_is_refused_where_the_dashboard_sorts(client, endpoint, page, query):
    assert api(client, f"{endpoint}?{query}", status=400) == {
        "errors": page_messages(client, f"{page}?{query}")
    }


@pytest.mark.parametrize("query", ["unit=cats", "scope=world", "kind=x&nope=1", "year_to=3000"])
def test_figure_filters_are_refused_in_the_pages_words(client, query):
    assert api(client, f"/api/v1/figures/?{query}", status=400) == {
        "errors": page_messages(client, f"/figures/?{query}")
    }


@pytest.mark.parametrize(
    "endpoint, page",
    [("/api/v1/forces/", "/forces.csv"), ("/api/v1/requests/", "/requests.json")],
)
def test_lists_that_take_no_filters_say_so_as_the_downloads_do(client, endpoint, page):
    assert api(client, f"{endpoint}?region=Wales", status=400) == {
        "errors": page_messages(client, f"{page}?region=Wales")
    }


def test_a_sort_or_page_the_pages_accept_is_accepted(client):
    assert api(client, "/api/v1/case-lines/?sort=force&force=gwent")["results"]
    assert api(client, "/api/v1/dashboard/forces/?sort=-rate")["results"]


def test_returns_filters_name_what_they_accept(client):
    errors = api(client, "/api/v1/returns/?status=lost&force=atlantis&x=1", status=400)["errors"]
    assert errors[0] == "'x' is not a filter. Filters: study, force, status."
    assert errors[1].startswith(
        "Force ('force'): Select a valid choice. atlantis is not one of the available choices."
    )
    assert errors[2] == (
        "Status ('status'): Select a valid choice. lost is not one of the available choices. "
        "Accepted values: answered, partial, refused, no_reply, unknown."
    )


@pytest.mark.parametrize(
    "query, message",
    [
        ("cursor=zzz", "Cursor ('cursor'): 'zzz' is not a cursor this API gave."),
        ("page_size=0", "Page size ('page_size'): '0' is not a whole number from 1 to 1000."),
        ("page_size=1001", "Page size ('page_size'): '1001' is not a whole number from 1 to 1000."),
        ("page_size=ten", "Page size ('page_size'): 'ten' is not a whole number from 1 to 1000."),
        (
            "page_size=5&page_size=6",
            "Page size ('page_size'): '5', '6' is not a whole number from 1 to 1000.",
        ),
    ],
)
def test_page_parameters_are_checked_not_ignored(client, query, message):
    errors = api(client, f"/api/v1/case-lines/?{query}", status=400)["errors"]
    assert errors[0].startswith(message)


def test_page_parameters_are_only_where_there_are_pages(client):
    errors = api(client, "/api/v1/dashboard/headline/?cursor=abc", status=400)["errors"]
    assert errors[0].startswith("'cursor' is not a filter. Filters: study,")


@pytest.mark.parametrize(
    "url, message",
    [
        ("/api/v1/forces/atlantis/", "No force 'atlantis': /api/v1/forces/ lists every force."),
        (
            "/api/v1/requests/no-such-study/",
            "No public study 'no-such-study': /api/v1/requests/ lists every one.",
        ),
    ],
)
def test_unknown_force_or_study_is_a_404_in_words(client, url, message):
    assert api(client, url, status=404) == {"errors": [message]}


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize(
    "url", ["/api/v1/case-lines/", "/api/v1/forces/surrey/", "/api/v1/dashboard/headline/"]
)
def test_the_api_only_reads(client, method, url):
    response = getattr(client, method)(url, data="{}", content_type="application/json")
    assert response.status_code == 405
    assert response.json() == {"errors": [f'Method "{method.upper()}" not allowed.']}
    assert "POST" not in response["Allow"]


def test_head_and_options_answer(client):
    assert client.head("/api/v1/case-lines/?force=gwent").status_code == 200
    assert client.options("/api/v1/case-lines/").status_code == 200


def test_a_force_or_study_takes_no_filters_and_says_where_to_filter(client):
    assert api(client, "/api/v1/forces/surrey/?unit=data_breaches", status=400) == {
        "errors": [
            "A force's figures (filter them at /api/v1/dashboard/forces/?force=surrey) take no filters ('unit')."
        ]
    }
    assert api(client, "/api/v1/requests/dorset-2022-130/?x=1", status=400) == {
        "errors": [
            "A study's figures (filter them at /api/v1/dashboard/forces/?study=dorset-2022-130) take no filters ('x')."
        ]
    }
