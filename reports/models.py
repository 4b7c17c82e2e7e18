"""What reports keeps of its own: a log of downloads, for knowing what is used."""

from django.db import models


class ExportLog(models.Model):
    """One download: when, of what, filtered how, in which format, and how many rows.

    Nothing about the visitor is kept: no address, no user agent, no account.
    """

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    table = models.CharField(max_length=30)
    format = models.CharField(max_length=10)
    query_string = models.TextField(blank=True, help_text="The filters, as in the page's address.")
    dataset_version = models.CharField(max_length=40)
    rows = models.PositiveIntegerField(null=True, blank=True, help_text="Empty until the download completes.")
    completed = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.table}.{self.format}?{self.query_string}"


class Release(models.Model):
    """A numbered, immutable copy of the approved data, citable forever (reports/releases.py).

    Its rows are kept in their own PostgreSQL schema (`schema`), so `?release=<number>` on any
    page, download or API call reads them through the same engine as the live pages; its files
    (a Frictionless Data Package) are kept byte for byte in ReleaseFile.
    """

    number = models.CharField(max_length=20, unique=True, help_text="YYYY.MM.N, e.g. 2026.11.1.")
    cut_at = models.DateTimeField()
    note = models.TextField(help_text="What this release is, in a sentence or two.")
    cut_by = models.CharField(max_length=150, blank=True)
    dataset_version = models.CharField(max_length=60, help_text="The live dataset version it froze.")
    schema = models.CharField(max_length=63, unique=True)
    previous = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    changelog = models.JSONField(
        default=dict, help_text="Added, changed and withdrawn since the previous release."
    )
    counts = models.JSONField(default=dict, help_text="Rows of each table in the release.")

    class Meta:
        ordering = ["-cut_at", "-id"]
        permissions = [("cut_release", "Can cut a release")]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("release-detail", args=[self.number])

    @property
    def cut_local(self):
        """When it was cut, in the site's time zone (its number's month is that time's)."""
        from django.utils import timezone

        return timezone.localtime(self.cut_at)


class ReleaseFile(models.Model):
    """One file of a release's data package, kept as it was first served, with its SHA-256."""

    release = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="files")
    name = models.CharField(max_length=100)
    media_type = models.CharField(max_length=100)
    content = models.BinaryField()
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["release", "name"]
        constraints = [models.UniqueConstraint(fields=["release", "name"], name="release_file_once")]

    def __str__(self) -> str:
        return f"{self.release.number}/{self.name}"
