"""The admin's roles as groups, created (and kept in step) after every migrate, and who may sign in.

Editor enters and imports returns; Reviewer approves returns, and other people's changes to
published content (cases/publishing.py), for publication; Viewer reads the admin and changes
nothing. Superusers can do everything. A role is all a person needs to sign in to the admin:
Django's "Staff status" plays no part (admin_access).
"""

from collections.abc import Iterable

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group
from django.db import DEFAULT_DB_ALIAS, transaction

EDITOR, REVIEWER, VIEWER = "Editor", "Reviewer", "Viewer"
ROLES = (EDITOR, REVIEWER, VIEWER)
ROLE_SUMMARIES = {
    EDITOR: "enters and imports returns, case lines, sources and requests",
    REVIEWER: "approves returns, and other people's changes to public content, for publication",
    VIEWER: "reads every admin page and changes nothing",
}

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


def roles_grant(*, role: str, permissions: Iterable[tuple[str, str]]) -> None:
    """Let an app above this one add its own permissions to a role (synced after migrate)."""
    for permission in permissions:
        if permission not in GROUP_PERMISSIONS[role]:
            GROUP_PERMISSIONS[role].append(permission)


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


def admin_access(user) -> bool:
    """May `user` use the admin? Active, and a superuser or in at least one role's group.

    Read from the groups on every request rather than stored in `is_staff`, so there is no flag to
    keep in step: taking a person out of every role, by any path (the Users page, the shell,
    deleting a group), shuts the admin to them at their next request.
    """
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    # Asked several times while one admin page is drawn; the user object lives for one request.
    if not hasattr(user, "_admin_access"):
        user._admin_access = user.groups.filter(name__in=ROLES).exists()
    return user._admin_access


@transaction.atomic
def user_roles_set(*, user, roles: Iterable[str]) -> None:
    """Give `user` exactly these roles, keeping any group that is not a role. No role: no admin."""
    wanted = set(roles)
    unknown = wanted - set(ROLES)
    if unknown:
        raise ValueError(f"No such role: {', '.join(sorted(unknown))}. The roles are {', '.join(ROLES)}.")
    groups = Group.objects.filter(name__in=ROLES)
    user.groups.remove(*[group for group in groups if group.name not in wanted])
    user.groups.add(*[group for group in groups if group.name in wanted])
    user.__dict__.pop("_admin_access", None)
