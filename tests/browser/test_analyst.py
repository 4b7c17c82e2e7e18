"""An analyst filters the dashboard, sorts forces by rate, and opens a force page."""

from tests.browser.conftest import assert_accessible


def test_analyst_filters_sorts_and_opens_a_force(site, page, axe):
    page.goto(site + "/dashboard/")
    assert page.locator('[data-figure="cases"]').inner_text() == "2922"
    page.wait_for_selector("#chart-forces svg.main-svg")
    assert_accessible(axe, page)

    page.get_by_label("North West").check()
    page.locator('[data-facet="outcome"]').get_by_label("Not stated", exact=True).check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**/dashboard/?*")
    assert "region=North+West" in page.url and "outcome=not_stated" in page.url
    assert page.locator('[data-figure="cases"]').inner_text() == "97"
    assert_accessible(axe, page)

    page.locator("#force-table thead").get_by_role("link", name="Per 1,000 workforce").click()
    page.wait_for_url("**sort=-rate**")
    first = page.locator("#force-table tbody tr").first
    assert first.locator("th").inner_text() == "Cumbria Constabulary"
    assert first.locator("td").nth(8).inner_text() == "8.10"  # the rate column
    assert (
        page.locator("#force-table th[aria-sort=descending]").inner_text().startswith("Per 1,000 workforce")
    )
    assert_accessible(axe, page)

    first.get_by_role("link", name="Cumbria Constabulary").click()
    page.wait_for_url("**/forces/cumbria/")
    assert page.get_by_role("heading", level=1).inner_text() == "Cumbria Constabulary"
    chart = page.locator("#chart-force-studies")
    chart.locator("svg.main-svg").first.wait_for()
    assert chart.get_attribute("data-rendered") == "true"
    assert chart.locator(".bars path").count() == 1
    assert_accessible(axe, page)


def test_force_chart_switches_to_rate(site, page):
    page.goto(site + "/dashboard/?study=parliament-street-2019")
    page.locator('#chart-forces[data-rendered="true"]').wait_for()
    page.locator("#chart-forces").get_by_text("Per 1,000 workforce").click()
    page.locator("#chart-forces .gtitle", has_text="Cases per 1,000 workforce, by force").wait_for()
