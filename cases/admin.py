"""The admin: FOI requests → returns → case lines, spreadsheet imports, review, and every change's history.

Roles (cases/roles.py): an Editor enters and imports, a Reviewer approves returns and changes for
publication, a Viewer reads; a person's role, set on the Users page, is what lets them in. Every
save and delete goes through the publishing gate (cases/publishing.py): a change to anything
public waits for another reviewer, and the public pages keep the approved version meanwhile.
"""

import csv
import io
import threading

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count, Q, Sum
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST
from simple_history.admin import SimpleHistoryAdmin

from cases.change_requests import ChangeRequest
from cases.forms import ImportForm
from cases.imports import COLUMNS, ImportPlan, KeptUpload, import_plan, upload_discard, upload_read
from cases.models import (
    CaseLine,
    FoiRequest,
    FoiReturn,
    ImportBatch,
    ReportedFigure,
    ReviewState,
    Source,
)
from cases.publishing import (
    PublishingRefused,
    can_review,
    change_request_approve,
    change_request_reject,
    foi_returns_approve,
    foi_returns_withdraw,
    record_delete,
    record_save,
)
from cases.roles import ROLE_SUMMARIES, ROLES, user_roles_set
from cases.selectors import return_reconciliation
from cases.services import ImportRefused, foi_return_import, import_batch_rollback
from forces import admin as forces_admin
from forces.models import Force, WorkforceSnapshot

PENDING_IMPORT = "cases.pending_import"
# The reported-total figures of the requests on the changelist page being drawn, per thread.
_changelist = threading.local()
PENDING_MESSAGE = (
    "{what} is public: your {action} waits for review as change {pk}. The public pages keep the approved "
    "version until another reviewer approves it."
)


def _can_approve(request) -> bool:
    return request.user.has_perm("cases.approve_foireturn")


def _warn_if_unreconciled(request, foi_return: FoiReturn) -> None:
    warning = return_reconciliation(foi_return=foi_return).warning
    if warning:
        messages.warning(request, f"{foi_return}: {warning}")


def _m2m_values(form) -> dict:
    return {
        name: list(form.cleaned_data[name])
        for name in form.cleaned_data
        if name in {f.name for f in form.instance._meta.many_to_many}
    }


def _note_pending(request, recorded, action: str) -> None:
    if recorded.pending:
        request._publishing_pending = True
        change_request = recorded.change_request
        messages.info(
            request,
            PENDING_MESSAGE.format(
                what=change_request.object_repr[0].upper() + change_request.object_repr[1:],
                action=action,
                pk=change_request.pk,
            ),
        )


class GatedAdmin:
    """Saves and deletes (inlines included) go through the publishing gate, never straight to the table."""

    def save_model(self, request, obj, form, change):
        recorded = record_save(instance=obj, m2m=_m2m_values(form), user=request.user, via="admin")
        _note_pending(request, recorded, "change" if change else "addition")
        form._gated = True  # many-to-many were written (or held) with the row

    def save_related(self, request, form, formsets, change):
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        if formset.model not in (FoiReturn, CaseLine, WorkforceSnapshot):
            return super().save_formset(request, form, formset, change)
        # Read by the admin's log message, as formset.save() would have set them.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        if form.instance.pk is None:
            return None  # the parent itself waits for review; its inlines go with a later edit
        for inline_form in formset.forms:
            instance = inline_form.instance
            if inline_form in formset.deleted_forms:
                if instance.pk:
                    recorded = record_delete(instance=instance, user=request.user, via="admin")
                    _note_pending(request, recorded, "deletion")
                    formset.deleted_objects.append(instance)
                continue
            if not inline_form.has_changed():
                continue
            adding = instance.pk is None
            instance = inline_form.save(commit=False)
            recorded = record_save(
                instance=instance, m2m=_m2m_values(inline_form), user=request.user, via="admin"
            )
            _note_pending(request, recorded, "addition" if adding else "change")
            if not recorded.pending:
                if adding:
                    formset.new_objects.append(instance)
                else:
                    formset.changed_objects.append((instance, inline_form.changed_data))
        return None

    def delete_model(self, request, obj):
        _note_pending(request, record_delete(instance=obj, user=request.user, via="admin"), "deletion")

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    def message_user(self, request, message, level=messages.INFO, *args, **kwargs):
        # Django's "was changed successfully" would be untrue for a change held for review.
        if getattr(request, "_publishing_pending", False) and level == messages.SUCCESS:
            return
        super().message_user(request, message, level, *args, **kwargs)

    def response_add(self, request, obj, post_url_continue=None):
        if obj.pk is None:
            return HttpResponseRedirect(
                reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_changelist")
            )
        return super().response_add(request, obj, post_url_continue)

    def _changeform_view(self, request, object_id, form_url, extra_context):
        try:
            return super()._changeform_view(request, object_id, form_url, extra_context)
        except PublishingRefused as error:
            messages.error(request, str(error))
            return HttpResponseRedirect(request.get_full_path())


class HistoryAdmin(SimpleHistoryAdmin):
    """Every admin keeps a history: who, when, before → after, and through what."""

    object_history_list_template = "admin/history_list.html"
    history_list_display = ["made_through"]

    def made_through(self, record) -> str:
        batch_id = getattr(record, "import_batch_id", None)
        if batch_id:
            return f"{record.get_via_display()} (import {batch_id})"
        return record.get_via_display() or "—"


@admin.register(Source)
class SourceAdmin(GatedAdmin, HistoryAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["publisher", "title", "kind", "published_on"]
    list_filter = ["kind", "publisher"]
    search_fields = ["title", "publisher", "url"]
    readonly_fields = ["import_batch"]


class FoiReturnInlineFormSet(forms.BaseInlineFormSet):
    """One return per force per request, checked here too: the database would refuse it with a 500."""

    def clean(self):
        super().clean()
        seen = {}
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or form.cleaned_data.get("DELETE"):
                continue
            if not form.cleaned_data and not form.instance.pk:
                continue
            force = form.cleaned_data.get("force")
            key = force.pk if force else None
            name = force.name if force else "cases not attributed to a force"
            if key in seen:
                form.add_error(
                    "force",
                    f"This request already has a return for {name} (another row): "
                    "each force answers a request once, so keep one of the two rows.",
                )
            seen[key] = form


class CompactTabularInline(admin.TabularInline):
    """A tabular inline whose every control is labelled; with a `details_summary`, the fieldsets after
    the first fold into a second row under each form (templates/admin/edit_inline/tabular_details.html)."""

    template = "admin/edit_inline/tabular_details.html"
    details_summary = ""

    @property
    def row_fields(self) -> list[str]:
        return list(self.fieldsets[0][1]["fields"] if self.fieldsets else self.fields)


class FoiReturnInline(CompactTabularInline):
    model = FoiReturn
    formset = FoiReturnInlineFormSet
    extra = 0
    fields = ["force", "status", "exemption", "received_on", "reported_total", "review_state"]
    readonly_fields = ["review_state"]
    autocomplete_fields = ["force"]
    show_change_link = True


@admin.register(FoiRequest)
class FoiRequestAdmin(GatedAdmin, HistoryAdmin):
    list_display = ["title", "requester", "period_label", "returns_held", "drafts", "lines_held"]
    list_filter = ["year_basis"]
    search_fields = ["title", "requester", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["sources"]
    inlines = [FoiReturnInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                returns_count=Count("returns", distinct=True),
                drafts_count=Count(
                    "returns", filter=Q(returns__review_state=ReviewState.DRAFT), distinct=True
                ),
                lines_total=Sum("returns__lines__count"),
            )
        )

    @admin.display(description="Returns", ordering="returns_count")
    def returns_held(self, obj):
        return obj.returns_count

    @admin.display(description="Drafts", ordering="drafts_count")
    def drafts(self, obj):
        return obj.drafts_count

    @admin.display(description="People in case lines", ordering="lines_total")
    def lines_held(self, obj):
        return obj.lines_total or 0

    def render_change_form(self, request, context, *args, **kwargs):
        context["can_import"] = request.user.has_perm("cases.add_importbatch")
        return super().render_change_form(request, context, *args, **kwargs)


class CaseLineInline(CompactTabularInline):
    """A line in one row of its coded fields; the reply's own wording, sources and notes fold under it."""

    model = CaseLine
    extra = 0
    autocomplete_fields = ["sources"]
    readonly_fields = ["import_batch"]
    details_summary = "The reply’s wording, period, sources and notes"
    fieldsets = [
        (
            None,
            {"fields": ["count", "basis", "role", "offence", "system", "outcome", "criminal_outcome"]},
        ),
        (
            "The reply’s own wording",
            {
                "fields": [
                    ("role_wording", "offence_wording"),
                    ("system_wording", "outcome_wording"),
                    "criminal_outcome_wording",
                ]
            },
        ),
        ("Period", {"fields": [("period_label", "period_start", "period_end")]}),
        (
            "Sources and notes",
            {
                "fields": [
                    "sources",
                    "summary",
                    "summary_publishable",
                    "disagreement",
                    "notes",
                    "reference",
                    "import_batch",
                ]
            },
        ),
    ]


class ReconciliationFilter(admin.SimpleListFilter):
    title = "lines"
    parameter_name = "lines"

    def lookups(self, request, model_admin):
        return [("none", "No case lines"), ("some", "Has case lines")]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(lines__isnull=True)
        if self.value() == "some":
            return queryset.filter(lines__isnull=False).distinct()
        return queryset


@admin.register(FoiReturn)
class FoiReturnAdmin(GatedAdmin, HistoryAdmin):
    list_display = ["request", "force", "status", "review_state", "people", "reported", "reconciles"]
    list_filter = ["review_state", "status", ReconciliationFilter, "request", "import_batch"]
    search_fields = ["force__name", "force__short_name", "force__slug", "request__title", "request__slug"]
    autocomplete_fields = ["request", "force", "sources"]
    list_select_related = ["request", "force"]
    readonly_fields = ["review_state", "approved_by", "approved_at", "import_batch", "reconciliation"]
    fieldsets = [
        (None, {"fields": ["request", "force", "status", "exemption", "received_on"]}),
        ("Total and reconciliation", {"fields": ["reported_total", "reconciliation"]}),
        ("Sources and notes", {"fields": ["sources", "notes"]}),
        ("Review", {"fields": ["review_state", "approved_by", "approved_at", "import_batch"]}),
    ]
    inlines = [CaseLineInline]
    actions = ["approve", "withdraw"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(people_total=Sum("lines__count"))

    def _reconciliation(self, obj):
        # One query for the figures of each request on the page, not one per row.
        if not hasattr(_changelist, "figures"):
            _changelist.figures = {}
        cache = _changelist.figures
        if obj.request_id not in cache:
            figures = {}
            for figure in ReportedFigure.objects.filter(
                request_id=obj.request_id, force__isnull=False, metric__in=ReportedFigure.TOTAL_METRICS
            ):
                figures.setdefault(figure.force_id, []).append(figure)
            cache[obj.request_id] = figures
        return return_reconciliation(foi_return=obj, figures=cache[obj.request_id].get(obj.force_id, []))

    @admin.display(description="People in lines", ordering="people_total")
    def people(self, obj):
        return obj.people_total or 0

    @admin.display(description="Reported total")
    def reported(self, obj):
        return self._reconciliation(obj).reported_display

    @admin.display(description="Lines add up", boolean=True)
    def reconciles(self, obj):
        reconciliation = self._reconciliation(obj)
        if reconciliation.reported is None and not reconciliation.disagreement:
            return None
        return not reconciliation.warning

    @admin.display(description="Reconciliation")
    def reconciliation(self, obj):
        if obj.pk is None:
            return "Save the return to check its lines against its reported total."
        reconciliation = return_reconciliation(foi_return=obj)
        if reconciliation.warning:
            return format_html('<strong class="errornote">Warning: {}</strong>', reconciliation.warning)
        if reconciliation.reported is None:
            return f"No total reported: the lines add up to {reconciliation.lines_total:,}."
        return f"The lines add up to {reconciliation.lines_total:,}, as reported."

    def changelist_view(self, request, extra_context=None):
        _changelist.figures = {}
        try:
            response = super().changelist_view(request, extra_context)
            # Draw the page while this request's figures are cached.
            return response.render() if hasattr(response, "render") else response
        finally:
            del _changelist.figures

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        _warn_if_unreconciled(request, form.instance)

    def has_approve_permission(self, request) -> bool:
        return _can_approve(request)

    @admin.action(description="Approve selected returns for publication", permissions=["approve"])
    def approve(self, request, queryset):
        result = foi_returns_approve(foi_returns=queryset, user=request.user)
        for foi_return, reason in result.refused:
            self.message_user(request, f"“{foi_return}” was not approved: {reason}.", messages.ERROR)
        approved = len(result.approved)
        if not approved and not result.refused:
            self.message_user(
                request, "The selected returns are approved already: nothing changed.", messages.INFO
            )
            return
        if approved:
            self.message_user(
                request,
                f"{approved} return{'s' if approved != 1 else ''} approved: now on the public pages.",
                messages.SUCCESS,
            )
        for foi_return in result.approved:
            _warn_if_unreconciled(request, foi_return)

    @admin.action(
        description="Withdraw selected returns from publication (back to draft)", permissions=["approve"]
    )
    def withdraw(self, request, queryset):
        try:
            withdrawn = foi_returns_withdraw(foi_returns=queryset, user=request.user)
        except PublishingRefused as error:
            self.message_user(request, str(error), messages.ERROR)
            return
        self.message_user(
            request,
            f"{withdrawn} return{'s' if withdrawn != 1 else ''} back to draft: off the public pages.",
            messages.SUCCESS,
        )


@admin.register(CaseLine)
class CaseLineAdmin(GatedAdmin, HistoryAdmin):
    list_display = ["__str__", "count", "role", "offence", "system", "outcome", "basis"]
    list_filter = [
        "basis",
        "role",
        "offence",
        "system",
        "outcome",
        "foi_return__review_state",
        "foi_return__request",
    ]
    search_fields = ["reference", "offence_wording", "outcome_wording", "foi_return__force__name"]
    autocomplete_fields = ["foi_return", "sources"]
    readonly_fields = ["import_batch"]
    list_select_related = ["foi_return__request", "foi_return__force"]


@admin.register(ReportedFigure)
class ReportedFigureAdmin(GatedAdmin, HistoryAdmin):
    list_display = ["scope", "metric", "detail", "value", "qualifier", "source"]
    list_filter = ["metric", "qualifier", "request"]
    search_fields = ["scope", "quote", "metric_as_recorded"]
    autocomplete_fields = ["force", "source"]


@admin.register(Force)
class ForceAdmin(GatedAdmin, forces_admin.ForceAdmin):
    """A force's names and codes are on every public page: edits wait for a second person."""


@admin.register(WorkforceSnapshot)
class WorkforceSnapshotAdmin(GatedAdmin, forces_admin.WorkforceSnapshotAdmin):
    """Workforce numbers divide every public rate per 1,000: edits wait for a second person."""


@admin.register(ChangeRequest)
class ChangeRequestAdmin(admin.ModelAdmin):
    """Changes to published content waiting for a second person: approve (applies it) or reject."""

    list_display = ["__str__", "state", "submitted_by", "submitted_at", "decided_by"]
    list_filter = ["state", "action", "content_type"]
    search_fields = ["object_repr"]
    fields = [
        "object_repr",
        "action",
        "state",
        "what_changes",
        "submitted_by",
        "submitted_at",
        "via",
        "decided_by",
        "decided_at",
        "decision_note",
    ]
    readonly_fields = fields
    actions = ["approve", "reject"]

    def has_add_permission(self, request):
        return False  # made by editing the content itself

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_review_permission(self, request) -> bool:
        return can_review(request.user)

    @admin.display(description="Before → after")
    def what_changes(self, obj):
        if obj.action == ChangeRequest.Action.DELETE and obj.content_type.model_class() is ImportBatch:
            return format_html(
                "The import is rolled back: its returns (public ones leave the site), every line in them "
                'and the sources only it cites are deleted. <a href="{}">See the import</a>.',
                reverse("admin:cases_importbatch_change", args=[obj.object_id]),
            )
        if obj.action == ChangeRequest.Action.DELETE:
            return "The whole row (and what it takes with it) is deleted."
        return format_html(
            "<table><tr><th>field</th><th>before</th><th>after</th></tr>{}</table>",
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                ((name, obj.before.get(name, "—"), value) for name, value in obj.values.items()),
            ),
        )

    @admin.action(description="Approve the selected changes (they go public)", permissions=["review"])
    def approve(self, request, queryset):
        for change_request in queryset.order_by("submitted_at"):
            try:
                change_request_approve(change_request=change_request, user=request.user)
            except PublishingRefused as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(request, f"{change_request}: approved, now public.", messages.SUCCESS)

    @admin.action(description="Reject the selected changes", permissions=["review"])
    def reject(self, request, queryset):
        for change_request in queryset.order_by("submitted_at"):
            try:
                change_request_reject(change_request=change_request, user=request.user)
            except PublishingRefused as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(request, f"{change_request}: rejected, nothing changed.", messages.SUCCESS)


@admin.register(ImportBatch)
class ImportBatchAdmin(HistoryAdmin):
    """Imports: upload, preview, confirm; each batch viewable and rolled back as one unit."""

    list_display = ["__str__", "request", "via", "imported_by", "imported_at", "rows", "state"]
    list_filter = ["state", "via", "request"]
    search_fields = ["file_name", "file_sha256", "request__title"]
    fields = [
        "request",
        "file_name",
        "file_size",
        "file_sha256",
        "rows",
        "via",
        "imported_by",
        "imported_at",
        "state",
        "rolled_back_by",
        "rolled_back_at",
        "created",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        # Batches are made by importing a file (the import view), never typed in.
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="What it created")
    def created(self, obj):
        returns = obj.returns.select_related("force").annotate(people=Sum("lines__count"))
        if not returns:
            return "Nothing now: rolled back." if obj.state == ImportBatch.State.ROLLED_BACK else "—"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                '<li><a href="{}">{}</a>: {} people in lines, {}</li>',
                (
                    (
                        reverse("admin:cases_foireturn_change", args=[r.pk]),
                        r.force or "Force not stated",
                        r.people or 0,
                        r.get_review_state_display().lower(),
                    )
                    for r in returns
                ),
            ),
        )

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("import/", wrap(self.import_view), name="cases_importbatch_import"),
            path("import/confirm/", wrap(self.import_confirm_view), name="cases_importbatch_import_confirm"),
            path("import/template.csv", wrap(self.template_csv_view), name="cases_importbatch_template_csv"),
            path(
                "import/template.xlsx", wrap(self.template_xlsx_view), name="cases_importbatch_template_xlsx"
            ),
            path("<int:pk>/rollback/", wrap(self.rollback_view), name="cases_importbatch_rollback"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_import": request.user.has_perm("cases.add_importbatch"),
        }
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_rollback": request.user.has_perm("cases.rollback_importbatch"),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    # The import itself

    def _require(self, request, permission: str) -> None:
        if not request.user.has_perm(permission):
            raise PermissionDenied

    def _context(self, request, **context) -> dict:
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "columns": COLUMNS,
            **context,
        }

    def import_view(self, request):
        self._require(request, "cases.add_importbatch")
        if request.method == "POST":
            form = ImportForm(request.POST, request.FILES)
            if form.is_valid() and not form.plan.errors:
                return self._preview(request, form.plan, form.keep_upload())
        else:
            form = ImportForm(initial={"request": request.GET.get("request", "")})
        return TemplateResponse(
            request,
            "admin/cases/importbatch/import.html",
            self._context(request, title="Import a spreadsheet", form=form, plan=form.plan),
        )

    def _preview(self, request, plan: ImportPlan, upload: KeptUpload):
        # The session holds the token and checksum of the file kept on disk, never its rows.
        self._pending_discard(request)
        token = upload.token
        request.session[PENDING_IMPORT] = {"request": plan.foi_request.pk, **upload.as_session()}
        reconciliations = []
        for planned in plan.returns:
            preview_return = FoiReturn(
                request=plan.foi_request,
                force=planned.force,
                reported_total=planned.values.get("reported_total"),
            )
            reconciliation = return_reconciliation(foi_return=preview_return)
            # The return is not saved yet: its lines are the planned ones.
            reconciliation = type(reconciliation)(
                planned.people,
                reconciliation.reported,
                reconciliation.qualifier,
                reconciliation.basis,
                reconciliation.disagreement,
            )
            reconciliations.append((planned, reconciliation))
        return TemplateResponse(
            request,
            "admin/cases/importbatch/preview.html",
            self._context(
                request,
                title=f"Check and confirm: {plan.spreadsheet.name}",
                plan=plan,
                token=token,
                reconciliations=reconciliations,
            ),
        )

    def import_confirm_view(self, request):
        self._require(request, "cases.add_importbatch")
        return require_POST(self._confirm)(request)

    def _confirm(self, request):
        pending = request.session.get(PENDING_IMPORT)
        expired = "This preview has expired or its file was imported already: choose the file again."
        if not pending or pending.get("token") != request.POST.get("token"):
            messages.error(request, expired)
            return redirect("admin:cases_importbatch_import")
        foi_request = FoiRequest.objects.filter(pk=pending["request"]).first()
        spreadsheet = upload_read(
            token=pending["token"], name=pending.get("name", ""), sha256=pending.get("sha256", "")
        )
        if foi_request is None or spreadsheet is None:
            self._pending_discard(request)
            messages.error(request, expired)
            return redirect("admin:cases_importbatch_import")
        plan = import_plan(foi_request=foi_request, spreadsheet=spreadsheet)
        if plan.errors:
            # Something changed since the preview (a return added meanwhile, say).
            self._pending_discard(request)
            form = ImportForm(initial={"request": foi_request.pk})
            return TemplateResponse(
                request,
                "admin/cases/importbatch/import.html",
                self._context(request, title="Import a spreadsheet", form=form, plan=plan),
            )
        try:
            batch = foi_return_import(plan=plan, user=request.user, via=ImportBatch.Via.ADMIN)
        except ImportRefused as error:
            self._pending_discard(request)
            messages.error(request, str(error))
            return redirect("admin:cases_importbatch_import")
        self._pending_discard(request)
        messages.success(
            request,
            f"Imported “{batch.file_name}” into “{foi_request.title}”: {len(plan.returns)} "
            f"return{'s' if len(plan.returns) != 1 else ''} and {plan.lines} case "
            f"line{'s' if plan.lines != 1 else ''} ({plan.people} people), as drafts. "
            "A reviewer must approve them before they are public.",
        )
        return redirect("admin:cases_importbatch_change", batch.pk)

    def _pending_discard(self, request) -> None:
        pending = request.session.pop(PENDING_IMPORT, None)
        if pending and pending.get("token"):
            upload_discard(token=pending["token"])

    def template_csv_view(self, request):
        self._require(request, "cases.add_importbatch")
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="foi-return-template.csv"'
        csv.writer(response).writerow([column.name for column in COLUMNS])
        return response

    def template_xlsx_view(self, request):
        self._require(request, "cases.add_importbatch")
        import openpyxl
        from openpyxl.styles import Font

        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.title = "Return"
        sheet.append([column.name for column in COLUMNS])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        guide = workbook.create_sheet("Columns")
        guide.append(["column", "required", "what it holds", "accepted values"])
        for cell in guide[1]:
            cell.font = Font(bold=True)
        for column in COLUMNS:
            guide.append([column.name, "yes" if column.required else "no", column.help, column.accepted])
        guide.append([])
        guide.append(["Only the first sheet is imported. The full guide: docs/importing.md."])
        buffer = io.BytesIO()
        workbook.save(buffer)
        response = HttpResponse(
            buffer.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = 'attachment; filename="foi-return-template.xlsx"'
        return response

    # Rolling back

    def rollback_view(self, request, pk: int):
        self._require(request, "cases.rollback_importbatch")
        batch = get_object_or_404(ImportBatch, pk=pk)
        change_url = reverse("admin:cases_importbatch_change", args=[batch.pk])
        if batch.state == ImportBatch.State.ROLLED_BACK:
            messages.info(request, f"Import {batch.pk} was already rolled back.")
            return redirect(change_url)
        approved = batch.returns.public().count()
        if request.method == "POST":
            try:
                rollback = import_batch_rollback(batch=batch, user=request.user)
            except PublishingRefused as error:
                messages.error(request, str(error))
                return redirect(change_url)
            if rollback.pending:
                messages.info(
                    request,
                    f"Import {batch.pk} holds public returns: rolling it back waits for review as change "
                    f"{rollback.change_request.pk}. The public pages keep them until another reviewer "
                    "approves it.",
                )
                return redirect(change_url)
            counts = rollback.counts
            messages.success(
                request,
                f"Rolled back import {batch.pk}: deleted {counts['returns']} returns, {counts['lines']} case "
                f"lines and {counts['sources']} sources it created. The history keeps what they were.",
            )
            return redirect(change_url)
        return TemplateResponse(
            request,
            "admin/cases/importbatch/rollback.html",
            self._context(
                request,
                title=f"Roll back import {batch.pk}?",
                batch=batch,
                original=batch,
                returns=batch.returns.select_related("force").annotate(people=Sum("lines__count")),
                approved=approved,
                # Anyone who may roll back may ask; public returns wait for a second reviewer.
                blocked=False,
            ),
        )


# People and their roles


def _roles_field(*, required: bool) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        choices=[(role, f"{role}: {ROLE_SUMMARIES[role]}") for role in ROLES],
        widget=forms.CheckboxSelectMultiple,
        required=required,
        error_messages={"required": "Choose a role: without one, this person cannot sign in to the admin."},
        help_text="A role is all a person needs to sign in to the admin: no role, no admin (bar superusers).",
    )


class UserAddForm(AdminUserCreationForm):
    roles = _roles_field(required=True)


class UserEditForm(UserChangeForm):
    roles = _roles_field(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["roles"].initial = list(
                self.instance.groups.filter(name__in=ROLES).values_list("name", flat=True)
            )


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """A person is made Editor, Reviewer or Viewer in the form that creates them: one step, no staff flag."""

    add_form = UserAddForm
    form = UserEditForm
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["username", "usable_password", "password1", "password2"]}),
        ("Role", {"classes": ["wide"], "fields": ["roles"]}),
    ]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("Personal info", {"fields": ["first_name", "last_name", "email"]}),
        ("Role", {"fields": ["roles", "is_active", "is_superuser"]}),
        ("Important dates", {"fields": ["last_login", "date_joined"]}),
    ]
    list_display = ["username", "email", "first_name", "last_name", "roles_held", "is_active", "is_superuser"]
    list_filter = ["groups", "is_superuser", "is_active"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="Roles")
    def roles_held(self, obj):
        return ", ".join(group.name for group in obj.groups.all() if group.name in ROLES) or "—"

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        user_roles_set(user=form.instance, roles=form.cleaned_data["roles"])
