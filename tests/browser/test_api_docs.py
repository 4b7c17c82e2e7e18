"""The API's docs page: Swagger UI from our own static files, every operation listed, the CSP intact."""

from tests.browser.test_content_security_policy import WATCH_VIOLATIONS


def test_api_docs_render_every_operation_under_the_policy(site, page):
    errors, requests = [], []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("request", lambda request: requests.append(request.url))
    page.add_init_script(WATCH_VIOLATIONS)
    response = page.goto(site + "/api/v1/docs/")
    policy = response.headers["content-security-policy"]
    script_src = policy.split("script-src")[1].split(";")[0]
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    page.wait_for_selector(".opblock-summary-path")
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert {"/api/v1/case-lines/", "/api/v1/forces/{slug}/", "/api/v1/dashboard/headline/"} <= {
        p.strip().replace("\u200b", "") for p in paths
    }
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.__csp") == []
    assert errors == []
    # Nothing from another site: Swagger UI's files are ours (drf-spectacular-sidecar).
    assert all(url.startswith(site) or url.startswith("data:") for url in requests), requests


def test_api_docs_try_a_request(site, page):
    page.goto(site + "/api/v1/docs/#/dashboard/dashboard_headline")
    page.wait_for_selector("#operations-dashboard-dashboard_headline")
    block = page.locator("#operations-dashboard-dashboard_headline")
    if not block.locator(".try-out__btn").is_visible():
        block.locator(".opblock-summary").click()
    block.locator(".try-out__btn").click()
    block.locator(".execute").click()
    page.wait_for_selector("#operations-dashboard-dashboard_headline .response .microlight")
    assert '"dataset_version"' in block.locator(".responses-table .microlight").first.inner_text()


def test_the_documented_pandas_examples_run(site):
    """Each ```python block of docs/api.md, run as written against the live server."""
    from tests.api.test_docs_examples import BASE, blocks

    examples = blocks("python")
    assert len(examples) >= 3
    for code in examples:
        scope = {}
        exec(code.replace(BASE, site), scope)  # noqa: S102 - our own documentation
    assert len(scope["lines"]) >= 1 and scope["lines"]["request"].eq("parliament-street-2019").all()
