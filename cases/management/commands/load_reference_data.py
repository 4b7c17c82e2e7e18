"""Load the published FOI figures shipped in fixtures/ (idempotent: a second run changes nothing)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cases.services import reference_data_load
from forces.services import ReferenceDataError


class Command(BaseCommand):
    help = "Load forces, workforce, sources, FOI requests, returns, case lines and reported figures."

    def add_arguments(self, parser):
        parser.add_argument(
            "--fixtures",
            type=Path,
            default=settings.BASE_DIR / "fixtures",
            help="Folder holding reference/ and curation/ (default: the project's fixtures/).",
        )

    def handle(self, *args, fixtures: Path, **options):
        try:
            report = reference_data_load(fixtures_dir=fixtures)
        except (ReferenceDataError, FileNotFoundError, KeyError) as error:
            raise CommandError(f"Nothing was loaded: {error}") from error
        for line in report.lines():
            self.stdout.write(line)
        self.stdout.write(
            self.style.SUCCESS("Reference data loaded.") if report.changed else "Already up to date."
        )
