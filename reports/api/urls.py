"""/api/v1/: the endpoints, the OpenAPI schema and its browsable docs (Swagger UI, served locally)."""

from django.urls import path
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularSwaggerSplitView

from reports.api import views


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI with its init script as a file of its own and no inline style, so the site's
    Content-Security-Policy holds on this page too (docs/deploy.md)."""

    template_name = "reports/api_docs.html"
    title = "Misuse Tracker API"


urlpatterns = [
    path("", views.index, name="api-index"),
    path("forces/", views.forces, name="api-forces"),
    path("forces/<slug:slug>/", views.force_detail, name="api-force-detail"),
    path("requests/", views.requests, name="api-requests"),
    path("requests/<slug:slug>/", views.request_detail, name="api-request-detail"),
    path("returns/", views.returns, name="api-returns"),
    path("case-lines/", views.case_lines, name="api-case-lines"),
    path("figures/", views.figures, name="api-figures"),
    path("dashboard/headline/", views.headline, name="api-headline"),
    *[
        path(f"dashboard/{table}/", view, name=f"api-dashboard-{table}")
        for table, view in views.TABLE_VIEWS.items()
    ],
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="api-schema"),
    path("docs/", DocsView.as_view(url_name="api-schema"), name="api-docs"),
]
