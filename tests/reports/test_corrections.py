"""Issue 8 item 5 and issue 13 items 2-4, from the outside review: each data correction in
fixtures/curation/ with its source's quote, as a reader sees it on the dashboard, the force and
request pages and in /figures.csv."""

import re

import pytest

from cases.models import ReportedFigure
from tests.reports.test_additional_figures import DASH, csv_rows, force_row, section, text

pytestmark = pytest.mark.django_db

BBW_2011 = "bbw-2011-police-databases"
HARTLEPOOL = "https://www.hartlepoolmail.co.uk/news/police-abuse-data-systems-1-3557703"
NORTHERN_ECHO = "https://www.thenorthernecho.co.uk/news/9128744.police-abused-access-databases/"
COUNTY_TIMES = "http://www.countytimes.co.uk/news/2016/07/07/gallery/big-brother-fears-over-dyfed-powys-data-breaches-45604/"
# The study's national 904 and 98 are published as outcomes ("subjected to internal disciplinary
# procedures", "employment terminated"): the engine reads them as its total and its dismissed only
# with the change to reports/engine.py described in the w-data report. Delete this marker with it.
# Figures of one study group by period label to be compared; the Lancashire Telegraph's "three
# years to c. 2011 (undated)" and DataBreaches.net's "three years (undated)" meet only with the
# change to reports/selectors.py described in the w-data report. Delete this marker with it.
# The Hartlepool Mail's 208 is held twice (once per reference file); the disagreement lists it
# once only with the change to reports/selectors.py described in the w-data report.
LANCASHIRE_TELEGRAPH = (
    "https://lancashiretelegraph.co.uk/news/8949877.lancashire-police-computers-misuse-probe"
)


def headline(page: str) -> dict:
    return {key: text(value) for key, value in re.findall(r'data-figure="([a-z-]+)">(.*?)</dd>', page, re.S)}


def figures_csv(client, **filters) -> list[dict]:
    query = "&".join(f"{key}={value}" for key, value in filters.items())
    return csv_rows(client, f"/figures.csv?{query}")


# --- Big Brother Watch 2011: 904 = named forces + not attributed -----------------------------


def test_bbw_2011_dashboard_reads_904_from_eight_named_forces_and_the_rest(client):
    """Big Brother Watch: "904 Police officers and staff were subjected to internal disciplinary
    procedures for breaching the DPA" and "98 Police officers and staff had their employment
    terminated"."""
    page = client.get(f"/dashboard/?study={BBW_2011}").content.decode()
    assert headline(page) == {
        "cases": "904",
        "dismissed": "98",
        "resigned": DASH,
        "other": "at least 13",
        "not-stated": "793",
        "forces": "8",
    }
    assert "People disciplined from 8 named forces; 437 not attributed to a force by the sources." in text(
        page
    )
    # "Merseyside (208), West Midlands (83), Humberside (62), South Yorkshire (42), and Northumbria (39)"
    expected = {
        "merseyside": ("208", "at least 7"),
        "west-midlands": ("83", "at least 7"),
        "humberside": ("62", "at least 5"),
        "south-yorkshire": ("42", "at least 1"),
        "northumbria": ("39", "at least 6"),
        "derbyshire": ("15", "at least 5"),
        "cleveland": ("14", "4"),
        "durham": ("4", "1"),
    }
    for force, (cases, dismissed) in expected.items():
        row = force_row(page, "force-table", force)
        assert (row["cases"], row["dismissed"]) == (cases, dismissed), force


def test_bbw_2011_request_page_reconciles_904_and_98(client):
    page = client.get(f"/requests/{BBW_2011}/").content.decode()
    reconciliation = text(re.search(r'<ul class="reconciliation">(.*?)</ul>', page, re.S).group(1))
    assert reconciliation == (
        "904 people disciplined reported ( Big Brother Watch ) = 467 attributed to 8 named forces"
        " + 437 not attributed. Reconciles"
        " 98 dismissed reported ( Big Brother Watch ) = 36 attributed to 8 named forces"
        " + 62 not attributed. Reconciles"
    )
    assert "No national total is published in this study’s unit" not in text(page)


def test_subjected_to_disciplinary_procedures_is_not_an_outcome(client):
    """The 904 are "subjected to internal disciplinary procedures": no sanction is read into it,
    so beside the dismissals the outcome is not stated, never 0."""
    page = client.get(f"/requests/{BBW_2011}/").content.decode()
    merseyside = force_row(page, "force-table", "merseyside")
    assert (
        merseyside["dismissed"],
        merseyside["resigned"],
        merseyside["other"],
        merseyside["not-stated"],
    ) == (
        "at least 7",
        DASH,
        DASH,
        "201",
    )


def test_northumbria_2011_is_39_exactly_on_its_force_page(client):
    """The Northern Echo: "Twenty police officers had been disciplined and a further 19 civilian
    staff"; "six people had been sacked for breaches – two police officers and four civilian staff".
    The sacked are read as among the 39 (docs/data.md), so 39 is exact and 6 of them dismissed."""
    url, table = "/forces/northumbria/", "force-studies-people_disciplined"
    page = client.get(url).content.decode()
    table_html = re.search(rf'<table[^>]*id="{table}".*?</table>', page, re.S).group(0)
    row = re.search(
        rf'<tr data-force="northumbria" data-study="{BBW_2011}"[^>]*>(.*?)</tr>', table_html, re.S
    )
    found = {
        key: text(value) for key, value in re.findall(r'data-cell="([^"]+)">(.*?)</td>', row.group(1), re.S)
    }
    assert (found["cases"], found["officers"], found["staff"], found["dismissed"], found["not-stated"]) == (
        "39",
        "20",
        "19",
        "at least 6",
        "33",
    )


def test_south_yorkshire_2011_holds_the_one_member_of_staff_sacked(client):
    """Yorkshire Post: "...while South Yorkshire Police sacked one member of staff"; Big Brother
    Watch: South Yorkshire (42) subjected to internal disciplinary procedures."""
    page = client.get(f"/requests/{BBW_2011}/").content.decode()
    row = force_row(page, "force-table", "south-yorkshire")
    assert (row["cases"], row["officers"], row["staff"], row["dismissed"]) == (
        "42",
        DASH,
        "at least 1",
        "at least 1",
    )


# --- Disagreements and caveats on the figures ---------------------------------------------------


def test_merseyside_208_legal_cautions_is_uncertain_in_both_copies(client):
    """Hartlepool Mail: "Top of the league of breaches was Merseyside where 208 legal cautions were
    made"; held from both reference files, so both copies carry the same badge and reading."""
    rows = [
        r
        for r in figures_csv(client, force="merseyside")
        if r["source_url"] == HARTLEPOOL and r["value"] == "208"
    ]
    assert len(rows) == 2
    assert {r["uncertain"] for r in rows} == {
        "What the 208 are is disputed: criminal convictions, internal disciplinary procedures or legal cautions, by source."
    }
    assert len({r["sources_differ"] for r in rows}) == 1 and rows[0]["sources_differ"].startswith(
        "Merseyside's 208 (2007 to 2010) is read three ways."
    )


def test_greater_manchester_17_says_the_sources_differ(client):
    """The Register: "Greater Manchester investigated 17 offences"; The Commentator: "launched 17
    disciplinary investigations"; IGCTS: "17 for misuse of force systems"."""
    rows = [r for r in figures_csv(client, force="greater-manchester") if r["value"] == "17"]
    assert len(rows) == 4
    assert {r["sources_differ"][:80] for r in rows} == {
        "What Greater Manchester's 17 are is read differently: The Register says it “inve"
    }
    page = client.get("/figures/?force=greater-manchester").content.decode()
    for row in rows:
        found = re.search(rf'<tr data-figure="{row["figure_id"]}".*?</tr>', page, re.S).group(0)
        assert "Sources differ: What Greater Manchester's 17 are is read differently" in text(found)


def test_hertfordshire_2_says_the_sources_differ(client):
    """ITPro: "Two employees from Hertfordshire's constabulary were reprimanded for the same reason"
    as the Met's social-media cases; The Commentator: "taking a photograph of a police IT system
    screen and sharing on social media"."""
    rows = [
        r
        for r in figures_csv(client, force="hertfordshire")
        if r["kind"].startswith("offence:") and r["value"] == "2"
    ]
    assert len(rows) == 3
    for row in rows:
        assert row["sources_differ"].startswith("What Hertfordshire's two did is read differently")
        assert "“reprimanded for the same reason”" in row["sources_differ"]


def test_lancashire_telegraph_allegations_say_how_they_are_read(client):
    """Lancashire Telegraph: "30 against officers and 54 against staff in the last three years";
    DataBreaches.net: "a total of 84 beaches of data protection laws"."""
    rows = [r for r in figures_csv(client, force="lancashire") if r["request"] == "lancashire-bbw"]
    totals = {
        (r["value"], r["source_url"] == LANCASHIRE_TELEGRAPH): r["sources_differ"]
        for r in rows
        if r["value"] in ("84", "30", "54")
    }
    assert set(totals) == {("84", False), ("30", True), ("54", True)}
    for reading in totals.values():
        assert reading.startswith("The sources count different things")
        assert "(84 = 30 + 54)" in reading
    page = client.get("/forces/lancashire/").content.decode()
    disagreements = text(re.search(r'<ul id="disagreements">(.*?)</ul>', page, re.S).group(1))
    assert (
        "the Lancashire Telegraph gives “30 against officers and 54 against staff” (allegations"
        in disagreements
    )


def test_dyfed_powys_period_disagreement_is_on_each_figure(client):
    """County Times: "NO action was taken in eight Dyfed-Powys Police data breaches over five and a
    half years"; the study's period is June 2011 to December 2015."""
    rows = [r for r in figures_csv(client, force="dyfed-powys") if r["source_url"] == COUNTY_TIMES]
    assert len(rows) == 3
    for row in rows:
        assert row["period"] == "2011-06-01 to 2015-12-31"
        assert "the County Times says “over five and a half years”" in row["sources_differ"]
    page = client.get("/forces/dyfed-powys/").content.decode()
    assert "over five and a half years" in text(
        re.search(r'<ul id="disagreements">(.*?)</ul>', page, re.S).group(1)
    )


def test_northern_echo_figures_each_carry_the_period_disagreement(client):
    """The Northern Echo gives the period as "from May 2008 to May this year" (2011)."""
    rows = [r for r in figures_csv(client, study=BBW_2011) if r["source_url"] == NORTHERN_ECHO]
    assert len(rows) == ReportedFigure.objects.filter(source__url=NORTHERN_ECHO).count() == 7
    for row in rows:
        assert (
            "the Northern Echo gives it as “from May 2008 to May this year” (2011)" in row["sources_differ"]
        )


def test_the_mets_own_18_are_listed_against_its_no_breach_since_2016(client):
    """The Daily Brit: the Met "had not had a single data breach since 2016"; Parliament Street's
    sources: "At the Met, 18 officers and staff were disciplined for data offences"."""
    rows = [
        r
        for r in figures_csv(client, force="metropolitan")
        if r["request"] == "parliament-street-2019" and r["value"] == "18"
    ]
    assert len(rows) == 5
    for row in rows:
        assert row["sources_differ"].startswith(
            "VPNOverview (reported by The Daily Brit) says the Metropolitan Police"
        )
    page = client.get("/forces/metropolitan/").content.decode()
    listed = text(re.search(r'<li id="disagreement-1"[^>]*>(.*?)</li>', page, re.S).group(1))
    assert "Metropolitan Police Service, cases (total) — 18 (ITPro)" in listed
    assert "all recorded data breaches, accidents included (total) — 0 (The Daily Brit)" in listed


def test_lancashire_84_reconciles_with_30_officers_and_54_staff_on_its_pages(client):
    """DataBreaches.net: "There were a total of 84 beaches of data protection laws"; the Lancashire
    Telegraph: "30 against officers and 54 against staff in the last three years"."""
    for url in ("/forces/lancashire/", "/requests/lancashire-bbw/"):
        reconciled = section(client.get(url).content.decode(), "reconciling-figures")
        assert reconciled == (
            "Lancashire Constabulary, breaches (total), three years (undated): 84 (DataBreaches.net)"
            " = 30 officers + 54 staff (Lancashire Telegraph). Reconciles"
        ), url


def test_merseyside_208_disagreement_lists_three_readings_not_four(client):
    """Big Brother Watch: "208 officers and Police staff received criminal convictions" and, in its
    list, "subjected to internal disciplinary procedures"; the Hartlepool Mail: "208 legal cautions"."""
    for url in ("/forces/merseyside/", f"/requests/{BBW_2011}/"):
        page = client.get(url).content.decode()
        item = next(
            text(li)
            for li in re.findall(r'<li id="disagreement-\d+"[^>]*>(.*?)</li>', page, re.S)
            if "Merseyside's 208" in text(li)
        )
        assert item.endswith(
            "The figures concerned: Merseyside Police, outcome: caution (members of staff) — 208 (Hartlepool Mail);"
            " Merseyside Police, outcome: criminal conviction (officers and staff) — 208 (Big Brother Watch (via Scribd));"
            " Merseyside Police, outcome: disciplined (officers and staff) — 208 (Big Brother Watch (via Scribd))."
        ), url
