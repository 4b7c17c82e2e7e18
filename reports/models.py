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
