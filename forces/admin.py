"""The forces admin: what it shows. Registered by cases/admin.py, behind the publishing gate.

Forces and their workforce numbers are public (every rate per 1,000 divides by them), so an edit
waits for a second person like any other public content. The gate lives in the cases app, and
apps depend downward (forces ← cases), so this module defines the admin classes and the cases
app registers them with its gated save and delete.
"""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from forces.models import WorkforceSnapshot


class HistoryAdmin(SimpleHistoryAdmin):
    """Who changed what, when, before → after, and through what (the admin, the loader…)."""

    object_history_list_template = "admin/history_list.html"
    history_list_display = ["made_through"]

    def made_through(self, record) -> str:
        return record.get_via_display() or "—"


class WorkforceInline(admin.TabularInline):
    model = WorkforceSnapshot
    extra = 0
    fields = ["date", "measure", "officers", "staff", "pcsos", "designated_officers", "total"]


class ForceAdmin(HistoryAdmin):
    list_display = ["name", "short_name", "slug", "kind", "country", "region", "ons_code"]
    list_filter = ["kind", "country", "region"]
    # Autocomplete (returns, figures) finds a force by any of the names an import accepts.
    search_fields = ["name", "short_name", "slug", "ons_code"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [WorkforceInline]


class WorkforceSnapshotAdmin(HistoryAdmin):
    list_display = ["force", "date", "measure", "officers", "staff", "pcsos", "total"]
    list_filter = ["measure", "date"]
    search_fields = ["force__name"]
    autocomplete_fields = ["force"]
