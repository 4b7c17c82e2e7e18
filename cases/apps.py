from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CasesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "cases"

    def ready(self):
        from simple_history.signals import pre_create_historical_record

        from cases.audit import label_history_row
        from cases.roles import groups_sync_after_migrate

        pre_create_historical_record.connect(label_history_row, dispatch_uid="cases.audit.label_history_row")
        post_migrate.connect(groups_sync_after_migrate, sender=self, dispatch_uid="cases.roles.groups_sync")
