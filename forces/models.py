"""Who: police forces and the size of their workforce over time."""

from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords


class AuditedChange(models.Model):
    """The column every history row carries besides who and when: how the change was made."""

    class Via(models.TextChoices):
        ADMIN = "admin", "Admin"
        IMPORT = "import", "Spreadsheet import"
        ROLLBACK = "rollback", "Rollback of an import"
        REVIEW = "review", "Review"
        LOADER = "loader", "Reference-data loader"
        SHELL = "shell", "Shell or script"

    via = models.CharField(max_length=10, choices=Via.choices, blank=True)

    class Meta:
        abstract = True


class Force(models.Model):
    class Kind(models.TextChoices):
        TERRITORIAL = "territorial", "Territorial"
        NATIONAL = "national", "National (non-geographic)"

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120, unique=True)
    short_name = models.CharField(max_length=80)
    # Blank means the sources read do not state it (BTP, CNC, MoD Police): shown as "not stated".
    country = models.CharField(max_length=40, blank=True)
    region = models.CharField(max_length=60)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    ons_code = models.CharField("ONS code", max_length=9, blank=True)
    data_police_uk_id = models.CharField("data.police.uk id", max_length=60, blank=True)
    source_note = models.TextField(help_text="Where each attribute of this force was read.")

    history = HistoricalRecords(bases=[AuditedChange])

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["ons_code"], condition=~Q(ons_code=""), name="force_ons_code_unique"
            ),
            models.CheckConstraint(
                condition=Q(ons_code="") | Q(ons_code__regex=r"^[EWSN][0-9]{8}$"),
                name="force_ons_code_format",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class WorkforceSnapshot(models.Model):
    """One published row of a force's workforce on a date, as FTE or headcount.

    Empty cells are values the source marks '..' (not available); they stay NULL, never 0.
    """

    class Measure(models.TextChoices):
        FTE = "fte", "Full-time equivalent"
        HEADCOUNT = "headcount", "Headcount"

    force = models.ForeignKey(Force, on_delete=models.PROTECT, related_name="workforce")
    date = models.DateField()
    measure = models.CharField(max_length=12, choices=Measure.choices)
    officers = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    staff = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    pcsos = models.DecimalField("PCSOs", max_digits=10, decimal_places=2, null=True, blank=True)
    designated_officers = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    staff_and_designated = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    total = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Officers + staff (incl. designated) + PCSOs, summed by the data's compiler: "
        "the Home Office tables publish no per-force total.",
    )
    region_in_source = models.CharField(max_length=60, blank=True)
    source = models.TextField(help_text="The published table this row was read from.")
    notes = models.TextField(blank=True)

    history = HistoricalRecords(bases=[AuditedChange])

    class Meta:
        ordering = ["force__name", "date", "measure"]
        constraints = [
            models.UniqueConstraint(
                fields=["force", "date", "measure"], name="workforce_one_row_per_force_date_measure"
            ),
            models.CheckConstraint(
                condition=Q(officers__gte=0) | Q(officers__isnull=True),
                name="workforce_officers_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(staff__gte=0) | Q(staff__isnull=True),
                name="workforce_staff_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(pcsos__gte=0) | Q(pcsos__isnull=True),
                name="workforce_pcsos_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(total__gt=0) | Q(total__isnull=True),
                name="workforce_total_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.force} {self.get_measure_display()} {self.date:%Y-%m-%d}"
