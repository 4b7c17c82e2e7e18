"""An article on another site embeds a chart: a real Chromium draws it in the article's frame with
no policy violation, while a frame of any other page is refused; the embed fits a phone, works
without JavaScript (its SVG), and the "Embed this chart" code can be copied from the pages."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.browser.conftest import assert_accessible

EMBED = "/embed/forces/?study=parliament-street-2019"
PHONE = {"width": 390, "height": 844}

WATCH_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample}`);
});
"""


def article(site: str) -> str:
    return f"""<!doctype html><html lang="en"><head><title>An article</title></head><body>
<h1>Police staff disciplined for misusing IT</h1>
<iframe id="embed" src="{site}{EMBED}" title="Chart" width="720" height="686" loading="lazy"></iframe>
<iframe id="page" src="{site}/dashboard/" title="Dashboard" width="720" height="400"></iframe>
</body></html>"""


@pytest.fixture
def article_url(site):
    """A page on another origin (its own little server on 127.0.0.1; the site is on localhost)
    that frames the live server, as a news article would. A real server, not a faked response:
    Chromium would treat a faked page as public, and refuse its frames into a local address."""
    body = article(site).encode()

    class Article(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Article)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/news/police-misuse"
    server.shutdown()
    server.server_close()


def test_an_article_on_another_site_shows_the_chart_and_not_other_pages(site, page, article_url):
    console = []
    page.on("console", lambda message: console.append(message.text))
    page.add_init_script(WATCH_VIOLATIONS)  # runs in every frame
    page.goto(article_url)
    embed = page.frame_locator("#embed")
    embed.locator("#chart-forces[data-rendered] svg.main-svg").first.wait_for()
    frame = next(f for f in page.frames if f.url.startswith(site + "/embed/"))
    frame.wait_for_load_state("networkidle")
    assert frame.evaluate("window.__csp") == []
    facts = embed.locator("#embed-facts").inner_text()
    assert facts.startswith(
        "Counted: people disciplined. Total: 237. Period: Parliament Street, 2019 (FY2017/18–FY2018/19). Sources: "
    )
    link = embed.get_by_role("link", name="Misuse Tracker, dataset version", exact=False)
    assert link.get_attribute("href") == site + "/dashboard/?study=parliament-street-2019#chart-forces"
    assert link.get_attribute("target") == "_blank"
    # The dashboard refuses the frame: Chromium shows its error page, never the dashboard.
    page.wait_for_timeout(500)
    refused = [m for m in console if "Refused to frame" in m or "frame-ancestors" in m]
    assert refused, console
    assert not any(f.url == site + "/dashboard/" and f.locator("h1").count() for f in page.frames)


def test_embed_fits_a_phone_and_is_accessible(site, browser, axe):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(site + EMBED)
    page.locator("#chart-forces[data-rendered]").wait_for()
    width, screen_width = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    assert width <= screen_width
    chart = page.locator("#chart-forces").bounding_box()
    assert chart["x"] >= 0 and chart["x"] + chart["width"] <= PHONE["width"]
    # The count/rate switch works in the embed too.
    page.get_by_role("button", name="Per 1,000 headcount").click()
    assert page.locator("#chart-forces").get_attribute("aria-label").endswith("per 1,000 headcount, by force")
    assert_accessible(axe, page)
    context.close()


def test_embed_without_javascript_shows_the_svg(site, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site + EMBED)
    image = page.locator("img.chart-image")
    image.wait_for()
    page.wait_for_load_state("networkidle")
    assert image.evaluate("img => img.complete && img.naturalWidth > 300")
    context.close()


def test_dashboard_offers_embed_code_to_copy_and_fits_a_phone(site, browser):
    context = browser.new_context(viewport=PHONE)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(site + "/dashboard/?study=parliament-street-2019")
    page.locator("#chart-forces[data-rendered]").wait_for()
    page.locator("details.chart-embed summary").first.click()
    code = page.locator("#chart-forces-embed-code")
    assert code.input_value().startswith(f'<iframe src="{site}{EMBED}" title="Bar chart: people disciplined')
    page.get_by_role("button", name="Copy the code").first.click()
    page.get_by_text("Copied.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == code.input_value()
    width, screen_width = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    assert width <= screen_width
    context.close()
