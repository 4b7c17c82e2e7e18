"""Public pages."""

from django.shortcuts import get_object_or_404, render

from cases.models import FoiRequest
from reports import selectors

HEADLINE_REQUEST = "parliament-street-2019"


def home(request):
    foi_request = get_object_or_404(FoiRequest.objects.prefetch_related("sources"), slug=HEADLINE_REQUEST)
    table = selectors.request_force_table(foi_request=foi_request)
    return render(
        request,
        "reports/home.html",
        {
            "foi_request": foi_request,
            "table": table,
            "national": table.national,
            "studies": selectors.studies_overview(),
        },
    )
