"""Cut a release: freeze the approved data under the next number (reports/releases.py)."""

from django.core.management.base import BaseCommand, CommandError

from reports.releases import ReleaseError, release_cut


class Command(BaseCommand):
    help = (
        "Freeze the approved data into a numbered, immutable release (YYYY.MM.N) with its data package, "
        "citable at /releases/<number>/ forever. Drafts are never included."
    )

    def add_arguments(self, parser):
        parser.add_argument("--note", required=True, help="What this release is, in a sentence or two.")
        parser.add_argument("--number", help="The number to give it (default: the next of this month).")
        parser.add_argument("--by", default="", help="Who cut it (kept with the release, not published).")
        parser.add_argument("--site-url", default="", help="The site's public address (default: SITE_URL).")

    def handle(self, *args, note, number, by, site_url, **options):
        try:
            release = release_cut(note=note, number=number, cut_by=by, site_url=site_url)
        except ReleaseError as error:
            raise CommandError(str(error)) from error
        log = release.changelog
        self.stdout.write(f"Release {release.number} cut: {release.get_absolute_url()}")
        for name in ("figures", "lines", "returns"):
            change = log[name]
            self.stdout.write(
                f"  {name}: {change['added']:,} added, {change['changed']:,} changed, "
                f"{change['withdrawn']:,} withdrawn"
                + (f" since {log['previous']}" if log.get("previous") else "")
            )
        self.stdout.write(f"  {release.files.count()} files, {sum(release.counts.values()):,} rows copied")
