"""A journalist filters the case lines, downloads the CSV, and gets exactly the rows on screen."""

import csv
import io

from tests.browser.conftest import assert_accessible


def test_journalist_downloads_exactly_the_filtered_rows(site, page, axe):
    page.goto(site + "/cases/")
    page.locator('[data-facet="force"] summary').click()
    page.get_by_label("Surrey Police").check()
    page.get_by_label("Metropolitan Police Service").check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**/cases/?*")
    # People disciplined (Surrey 50 + the Met 18); Surrey's 202 data breaches are another unit.
    assert page.locator('[data-figure="cases"]').inner_text() == "68"
    assert_accessible(axe, page)
    on_screen = [
        [cell.strip() for cell in row.locator("th, td").all_inner_texts()[:4]]
        for row in page.locator("#case-lines tbody tr").all()
    ]

    with page.expect_download() as download_info:
        page.locator('[data-downloads="cases"]').get_by_role("link", name="CSV", exact=True).click()
    download = download_info.value
    assert download.suggested_filename.startswith(
        "misuse-tracker_cases_people_disciplined_surrey-metropolitan_"
    )
    table = list(csv.DictReader(io.StringIO(open(download.path(), encoding="utf-8").read())))
    in_file = [[row["force_name"], row["request"], row["period"], row["count"]] for row in table]
    assert len(in_file) == len(on_screen) == 5
    assert [row[0] for row in in_file] == [row[0] for row in on_screen]
    assert [row[2:] for row in in_file] == [[row[2], row[3].split(" ")[0]] for row in on_screen]
    assert sum(int(row["count"]) for row in table) == 68
    assert {row["unit"] for row in table} == {"people_disciplined"}
