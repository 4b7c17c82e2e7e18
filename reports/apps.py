from django.apps import AppConfig


class ReportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reports"

    def ready(self):
        from django.core.signals import request_finished, request_started
        from django.db.models.signals import post_migrate

        from cases.roles import EDITOR, REVIEWER, VIEWER, roles_grant
        from reports import releases

        # Everyone in a role sees the releases; reviewers cut them.
        for role in (VIEWER, EDITOR, REVIEWER):
            roles_grant(role=role, permissions=[("reports", "view_release")])
        roles_grant(role=REVIEWER, permissions=[("reports", "cut_release")])

        # A connection kept between requests never keeps a release's search_path.
        request_started.connect(releases.reset_after_request, dispatch_uid="release-reset-start")
        request_finished.connect(releases.reset_after_request, dispatch_uid="release-reset-finish")
        # Old releases stay readable by the code of the day (reports/releases.py).
        post_migrate.connect(_sync_releases, sender=self, dispatch_uid="release-schemas-sync")


def _sync_releases(sender, **kwargs):
    from reports import releases

    releases.release_schemas_sync()
