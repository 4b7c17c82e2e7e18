"""A return's case lines in the admin: one compact row each, the reply's wording folded beneath,
and lines added (and taken away again) before saving keep their folded fields."""

from django.contrib.auth.models import User

from cases.models import CaseLine, FoiRequest, FoiReturn
from cases.roles import EDITOR, groups_sync, user_roles_set
from forces.models import Force
from tests.browser.conftest import PASSWORD, sign_in


def draft_return() -> FoiReturn:
    study = FoiRequest.objects.create(
        slug="lines-study", title="Lines study", period_label="FY2024/25", counting_unit="people disciplined"
    )
    foi_return = FoiReturn.objects.create(
        request=study, force=Force.objects.get(slug="kent"), status="answered"
    )
    CaseLine.objects.create(
        foi_return=foi_return,
        count=2,
        offence_wording="accessed the police national computer without a policing purpose " * 4,
        summary="Two officers looked up a neighbour. " * 10,
        notes="Long notes. " * 40,
    )
    return foi_return


def test_a_case_line_is_one_compact_row_with_its_wording_folded(site, page):
    groups_sync()
    user_roles_set(user=User.objects.create_user("eddie", password=PASSWORD), roles=[EDITOR])
    foi_return = draft_return()
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, site, "eddie")
    page.goto(site + f"/admin/cases/foireturn/{foi_return.pk}/change/")

    top = page.locator("#lines-0").bounding_box()
    bottom = page.locator("#lines-0-details").bounding_box()
    assert bottom["y"] + bottom["height"] - top["y"] < 200  # it was about 1,500 px
    group, table = (
        page.locator("#lines-group").bounding_box(),
        page.locator("#lines-group table").bounding_box(),
    )
    assert table["width"] <= group["width"], "the row fits without scrolling sideways"
    wording = page.get_by_label("Offence wording").first
    assert not wording.is_visible()
    page.get_by_text("The reply’s wording, period, sources and notes").first.click()
    assert wording.is_visible()
    assert wording.input_value().startswith("accessed the police national computer")


def test_lines_added_and_removed_before_saving_keep_their_folded_fields(site, page):
    groups_sync()
    user_roles_set(user=User.objects.create_user("eddie", password=PASSWORD), roles=[EDITOR])
    foi_return = draft_return()
    sign_in(page, site, "eddie")
    page.goto(site + f"/admin/cases/foireturn/{foi_return.pk}/change/")

    add = page.get_by_role("button", name="Add another Case line")
    add.click()
    add.click()
    page.locator("#lines-1 .inline-deletelink").click()  # the first new line, taken away again
    assert page.locator("#lines-group tr.form-details:not(.empty-form)").count() == 2
    page.fill("#id_lines-1-count", "3")
    page.select_option("#id_lines-1-role", "police_staff")
    page.locator("#lines-1-details summary").click()
    page.fill("#id_lines-1-offence_wording", "looked up an ex-partner")
    page.fill("#id_lines-1-period_label", "FY2024/25")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist")

    added = CaseLine.objects.get(foi_return=foi_return, count=3)
    assert (added.role, added.offence_wording, added.period_label) == (
        "police_staff",
        "looked up an ex-partner",
        "FY2024/25",
    )
    assert CaseLine.objects.filter(foi_return=foi_return).count() == 2
