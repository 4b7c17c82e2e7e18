from django.contrib import admin

from forces.models import Force, WorkforceSnapshot


class WorkforceInline(admin.TabularInline):
    model = WorkforceSnapshot
    extra = 0
    fields = ["date", "measure", "officers", "staff", "pcsos", "designated_officers", "total"]


@admin.register(Force)
class ForceAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "kind", "country", "region", "ons_code"]
    list_filter = ["kind", "country", "region"]
    search_fields = ["name", "short_name", "slug", "ons_code"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [WorkforceInline]


@admin.register(WorkforceSnapshot)
class WorkforceSnapshotAdmin(admin.ModelAdmin):
    list_display = ["force", "date", "measure", "officers", "staff", "pcsos", "total"]
    list_filter = ["measure", "date"]
    search_fields = ["force__name"]
    autocomplete_fields = ["force"]
