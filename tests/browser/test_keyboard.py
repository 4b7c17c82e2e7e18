"""A keyboard user filters, sorts and downloads on the dashboard with the Tab, Space and Enter keys
alone; focus lands on the results after each step, a live region says what is shown, and the
address carries no empty parameters."""

FOCUSED = """(() => { const e = document.activeElement;
  return [e.tagName.toLowerCase(), e.id, (e.innerText || e.value || '').trim().slice(0, 80), e.labels && e.labels[0] ? e.labels[0].innerText.trim() : '']; })()"""


def tab_to(page, matches, limit: int = 80) -> int:
    """Press Tab until the focused element matches; return how many presses it took."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if matches(page.evaluate(FOCUSED)):
            return presses
    raise AssertionError(f"not reached in {limit} Tab presses; focus is on {page.evaluate(FOCUSED)}")


def focused_on_results(page) -> str:
    """The text of the results heading, once it has focus (polled here: the CSP forbids eval)."""
    for _ in range(50):
        focused = page.evaluate(FOCUSED)
        if focused[1] == "results":
            return focused[2]
        page.wait_for_timeout(100)
    raise AssertionError(f"focus is on {focused}, not the results heading")


def test_keyboard_user_filters_sorts_and_downloads(site, page):
    page.goto(site + "/dashboard/")
    to_filter = tab_to(page, lambda f: f[3] == "North West")
    page.keyboard.press("Space")
    to_apply = tab_to(page, lambda f: f[2] == "Apply filters")
    print(f"Tab presses: {to_filter} to the filter, {to_apply} more to Apply")
    assert (to_filter, to_apply) <= (25, 30)
    page.keyboard.press("Enter")
    page.wait_for_url("**/dashboard/?*")
    assert page.url.endswith("/dashboard/?unit=people_disciplined&region=North+West#results")
    assert focused_on_results(page) == "Results"
    status = page.get_by_role("status")
    status.filter(has_text="at least 441 people disciplined shown").wait_for(state="attached")
    assert page.locator('[data-figure="cases"]').inner_text() == "at least 441"

    # A sort: from the results, the sort links are a few presses away, and focus comes back.
    to_sort = tab_to(page, lambda f: f[2].startswith("Per 1,000 headcount"))
    assert to_sort <= 20, to_sort
    page.keyboard.press("Enter")
    page.wait_for_url("**sort=-rate**")
    assert focused_on_results(page) == "Results"
    assert page.locator("#force-table tbody tr").first.locator("th").inner_text() == "Cumbria Constabulary"

    # The downloads sit beside the results heading.
    to_download = tab_to(page, lambda f: f[0] == "a" and f[2] == "CSV")
    assert to_download == 1
    with page.expect_download() as download_info:
        page.keyboard.press("Enter")
    assert download_info.value.suggested_filename.startswith(
        "misuse-tracker_forces_people_disciplined_north-west_"
    )


def test_skip_link_goes_to_the_results(site, page):
    page.goto(site + "/cases/?force=surrey")
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED)[2] == "Skip to the results"
    page.keyboard.press("Enter")
    assert focused_on_results(page) == "Matching lines"
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED)[2] == "CSV", "the downloads follow the results heading"


def test_focus_is_a_thick_ring(site, page):
    page.goto(site + "/methodology/")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # past the skip link: the brand
    style = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement); return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow]; })()"
    )
    assert style[:3] == ["solid", "3px", "rgb(27, 27, 27)"]
    assert "rgb(255, 221, 0)" in style[3]


def test_chart_switch_is_a_button_the_keyboard_reaches(site, page):
    page.goto(site + "/dashboard/?study=parliament-street-2019")
    page.locator("#chart-forces[data-rendered]").wait_for()
    tab_to(page, lambda f: f[0] == "button" and f[2] == "Per 1,000 headcount", limit=200)
    page.keyboard.press("Enter")
    page.locator("#chart-forces .gtitle", has_text="per 1,000 headcount").wait_for()
    assert page.get_by_role("button", name="Per 1,000 headcount").get_attribute("aria-pressed") == "true"
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Space")
    page.locator("#chart-forces .gtitle", has_text="People disciplined, by force").wait_for()
    # Every chart has a name and is described by its caption.
    for chart in page.locator(".chart").all():
        assert chart.get_attribute("aria-label")
        caption = page.locator("#" + chart.get_attribute("aria-describedby"))
        assert caption.inner_text().startswith("People disciplined")
