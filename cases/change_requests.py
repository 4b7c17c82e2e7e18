"""The pending change: an edit, addition or deletion of published content, waiting for a second person.

Live tables hold only what a reviewer has approved. A change to anything public is kept here, as
the field values it would write, until another reviewer approves it (cases/publishing.py applies
it then, inside one transaction, through the model's own validation) or rejects it.
"""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q


class ChangeRequest(models.Model):
    class Action(models.TextChoices):
        CREATE = "create", "Add"
        CHANGE = "change", "Change"
        DELETE = "delete", "Delete"

    class State(models.TextChoices):
        PENDING = "pending", "Waiting for review"
        APPROVED = "approved", "Approved and applied"
        REJECTED = "rejected", "Rejected"

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField(null=True, blank=True, help_text="Empty for an addition.")
    object_repr = models.CharField("what", max_length=300)
    action = models.CharField(max_length=10, choices=Action.choices)
    values = models.JSONField(
        default=dict, blank=True, encoder=DjangoJSONEncoder, help_text="The values the change would write."
    )
    before = models.JSONField(
        default=dict, blank=True, encoder=DjangoJSONEncoder, help_text="The same fields as they were."
    )
    via = models.CharField(max_length=10, default="shell")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    submitted_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        app_label = "cases"
        ordering = ["-submitted_at"]
        verbose_name = "change waiting for review"
        verbose_name_plural = "changes waiting for review"
        permissions = [("approve_changerequest", "Can approve or reject a change to published content")]
        constraints = [
            models.CheckConstraint(
                condition=Q(state="pending", decided_at__isnull=True)
                | (~Q(state="pending") & Q(decided_at__isnull=False)),
                name="change_request_decided_has_a_date",
            ),
            models.CheckConstraint(
                condition=Q(action="create", object_id__isnull=True)
                | (~Q(action="create") & Q(object_id__isnull=False)),
                name="change_request_target_unless_create",
            ),
        ]
        indexes = [models.Index(fields=["content_type", "object_id", "state"])]

    def __str__(self) -> str:
        return f"Change {self.pk}: {self.get_action_display().lower()} {self.object_repr}"

    @property
    def is_pending(self) -> bool:
        return self.state == self.State.PENDING
