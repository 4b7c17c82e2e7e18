from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AdminConfig(admin_apps.AdminConfig):
    """Django's admin on our site, where a role, not "Staff status", lets a person in (admin_site.py)."""

    default = False  # named in INSTALLED_APPS; MisuseTrackerConfig stays this module's default
    default_site = "misuse_tracker.admin_site.AdminSite"


class MisuseTrackerConfig(AppConfig):
    name = "misuse_tracker"

    def ready(self):
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_save, pre_save

        from misuse_tracker.accounts import end_sessions_of_deactivated, remember_was_active

        user_model = get_user_model()
        pre_save.connect(remember_was_active, sender=user_model, dispatch_uid="accounts.remember_was_active")
        post_save.connect(
            end_sessions_of_deactivated, sender=user_model, dispatch_uid="accounts.end_sessions"
        )
