from django.contrib import admin

from reports.models import ExportLog


@admin.register(ExportLog)
class ExportLogAdmin(admin.ModelAdmin):
    list_display = ["created_at", "table", "format", "query_string", "rows", "completed", "dataset_version"]
    list_filter = ["table", "format", "completed"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
