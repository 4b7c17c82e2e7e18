from django.urls import path, register_converter

from reports import embeds, feeds, release_views, views


class FormatConverter:
    regex = "csv|json|xlsx"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


class CasesFormatConverter(FormatConverter):
    regex = "csv|json|xlsx|zip"


class DashboardTableConverter(FormatConverter):
    regex = "|".join(views.DASHBOARD_TABLES)


class ReleaseNumberConverter(FormatConverter):
    regex = r"\d{4}\.\d{1,2}\.\d{1,4}"


register_converter(ReleaseNumberConverter, "release")


class EmbedChartConverter(FormatConverter):
    # Only the charts an embed draws: any other name is a 404.
    regex = "|".join(sorted(embeds.EMBEDS, key=len, reverse=True))


register_converter(FormatConverter, "format")
register_converter(CasesFormatConverter, "cases_format")
register_converter(DashboardTableConverter, "dashboard_table")
register_converter(EmbedChartConverter, "embed_chart")

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path(
        "dashboard/<dashboard_table:table>.<format:fmt>",
        views.dashboard_table_export,
        name="dashboard-table-export",
    ),
    path("cases/", views.case_lines, name="case-lines"),
    path("cases.<cases_format:fmt>", views.case_lines_export, name="case-lines-export"),
    path("forces/", views.force_list, name="force-list"),
    path("forces.<format:fmt>", views.force_list_export, name="force-list-export"),
    path("forces/<slug:slug>/", views.force_detail, name="force-detail"),
    path("requests/", views.request_list, name="request-list"),
    path("requests.<format:fmt>", views.request_list_export, name="request-list-export"),
    path("requests/<slug:slug>/", views.request_detail, name="request-detail"),
    path("methodology/", views.methodology, name="methodology"),
    path("figures/", views.figures, name="figures"),
    path("figures.<format:fmt>", views.figures_export, name="figures-export"),
    # Releases: numbered, immutable, at these addresses forever (reports/releases.py).
    path("releases/", release_views.release_list, name="release-list"),
    path("releases.json", release_views.release_list_json, name="release-list-json"),
    path("releases/latest/", release_views.release_latest, name="release-latest"),
    path("releases/latest/<str:name>", release_views.release_latest, name="release-latest-file"),
    path("releases/<release:number>/", release_views.release_detail, name="release-detail"),
    path("releases/<release:number>.zip", release_views.release_zip, name="release-zip"),
    path("releases/<release:number>/<str:name>", release_views.release_file, name="release-file"),
]

# Atom feeds (reports/feeds.py).
urlpatterns += [
    path("figures/feed.atom", feeds.figures_feed, name="figures-feed"),
    path("forces/<slug:slug>/feed.atom", feeds.force_figures_feed, name="force-feed"),
    path("releases/feed.atom", feeds.releases_feed, name="releases-feed"),
]

urlpatterns += [
    # Embeddable charts (reports/embeds.py): one chart and its caption, for other sites' frames.
    path("embed/<embed_chart:chart>/", views.embed, name="embed"),
    path("embed/<embed_chart:chart>.svg", views.embed_svg, name="embed-svg"),
]
