from django.apps import AppConfig


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
