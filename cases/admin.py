from django.contrib import admin

from cases.models import CaseLine, FoiRequest, FoiReturn, ReportedFigure, Source


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["publisher", "title", "kind", "published_on"]
    list_filter = ["kind", "publisher"]
    search_fields = ["title", "publisher", "url"]


class FoiReturnInline(admin.TabularInline):
    model = FoiReturn
    extra = 0
    fields = ["force", "status", "exemption", "received_on"]
    autocomplete_fields = ["force"]
    show_change_link = True


@admin.register(FoiRequest)
class FoiRequestAdmin(admin.ModelAdmin):
    list_display = ["title", "requester", "period_label", "forces_asked", "forces_answered"]
    list_filter = ["year_basis"]
    search_fields = ["title", "requester", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["sources"]
    inlines = [FoiReturnInline]


class CaseLineInline(admin.StackedInline):
    model = CaseLine
    extra = 0
    filter_horizontal = ["sources"]


@admin.register(FoiReturn)
class FoiReturnAdmin(admin.ModelAdmin):
    list_display = ["request", "force", "status", "exemption"]
    list_filter = ["status", "request"]
    search_fields = ["force__name", "request__title"]
    autocomplete_fields = ["force"]
    filter_horizontal = ["sources"]
    inlines = [CaseLineInline]


@admin.register(CaseLine)
class CaseLineAdmin(admin.ModelAdmin):
    list_display = ["__str__", "count", "role", "offence", "system", "outcome", "basis"]
    list_filter = ["basis", "role", "offence", "system", "outcome", "foi_return__request"]
    search_fields = ["reference", "offence_wording", "outcome_wording", "foi_return__force__name"]
    filter_horizontal = ["sources"]
    raw_id_fields = ["foi_return"]


@admin.register(ReportedFigure)
class ReportedFigureAdmin(admin.ModelAdmin):
    list_display = ["scope", "metric", "detail", "value", "qualifier", "source"]
    list_filter = ["metric", "qualifier", "request"]
    search_fields = ["scope", "quote", "metric_as_recorded"]
    autocomplete_fields = ["force"]
    raw_id_fields = ["source"]
