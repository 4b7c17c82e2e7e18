"""Page weight of the public pages: HTML plus every script and stylesheet they load.

Run from the project root after `make run` has loaded the data (or with DATABASE_URL set):

    .venv/bin/python bench/page_weight.py

It rewrites the "Page weight" section of docs/performance.md. Sizes are bytes as served raw
(runserver) and gzipped at level 9 (as WhiteNoise's compressed storage serves them in
production).
"""

import gzip
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "misuse_tracker.settings")

import django  # noqa: E402

django.setup()

import plotly  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.staticfiles import finders  # noqa: E402
from django.test import Client  # noqa: E402

PAGES = [
    "/",
    "/dashboard/",
    "/dashboard/?study=parliament-street-2019",
    "/forces/surrey/",
    "/requests/parliament-street-2019/",
]
FULL_PLOTLY = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
HEADER = (
    "# Performance\n\nFigures measured on the project's own machines (2 cores, 24 GiB). "
    "Each section says how to reproduce it.\n"
)


def sizes(data: bytes) -> tuple[int, int]:
    return len(data), len(gzip.compress(data, compresslevel=9))


def kb(n: int) -> str:
    return f"{n / 1024:,.0f} KB"


def main() -> None:
    client = Client(SERVER_NAME="127.0.0.1")
    rows = []
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content
        assets = re.findall(rb'(?:src|href)="' + settings.STATIC_URL.encode() + rb'([^"]+)"', html)
        total_raw, total_gz = sizes(html)
        for asset in assets:
            raw, gz = sizes(Path(finders.find(asset.decode())).read_bytes())
            total_raw, total_gz = total_raw + raw, total_gz + gz
        html_raw, html_gz = sizes(html)
        rows.append(
            f"| `{url}` | {kb(html_raw)} / {kb(html_gz)} | {len(assets)} | {kb(total_raw)} | {kb(total_gz)} |"
        )
    basic_raw, basic_gz = sizes(Path(finders.find("vendor/plotly/plotly-basic-4.1.1.min.js")).read_bytes())
    full_raw, full_gz = sizes(FULL_PLOTLY.read_bytes())
    section = "\n".join(
        [
            "## Page weight",
            "",
            "Reproduce: `.venv/bin/python bench/page_weight.py` (after `make run` has loaded the data).",
            "",
            "| page | HTML raw / gzip | local assets | total raw | total gzip |",
            "|---|---|---|---|---|",
            *rows,
            "",
            "The plotly.js bundle served is the vendored `plotly.js-basic-dist-min` 4.1.1 "
            "(bar, scatter and pie traces: all the charts use): "
            f"**{kb(basic_raw)} raw, {kb(basic_gz)} gzipped**, against the full `plotly.min.js` 4.1.1 "
            f"at {kb(full_raw)} raw, {kb(full_gz)} gzipped: "
            f"{100 * (1 - basic_gz / full_gz):.0f}% less to download. "
            "Pages without charts load no JavaScript at all.",
            "",
        ]
    )
    path = ROOT / "docs" / "performance.md"
    text = path.read_text() if path.exists() else HEADER
    text = re.sub(r"\n## Page weight\n.*?(?=\n## |\Z)", "", text, flags=re.S).rstrip() + "\n\n" + section
    path.write_text(text)
    print(section)


if __name__ == "__main__":
    main()
