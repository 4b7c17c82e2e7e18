from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from reports.models import ExportLog, Release
from reports.releases import ReleaseError, release_cut


@admin.register(ExportLog)
class ExportLogAdmin(admin.ModelAdmin):
    list_display = ["created_at", "table", "format", "query_string", "rows", "completed", "dataset_version"]
    list_filter = ["table", "format", "completed"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class CutForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What this release is, in a sentence or two. It is published with the release.",
    )


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    """Releases are read-only once cut; a reviewer cuts one with "Cut a release" (one step)."""

    list_display = ["number", "cut_at", "note", "public_page"]
    fields = ["number", "cut_at", "note", "cut_by", "dataset_version", "previous", "changelog", "counts"]
    readonly_fields = fields
    change_list_template = "admin/reports/release/change_list.html"

    @admin.display(description="Public page")
    def public_page(self, release):
        return format_html('<a href="{}">{}</a>', release.get_absolute_url(), release.get_absolute_url())

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path("cut/", self.admin_site.admin_view(self.cut_view), name="reports_release_cut"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra = {"can_cut": request.user.has_perm("reports.cut_release"), **(extra_context or {})}
        return super().changelist_view(request, extra_context=extra)

    def cut_view(self, request):
        if not request.user.has_perm("reports.cut_release"):
            raise PermissionDenied
        form = CutForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                release = release_cut(
                    note=form.cleaned_data["note"],
                    cut_by=request.user.get_username(),
                    site_url=request.build_absolute_uri("/").rstrip("/"),
                )
            except ReleaseError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, f"Release {release.number} cut: {release.get_absolute_url()}")
                return redirect(reverse("admin:reports_release_changelist"))
        return TemplateResponse(
            request,
            "admin/reports/release/cut.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": "Cut a release",
                "form": form,
            },
            status=400 if request.method == "POST" else 200,
        )
