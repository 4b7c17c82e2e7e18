from django.apps import AppConfig


class ForcesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "forces"
