"""What: published sources, FOI requests, each force's return, the case lines and the headline
figures as published.

"Not stated" is a value of its own in every coded field; it is never folded into zero or into
another category. Counts are people (or incidents, where a study counts those: see
FoiRequest.counting_unit), never a placeholder.
"""

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Case, F, Q, Sum, Value, When
from simple_history.models import HistoricalRecords

from forces.models import AuditedChange, Force


class AuditedCasesChange(AuditedChange):
    """The columns every history row of a cases model carries: how, and in which import batch."""

    import_batch = models.ForeignKey(
        "cases.ImportBatch",
        null=True,
        blank=True,
        # A history row outlives anything it mentions, so it holds the batch loosely.
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )

    class Meta:
        abstract = True


def humanise(code: str) -> str:
    """A recorded code in words: underscores become spaces and ';' a comma; acronyms (PNC) stay."""
    parts = [part.strip() for part in code.replace(";", ",").split(",")]
    words = []
    for part in parts:
        head, _, rest = part.partition(":")
        text = f"{head.replace('_', ' ')}: {rest.replace('_', ' ')}" if rest else head.replace("_", " ")
        words.append(text)
    return ", ".join(w for w in words if w)


def history(**options) -> HistoricalRecords:
    return HistoricalRecords(bases=[AuditedCasesChange], **options)


class Unit(models.TextChoices):
    """What one counted thing is. Counts in different units are never added together."""

    PEOPLE_DISCIPLINED = "people_disciplined", "People disciplined"
    PEOPLE_INVESTIGATED = "people_investigated", "People investigated"
    MISCONDUCT_ALLEGATIONS = "misconduct_allegations", "Misconduct allegations"
    DATA_BREACHES = "data_breaches", "Data-breach cases"
    # Every breach in a force's register, lost devices and misdirected emails included: a count
    # of a different thing from staff misuse, never added to it.
    ALL_DATA_BREACHES = "all_data_breaches", "All recorded data breaches (accidents included)"
    INVESTIGATIONS = "investigations", "Investigations"
    PEOPLE_CONVICTED_OR_CAUTIONED = "people_convicted_or_cautioned", "People convicted or cautioned"
    PEOPLE = "people", "People (see the wording)"
    FORCES = "forces", "Forces"


class Role(models.TextChoices):
    OFFICER = "officer", "Police officer"
    STAFF = "police_staff", "Police staff"
    PCSO = "pcso", "PCSO"
    SPECIAL = "special_constable", "Special constable"
    NOT_STATED = "not_stated", "Not stated"


class Offence(models.TextChoices):
    ACCESS = "unauthorised_access", "Accessing records without a policing purpose"
    DISCLOSURE = "unauthorised_disclosure", "Disclosing information without authority"
    SOCIAL_MEDIA = "social_media", "Misuse of social media"
    EMAIL = "email", "Misuse of email"
    SYSTEM_MISUSE = "system_misuse", "Misuse of police systems (nature not stated)"
    OTHER = "other", "Other (see wording)"
    NOT_STATED = "not_stated", "Not stated"


class System(models.TextChoices):
    PNC = "pnc", "PNC (Police National Computer)"
    PND = "pnd", "PND (Police National Database)"
    NICHE = "niche", "Niche records management system"
    CRIS = "cris", "CRIS (Met crime reporting system)"
    EMAIL = "email", "Email"
    SOCIAL_MEDIA = "social_media", "Social media"
    SEVERAL = "several", "Several systems (split not stated)"
    OTHER = "other", "Other (see wording)"
    NOT_STATED = "not_stated", "Not stated"


class Outcome(models.TextChoices):
    """The misconduct outcome ladder, most severe first."""

    DISMISSED = "dismissed", "Dismissed"
    RESIGNED = "resigned_retired", "Resigned or retired"
    FINAL_WRITTEN_WARNING = "final_written_warning", "Final written warning"
    WRITTEN_WARNING = "written_warning", "Written warning"
    WARNING = "written_or_verbal_warning", "Written or verbal warning (which not stated)"
    MANAGEMENT_ACTION = "management_action", "Management advice or action"
    REFLECTIVE_PRACTICE = "reflective_practice", "Reflective practice"
    MISCONDUCT_MEETING = "misconduct_meeting", "Misconduct meeting (result not stated)"
    DISCIPLINED = "disciplined", "Disciplined (sanction not stated)"
    NO_FURTHER_ACTION = "no_further_action", "No further action"
    NOT_STATED = "not_stated", "Not stated"


class CriminalOutcome(models.TextChoices):
    CONVICTED = "convicted", "Convicted"
    CAUTIONED = "cautioned", "Cautioned"
    NONE = "none", "None"
    NOT_STATED = "not_stated", "Not stated"


class Source(models.Model):
    """A published document that figures are read from."""

    class Kind(models.TextChoices):
        FOI_RESPONSE = "foi_response", "FOI response"
        DISCLOSURE_LOG = "disclosure_log", "Force disclosure log"
        PRESS_ARTICLE = "press_article", "Press article"
        REPORT = "report", "Report"
        BLOG = "blog", "Blog post"

    url = models.URLField(max_length=500, unique=True)
    title = models.CharField(max_length=300)
    publisher = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    published_on = models.DateField(null=True, blank=True, help_text="Blank: not stated.")
    notes = models.TextField(blank=True)
    import_batch = models.ForeignKey(
        "cases.ImportBatch",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sources",
        help_text="The spreadsheet import that created this source, if any.",
    )

    history = history()

    class Meta:
        ordering = ["publisher", "title"]

    def __str__(self) -> str:
        return f"{self.publisher}: {self.title}"


class FoiRequestQuerySet(models.QuerySet):
    def public(self):
        """Requests with something public: an approved return, or published figures.

        A request entered in the admin stays off the public pages until a reviewer approves one
        of its returns.
        """
        return self.filter(
            models.Exists(FoiReturn.objects.public().filter(request=models.OuterRef("pk")))
            | models.Exists(ReportedFigure.objects.filter(request=models.OuterRef("pk")))
        )


class FoiRequest(models.Model):
    """One request (or study built on requests) sent to one or more forces."""

    class YearBasis(models.TextChoices):
        CALENDAR = "calendar", "Calendar years"
        FINANCIAL = "financial", "Financial years (April to March)"
        DATES = "dates", "Exact dates"
        NOT_STATED = "not_stated", "Not stated"

    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=300)
    requester = models.CharField(max_length=200, help_text="Who asked. Blank: not stated.", blank=True)
    question = models.TextField(blank=True, help_text="What was asked, as reported. Blank: not stated.")
    asked_on = models.DateField(null=True, blank=True)
    published_on = models.DateField(null=True, blank=True)
    period_label = models.CharField(max_length=120, help_text="The period as the source states it.")
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    year_basis = models.CharField(max_length=12, choices=YearBasis.choices)
    unit = models.CharField(
        max_length=40,
        choices=Unit.choices,
        default=Unit.PEOPLE_DISCIPLINED,
        help_text="What one case line counts. Counts in different units are never added together.",
    )
    counting_unit = models.CharField(
        "unit as the sources word it",
        max_length=120,
        help_text="What one counted case is in this study, in the sources' words (people, breaches…).",
    )
    forces_asked = models.PositiveSmallIntegerField(null=True, blank=True)
    forces_answered = models.PositiveSmallIntegerField(null=True, blank=True)
    sources = models.ManyToManyField(Source, related_name="requests", blank=True)
    notes = models.TextField(blank=True)

    history = history(m2m_fields=[sources])

    objects = FoiRequestQuerySet.as_manager()

    class Meta:
        ordering = ["period_start", "slug"]
        verbose_name = "FOI request"
        constraints = [
            models.CheckConstraint(
                condition=Q(period_start__lte=F("period_end"))
                | Q(period_start__isnull=True)
                | Q(period_end__isnull=True),
                name="request_period_start_before_end",
                violation_error_message="The period must end on or after its start: check the two dates.",
            ),
            models.CheckConstraint(
                condition=Q(period_start__isnull=True, period_end__isnull=True)
                | Q(period_start__isnull=False, period_end__isnull=False),
                name="request_period_both_or_neither",
                violation_error_message="Give both the start and the end of the period, or neither.",
            ),
            models.CheckConstraint(
                condition=Q(forces_answered__lte=F("forces_asked"))
                | Q(forces_answered__isnull=True)
                | Q(forces_asked__isnull=True),
                name="request_answered_not_more_than_asked",
                violation_error_message="More forces cannot answer than were asked: check both numbers.",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self):
        if self.period_start and self.period_end and self.period_start > self.period_end:
            raise ValidationError(
                {"period_end": "The period must end on or after its start: check the two dates."}
            )
        if bool(self.period_start) != bool(self.period_end):
            missing = "period_end" if self.period_start else "period_start"
            raise ValidationError({missing: "Give both the start and the end of the period, or neither."})
        if self.forces_asked is not None and self.forces_answered is not None:
            if self.forces_answered > self.forces_asked:
                raise ValidationError(
                    {"forces_answered": "More forces cannot answer than were asked: check both numbers."}
                )


class ImportBatch(models.Model):
    """One spreadsheet imported into one request: what it created can be viewed and rolled back whole."""

    class Via(models.TextChoices):
        ADMIN = "admin", "Admin upload"
        COMMAND = "command", "import_foi_return command"

    class State(models.TextChoices):
        IMPORTED = "imported", "Imported"
        ROLLED_BACK = "rolled_back", "Rolled back"

    request = models.ForeignKey(FoiRequest, on_delete=models.PROTECT, related_name="import_batches")
    file_name = models.CharField(max_length=255)
    file_sha256 = models.CharField("file SHA-256", max_length=64)
    file_size = models.PositiveIntegerField(help_text="Bytes.")
    rows = models.PositiveIntegerField(help_text="Data rows in the file.")
    via = models.CharField(max_length=10, choices=Via.choices)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    imported_at = models.DateTimeField()
    state = models.CharField(max_length=12, choices=State.choices, default=State.IMPORTED)
    rolled_back_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    rolled_back_at = models.DateTimeField(null=True, blank=True)

    history = history()

    class Meta:
        ordering = ["-imported_at"]
        verbose_name = "import batch"
        verbose_name_plural = "import batches"
        permissions = [("rollback_importbatch", "Can roll back an import batch")]
        constraints = [
            # The same file imported twice would double its cases; once rolled back it may return.
            models.UniqueConstraint(
                fields=["file_sha256"], condition=Q(state="imported"), name="import_file_once"
            ),
            models.CheckConstraint(
                condition=Q(state="imported", rolled_back_at__isnull=True)
                | Q(state="rolled_back", rolled_back_at__isnull=False),
                name="import_rolled_back_has_a_date",
            ),
        ]

    def __str__(self) -> str:
        return f"Import {self.pk}: {self.file_name}"


EXEMPTION_ONLY_WHEN_REFUSED = (
    "Only a refused return has an exemption: set the status to Refused, or clear the exemption."
)


class ReviewState(models.TextChoices):
    DRAFT = "draft", "Draft (not public)"
    APPROVED = "approved", "Approved for publication"


class FoiReturnQuerySet(models.QuerySet):
    def public(self):
        """Returns whose figures may be shown on public pages and in exports: approved ones only."""
        return self.filter(review_state=ReviewState.APPROVED)

    def drafts(self):
        return self.filter(review_state=ReviewState.DRAFT)


class FoiReturn(models.Model):
    """One force's answer to one request.

    A return without a force holds the cases a study reports but does not attribute to any named
    force (for example the 102 of Parliament Street's 237), so national totals reconcile.
    """

    class Status(models.TextChoices):
        ANSWERED = "answered", "Answered"
        PARTIAL = "partial", "Partly answered"
        REFUSED = "refused", "Refused"
        NO_REPLY = "no_reply", "No reply"
        UNKNOWN = "unknown", "Unknown"

    class Exemption(models.TextChoices):
        S12 = "s12", "s.12 (cost of compliance)"
        S14 = "s14", "s.14 (vexatious or repeated)"
        S21 = "s21", "s.21 (reasonably accessible)"
        S30 = "s30", "s.30 (investigations)"
        S31 = "s31", "s.31 (law enforcement)"
        S40 = "s40", "s.40 (personal information)"
        OTHER = "other", "Other"
        NOT_STATED = "not_stated", "Not stated"

    request = models.ForeignKey(FoiRequest, on_delete=models.CASCADE, related_name="returns")
    force = models.ForeignKey(
        Force,
        on_delete=models.PROTECT,
        related_name="foi_returns",
        null=True,
        blank=True,
        help_text="Blank: cases the study reports without naming the force.",
    )
    status = models.CharField(max_length=12, choices=Status.choices)
    exemption = models.CharField(max_length=12, choices=Exemption.choices, blank=True)
    received_on = models.DateField(null=True, blank=True)
    reported_total = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="The total the reply itself states, to check the lines against. "
        "Blank: not stated (or held as reported figures).",
    )
    reported_officers = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Police officers among them, where the reply gives roles only as a total "
        "(not line by line). Blank: not stated, or given line by line.",
    )
    reported_staff = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Police staff among them, where the reply gives roles only as a total. Blank: not stated.",
    )
    sources = models.ManyToManyField(Source, related_name="foi_returns", blank=True)
    notes = models.TextField(blank=True)
    review_state = models.CharField(
        max_length=10,
        choices=ReviewState.choices,
        default=ReviewState.DRAFT,
        help_text="Only approved returns are shown on public pages and in exports.",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    import_batch = models.ForeignKey(
        ImportBatch,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="returns",
        help_text="The spreadsheet import that created this return, if any.",
    )

    objects = FoiReturnQuerySet.as_manager()
    history = history(m2m_fields=[sources])

    class Meta:
        ordering = ["request", "force__name"]
        verbose_name = "FOI return"
        permissions = [("approve_foireturn", "Can approve a return for publication")]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "force"],
                condition=Q(force__isnull=False),
                name="return_one_per_force_per_request",
                violation_error_message="This request already has a return from this force: "
                "edit that return instead of adding another.",
            ),
            models.UniqueConstraint(
                fields=["request"],
                condition=Q(force__isnull=True),
                name="return_one_unattributed_per_request",
                violation_error_message="This request already has a return for cases not attributed "
                "to a force: edit that one, or choose a force.",
            ),
            models.CheckConstraint(
                condition=Q(status="refused") | Q(exemption=""),
                name="return_exemption_only_when_refused",
                violation_error_message=EXEMPTION_ONLY_WHEN_REFUSED,
            ),
            models.CheckConstraint(
                condition=Q(review_state="draft", approved_at__isnull=True)
                | Q(review_state="approved", approved_at__isnull=False),
                name="return_approved_has_a_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request} — {self.force or 'force not stated'}"

    def clean(self):
        if self.exemption and self.status != self.Status.REFUSED:
            raise ValidationError({"exemption": EXEMPTION_ONLY_WHEN_REFUSED})

    @property
    def is_approved(self) -> bool:
        return self.review_state == ReviewState.APPROVED


class CaseLineQuerySet(models.QuerySet):
    def public(self):
        """Lines that may be shown on public pages and in exports."""
        return self.filter(foi_return__in=FoiReturn.objects.public())

    def total(self) -> int:
        return self.aggregate(total=Sum("count"))["total"] or 0


class CaseLine(models.Model):
    """N people alike in one return: same role, offence, system, outcome and period.

    A line with basis REMAINDER is computed, not read: a reported total minus the lines a
    source describes. It is always labelled as such.
    """

    class Basis(models.TextChoices):
        STATED = "stated", "Stated by the sources"
        REMAINDER = "remainder", "Remainder of a reported total (computed)"

    foi_return = models.ForeignKey(FoiReturn, on_delete=models.CASCADE, related_name="lines")
    reference = models.SlugField(
        max_length=160,
        unique=True,
        null=True,
        blank=True,
        help_text="Stable key of a line loaded from the reference data.",
    )
    count = models.PositiveIntegerField(
        help_text="How many people (1 for an individual case).",
        validators=[
            MinValueValidator(1, "A line counts at least one person: enter 1 or more, or delete the line.")
        ],
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.NOT_STATED)
    role_wording = models.CharField(max_length=300, blank=True)
    offence = models.CharField(max_length=30, choices=Offence.choices, default=Offence.NOT_STATED)
    offence_wording = models.CharField(max_length=500, blank=True)
    system = models.CharField(max_length=20, choices=System.choices, default=System.NOT_STATED)
    system_wording = models.CharField(max_length=300, blank=True)
    outcome = models.CharField(max_length=30, choices=Outcome.choices, default=Outcome.NOT_STATED)
    outcome_wording = models.CharField(max_length=300, blank=True)
    criminal_outcome = models.CharField(
        max_length=12, choices=CriminalOutcome.choices, default=CriminalOutcome.NOT_STATED
    )
    criminal_outcome_wording = models.CharField(max_length=300, blank=True)
    period_label = models.CharField(max_length=120, blank=True)
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    summary = models.TextField(blank=True)
    summary_publishable = models.BooleanField(
        default=False, help_text="Only a summary marked publishable is shown to the public."
    )
    basis = models.CharField(max_length=12, choices=Basis.choices, default=Basis.STATED)
    disagreement = models.TextField(
        blank=True, help_text="Where the sources disagree about this line, in their own words."
    )
    sources = models.ManyToManyField(Source, related_name="case_lines", blank=True)
    notes = models.TextField(blank=True)
    import_batch = models.ForeignKey(
        ImportBatch,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lines",
        help_text="The spreadsheet import that created this line, if any.",
    )

    # What `q=` searches, stored and indexed (GIN): the wordings, and the summary only where it
    # may be published, so a search never reveals that a private summary holds a word.
    search_vector = models.GeneratedField(
        expression=SearchVector(
            "offence_wording",
            "outcome_wording",
            "system_wording",
            "role_wording",
            Case(
                When(summary_publishable=True, then="summary"),
                default=Value(""),
                output_field=models.TextField(),
            ),
            config="english",
        ),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    objects = CaseLineQuerySet.as_manager()
    history = history(m2m_fields=[sources], excluded_fields=["search_vector"])

    class Meta:
        ordering = ["foi_return", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(count__gte=1),
                name="line_count_at_least_one",
                violation_error_message="A line counts at least one person: enter 1 or more, "
                "or delete the line.",
            ),
            models.CheckConstraint(
                condition=Q(period_start__lte=F("period_end"))
                | Q(period_start__isnull=True)
                | Q(period_end__isnull=True),
                name="line_period_start_before_end",
                violation_error_message="The period must end on or after its start: check the two dates.",
            ),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="line_role_valid"),
            models.CheckConstraint(condition=Q(offence__in=Offence.values), name="line_offence_valid"),
            models.CheckConstraint(condition=Q(system__in=System.values), name="line_system_valid"),
            models.CheckConstraint(condition=Q(outcome__in=Outcome.values), name="line_outcome_valid"),
            models.CheckConstraint(
                condition=Q(criminal_outcome__in=CriminalOutcome.values),
                name="line_criminal_outcome_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["outcome"]),
            models.Index(fields=["offence"]),
            GinIndex(fields=["search_vector"], name="caseline_search"),
            # The few lines the sources disagree about (the methodology and force pages list them).
            models.Index(fields=["id"], condition=~Q(disagreement=""), name="caseline_disagreeing"),
        ]

    def __str__(self) -> str:
        return f"{self.count} × {self.get_outcome_display()} ({self.foi_return})"

    def clean(self):
        if self.period_start and self.period_end and self.period_start > self.period_end:
            raise ValidationError(
                {"period_end": "The period must end on or after its start: check the two dates."}
            )


# --- Rollups of the case lines, kept by the database ------------------------------------------
#
# PostgreSQL triggers on cases_caseline (migration 0007) keep both tables exact in the same
# transaction as every insert, update, delete or COPY of lines, whatever writes them (admin,
# import, a shell, a rollback undoes both). They hold every line, public or not: a return's
# approval or withdrawal changes which rows the engine reads, not the rows. Never written here.


class CaseLineRollup(models.Model):
    """The case lines summed by return and every coded field: what the figures engine reads.

    The year columns are the line's own period, where it has one (else null: the line takes its
    request's period, joined when read), so the period filters stay exact."""

    foi_return = models.ForeignKey(
        FoiReturn, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    role = models.CharField(max_length=20)
    offence = models.CharField(max_length=30)
    system = models.CharField(max_length=20)
    outcome = models.CharField(max_length=30)
    criminal_outcome = models.CharField(max_length=30)
    start_year = models.SmallIntegerField(null=True)
    end_year = models.SmallIntegerField(null=True)
    cases = models.BigIntegerField()
    lines = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "foi_return",
                    "role",
                    "offence",
                    "system",
                    "outcome",
                    "criminal_outcome",
                    "start_year",
                    "end_year",
                ],
                name="caselinerollup_key",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return f"{self.cases} in {self.lines} lines of return {self.foi_return_id}"


class CaseLineWording(models.Model):
    """How many lines of a return use each wording of a coded field (the methodology page)."""

    foi_return = models.ForeignKey(
        FoiReturn, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    dimension = models.CharField(max_length=20)
    code = models.CharField(max_length=30)
    wording = models.CharField(max_length=500)
    lines = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["foi_return", "dimension", "code", "wording"], name="caselinewording_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.dimension} “{self.wording}” in {self.lines} lines"


class ReportedFigureQuerySet(models.QuerySet):
    def public(self):
        """Figures as their sources published them: public from the start, like the sources."""
        return self.all()


class ReportedFigure(models.Model):
    """A number exactly as a source published it, kept so the lines can be reconciled with it."""

    class Metric(models.TextChoices):
        CASES_TOTAL = "cases_total", "Cases (total)"
        BREACHES_TOTAL = "breaches_total", "Breaches (total)"
        ALL_BREACHES_TOTAL = (
            "data_breaches_all_types",
            "All recorded data breaches, accidents included (total)",
        )
        CASES_INVESTIGATED = "cases_investigated", "Cases investigated"
        DISMISSED = "dismissed", "Dismissed"
        RESIGNED = "resigned", "Resigned"
        OUTCOME = "outcome", "Outcome"
        OFFENCE = "offence", "Offence"
        UNDER_INVESTIGATION = "cases_under_investigation", "Under investigation at a date"
        FORCES_RESPONDED = "forces_responded", "Forces that responded"
        FORCES_ASKED = "forces_asked", "Forces asked"
        SUBJECTS = "subjects", "People investigated, by rank or role"
        DATA_TYPE = "data_type", "Kind of data misused"
        NO_INFORMATION = "no_information_provided", "Cases with no information provided"
        ESTIMATE = "estimate", "Estimate (not a count)"
        CASE_EXAMPLE = "case_example", "Individual case example"

    class Qualifier(models.TextChoices):
        EXACT = "exact", "Exactly"
        OVER = "over", "Over"
        AT_LEAST = "at_least", "At least"
        NO_NUMBER = "no_number", "No number given"

    # A total in the figure's own unit: an all-breach total is a total of all recorded breaches,
    # compared only with figures and lines in that unit.
    TOTAL_METRICS = (
        Metric.CASES_TOTAL,
        Metric.BREACHES_TOTAL,
        Metric.CASES_INVESTIGATED,
        Metric.ALL_BREACHES_TOTAL,
    )

    request = models.ForeignKey(FoiRequest, on_delete=models.CASCADE, related_name="figures")
    force = models.ForeignKey(
        Force,
        on_delete=models.PROTECT,
        related_name="reported_figures",
        null=True,
        blank=True,
        help_text="Blank: a national figure, or one for forces the source does not name.",
    )
    reference = models.CharField(max_length=80, unique=True)
    scope = models.CharField(max_length=200, help_text="Whom the figure covers, as the source says.")
    metric = models.CharField(max_length=30, choices=Metric.choices)
    detail = models.CharField(max_length=200, blank=True)
    metric_as_recorded = models.CharField(max_length=200)
    unit = models.CharField(
        max_length=40,
        choices=Unit.choices,
        default=Unit.PEOPLE_DISCIPLINED,
        help_text="What the figure counts, as this source words it.",
    )
    value = models.PositiveIntegerField(null=True, blank=True)
    qualifier = models.CharField(max_length=10, choices=Qualifier.choices)
    role_wording = models.CharField(max_length=200, blank=True)
    period_label = models.CharField(max_length=120)
    quote = models.TextField()
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="figures")
    notes = models.TextField(blank=True)
    uncertain = models.TextField(
        blank=True,
        help_text="Why the figure is uncertain, where the reference notes mark it so "
        "(fixtures/curation/figure_caveats.csv). Blank: not marked uncertain.",
    )
    disagreement = models.TextField(
        blank=True,
        help_text="Where the sources read this figure differently: each source's reading, in its words.",
    )

    history = history()

    objects = ReportedFigureQuerySet.as_manager()

    class Meta:
        ordering = ["request", "force__name", "metric", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(qualifier="no_number") & Q(value__isnull=True))
                | (~Q(qualifier="no_number") & Q(value__isnull=False)),
                name="figure_value_matches_qualifier",
            ),
            models.CheckConstraint(condition=~Q(quote=""), name="figure_has_quote"),
        ]

    def __str__(self) -> str:
        return f"{self.scope}: {self.metric_as_recorded} = {self.value_display}"

    @property
    def detail_words(self) -> str:
        """The recorded detail in words: 'misuse_of_PNC' -> 'misuse of PNC'."""
        return humanise(self.detail)

    @property
    def description(self) -> str:
        """What the figure counts, in words, never codes: 'Offence: misuse of PNC'."""
        label = self.get_metric_display()
        return f"{label}: {self.detail_words}" if self.detail else label

    @property
    def value_display(self) -> str:
        if self.value is None:
            return "no number given"
        if self.qualifier == self.Qualifier.EXACT:
            return f"{self.value:,}"
        return f"{self.get_qualifier_display().lower()} {self.value:,}"


# Kept in a module of its own: the pending changes the publishing gate holds (cases/publishing.py).
from cases.change_requests import ChangeRequest  # noqa: E402,F401
