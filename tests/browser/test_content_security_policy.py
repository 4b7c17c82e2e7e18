"""The Content-Security-Policy holds in a real Chromium: every chart draws, nothing is refused."""

import pytest

PAGES = [
    ("/", None),
    ("/dashboard/", "#chart-forces svg.main-svg"),
    ("/dashboard/", "#chart-trend svg.main-svg"),
    ("/dashboard/?study=parliament-street-2019", "#chart-outcome-roles svg.main-svg"),
    ("/forces/merseyside/", "#chart-people_disciplined-studies svg.main-svg"),
    ("/cases/", None),
    ("/methodology/", None),
    ("/admin/login/", None),
]

WATCH_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample}`);
});
"""


@pytest.mark.parametrize("url, chart", PAGES)
def test_pages_draw_with_no_policy_violation(site, page, url, chart):
    errors = []
    page.on(
        "console",
        lambda message: (
            message.type == "error"
            and "favicon" not in message.location.get("url", "")
            and errors.append(message.text)
        ),
    )
    page.add_init_script(WATCH_VIOLATIONS)
    response = page.goto(site + url)
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    if chart:
        page.wait_for_selector(chart)
        assert page.locator(chart).count() >= 1
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.__csp") == []
    assert errors == []
