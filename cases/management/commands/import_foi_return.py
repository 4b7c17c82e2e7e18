"""Import FOI returns from CSV or XLSX files into a request, as the admin's import does (all or nothing)."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from cases.imports import (
    ImportFileError,
    import_plan,
    plural,
    spreadsheet_check_name_and_size,
    spreadsheet_read,
)
from cases.models import FoiRequest, ImportBatch
from cases.services import ImportRefused, foi_return_import

BAR_WIDTH = 30


class DryRun(Exception):
    """Raised to roll back a dry run once everything has been checked and written."""


class Command(BaseCommand):
    help = (
        "Import one or more spreadsheets (CSV or XLSX, the format in docs/importing.md) of FOI returns "
        "into a request, as draft returns a reviewer approves in the admin. All files or none."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
        parser.add_argument("--request", required=True, help="Slug of the FOI request the returns answer.")
        parser.add_argument(
            "--user",
            help=(
                "Username the import and its history are recorded against; required unless --dry-run "
                "(another reviewer approves what this user imports)."
            ),
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check everything and say what would be written; write nothing.",
        )
        parser.add_argument("--no-progress", action="store_true", help="Do not draw the progress bar.")

    def handle(self, *args, files, request, user, dry_run, no_progress, **options):
        foi_request = FoiRequest.objects.filter(slug=request).first()
        if foi_request is None:
            raise CommandError(f"Nothing was imported: there is no FOI request with the slug {request!r}.")
        importer = None
        if user:
            importer = get_user_model().objects.filter(username=user, is_active=True).first()
            if importer is None:
                raise CommandError(f"Nothing was imported: there is no active user {user!r}.")
        self.show_progress, self.dry_run = not no_progress, dry_run
        try:
            with transaction.atomic():
                for path in files:
                    self._import(path, foi_request, importer)
                if dry_run:
                    raise DryRun
        except DryRun:
            self.stdout.write("Dry run: everything checked, nothing was written.")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {len(files)} file{'s' if len(files) != 1 else ''} as drafts: approve the returns "
                "in the admin to publish them."
            )
        )

    def _import(self, path: Path, foi_request: FoiRequest, importer) -> None:
        try:
            if not path.is_file():
                raise ImportFileError(f"“{path}” is not a file.")
            spreadsheet_check_name_and_size(name=path.name, size=path.stat().st_size)
            spreadsheet = spreadsheet_read(name=path.name, data=path.read_bytes())
            plan = import_plan(foi_request=foi_request, spreadsheet=spreadsheet)
            for sentence in spreadsheet.how_read():
                self.stdout.write(f"{path.name}: {sentence}")
            if plan.errors:
                raise CommandError(
                    f"Nothing was imported: {plural(len(plan.errors), 'row error')} in “{path.name}”:\n"
                    + "\n".join(plan.errors_shown)
                )
            if importer is None and not self.dry_run:
                # Required to write (a dry run writes nothing): an import nobody is recorded
                # against could be approved by whoever ran it. Checked once the file has been
                # read, so a bad file is reported as it is with or without the flag.
                raise CommandError(
                    "Nothing was imported: give --user USERNAME, the person the import is recorded "
                    "against (another reviewer approves it: four eyes). A --dry-run needs no user."
                )
            batch = foi_return_import(
                plan=plan, user=importer, via=ImportBatch.Via.COMMAND, progress=self._progress(path.name)
            )
        except (ImportFileError, ImportRefused) as error:
            raise CommandError(f"Nothing was imported: {error}") from error
        what = (
            f"{plural(len(plan.returns), 'return')}, {plural(plan.lines, 'case line')} "
            f"({plan.people} people) into “{foi_request.title}”"
        )
        if self.dry_run:
            self.stdout.write(f"{path.name}: would import {what}.")
        else:
            self.stdout.write(f"{path.name}: import {batch.pk}, {what}.")

    def _progress(self, name: str):
        def draw(done: int, total: int) -> None:
            if not self.show_progress:
                return
            filled = BAR_WIDTH * done // max(total, 1)
            bar = "#" * filled + "." * (BAR_WIDTH - filled)
            self.stderr.write(f"\r{name} [{bar}] {done}/{total} lines", ending="\n" if done == total else "")
            self.stderr.flush()

        return draw
