"""The admin pages we add or customise pass axe with no serious or critical violation, for a
superuser and for an Editor: the index, the import form and its preview, the lists of returns and
case lines, adding a request, a request and a return with their inlines (an autocomplete open), a
history, adding a person."""

import pytest
from django.contrib.auth.models import User

from cases.models import FoiRequest, FoiReturn
from cases.roles import EDITOR, groups_sync, user_roles_set
from tests.browser.conftest import PASSWORD, sign_in

SERIOUS = {"serious", "critical"}
CSV = (
    "force,count,role,offence,system,outcome,period_label\n"
    "Kent,2,officers,unauthorised access,PNC,dismissed,FY2024/25\n"
    "Surrey,1,police staff,disclosure,e-mail,final written warning,FY2024/25\n"
)


def serious_violations(axe, page) -> list[str]:
    page.wait_for_load_state("load")
    return [
        f"{violation['impact']} {violation['id']}: {[node['target'] for node in violation['nodes']][:3]}"
        for violation in axe.run(page).response["violations"]
        if violation["impact"] in SERIOUS
    ]


@pytest.mark.parametrize("username", ["admin", "eddie"])
def test_admin_pages_have_no_serious_accessibility_violations(site, page, axe, username):
    groups_sync()
    User.objects.create_superuser("admin", password=PASSWORD)
    user_roles_set(user=User.objects.create_user("eddie", password=PASSWORD), roles=[EDITOR])
    surrey = FoiReturn.objects.get(request__slug="parliament-street-2019", force__slug="surrey")
    pages = [
        "/admin/",
        "/admin/cases/importbatch/import/",
        "/admin/cases/foireturn/",
        "/admin/cases/caseline/",
        "/admin/cases/foirequest/add/",
        f"/admin/cases/foirequest/{surrey.request_id}/change/",
        f"/admin/cases/foireturn/{surrey.pk}/change/",
        f"/admin/cases/foireturn/{surrey.pk}/history/",
    ]
    if username == "admin":
        pages += ["/admin/auth/user/add/", "/admin/auth/user/"]
    sign_in(page, site, username)
    found = {}
    for url in pages:
        assert page.goto(site + url).status == 200, url
        found[url] = serious_violations(axe, page)

    # An autocomplete's dropdown, open: its search box is drawn when it opens.
    page.goto(site + f"/admin/cases/foireturn/{surrey.pk}/change/")
    page.locator("#id_force + .select2-container [role=combobox]").click()
    assert page.get_by_role("searchbox", name="Search Force").is_visible()
    found["the force autocomplete, open"] = serious_violations(axe, page)

    study = FoiRequest.objects.create(
        slug="a11y-study", title="A11y study", period_label="FY2024/25", counting_unit="people disciplined"
    )
    page.goto(site + "/admin/cases/importbatch/import/")
    page.select_option("#id_request", str(study.pk))
    page.set_input_files("#id_file", {"name": "reply.csv", "mimeType": "text/csv", "buffer": CSV.encode()})
    page.click("input[name=_preview]")
    page.wait_for_selector("#import-summary")
    found["the import preview"] = serious_violations(axe, page)

    assert {url: violations for url, violations in found.items() if violations} == {}
