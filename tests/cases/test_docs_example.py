"""The worked example in docs/importing.md does what the page says."""

import re

import pytest
from django.conf import settings

from cases.imports import import_plan, spreadsheet_read
from cases.models import CaseLine, FoiReturn
from cases.selectors import return_reconciliation
from cases.services import foi_return_import

pytestmark = pytest.mark.django_db

DOC = settings.BASE_DIR / "docs" / "importing.md"


def example_csv() -> bytes:
    return re.search(r"```csv\n(.*?)```", DOC.read_text(), re.S).group(1).encode()


def test_worked_example_first_fails_then_imports_and_reconciles(foi_request):
    assert foi_request.slug == "test-study-2024"
    data = example_csv()
    plan = import_plan(
        foi_request=foi_request, spreadsheet=spreadsheet_read(name="kent-and-devon.csv", data=data)
    )
    assert plan.errors == [
        "Row 2, column “offence”: “accessing PNC without a policing purpose” is not a wording this import can map. "
        "Did you mean “Accessing records without a policing purpose”? Accepted: unauthorised_access, unauthorised_disclosure, social_media, email, system_misuse, other, "
        "not_stated (or their names as the admin shows them, or a wording listed in docs/importing.md)."
    ]
    fixed = data.replace(b"accessing PNC without a policing purpose", b"access without a policing purpose")
    plan = import_plan(
        foi_request=foi_request, spreadsheet=spreadsheet_read(name="kent-and-devon.csv", data=fixed)
    )
    assert (plan.errors, len(plan.returns), plan.lines, plan.people, len(plan.new_source_urls)) == (
        [],
        2,
        3,
        7,
        1,
    )
    foi_return_import(plan=plan)
    kent = FoiReturn.objects.get(request=foi_request, force__slug="kent")
    assert return_reconciliation(foi_return=kent).warning == ""
    assert sorted(
        CaseLine.objects.filter(foi_return=kent).values_list(
            "count", "role", "offence", "system", "outcome", "basis", "role_wording", "offence_wording"
        )
    ) == [
        (
            1,
            "police_staff",
            "unauthorised_disclosure",
            "not_stated",
            "final_written_warning",
            "stated",
            "member of staff",
            "disclosing information",
        ),
        (
            2,
            "officer",
            "unauthorised_access",
            "pnc",
            "dismissed",
            "stated",
            "officers",
            "access without a policing purpose",
        ),
        (4, "not_stated", "not_stated", "not_stated", "not_stated", "remainder", "", ""),
    ]
    devon = FoiReturn.objects.get(request=foi_request, force__slug="devon-and-cornwall")
    assert (devon.status, devon.exemption) == ("refused", "s12")
