"""The benchmark's pure helpers: sizes, percentiles, formatting, targets and the document."""

import pytest

from bench import report
from bench.common import database_name, ms, parse_size, percentile, size_label
from bench.data import broad_search
from bench.run import page_list, parse_args


@pytest.mark.parametrize(
    ("text", "lines"),
    [("100k", 100_000), ("1m", 1_000_000), ("1M", 1_000_000), ("2500", 2500), ("1.5m", 1_500_000)],
)
def test_parse_size(text, lines):
    assert parse_size(text) == lines


@pytest.mark.parametrize("text", ["", "k", "-5", "1.00001k", "ten"])
def test_parse_size_refuses(text):
    with pytest.raises(ValueError):
        parse_size(text)


def test_size_label_and_database_name():
    assert size_label(100_000) == "100k"
    assert size_label(1_000_000) == "1m"
    assert size_label(2500) == "2500"
    assert database_name(1_000_000) == "misuse_tracker_1m_bench"
    assert database_name(100_000) == "misuse_tracker_100k_bench"


def test_percentile():
    assert percentile([], 50) is None
    assert percentile([3.0], 95) == 3.0
    assert percentile([1, 2, 3, 4], 50) == 2.5
    values = list(range(1, 21))  # 1..20
    assert percentile(values, 95) == pytest.approx(19.05)
    assert percentile(values, 100) == 20
    assert percentile([5, 1, 3], 0) == 1


def test_ms():
    assert ms(None) == "—"
    assert ms(0.0123) == "12.3 ms"
    assert ms(0.25) == "250 ms"
    assert ms(1.234) == "1.23 s"


def test_quick_and_sections():
    args = parse_args(["--quick"])
    assert args.sizes == [100_000] and args.repeats == 5 and args.load_seconds == 10
    assert parse_args(["--sizes", "1m,100k"]).sizes == [100_000, 1_000_000]
    with pytest.raises(SystemExit):
        parse_args(["--sections", "pages,nonsense"])


FOUND = {
    "force": "kent",
    "force_name": "Kent Police",
    "region": "South East",
    "study": "synthetic-a",
    "search_every": "synthetic",
    "search_selective": "zebra",
}


def test_page_list_covers_every_public_page_type():
    pages = page_list(FOUND)
    paths = [p["path"] for p in pages]
    assert len({p["key"] for p in pages}) == len(pages)
    for expected in (
        "/",
        "/dashboard/",
        "/dashboard/?force=kent",
        "/dashboard/?outcome=dismissed&region=South%20East",
        "/dashboard/?study=synthetic-a&sort=rate",
        "/dashboard/?q=synthetic",
        "/cases/?q=zebra",
        "/forces/kent/",
        "/requests/synthetic-a/",
        "/figures/",
        "/methodology/",
        "/dashboard/forces.csv",
    ):
        assert expected in paths


def _page(key, path, p50, p95, *, queries=5, size=1000):
    return {
        "key": key,
        "page": path.split("?")[0],
        "what": "",
        "path": path,
        "cold_s": p95 * 2,
        "p50": p50,
        "p95": p95,
        "n": 20,
        "bytes": size,
        "cold_queries": queries,
        "warm_queries": queries,
    }


def _results(big_p95=0.02, methodology_size=1000):
    pages_small = {
        "dashboard:unfiltered": _page("dashboard:unfiltered", "/dashboard/", 0.01, 0.015),
        "methodology": _page("methodology", "/methodology/", 0.01, 0.02),
    }
    pages_big = {
        "dashboard:unfiltered": _page("dashboard:unfiltered", "/dashboard/", 0.012, big_p95),
        "methodology": _page("methodology", "/methodology/", 0.012, 0.02, size=methodology_size),
    }
    return {
        "meta": {"started": "2026-01-01T10:00:00+00:00", "spent_s": 600, "git": {}, "args": {}},
        "sizes": {
            "100k": {"lines": 100_000, "database": {}, "found": FOUND, "pages": pages_small},
            "1m": {"lines": 1_000_000, "database": {}, "found": FOUND, "pages": pages_big},
        },
        "export": {
            "size": "1m",
            "copy": {"rows": 10, "rows_per_s": 100_000, "seconds": 1, "bytes": 1, "peak_rss_mb": 50},
            "csv": {"rows": 10, "rows_per_s": 50_000, "seconds": 1, "bytes": 1, "peak_rss_mb": 90},
            "first_byte_unfiltered": {"path": "/cases.csv", "first_byte_s": 0.02},
            "first_byte_force": {"path": "/cases.csv?force=kent", "first_byte_s": 0.03},
        },
        "datasette": {"size": "1m", "pages": {"faceted": _page("faceted", "/x/lines", 2.0, 2.0)}},
        "skipped": {},
        "errors": {},
    }


def _verdicts(results):
    return {t["target"]: t["met"] for t in report.targets(results)}


def test_targets_met_and_not_met():
    verdicts = _verdicts(_results())
    assert verdicts["Every public page p95 ≤ 50 ms (warm) at 1M lines"] is True
    assert verdicts["/dashboard/ ≥ 40× faster than Datasette's faceted page"] is True  # 2.0 / 0.02 = 100×
    assert verdicts["/methodology/ HTML size independent of line count"] is True
    assert verdicts["Each page at 1M ≤ 1.5× its time at 100k (warm p50)"] is True
    assert verdicts["Queries per page the same at 100k and 1M"] is True
    assert verdicts["/cases.csv ≥ 0.4× raw COPY of the case-line table"] is True
    assert verdicts["Import ≥ 20,000 lines/s"] is None  # not measured

    slow = _verdicts(_results(big_p95=0.2, methodology_size=2000))
    assert slow["Every public page p95 ≤ 50 ms (warm) at 1M lines"] is False
    assert slow["/dashboard/ ≥ 40× faster than Datasette's faceted page"] is False  # 10×
    assert slow["/methodology/ HTML size independent of line count"] is False
    # Counts that gain a digit are not lines listed.
    assert (
        _verdicts(_results(methodology_size=1008))["/methodology/ HTML size independent of line count"]
        is True
    )
    assert (
        _verdicts(_results(methodology_size=1011))["/methodology/ HTML size independent of line count"]
        is False
    )


def test_targets_at_100k_only_are_not_verdicts():
    results = _results()
    del results["sizes"]["1m"]
    verdicts = _verdicts(results)
    assert verdicts["Every public page p95 ≤ 50 ms (warm) at 1M lines"] is None
    assert verdicts["Queries per page the same at 100k and 1M"] is None


def test_a_timed_out_page_fails_the_target():
    results = _results()
    results["sizes"]["1m"]["pages"]["dashboard:unfiltered"] = {
        "key": "dashboard:unfiltered",
        "page": "/dashboard/",
        "what": "",
        "path": "/dashboard/",
        "cold_s": 120,
        "error": "timed out",
    }
    assert _verdicts(results)["Every public page p95 ≤ 50 ms (warm) at 1M lines"] is False
    assert "timed out" in report.render(results)


def test_render_keeps_the_explain_notes():
    old = "# Performance\n\nold figures\n\n## EXPLAIN notes\n\nThe dashboard uses the rollup.\n"
    text = report.render(_results(), old)
    assert "old figures" not in text
    assert text.count("## EXPLAIN notes") == 1
    assert "The dashboard uses the rollup." in text
    assert "SYNTHETIC" in text and "`make bench`" in text
    assert report.EXPLAIN_PLACEHOLDER in report.render(_results(), "")


def test_broad_search_covers_every_line_with_a_word():
    texts = ["police officer", "member of staff", "police staff", "", "email"]
    query = broad_search(texts)
    words = query.split(" or ")
    assert words[0] in ("police", "staff")
    for text in texts:
        if text:
            assert any(word in text for word in words)
    assert broad_search([""]) is None
    assert broad_search(["police staff"], searchable=lambda word: word != "police") == "staff"
