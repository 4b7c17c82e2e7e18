"""The admin's roles as groups, created (and kept in step) after every migrate.

Editor enters and imports returns; Reviewer approves returns, and other people's changes to
published content (cases/publishing.py), for publication; Viewer reads the admin and changes
nothing. Superusers can do everything. A user also needs "Staff status" to sign in to the admin
at all.
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import DEFAULT_DB_ALIAS

EDITOR, REVIEWER, VIEWER = "Editor", "Reviewer", "Viewer"

READABLE = {
    "forces": ["force", "workforcesnapshot"],
    "cases": [
        "source",
        "foirequest",
        "foireturn",
        "caseline",
        "reportedfigure",
        "importbatch",
        "changerequest",
    ],
}
# Reported figures are published numbers with their quotes, curated in fixtures/: an editor
# records a reply's own total on the return (reported_total), which is reviewed with it.
EDITABLE = ["source", "foirequest", "foireturn", "caseline"]


def _view_codenames() -> list[tuple[str, str]]:
    return [(app, f"view_{model}") for app, models in READABLE.items() for model in models]


GROUP_PERMISSIONS: dict[str, list[tuple[str, str]]] = {
    VIEWER: _view_codenames(),
    EDITOR: _view_codenames()
    + [("cases", f"{action}_{model}") for model in EDITABLE for action in ("add", "change", "delete")]
    + [("cases", "add_importbatch"), ("cases", "rollback_importbatch")],
    REVIEWER: _view_codenames()
    + [
        ("cases", "approve_foireturn"),
        ("cases", "approve_changerequest"),
        ("cases", "rollback_importbatch"),
    ],
}


def groups_sync(*, apps=global_apps, using: str = DEFAULT_DB_ALIAS) -> None:
    """Create the three groups and set exactly their permissions (idempotent)."""
    # post_migrate creates permissions app by app; make sure every one we name exists already.
    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using, apps=apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, wanted in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.using(using).get_or_create(name=name)
        permissions = []
        for app_label, codename in wanted:
            permissions.append(
                Permission.objects.using(using).get(content_type__app_label=app_label, codename=codename)
            )
        if set(group.permissions.all()) != set(permissions):
            group.permissions.set(permissions)


def groups_sync_after_migrate(sender, *, apps=global_apps, using=DEFAULT_DB_ALIAS, **kwargs) -> None:
    groups_sync(apps=apps, using=using)
