"""The analysts' dashboard: one FilterSet, exact totals, facets that add up, honest rates."""

import re
from html import unescape

import pytest
from django.http import QueryDict

pytestmark = pytest.mark.django_db

DASH = "— (not stated in the sources)"
PART_RATE = "— (no rate: only part of the force's count here is known)"
NO_HEADCOUNT = "— (no rate: no Home Office headcount within two years of the end of the study's period (the workforce tables held cover 2017 to 2019))"
NOT_STATED_ROW = "Force not stated (computed: the study’s total less the named forces)"


def text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", html))).strip()


def figure(page: str, name: str) -> str:
    """A headline figure as read: "237", "at least 16", or "—" (its hidden words left out)."""
    shown = text(re.search(rf'data-figure="{name}">(.*?)</dd>', page, re.S).group(1))
    return shown.replace(" (not stated in the sources)", "")


def force_rows(page: str) -> list[list[str]]:
    body = re.search(
        r'<table class="figures" id="force-table"[^>]*>.*?<tbody>(.*?)</tbody>', page, re.S
    ).group(1)
    return [
        [text(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr data-force[^>]*>(.*?)</tr>", body, re.S)
    ]


@pytest.fixture
def get(client, django_assert_max_num_queries):
    def get(query: str = "", status: int = 200) -> str:
        # The dashboard's own queries and the page cache's two version reads; a bad filter is
        # refused before most of them.
        with django_assert_max_num_queries(12):
            response = client.get(f"/dashboard/{query}")
        assert response.status_code == status, response.content[:500]
        return response.content.decode()

    return get


@pytest.mark.parametrize(
    "query, cases, dismissed, forces",
    [
        # People disciplined only (the default unit): Parliament Street 237 + Cleveland 4 + West
        # Midlands 7 + Northumbria 3 + the Telegraph's Merseyside lines (198, its total unknown) +
        # Big Brother Watch 2011's 904 (eight named forces and the rest) with its 98 terminations.
        ("", "at least 1,353", "at least 114", "17"),
        ("?study=parliament-street-2019", "237", "11", "10"),
        ("?study=parliament-street-2019&study=cleveland-11288-2019", "241", "11", "11"),
        # Surrey: 50 people disciplined (2019); its 202 data breaches (2016) are another unit.
        ("?force=surrey", "50", "—", "1"),
        # Surrey 2016 by outcome (Staines Informer): 29 dismissed, and 6 whose outcome was not
        # known (4 ongoing, 2 without information), so "at least".
        ("?force=surrey&unit=data_breaches", "202", "at least 29", "1"),
        ("?force=surrey&force=metropolitan", "68", "at least 1", "2"),
        ("?region=London", "18", "at least 1", "1"),
        ("?country=Wales", "at least 3", "at least 3", "1"),
        ("?role=officer", "at least 246", "at least 9", "6"),
        ("?offence=social_media", "at least 4", "—", "1"),
        ("?system=cris", "at least 1", "at least 1", "1"),
        ("?outcome=dismissed", "at least 114", "at least 114", "11"),
        ("?outcome=dismissed&outcome=resigned_retired", "at least 120", "at least 114", "11"),
        ("?criminal_outcome=convicted", "at least 1", "—", "1"),
        # The period keeps every 2019 line: Parliament Street 237 + Cleveland 4 + Northumbria 3.
        ("?year_from=2019", "244", "11", "12"),
        # The Telegraph's Merseyside 198 + Big Brother Watch 2011's 904 (98 of them dismissed).
        ("?year_to=2010", "at least 1,102", "at least 98", "8"),
        # No people-disciplined study dates 2011–2012: the view counts what it finds, breaches
        # (Big Brother Watch 2016: 10 named forces; Surrey's 29, North Yorkshire's 3, Cleveland's 1).
        ("?year_from=2011&year_to=2012", "2,315", "at least 33", "10"),
        ("?q=family", "at least 9", "—", "1"),
        ("?q=detainee", "at least 1", "at least 1", "1"),
        ("?study=parliament-street-2019&outcome=dismissed&sort=-rate", "11", "11", "4"),
    ],
)
def test_filters_give_exact_totals(get, query, cases, dismissed, forces):
    page = get(query)
    assert (figure(page, "cases"), figure(page, "dismissed"), figure(page, "forces")) == (
        cases,
        dismissed,
        forces,
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
            "'forse' is not a filter. Filters: study, year_from, year_to, force, region, country, role, offence, system, outcome, criminal_outcome, q, unit.",
        ),
        (
            "?unit=cats",
            "What is counted ('unit'): Select a valid choice. cats is not one of the available choices. Accepted values: people_disciplined, people_investigated,",
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
    assert rows[NOT_STATED_ROW][2:9] == ["102", DASH, DASH, "2", "6", DASH, "94"]
    assert rows["Surrey Police"][2:10] == [
        "50",
        DASH,
        DASH,
        DASH,
        DASH,
        DASH,
        "50",
        "13.41 6.71 a year; headcount at 31 Mar 2019, over 2 years",
    ]
    assert rows["Metropolitan Police Service"][2:10] == [
        "18",
        DASH,
        "at least 5",
        "at least 1",
        DASH,
        "at least 4",
        "13",
        "0.43 0.22 a year; headcount at 31 Mar 2019, over 2 years",
    ]
    assert rows["Gwent Police"][2] == "at least 3"
    assert rows["Gwent Police"][9] == PART_RATE


def test_every_row_links_to_its_sources(get):
    rows = {row[0]: row for row in force_rows(get("?study=parliament-street-2019"))}
    assert rows["Cumbria Constabulary"][10] == "Blackmere Consulting, The Commentator"
    assert rows[NOT_STATED_ROW][10] == "Blackmere Consulting, IGCTS, ITPro, The Commentator, The Register"


def test_filtering_on_an_outcome_makes_forces_with_unstated_outcomes_at_least(get):
    rows = {row[0]: row for row in force_rows(get("?study=parliament-street-2019&outcome=dismissed"))}
    assert rows["Metropolitan Police Service"][2] == "at least 1"
    assert rows["Metropolitan Police Service"][9] == PART_RATE
    # The study's published 11 dismissed, all accounted for: the remainder is exact.
    assert rows[NOT_STATED_ROW][2] == "2"


def test_filtering_for_not_stated_keeps_counts_exact(get):
    rows = {row[0]: row for row in force_rows(get("?region=North+West&outcome=not_stated&sort=-rate"))}
    page = get("?region=North+West&outcome=not_stated&sort=-rate")
    assert rows["Cumbria Constabulary"][2] == "16"
    assert rows["Cumbria Constabulary"][9] == "8.10 4.05 a year; headcount at 31 Mar 2019, over 2 years"
    assert rows["Greater Manchester Police"][9].split()[0] == "1.55"
    # Merseyside's counts are known only in part, so the total is a lower bound, and says why.
    assert figure(page, "cases") == "at least 234"
    assert (
        "these filters also reach Merseyside Police (Parliament Street, FY2017/18–FY2018/19); Merseyside Police (The Daily Telegraph, 2008–2009),"
        in text(page)
    )


def test_rate_needs_workforce_within_two_years(get):
    rows = {(row[0], row[1]): row for row in force_rows(get("?force=surrey"))}
    assert (
        rows[("Surrey Police", "Parliament Street, FY2017/18–FY2018/19")][9]
        == "13.41 6.71 a year; headcount at 31 Mar 2019, over 2 years"
    )
    # Big Brother Watch 2016 ends in December 2015; the nearest headcount is March 2019.
    rows = {(row[0], row[1]): row for row in force_rows(get("?force=surrey&unit=data_breaches"))}
    assert rows[("Surrey Police", "Big Brother Watch, 1 June 2011 to 31 December 2015")][9] == NO_HEADCOUNT


def test_sorting_by_rate_puts_unknown_rates_last(get):
    rows = force_rows(get("?study=parliament-street-2019&sort=-rate"))
    # The rate, then what it is (its rate a year, the headcount date, the period).
    rates = [row[9].split(" ")[0] if row[9][0].isdigit() else row[9] for row in rows]
    assert rates[:6] == ["13.41", "8.10", "4.26", "1.55", "0.43", "— (no rate: the force is not stated)"]
    assert all(rate == PART_RATE for rate in rates[6:])
    ascending = [row[9].split(" ")[0] for row in force_rows(get("?study=parliament-street-2019&sort=rate"))]
    assert ascending[:5] == ["0.43", "1.55", "4.26", "8.10", "13.41"]


def test_sort_links_keep_the_filters(get):
    page = get("?study=parliament-street-2019&outcome=dismissed")
    assert 'href="?study=parliament-street-2019&amp;outcome=dismissed&amp;sort=-rate#results"' in page


def facet_options(page: str, facet: str) -> dict[str, str]:
    block = re.search(rf'data-facet="{facet}">(.*?)</fieldset>', page, re.S).group(1)
    return {
        value: text(count).replace(" (not stated in the sources)", "")
        for value, count in re.findall(
            r'<input[^>]*value="([^"]*)"[^>]*>.*?<span class="count" data-count>(.*?)</span>\s*</',
            block,
            re.S,
        )
    }


@pytest.mark.parametrize("query", ["?study=parliament-street-2019", "?region=South+East&outcome=not_stated"])
@pytest.mark.parametrize("facet", ["unit", "study", "region", "force", "role", "offence", "outcome"])
def test_each_facet_count_is_the_headline_it_leads_to(get, query, facet):
    """A facet's count is the page its option opens: the same value, the same "at least"."""
    page = get(query)
    options = facet_options(page, facet)
    assert options, facet
    base = QueryDict(query.lstrip("?"), mutable=True)
    for value, count in options.items():
        chosen = base.copy()
        chosen.setlist(facet, [value])
        assert figure(get("?" + chosen.urlencode()), "cases") == count, (facet, value)


def test_facet_counts_beside_options(get):
    page = get("?study=parliament-street-2019")
    assert facet_options(page, "outcome") == {
        "not_stated": "204",
        "dismissed": "11",
        "misconduct_meeting": "at least 9",
        "disciplined": "at least 7",
        "resigned_retired": "6",
    }
    # Counted in each unit's own terms, never added across units.
    assert facet_options(get("?force=surrey"), "unit") == {"people_disciplined": "50", "data_breaches": "202"}
    # West Midlands' reply gives its 7 as 5 officers and 2 staff (outcomes not split by role).
    assert facet_options(get("?study=west-midlands-4624-14"), "role") == {"officer": "5", "police_staff": "2"}
    assert figure(get("?study=west-midlands-4624-14&role=officer"), "cases") == "5"


def breakdown_table(page: str, dimension: str) -> dict[str, list[str]]:
    table = re.search(
        rf'<table class="figures" id="{dimension}-table".*?</table>\s*</div>\s*<p class="hint">.*?</p>',
        page,
        re.S,
    ).group(0)
    rows = {
        code: [text(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", body, re.S)]
        for code, body in re.findall(r'<tr data-code="([^"]+)"[^>]*>(.*?)</tr>', table, re.S)
    }
    rows["hint"] = [text(re.search(r'<p class="hint">(.*?)</p>', table, re.S).group(1))]
    return rows


def test_breakdown_tables_match_reference_data(get):
    page = get("?study=parliament-street-2019")
    # 146 of the 237 have no offence stated, so each stated offence is a lower bound.
    assert breakdown_table(page, "offence") == {
        "system_misuse": ["Misuse of police systems (nature not stated)", "at least 53", "3"],
        "unauthorised_access": ["Accessing records without a policing purpose", "at least 31", "5"],
        "social_media": ["Misuse of social media", "at least 4", "1"],
        "unauthorised_disclosure": ["Disclosing information without authority", "at least 3", "2"],
        "not_stated": ["Not stated", "146", ""],
        "hint": ["Stated for 91 of 237."],
    }
    # The published national 11 dismissed and 6 resigned are exact; the rest are lower bounds.
    assert breakdown_table(page, "outcome") == {
        "dismissed": ["Dismissed", "11", "4"],
        "misconduct_meeting": ["Misconduct meeting (result not stated)", "at least 9", "1"],
        "disciplined": ["Disciplined (sanction not stated)", "at least 7", "3"],
        "resigned_retired": ["Resigned or retired", "6", "0"],
        "not_stated": ["Not stated", "204", ""],
        "hint": ["Stated for 33 of 237."],
    }
    # A breakdown reads as the facet for the same value.
    facets = facet_options(page, "offence")
    for code, row in breakdown_table(page, "offence").items():
        if code != "hint":
            assert facets[code] == row[1], code


def test_charts_are_embedded_as_json_with_local_plotly(get):
    page = get("?study=parliament-street-2019")
    for chart in ["chart-forces", "chart-offences", "chart-outcomes", "chart-outcome-roles"]:
        assert f'<div class="chart" data-chart="{chart}-data" id="{chart}" role="group"' in page
        assert f'<script id="{chart}-data" type="application/json">' in page
    # One study: nothing to show over time.
    assert "chart-trend" not in page
    assert '<script id="chart-trend-data" type="application/json">' in get("")
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
    assert re.fullmatch(r"\d+\.\d\d \d+\.\d\d a year; headcount at 31 Mar 2019, over 1 year", row[9])
