"""Every public page fits a phone (390 × 844) and a laptop (1366 × 768): nothing is wider than the
screen, wide tables scroll inside their own box, charts fit theirs, and on a phone the dashboard
shows its results first with the filters folded behind one button."""

import pytest

from tests.browser.conftest import assert_accessible

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}
PAGES = [
    "/",
    "/dashboard/",
    "/dashboard/?force=surrey",
    "/dashboard/?study=parliament-street-2019&sort=rate",
    "/cases/",
    "/cases/?force=surrey&force=metropolitan",
    "/forces/",
    "/forces/surrey/",
    "/forces/merseyside/",
    "/requests/",
    "/requests/parliament-street-2019/",
    "/figures/",
    "/methodology/",
    "/dashboard/?force=nowhere",  # the bad-filter page (400)
]
# A release's own pages, and pages read in a release (banner, citation).
RELEASE_PAGES = [
    "/releases/",
    "/releases/2026.11.1/",
    "/dashboard/?release=2026.11.1",
    "/forces/surrey/?release=2026.11.1",
]


@pytest.fixture
def screen(browser, request):
    context = browser.new_context(viewport=request.param)
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("screen", [PHONE, LAPTOP], ids=["phone", "laptop"], indirect=True)
def test_no_page_is_wider_than_the_screen(site, screen):
    from reports.releases import release_cut

    release_cut(note="For the screens.", number="2026.11.1", site_url=site)
    too_wide = []
    for url in PAGES + RELEASE_PAGES:
        screen.goto(site + url)
        screen.wait_for_load_state("networkidle")  # charts drawn
        width, screen_width = screen.evaluate("[document.documentElement.scrollWidth, innerWidth]")
        if width > screen_width:
            too_wide.append(f"{url}: {width} px")
    assert too_wide == []


def box(page, selector: str) -> dict:
    return page.locator(selector).evaluate(
        "e => { const r = e.getBoundingClientRect(); return {left: r.left, right: r.right, top: r.top, width: r.width}; }"
    )


@pytest.mark.parametrize("screen", [PHONE], ids=["phone"], indirect=True)
def test_phone_dashboard_shows_results_first_and_folds_the_filters(site, screen, axe):
    screen.goto(site + "/dashboard/?study=parliament-street-2019&force=surrey&force=cumbria")
    screen.locator("#chart-forces[data-rendered]").wait_for()
    assert box(screen, "h1")["top"] < 100, "a compact header"
    nav_link = screen.locator("#site-nav a[href='/dashboard/']")
    assert nav_link.is_hidden(), "the menu is folded"
    screen.get_by_role("button", name="Menu").click()
    assert nav_link.is_visible()

    toggle = screen.get_by_role("button", name="Filters (3 active)")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert screen.get_by_role("button", name="Apply filters").is_hidden()
    assert box(screen, "#results")["top"] < PHONE["height"], "the results start on the first screen"
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert screen.get_by_role("button", name="Apply filters").is_visible()
    toggle.click()

    # The force table scrolls inside its box, says so, and keeps the force column in view.
    scroller = screen.locator("#force-table").locator("xpath=..")
    assert scroller.evaluate("e => e.scrollWidth > e.clientWidth")
    assert screen.get_by_text("Scroll sideways for more columns").first.is_visible()
    first_cell = '#force-table tbody tr[data-force="surrey"] th'
    left = box(screen, first_cell)["left"]
    scroller.evaluate("e => { e.scrollLeft = 300; }")
    assert scroller.evaluate("e => e.scrollLeft") == 300
    assert box(screen, first_cell)["left"] == left
    # The chart is drawn to its box's width.
    assert box(screen, "#chart-forces .main-svg >> nth=0")["width"] <= box(screen, "#chart-forces")["width"]
    assert box(screen, "#chart-forces")["right"] <= PHONE["width"]
    assert_accessible(axe, screen)


@pytest.mark.parametrize("screen", [LAPTOP], ids=["laptop"], indirect=True)
def test_laptop_dashboard_shows_the_whole_force_table_beside_the_filters(site, screen):
    screen.goto(site + "/dashboard/")
    table, scroller = box(screen, "#force-table"), box(screen, "#force-table >> xpath=..")
    assert table["width"] <= scroller["width"]
    rate = box(screen, "#force-table thead th:has-text('Per 1,000 headcount')")
    assert rate["right"] <= scroller["right"]
    assert screen.get_by_role("button", name="Apply filters").is_visible()
    assert screen.get_by_role("button", name="Filters (0 active)").is_hidden()
    assert screen.get_by_text("Scroll sideways for more columns").first.is_hidden()
