"""Build a benchmark database of SYNTHETIC studies and case lines (never the app's own database)."""

from django.core.management.base import BaseCommand, CommandError

from cases.synthetic import DEFAULT_LINES, DEFAULT_SEED, SyntheticRefused, synthetic_database_build

BAR_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Create a database whose name ends in _bench on the same server, migrate it, load the reference "
        "data, and write seeded SYNTHETIC studies, returns and case lines into it (for benchmarks)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--database-name", required=True, help="The database to create; its name must end in _bench."
        )
        parser.add_argument("--lines", type=int, default=DEFAULT_LINES, help="Case lines to write.")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="The same seed, the same data.")
        parser.add_argument("--replace", action="store_true", help="Drop the database first if it exists.")
        parser.add_argument("--no-progress", action="store_true", help="Do not draw the progress bar.")

    def handle(self, *args, database_name, lines, seed, replace, no_progress, **options):
        self.show_progress = not no_progress
        try:
            summary = synthetic_database_build(
                database_name=database_name,
                lines=lines,
                seed=seed,
                replace=replace,
                progress=self._progress,
                say=self._say,
            )
        except SyntheticRefused as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(str(summary)))

    def _say(self, message: str) -> None:
        if self.show_progress:
            self.stderr.write(message)

    def _progress(self, done: int, total: int) -> None:
        if not self.show_progress:
            return
        filled = BAR_WIDTH * done // max(total, 1)
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        self.stderr.write(
            f"\rSYNTHETIC lines [{bar}] {done:,}/{total:,}", ending="\n" if done == total else ""
        )
        self.stderr.flush()
