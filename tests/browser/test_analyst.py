"""An analyst filters the dashboard, sorts forces by rate, and opens a force page."""

from tests.browser.conftest import assert_accessible


def test_analyst_filters_sorts_and_opens_a_force(site, page, axe):
    page.goto(site + "/dashboard/")
    # People disciplined only: breaches and allegations are other units, never added in.
    assert page.locator('[data-figure="cases"]').inner_text() == "at least 1,353"
    page.wait_for_selector("#chart-forces svg.main-svg")
    assert_accessible(axe, page)

    page.get_by_label("North West").check()
    page.locator('[data-facet="outcome"]').get_by_label("Not stated", exact=True).check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**/dashboard/?*")
    assert "region=North+West" in page.url and "outcome=not_stated" in page.url
    # Cumbria 16 + Greater Manchester 17 + Merseyside's 201 of 2007-2010, and Merseyside's count
    # here in the other studies is not known.
    assert page.locator('[data-figure="cases"]').inner_text() == "at least 234"
    assert "these filters also reach Merseyside Police" in page.locator("#note-unseen").inner_text()
    assert_accessible(axe, page)

    page.locator("#force-table thead").get_by_role("link", name="Per 1,000 headcount").click()
    page.wait_for_url("**sort=-rate**")
    first = page.locator("#force-table tbody tr").first
    assert first.locator("th").inner_text() == "Cumbria Constabulary"
    # The rate column: the rate, and under it what it is.
    assert (
        first.locator("td").nth(8).inner_text().split()
        == "8.10 4.05 a year; headcount at 31 Mar 2019, over 2 years".split()
    )
    assert (
        page.locator("#force-table th[aria-sort=descending]").inner_text().startswith("Per 1,000 headcount")
    )
    assert_accessible(axe, page)

    first.get_by_role("link", name="Cumbria Constabulary").click()
    page.wait_for_url("**/forces/cumbria/")
    assert page.get_by_role("heading", level=1).inner_text() == "Cumbria Constabulary"
    row = page.locator('#force-studies-people_disciplined tr[data-study="parliament-street-2019"]')
    assert row.locator("td").nth(1).inner_text() == "16"
    assert row.locator("td").nth(8).inner_text().split()[0] == "8.10"
    # One study in that unit: no chart of a single bar.
    assert page.locator(".chart").count() == 0
    assert_accessible(axe, page)


def test_force_chart_switches_to_rate(site, page):
    page.goto(site + "/dashboard/?study=parliament-street-2019")
    page.locator('#chart-forces[data-rendered="true"]').wait_for()
    switch = page.get_by_role("group", name="Show in the chart")
    rate = switch.get_by_role("button", name="Per 1,000 headcount")
    assert rate.get_attribute("aria-pressed") == "false"
    rate.click()
    page.locator(
        "#chart-forces .gtitle", has_text="People disciplined per 1,000 headcount, by force"
    ).wait_for()
    assert rate.get_attribute("aria-pressed") == "true"
    assert switch.get_by_role("button", name="Count", exact=True).get_attribute("aria-pressed") == "false"
    assert (
        page.get_by_role("group", name="Bar chart: people disciplined per 1,000 headcount, by force").count()
        == 1
    )
