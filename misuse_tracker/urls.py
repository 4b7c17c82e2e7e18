from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Misuse Tracker admin"
admin.site.site_title = "Misuse Tracker admin"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("reports.urls")),
]
