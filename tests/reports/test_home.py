"""The home page shows the 2019 figures, per force, reconciled, each linked to its sources."""

import re
from html import unescape

import pytest

pytestmark = pytest.mark.django_db

REGISTER = "https://www.theregister.com/2019/11/11/police_database_security/"
COMMENTATOR = "http://www.thecommentator.com/article/7507/police_forces_discipline_237_officers_and_staff_over_computer_misuse"


@pytest.fixture
def page(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
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


def test_surrey_row(page):
    assert row(page, "surrey") == [
        "Surrey Police",
        "50",
        "— (not stated in the sources)",
        "— (not stated in the sources)",
        "— (not stated in the sources)",
        "50",
        "13.41",
        "Blackmere Consulting, IGCTS, ITPro, The Commentator, The Register",
    ]


def test_met_row_shows_stated_outcomes_and_rate(page):
    assert row(page, "metropolitan")[:7] == [
        "Metropolitan Police Service",
        "18",
        "1",
        "— (not stated in the sources)",
        "4",
        "13",
        "0.43",
    ]


@pytest.mark.parametrize(
    "slug, cases",
    [("gwent", 3), ("wiltshire", 3), ("merseyside", 2), ("nottinghamshire", 1), ("west-yorkshire", 9)],
)
def test_partly_known_forces_read_at_least_and_have_no_rate(page, slug, cases):
    cells = row(page, slug)
    assert cells[1] == f"at least {cases}"
    assert cells[6] == "— (no rate: total or workforce unknown)"


def test_force_not_stated_row_and_total(page):
    assert row(page, "not-stated")[:6] == [
        "Force not stated (computed: national figures minus the named forces)",
        "102",
        "2",
        "6",
        "— (not stated in the sources)",
        "94",
    ]
    assert row(page, "total")[:6] == ["All responding forces", "237", "11", "6", "16", "204"]


def test_reconciliation_lines(page):
    reconciliation = text(re.search(r'<ul class="reconciliation">(.*?)</ul>', page, re.S).group(1))
    assert (
        "237 cases reported (Blackmere Consulting, Daily Telegraph, IGCTS, ITPro, The Commentator, The Register)"
        " = 135 attributed to 10 named forces + 102 not attributed. Reconciles"
    ) in reconciliation
    assert (
        "11 dismissed reported (Blackmere Consulting, IGCTS, ITPro, The Register) = 9 attributed to 10 named forces + 2 not attributed. Reconciles"
        in reconciliation
    )
    assert (
        "6 resigned reported (Blackmere Consulting, IGCTS, ITPro, The Register) = 0 attributed to 10 named forces + 6 not attributed. Reconciles"
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
    assert len(studies) == 12
    assert "2,315" in studies["bbw-2016-safe-in-police-hands"]
    assert "779" in studies["huntsman-2017"]
    assert "2,031" in studies["pa-2014-data-breaches"]
    # No national total published: a dash, never 0.
    assert "— (not stated in the sources)" in studies["northumbria-183-20"]


def test_home_page_query_count_does_not_grow_with_data(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        client.get("/")
