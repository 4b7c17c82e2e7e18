"""Cursor pages: every matching row once, in id order, and a row added mid-walk shifts nothing."""

import pytest

from cases.models import CaseLine, FoiReturn, ReportedFigure
from tests.api.conftest import api, local, walk

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url, ids",
    [
        (
            "/api/v1/case-lines/?page_size=5",
            lambda: CaseLine.objects.public().filter(foi_return__request__unit="people_disciplined"),
        ),
        (
            "/api/v1/case-lines/?unit=data_breaches&page_size=3",
            lambda: CaseLine.objects.public().filter(foi_return__request__unit="data_breaches"),
        ),
        ("/api/v1/figures/?page_size=17", lambda: ReportedFigure.objects.public()),
        ("/api/v1/returns/?page_size=4", lambda: FoiReturn.objects.public()),
    ],
)
def test_walking_the_pages_gives_every_row_once_in_id_order(client, url, ids):
    rows = walk(client, url)
    key = next(name for name in ("line_id", "figure_id", "return_id") if name in rows[0])
    walked = [row[key] for row in rows]
    assert walked == sorted(set(walked))
    assert len(walked) == len(set(walked)) == ids().count()
    assert set(walked) == set(ids().values_list("id", flat=True))


def test_a_line_added_mid_walk_shifts_no_page(client):
    first = api(client, "/api/v1/case-lines/?page_size=10")
    second_before = api(client, local(first["next"]))
    foi_return = FoiReturn.objects.public().filter(request__slug="parliament-street-2019").first()
    added = CaseLine.objects.create(foi_return=foi_return, count=1, role="officer", outcome="dismissed")
    second_after = api(client, local(first["next"]))

    def ids(page):
        return [row["line_id"] for row in page["results"]]

    # The same lines (their return's totals, repeated on each line, may have grown by the new one).
    assert ids(second_after) == ids(second_before)
    assert second_after["meta"]["dataset_version"] != second_before["meta"]["dataset_version"]
    rest = walk(client, local(first["next"]))
    walked = [row["line_id"] for row in first["results"] + rest]
    assert walked == sorted(set(walked))
    assert walked[-1] == added.id
    assert (
        len(walked)
        == CaseLine.objects.public().filter(foi_return__request__unit="people_disciplined").count()
    )


def test_previous_links_walk_back_to_the_first_page(client):
    first = api(client, "/api/v1/figures/?page_size=20")
    second = api(client, local(first["next"]))
    third = api(client, local(second["next"]))
    back = api(client, local(third["previous"]))
    assert back["results"] == second["results"]
    assert api(client, local(back["previous"]))["results"] == first["results"]
    assert first["previous"] is None


def test_links_keep_the_filters_and_page_size(client):
    first = api(client, "/api/v1/case-lines/?study=parliament-street-2019&page_size=2")
    assert "study=parliament-street-2019" in first["next"] and "page_size=2" in first["next"]
    assert len(first["results"]) == 2
    assert {row["request"] for row in walk(client, local(first["next"]))} == {"parliament-street-2019"}


def test_a_filter_matching_nothing_is_one_empty_page(client):
    assert api(client, "/api/v1/case-lines/?q=zzzqqq") | {"meta": None} == {
        "meta": None,
        "next": None,
        "previous": None,
        "results": [],
    }
