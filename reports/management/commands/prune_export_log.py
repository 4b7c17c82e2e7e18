"""python manage.py prune_export_log: delete download-log rows older than EXPORT_LOG_RETENTION_DAYS."""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from reports.models import ExportLog


class Command(BaseCommand):
    help = "Delete export-log rows (with their query strings) older than EXPORT_LOG_RETENTION_DAYS (400)."

    def handle(self, *args, **options):
        cutoff = timezone.now() - timedelta(days=settings.EXPORT_LOG_RETENTION_DAYS)
        deleted, _ = ExportLog.objects.filter(created_at__lt=cutoff).delete()
        self.stdout.write(
            f"Deleted {deleted} export-log row{'s' if deleted != 1 else ''} older than "
            f"{settings.EXPORT_LOG_RETENTION_DAYS} days ({cutoff:%Y-%m-%d})."
        )
