"""A real Chromium (Debian's /usr/bin/chromium) driven by Playwright, against a live server.

Without Chromium the browser tests are skipped with a message saying how to install it; under
CI (CI=true) a missing browser is a failure, never a skip.
"""

import os
from pathlib import Path

import pytest

from cases.services import reference_data_load
from forces.models import Force
from tests.conftest import FIXTURES_DIR

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# The password of every user the admin tests create.
PASSWORD = "a-long-test-password-1"
INSTALL_HINT = "Chromium is not installed: run `apt-get install -y chromium` to run the browser tests."

# Playwright's sync API runs an event loop in the test thread; Django would otherwise refuse
# database access from it, though the access is synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {CHROMIUM} is missing. {INSTALL_HINT}", pytrace=False)
        pytest.skip(INSTALL_HINT)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def site(live_server, transactional_db):
    """The live server's URL, with the reference data committed where its thread can read it."""
    if not Force.objects.exists():
        reference_data_load(fixtures_dir=FIXTURES_DIR)
    return live_server.url


@pytest.fixture
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def assert_accessible(axe, page):
    results = axe.run(page)
    assert results.violations_count == 0, results.generate_report()


def sign_in(page, site, username):
    """Sign in to the admin through its login form, as a person would."""
    page.goto(site + "/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#content")
