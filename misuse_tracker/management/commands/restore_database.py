"""python manage.py restore_database FILE: replace the database with a backup (make restore FILE=…)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from misuse_tracker.backup import BackupError, database_restore


class Command(BaseCommand):
    help = "Restore a backup made by backup_database, replacing everything in the database (one transaction)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--drop-newer-releases",
            action="store_true",
            help="Restore even though the database holds releases cut after the backup, and drop them.",
        )

    def handle(self, *args, file, drop_newer_releases, **options):
        try:
            dropped = database_restore(path=file, drop_newer_releases=drop_newer_releases)
        except BackupError as error:
            raise CommandError(str(error)) from error
        for schema in dropped:
            number = schema.removeprefix("release_").replace("_", ".")
            self.stdout.write(f"Dropped release {number} (cut after the backup).")
        self.stdout.write(
            f"Restored {file}. Run `python manage.py migrate` if the backup is from an older release."
        )
