"""python manage.py restore_database FILE: replace the database with a backup (make restore FILE=…)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from misuse_tracker.backup import BackupError, database_restore


class Command(BaseCommand):
    help = "Restore a backup made by backup_database, replacing everything in the database (one transaction)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file, **options):
        try:
            database_restore(path=file)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Restored {file}. Run `python manage.py migrate` if the backup is from an older release."
        )
