"""The analysts' dashboard: one FilterSet, exact totals, facets that add up, honest rates."""

import re
from html import unescape

import pytest

pytestmark = pytest.mark.django_db

DASH = "— (not stated in the sources)"
NO_RATE = "— (no rate: total or workforce unknown)"


def text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", html))).strip()


def figure(page: str, name: str) -> str:
    return re.search(rf'data-figure="{name}">([^<]*)<', page).group(1)


def force_rows(page: str) -> list[list[str]]:
    body = re.search(r'<table class="figures" id="force-table">.*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    return [
        [text(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr data-force[^>]*>(.*?)</tr>", body, re.S)
    ]


@pytest.fixture
def get(client, django_assert_max_num_queries):
    def get(query: str = "", status: int = 200) -> str:
        with django_assert_max_num_queries(32):
            response = client.get(f"/dashboard/{query}")
        assert response.status_code == status, response.content[:500]
        return response.content.decode()

    return get


@pytest.mark.parametrize(
    "query, cases, dismissed, forces",
    [
        ("", 2922, 33, 20),
        ("?study=parliament-street-2019", 237, 11, 10),
        ("?study=parliament-street-2019&study=cleveland-11288-2019", 241, 11, 11),
        ("?force=surrey", 252, 0, 1),
        ("?force=surrey&force=metropolitan", 270, 1, 2),
        ("?region=London", 18, 1, 1),
        ("?country=Wales", 3, 3, 1),
        ("?role=officer", 268, 2, 5),
        ("?offence=social_media", 4, 0, 1),
        ("?system=cris", 1, 1, 1),
        ("?outcome=dismissed", 33, 33, 8),
        ("?outcome=dismissed&outcome=resigned_retired", 52, 33, 9),
        ("?criminal_outcome=convicted", 1, 0, 1),
        ("?year_from=2019", 262, 11, 13),
        ("?year_to=2010", 198, 0, 1),
        ("?year_from=2011&year_to=2012", 2315, 4, 7),
        ("?q=family", 9, 0, 1),
        ("?q=detainee", 1, 1, 1),
        ("?study=parliament-street-2019&outcome=dismissed&sort=-rate", 11, 11, 4),
    ],
)
def test_filters_give_exact_totals(get, query, cases, dismissed, forces):
    page = get(query)
    assert (figure(page, "cases"), figure(page, "dismissed"), figure(page, "forces")) == (
        str(cases),
        str(dismissed),
        str(forces),
    )


@pytest.mark.parametrize(
    "query, message",
    [
        (
            "?force=atlantis",
            "Force ('force'): Select a valid choice. atlantis is not one of the available choices. Accepted values: avon-and-somerset, bedfordshire,",
        ),
        (
            "?outcome=sacked",
            "Outcome ('outcome'): Select a valid choice. sacked is not one of the available choices. Accepted values: dismissed, resigned_retired, final_written_warning,",
        ),
        (
            "?study=bbw-2099",
            "FOI request or study ('study'): Select a valid choice. bbw-2099 is not one of the available choices. Accepted values: ",
        ),
        (
            "?region=Atlantis",
            "Region ('region'): Select a valid choice. Atlantis is not one of the available choices. Accepted values: East Midlands, Eastern,",
        ),
        (
            "?role=sergeant",
            "Role ('role'): Select a valid choice. sergeant is not one of the available choices. Accepted values: officer, police_staff, pcso, special_constable, not_stated.",
        ),
        ("?year_from=twenty", "From year ('year_from'): Enter a number."),
        ("?year_from=1066", "From year ('year_from'): Ensure this value is greater than or equal to 2000."),
        ("?year_from=2019&year_to=2017", "The period must end on or after it starts (2019)."),
        (
            "?forse=surrey",
            "'forse' is not a filter. Filters: study, year_from, year_to, force, region, country, role, offence, system, outcome, criminal_outcome, q.",
        ),
        (
            "?sort=height",
            "Sort ('sort'): 'height' is not a column. Accepted values: force, -force, study, -study, cases, -cases,",
        ),
        (
            "?q=" + "x" * 201,
            "Search wording and summaries ('q'): Ensure this value has at most 200 characters (it has 201).",
        ),
    ],
)
def test_bad_filter_is_a_400_naming_the_filter(get, query, message):
    page = get(query, status=400)
    errors = text(re.search(r'<ul class="error-list" id="filter-errors">(.*?)</ul>', page, re.S).group(1))
    assert message in errors


def test_unattributed_and_partly_known_rows(get):
    rows = {row[0]: row for row in force_rows(get("?study=parliament-street-2019"))}
    assert rows["Force not stated (computed)"][2:9] == ["102", DASH, DASH, "2", "6", DASH, "94"]
    assert rows["Surrey Police"][2:10] == ["50", DASH, DASH, DASH, DASH, DASH, "50", "13.41"]
    assert rows["Metropolitan Police Service"][2:10] == ["18", DASH, "5", "1", DASH, "4", "13", "0.43"]
    assert rows["Gwent Police"][2] == "at least 3"
    assert rows["Gwent Police"][9] == NO_RATE


def test_every_row_links_to_its_sources(get):
    rows = {row[0]: row for row in force_rows(get("?study=parliament-street-2019"))}
    assert rows["Cumbria Constabulary"][10] == "Blackmere Consulting, The Commentator"
    assert (
        rows["Force not stated (computed)"][10]
        == "Blackmere Consulting, IGCTS, ITPro, The Commentator, The Register"
    )


def test_filtering_on_an_outcome_makes_forces_with_unstated_outcomes_at_least(get):
    rows = {row[0]: row for row in force_rows(get("?study=parliament-street-2019&outcome=dismissed"))}
    assert rows["Metropolitan Police Service"][2] == "at least 1"
    assert rows["Metropolitan Police Service"][9] == NO_RATE


def test_filtering_for_not_stated_keeps_counts_exact(get):
    rows = {row[0]: row for row in force_rows(get("?region=North+West&outcome=not_stated&sort=-rate"))}
    assert rows["Cumbria Constabulary"][2] == "16"
    assert rows["Cumbria Constabulary"][9] == "8.10"
    assert rows["Greater Manchester Police"][9] == "1.55"


def test_rate_needs_workforce_within_two_years(get):
    rows = {(row[0], row[1]): row for row in force_rows(get("?force=surrey"))}
    assert rows[("Surrey Police", "Parliament Street, FY2017/18–FY2018/19")][9] == "13.41"
    # Big Brother Watch 2016 ends in December 2015; the nearest headcount is March 2019.
    assert rows[("Surrey Police", "Big Brother Watch, 1 June 2011 to 31 December 2015")][9] == NO_RATE


def test_sorting_by_rate_puts_unknown_rates_last(get):
    rows = force_rows(get("?study=parliament-street-2019&sort=-rate"))
    rates = [row[9] for row in rows]
    assert rates[:6] == ["13.41", "8.10", "4.26", "1.55", "0.43", NO_RATE]
    assert all(rate == NO_RATE for rate in rates[5:])
    ascending = [row[9] for row in force_rows(get("?study=parliament-street-2019&sort=rate"))]
    assert ascending[:5] == ["0.43", "1.55", "4.26", "8.10", "13.41"]


def test_sort_links_keep_the_filters(get):
    page = get("?study=parliament-street-2019&outcome=dismissed")
    assert 'href="?study=parliament-street-2019&amp;outcome=dismissed&amp;sort=-rate#force-table"' in page


@pytest.mark.parametrize(
    "query", ["", "?study=parliament-street-2019", "?region=South+East&outcome=not_stated"]
)
def test_facet_counts_add_up(get, query):
    page = get(query)
    total = int(figure(page, "cases"))
    for facet in [
        "study",
        "region",
        "country",
        "force",
        "role",
        "offence",
        "system",
        "outcome",
        "criminal_outcome",
    ]:
        block = re.search(rf'data-facet="{facet}">(.*?)</fieldset>', page, re.S).group(1)
        counts = [int(c) for c in re.findall(r"<span class=\"count\" data-count>(\d+)</span>", block)]
        if facet in query:
            assert sum(counts) >= total, facet  # counted without the facet's own filter
        else:
            assert sum(counts) == total, facet


def test_facet_counts_beside_options(get):
    page = get("?study=parliament-street-2019")
    outcome = text(re.search(r'data-facet="outcome">(.*?)</fieldset>', page, re.S).group(1))
    assert "Not stated 204" in outcome
    assert "Dismissed 11" in outcome
    assert "Misconduct meeting (result not stated) 9" in outcome


def test_breakdown_tables_match_reference_data(get):
    page = get("?study=parliament-street-2019")
    offences = re.search(r'id="offence-table">.*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    rows = {
        code: [text(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", body, re.S)]
        for code, body in re.findall(r'<tr data-code="([^"]+)">(.*?)</tr>', offences, re.S)
    }
    assert rows == {
        "not_stated": ["Not stated", "146", "4"],
        "system_misuse": ["Misuse of police systems (nature not stated)", "53", "3"],
        "unauthorised_access": ["Accessing records without a policing purpose", "31", "5"],
        "social_media": ["Misuse of social media", "4", "1"],
        "unauthorised_disclosure": ["Disclosing information without authority", "3", "2"],
    }


def test_charts_are_embedded_as_json_with_local_plotly(get):
    page = get("?study=parliament-street-2019")
    for chart in ["chart-forces", "chart-offences", "chart-outcomes", "chart-trend"]:
        assert f'<script id="{chart}-data" type="application/json">' in page
    assert "/static/vendor/plotly/plotly-basic-4.1.1.min.js" in page
    assert "cdn" not in page.lower()


def test_force_chart_leaves_unknown_rates_out_not_zero(get):
    import json

    page = get("?study=parliament-street-2019")
    spec = json.loads(
        re.search(r'<script id="chart-forces-data" type="application/json">(.*?)</script>', page, re.S).group(
            1
        )
    )
    count, rate = spec["data"]
    assert count["x"][:2] == [50, 18]
    assert rate["y"] == ["Surrey", "Metropolitan Police", "Greater Manchester", "Cumbria", "Hertfordshire"]
    assert 0 not in rate["x"]


def test_a_total_entered_on_the_return_makes_the_count_complete(get):
    from django.utils import timezone

    from cases.models import CaseLine, FoiRequest, FoiReturn
    from forces.models import Force

    request = FoiRequest.objects.create(
        slug="admin-entered",
        title="Admin-entered request",
        period_label="FY2018/19",
        period_start="2018-04-01",
        period_end="2019-03-31",
        year_basis="financial",
        counting_unit="people",
    )
    kent = FoiReturn.objects.create(
        request=request,
        force=Force.objects.get(slug="kent"),
        status="answered",
        reported_total=4,
        review_state="approved",
        approved_at=timezone.now(),
    )
    CaseLine.objects.create(foi_return=kent, count=4, outcome="written_warning")
    row = {r[0]: r for r in force_rows(get("?study=admin-entered"))}["Kent Police"]
    assert row[2] == "4"
    assert re.fullmatch(r"\d+\.\d\d", row[9])
