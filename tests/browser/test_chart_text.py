"""On a phone a chart's words fit inside it: axis labels whole, every "at least N" beside its bar."""

import pytest

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE)
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("chart", ["chart-offences", "chart-outcomes", "chart-forces"])
def test_every_label_and_value_is_inside_its_chart_on_a_phone(site, phone, chart):
    phone.goto(site + "/dashboard/")
    element = phone.locator(f"#{chart}[data-rendered]")
    element.wait_for()
    outside = element.evaluate(
        """chart => {
            const frame = chart.querySelector('svg.main-svg').getBoundingClientRect();
            return [...chart.querySelectorAll('.ytick text, .textpoint text, .bartext')]
                .map(t => [t.textContent, t.getBoundingClientRect()])
                .filter(([, r]) => r.width && (r.left < frame.left - 0.5 || r.right > frame.right + 0.5))
                .map(([text, r]) => `${text}: ${Math.round(r.left)}..${Math.round(r.right)} in `
                                    + `${Math.round(frame.left)}..${Math.round(frame.right)}`);
        }"""
    )
    assert outside == [], "\n".join(outside)
