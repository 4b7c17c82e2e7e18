"""python manage.py backup_database [FILE]: a pg_dump custom-format backup (make backup)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from misuse_tracker.backup import BackupError, database_backup


class Command(BaseCommand):
    help = (
        "Back up the database with pg_dump (custom format) to FILE, or to backups/misuse-tracker-<time>.dump."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", type=Path)

    def handle(self, *args, file, **options):
        path = file or Path(settings.BASE_DIR) / "backups" / (
            f"misuse-tracker-{timezone.now():%Y%m%dT%H%M%SZ}.dump"
        )
        try:
            database_backup(path=path)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Backed up to {path} ({path.stat().st_size:,} bytes). Restore: make restore FILE={path}"
        )
