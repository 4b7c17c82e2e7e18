"""The home page shows the 2019 figures, per force, reconciled, each linked to its sources."""

import re
from html import unescape

import pytest

pytestmark = pytest.mark.django_db

REGISTER = "https://www.theregister.com/2019/11/11/police_database_security/"
COMMENTATOR = "http://www.thecommentator.com/article/7507/police_forces_discipline_237_officers_and_staff_over_computer_misuse"


@pytest.fixture
def page(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(16):
        response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", html))).strip()


def row(page: str, key: str) -> list[str]:
    match = re.search(rf'<tr data-force="{key}"[^>]*>(.*?)</tr>', page, re.S)
    assert match, key
    cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", match.group(1), re.S)
    return [text(cell) for cell in cells]


def test_headline_figures(page):
    assert "237 police officers and staff disciplined for misusing IT in two years" in page
    for figure, value in [
        ("cases", "237"),
        ("dismissed", "11"),
        ("resigned", "6"),
        ("forces-responded", "23"),
    ]:
        assert re.search(rf'data-figure="{figure}">{value}<', page), figure
    assert "for the financial years FY2017/18–FY2018/19, from 23 forces that responded of 45 asked" in text(
        page
    )


NS = "— (not stated in the sources)"


def test_surrey_row(page):
    # Columns: force, people disciplined, officers, staff, dismissed, resigned, other outcomes,
    # outcome not stated, rate, sources.
    assert row(page, "surrey") == [
        "Surrey Police",
        "50",
        NS,
        NS,
        NS,
        NS,
        NS,
        "50",
        "13.41 6.71 a year; headcount at 31 Mar 2019, over 2 years",
        "Blackmere Consulting, IGCTS, ITPro, The Commentator, The Register",
    ]


def test_met_row_shows_stated_outcomes_and_rate(page):
    # 18 people: 1 staffer dismissed, 4 staff disciplined over social media, 13 not described.
    # With 13 outcomes and roles unstated, the stated ones are lower bounds.
    assert row(page, "metropolitan")[:9] == [
        "Metropolitan Police Service",
        "18",
        NS,
        "at least 5",
        "at least 1",
        NS,
        "at least 4",
        "13",
        "0.43 0.22 a year; headcount at 31 Mar 2019, over 2 years",
    ]


@pytest.mark.parametrize(
    "slug, cases",
    [("gwent", 3), ("wiltshire", 3), ("merseyside", 2), ("nottinghamshire", 1), ("west-yorkshire", 9)],
)
def test_partly_known_forces_read_at_least_and_have_no_rate(page, slug, cases):
    cells = row(page, slug)
    assert cells[1] == f"at least {cases}"
    assert cells[8] == "— (no rate: only part of the force's count here is known)"


def test_force_not_stated_row_and_total(page):
    # The remainder of published totals is exact: 237 - 135 people, 11 - 9 dismissed, 6 - 0 resigned.
    assert row(page, "not-stated")[:8] == [
        "Force not stated (computed: the study’s total less the named forces)",
        "102",
        NS,
        NS,
        "2",
        "6",
        NS,
        "94",
    ]
    # Summed over the whole study its lines are every case it counts: outcomes and roles stated
    # on only some of them are lower bounds; the published totals are exact.
    assert row(page, "total")[:8] == [
        "All rows",
        "237",
        "at least 2",
        "at least 16",
        "11",
        "6",
        "at least 16",
        "204",
    ]


def test_reconciliation_lines(page):
    reconciliation = text(re.search(r'<ul class="reconciliation">(.*?)</ul>', page, re.S).group(1))
    assert (
        "237 people disciplined reported (Blackmere Consulting, Daily Telegraph, IGCTS, ITPro, The Commentator, The Register)"
        " = 135 attributed to 10 named forces + 102 not attributed. Reconciles"
    ) in reconciliation
    assert (
        "11 dismissed reported (Blackmere Consulting, IGCTS, ITPro, The Register) = 9 attributed to 4 named forces + 2 not attributed. Reconciles"
        in reconciliation
    )
    assert (
        "6 resigned or retired reported (Blackmere Consulting, IGCTS, ITPro, The Register) = 0 attributed to 0 named forces + 6 not attributed. Reconciles"
        in reconciliation
    )
    assert "Does not reconcile" not in reconciliation


def test_figures_link_to_their_sources(page):
    surrey = re.search(r'<tr data-force="surrey".*?</tr>', page, re.S).group(0)
    assert f'href="{REGISTER}"' in surrey
    assert f'href="{COMMENTATOR}"' in surrey


def test_every_study_is_listed_with_its_published_total(page):
    studies = {
        key: text(body) for key, body in re.findall(r'<tr data-request="([^"]+)">(.*?)</tr>', page, re.S)
    }
    assert len(studies) == 19
    # Each in its own unit, beside the lines held.
    assert (
        "Data-breach cases (“data breaches”) 2,315 data-breach cases 2,315"
        in studies["bbw-2016-safe-in-police-hands"]
    )
    assert (
        "779 investigations; covers: 34 responding forces (of 45 asked) not held as lines (published figures only)"
        in studies["huntsman-2017"]
    )
    assert "2,031 data-breach cases" in studies["pa-2014-data-breaches"]
    assert (
        "People disciplined (“officers and staff disciplined”) 237 people disciplined 237"
        in studies["parliament-street-2019"]
    )
    # Telegraph Merseyside: its lines are only part of what it counts.
    assert "at least 198" in studies["telegraph-merseyside-2011"]
    # No national total published: said so, never 0.
    assert "no national total published 3" in studies["northumbria-183-20"]
    # A published total of only part of the study's period says which part; all breaches, not misuse.
    assert (
        "2,386 all recorded data breaches (accidents included) in 2020; covers: 22 responding forces not held as lines (published figures only)"
        in studies["vpnoverview-2021"]
    )


def test_home_page_query_count_does_not_grow_with_data(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(16):
        client.get("/")
