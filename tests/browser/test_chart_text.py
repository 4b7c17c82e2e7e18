"""Every chart's words fit inside it and none lie over another, on a phone (390 px) and a desktop
(1280 px): the title, axis labels, the value beside or on every bar, the key. The home page,
dashboard views with and without filters, a force page and a study page."""

import pytest

WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
PAGES = [
    "/",
    "/dashboard/",
    "/dashboard/?outcome=dismissed",
    "/dashboard/?force=surrey",
    "/dashboard/?unit=data_breaches",
    "/dashboard/?study=parliament-street-2019",
    "/forces/merseyside/",
    "/requests/parliament-street-2019/",
]

# Each text Plotly draws in a chart, with the box it must stay in. The values on stacked parts
# that do not fit are hidden by Plotly (uniformtext), so they have no size and are skipped.
CHART_TEXTS = """chart => {
    const frame = chart.querySelector('svg.main-svg').getBoundingClientRect();
    const texts = [...chart.querySelectorAll(
        '.gtitle, .xtick text, .ytick text, .g-xtitle text, .g-ytitle text, .bartext, .textpoint text, '
        + '.legendtext')]
        .filter(t => getComputedStyle(t).display !== 'none' && t.getAttribute('visibility') !== 'hidden')
        .map(t => {
            const r = t.getBoundingClientRect();
            return {text: t.textContent, left: r.left, right: r.right, top: r.top, bottom: r.bottom,
                    width: r.width, height: r.height};
        })
        .filter(t => t.width && t.height && t.text.trim());
    return {frame: {left: frame.left, right: frame.right, top: frame.top, bottom: frame.bottom}, texts};
}"""


def problems(found) -> list[str]:
    frame, texts = found["frame"], found["texts"]
    wrong = []
    for t in texts:
        if (
            t["left"] < frame["left"] - 0.5
            or t["right"] > frame["right"] + 0.5
            or t["top"] < frame["top"] - 0.5
            or t["bottom"] > frame["bottom"] + 0.5
        ):
            wrong.append(
                f"cut: {t['text']!r} at {t['left']:.0f}..{t['right']:.0f} in {frame['left']:.0f}..{frame['right']:.0f}"
            )
    for i, a in enumerate(texts):
        for b in texts[i + 1 :]:
            across = min(a["right"], b["right"]) - max(a["left"], b["left"])
            down = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
            if across > 1 and down > 1:
                wrong.append(f"overlap: {a['text']!r} and {b['text']!r}")
    return wrong


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("address", PAGES)
def test_every_chart_text_is_whole_and_apart(site, browser, address, width):
    context = browser.new_context(viewport=WIDTHS[width])
    page = context.new_page()
    try:
        page.goto(site + address)
        charts = page.locator("[data-chart]")
        count = charts.count()
        found = []
        for n in range(count):
            chart = charts.nth(n)
            chart.scroll_into_view_if_needed()
            page.locator(f"#{chart.get_attribute('id')}[data-rendered]").wait_for()
            texts = chart.evaluate(CHART_TEXTS)
            assert texts["texts"], chart.get_attribute("id")
            found += [f"{chart.get_attribute('id')}: {p}" for p in problems(texts)]
        assert found == [], "\n".join(found)
    finally:
        context.close()


def test_the_dashboard_draws_its_charts(site, browser):
    """The pages above have charts to check: the dashboard's five, a force's studies."""
    context = browser.new_context(viewport=WIDTHS["phone"])
    page = context.new_page()
    try:
        page.goto(site + "/dashboard/")
        ids = page.locator("[data-chart]").evaluate_all("charts => charts.map(c => c.id)")
        assert ids == [
            "chart-forces",
            "chart-offences",
            "chart-outcomes",
            "chart-outcome-roles",
            "chart-trend",
        ]
        page.goto(site + "/forces/merseyside/")
        assert page.locator("[data-chart]").count() >= 1
    finally:
        context.close()
