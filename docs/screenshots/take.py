"""Takes the screenshots in this folder from a running server, at a phone's and a laptop's size.

    DEBUG=1 python manage.py runserver 127.0.0.1:8123        # with the reference data loaded
    python docs/screenshots/take.py http://127.0.0.1:8123

Each PNG is the first screen of a page only (viewport, not the whole page), so the set stays
small; Debian's Chromium (/usr/bin/chromium, or CHROMIUM_PATH) draws them, as in the browser tests.
"""

import os
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).parent
SIZES = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1366, "height": 768}}
PAGES = {
    "home": ("/", None),
    "dashboard": ("/dashboard/?study=parliament-street-2019&sort=-rate", None),
    "dashboard-force-table": ("/dashboard/?study=parliament-street-2019&sort=-rate", "#force-table-title"),
    "dashboard-chart": ("/dashboard/?study=parliament-street-2019", "#charts-title"),
    "case-lines": ("/cases/?force=surrey&force=metropolitan", None),
    "force": ("/forces/surrey/", None),
    "request": ("/requests/parliament-street-2019/", None),
    "figures": ("/figures/", None),
    "methodology": ("/methodology/", "#studies-title"),
}


def main(base: str) -> None:
    chromium = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        for size, viewport in SIZES.items():
            page = browser.new_page(viewport=viewport)
            for name, (url, anchor) in PAGES.items():
                page.goto(base.rstrip("/") + url)
                page.wait_for_load_state("networkidle")  # charts drawn
                if anchor:
                    page.locator(anchor).evaluate("e => e.scrollIntoView()")
                path = HERE / f"{name}-{size}.png"
                page.screenshot(path=path)
                print(path.relative_to(HERE.parent.parent), path.stat().st_size // 1024, "KiB")
            page.close()
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
