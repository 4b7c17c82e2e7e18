"""Each endpoint returns exactly what the matching page or download shows, value and kind alike."""

import re

import pytest

from tests.api.conftest import api, display, download, walk
from tests.reports.test_one_truth import footer, headline, table_rows, text

pytestmark = pytest.mark.django_db

QUERIES = [
    "",
    "study=parliament-street-2019",
    "outcome=dismissed",
    "region=North%20West&sort=force",
    "study=parliament-street-2019&role=police_staff",
    "force=surrey&unit=data_breaches",
    "q=family",
    "year_from=2015&year_to=2019&sort=-rate",
]
TABLES = ["forces", "offences", "outcomes", "roles", "systems"]


@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize("query", QUERIES)
def test_dashboard_tables_are_the_downloads_rows(client, table, query):
    payload = api(client, f"/api/v1/dashboard/{table}/?{query}")
    assert payload["results"] == download(client, f"/dashboard/{table}.json?{query}")


@pytest.mark.parametrize(
    "query, cases",
    [
        ("study=parliament-street-2019", "237"),
        ("outcome=dismissed", "at least 114"),
        ("region=North%20West", "at least 441"),
        ("study=parliament-street-2019&role=police_staff", "at least 16"),
        ("", "at least 1,353"),
        ("q=zzzqqq", "—"),
    ],
)
def test_headline_is_the_dashboards(client, query, cases):
    result = api(client, f"/api/v1/dashboard/headline/?{query}")["result"]
    page = client.get(f"/dashboard/?{query}").content.decode()
    if cases == "—":
        # No line matches: the page says so instead of a headline of dashes.
        assert (result["cases"], result["cases_is"]) == (None, "not stated")
        assert 'id="not-held"' in page and 'data-figure="cases"' not in page
        return
    assert display(result["cases"], result["cases_is"]) == cases == headline(page, "cases")
    for name, key in (("dismissed", "dismissed"), ("resigned", "resigned"), ("other", "other")):
        assert display(result[name], result[f"{name}_is"]) == headline(page, key)
    assert display(result["not_stated"], result["not_stated_is"]) == headline(page, "not-stated")
    assert str(result["named_forces"]) == headline(page, "forces")


def test_parliament_street_headline_is_exact_and_its_parts_are_at_least(client):
    result = api(client, "/api/v1/dashboard/headline/?study=parliament-street-2019")["result"]
    assert (result["unit"], result["cases"], result["cases_is"]) == ("people_disciplined", 237, "exact")
    assert (result["staff"], result["staff_is"]) == (16, "at least")
    assert (result["not_attributed"], result["not_attributed_is"]) == (102, "exact")


def test_forces_and_requests_are_the_list_downloads(client):
    assert api(client, "/api/v1/forces/")["results"] == download(client, "/forces.json")
    assert api(client, "/api/v1/requests/")["results"] == download(client, "/requests.json")


@pytest.mark.parametrize(
    "query",
    [
        "",
        "force=gwent",
        "force=surrey&unit=data_breaches",
        "study=parliament-street-2019&outcome=dismissed&outcome=resigned_retired",
        "q=family",
        "year_from=2016",
        "region=Wales&role=not_stated",
    ],
)
def test_case_lines_are_the_downloads_rows(client, query):
    rows = walk(client, f"/api/v1/case-lines/?{query}&page_size=7")
    assert rows == download(client, f"/cases.json?{query}")


@pytest.mark.parametrize(
    "query", ["", "force=dorset", "study=pa-2014-data-breaches", "scope=national&kind=dismissed"]
)
def test_figures_are_the_downloads_rows(client, query):
    rows = walk(client, f"/api/v1/figures/?{query}&page_size=50")
    assert rows == sorted(download(client, f"/figures.json?{query}"), key=lambda row: row["figure_id"])


@pytest.mark.parametrize("slug", ["surrey", "merseyside", "gwent", "hertfordshire", "bedfordshire"])
def test_a_force_is_its_page(client, slug):
    result = api(client, f"/api/v1/forces/{slug}/")["result"]
    page = client.get(f"/forces/{slug}/").content.decode()
    assert result["force"]["force"] == slug
    units = [item["unit"] for item in result["units"]]
    assert units == re.findall(r'id="force-studies-([a-z_]+)"', page)
    for item in result["units"]:
        shown = table_rows(page, f"force-studies-{item['unit']}")
        assert [row["study"] for row in shown] == [row["request"] for row in item["rows"]]
        for row, cells in zip(item["rows"], shown, strict=True):
            assert display(row["cases"], row["cases_is"]) == cells["cases"]
            assert display(row["dismissed"], row["dismissed_is"]) == cells["dismissed"]
            assert display(row["outcome_not_stated"], row["outcome_not_stated_is"]) == cells["not-stated"]
        # No total across studies that cover the same time (the page says why).
        if len(shown) > 1 and footer(page, f"force-studies-{item['unit']}"):
            total = item["total"]
            assert (
                display(total["cases"], total["cases_is"])
                == footer(page, f"force-studies-{item['unit']}")["cases"]
            )
    figure_ids = [int(i) for i in re.findall(r'data-figure="(\d+)"', page)]
    assert [row["figure_id"] for row in result["figures"]] == figure_ids
    answers = re.search(r'<ul id="force-returns">(.*?)</ul>', page, re.S).group(1)
    assert [row["status_label"] for row in result["returns"]] == re.findall(
        r'<span class="status">(.*?)</span>', answers
    )


def test_surrey_counts_people_and_breaches_apart(client):
    result = api(client, "/api/v1/forces/surrey/")["result"]
    by_unit = {item["unit"]: item for item in result["units"]}
    assert [(r["cases"], r["cases_is"]) for r in by_unit["people_disciplined"]["rows"]] == [(50, "exact")]
    assert [(r["cases"], r["cases_is"]) for r in by_unit["data_breaches"]["rows"]] == [(202, "exact")]


@pytest.mark.parametrize(
    "slug",
    [
        "parliament-street-2019",
        "bbw-2016-safe-in-police-hands",
        "telegraph-merseyside-2011",
        "dorset-2022-130",
    ],
)
def test_a_study_is_its_page_and_the_dashboards_rows(client, slug):
    result = api(client, f"/api/v1/requests/{slug}/")["result"]
    # The download's last row is the page's "All rows" total, which the API gives as `total`.
    assert result["rows"] == [
        r for r in download(client, f"/dashboard/forces.json?study={slug}") if r["row"] != "total"
    ]
    page = client.get(f"/requests/{slug}/").content.decode()
    shown = table_rows(page) if 'id="force-table"' in page else []
    assert [(r["force"] or "not-stated", display(r["cases"], r["cases_is"])) for r in result["rows"]] == [
        (row["force"], row["cases"]) for row in shown
    ]
    if len(shown) > 1:
        assert display(result["total"]["cases"], result["total"]["cases_is"]) == footer(page)["cases"]
    # Which forces answered: every status the page lists, with as many named forces.
    statuses = {}
    for row in result["returns"]:
        if row["force"]:
            statuses[row["status_label"]] = statuses.get(row["status_label"], 0) + 1
    listed = dict(
        (label, int(count))
        for label, count in re.findall(r'<span class="status">([^<(]+) \((\d+)\):</span>', page)
    )
    assert statuses == listed
    figure_ids = [int(i) for i in re.findall(r'data-figure="(\d+)"', page)]
    assert sorted(row["figure_id"] for row in result["figures"]) == sorted(set(figure_ids))


def test_parliament_street_reconciles_237(client):
    result = api(client, "/api/v1/requests/parliament-street-2019/")["result"]
    cases = next(item for item in result["reconciliations"] if item["label"] == "people disciplined")
    assert (cases["reported"], cases["reported_qualifier"], cases["attributed"], cases["unattributed"]) == (
        237,
        "exact",
        135,
        102,
    )
    assert cases["reconciles"] is True
    page = text(client.get("/requests/parliament-street-2019/").content.decode())
    assert "237 people disciplined reported" in page


def test_returns_carry_their_status_and_the_downloads_completeness(client):
    rows = walk(client, "/api/v1/returns/?study=parliament-street-2019")
    lines = download(client, "/cases.json?study=parliament-street-2019")
    by_force = {r["force"]: r for r in rows}
    for line in lines:
        held = by_force[line["force"]]
        assert (held["lines_complete"], held["lines_total"], held["total_published"]) == (
            line["force_lines_complete"],
            line["force_lines_total"],
            line["force_total_published"],
        )
        assert held["status"] == line["return_status"]
    assert {r["status"] for r in walk(client, "/api/v1/returns/?status=refused")} == {"refused"}
