from django.contrib import admin
from django.urls import include, path

from misuse_tracker.health import healthz

admin.site.site_header = "Misuse Tracker admin"
admin.site.site_title = "Misuse Tracker admin"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("reports.api.urls")),
    path("", include("reports.urls")),
]
