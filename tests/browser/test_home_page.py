"""A visitor opens the home page in a real browser and reads the Surrey row."""

from tests.browser.conftest import assert_accessible


def test_visitor_reads_surrey_row_and_page_is_accessible(site, page, axe):
    page.goto(site + "/")
    assert page.get_by_role("heading", level=1).inner_text() == (
        "237 police officers and staff disciplined for misusing IT in two years"
    )
    surrey = page.locator('#force-table tr[data-force="surrey"]')
    cells = surrey.locator("th, td").all_inner_texts()
    assert cells[:2] == ["Surrey Police", "50"]
    # Outcome not stated; per 1,000 headcount, and under it what the rate is.
    assert cells[7:9] == ["50", "13.41\n6.71 a year; headcount at 31 Mar 2019, over 2 years"]
    assert surrey.get_by_role("link", name="The Register").get_attribute("href") == (
        "https://www.theregister.com/2019/11/11/police_database_security/"
    )
    assert page.locator('#force-table tr[data-force="gwent"] td').first.inner_text() == "at least 3"
    # The stylesheet is served locally, and applied.
    assert (
        page.evaluate("getComputedStyle(document.querySelector('.site-header')).borderBottomStyle") == "solid"
    )
    assert_accessible(axe, page)


def test_accessibility_check_reports_a_real_violation(site, page, axe):
    # Guards the guard: an image without alternative text must be reported.
    page.goto(site + "/")
    page.evaluate(
        "document.querySelector('main').append(Object.assign(document.createElement('img'), {src: '/x.png'}))"
    )
    results = axe.run(page)
    assert results.violations_count == 1
    assert "image-alt" in results.generate_report()
