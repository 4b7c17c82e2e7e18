"""An admin turns a force's FOI reply into published figures: request, import (a bad row, then
fixed), a reviewer's approval, and the public home page showing the new total only then."""

from django.contrib.auth.models import Group, User

from cases.models import FoiRequest, FoiReturn, ImportBatch
from cases.roles import groups_sync
from tests.browser.conftest import PASSWORD, assert_accessible, sign_in

HEADER = (
    "force,status,reported_total,count,role,offence,system,outcome,criminal_outcome,period_label,source_urls"
)
GOOD = [
    "Met,answered,7,2,officers,unauthorised access,PNC,dismissed,,FY2024/25,https://example.org/met-foi-2025",
    "MPS,,,5,police staff,Disclosure,e-mail,Final written warning,none,FY2024/25,",
    "Devon and Cornwall Police,answered,,4,PCSO,social media,social media,reprimanded,,FY2024/25,https://example.org/devon-foi-2025",
]
BAD_ROW = (
    "Avon & Somerset,answered,,3,officer,email,email,promoted,,FY2024/25,https://example.org/avon-foi-2025"
)
SLUG = "browser-study-2025"


def csv_file(name, rows):
    return {"name": name, "mimeType": "text/csv", "buffer": ("\n".join([HEADER, *rows]) + "\n").encode()}


def in_case_lines(page, site) -> str:
    page.goto(site + "/")
    return " ".join(page.locator(f'#studies-table tr[data-request="{SLUG}"] td').nth(3).inner_text().split())


def test_admin_imports_a_reply_and_a_reviewer_publishes_it(site, page, axe):
    groups_sync()
    User.objects.create_superuser("admin", password=PASSWORD)
    reviewer = User.objects.create_user("rita", password=PASSWORD, is_staff=True)
    reviewer.groups.add(Group.objects.get(name="Reviewer"))

    sign_in(page, site, "admin")
    page.goto(site + "/admin/cases/foirequest/add/")
    page.locator("#id_title").press_sequentially("Browser study 2025")
    assert page.locator("#id_slug").input_value() == SLUG, "the slug is filled in from the title"
    page.fill("#id_period_label", "FY2024/25")
    page.select_option("#id_year_basis", "financial")
    page.fill("#id_counting_unit", "officers and staff disciplined")
    page.click("input[name=_continue]")
    page.get_by_role("link", name="Import a spreadsheet").click()
    foi_request = FoiRequest.objects.get(slug=SLUG)
    assert page.locator("#id_request").input_value() == str(foi_request.pk)

    # One bad row: the error names it, and nothing is written.
    page.set_input_files("#id_file", csv_file("met-reply.csv", [*GOOD, BAD_ROW]))
    page.click("input[name=_preview]")
    errors = page.locator("#row-errors")
    assert errors.locator("p").inner_text() == (
        "Nothing was imported: 1 row error in “met-reply.csv”. Fix it and choose the file again."
    )
    assert errors.locator("li").all_inner_texts() == [
        "Row 5, column “outcome”: “promoted” is not a wording this import can map. Accepted: dismissed, "
        "resigned_retired, final_written_warning, written_warning, written_or_verbal_warning, management_action, "
        "reflective_practice, misconduct_meeting, disciplined, no_further_action, not_stated (or their names as "
        "the admin shows them, or a wording listed in docs/importing.md)."
    ]
    assert not FoiReturn.objects.filter(request=foi_request).exists()
    assert not ImportBatch.objects.exists()

    # Fixed: a preview of what will be written, then the confirm step.
    fixed = BAD_ROW.replace("promoted", "written warning")
    page.set_input_files("#id_file", csv_file("met-reply.csv", [*GOOD, fixed]))
    page.click("input[name=_preview]")
    summary = " ".join(page.locator("#import-summary").inner_text().split())
    assert summary == (
        "Importing “met-reply.csv” into Browser study 2025 will write 3 new returns, 4 case lines (14 people) and "
        "3 new sources, all as drafts: nothing is public until a reviewer approves it."
    )
    assert_accessible(axe, page)
    page.get_by_role("button", name="Confirm import").click()
    assert page.locator(".messagelist .success").inner_text() == (
        "Imported “met-reply.csv” into “Browser study 2025”: 3 returns and 4 case lines (14 people), as drafts. "
        "A reviewer must approve them before they are public."
    )
    assert FoiReturn.objects.filter(request=foi_request, review_state="draft").count() == 3

    # Drafts are not public: the new request is not even listed yet.
    page.goto(site + "/")
    assert page.locator(f'#studies-table tr[data-request="{SLUG}"]').count() == 0

    # A reviewer approves them.
    page.context.clear_cookies()
    sign_in(page, site, "rita")
    page.goto(site + f"/admin/cases/foireturn/?request__id__exact={foi_request.pk}")
    page.check("#action-toggle")
    page.select_option("select[name=action]", "approve")
    page.click("button[name=index]")
    assert (
        page.locator(".messagelist .success").inner_text() == "3 returns approved: now on the public pages."
    )
    assert FoiReturn.objects.filter(request=foi_request, review_state="approved").count() == 3

    # The Met's reply states its total (7 = 2 + 5); Devon and Cornwall's 4 come with no total,
    # so the study's 14 is a lower bound.
    assert in_case_lines(page, site) == "at least 14"
