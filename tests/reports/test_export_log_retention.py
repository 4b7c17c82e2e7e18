"""The download log is kept EXPORT_LOG_RETENTION_DAYS (default 400) and pruned by a command."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from reports.models import ExportLog

pytestmark = pytest.mark.django_db


def test_prune_deletes_only_rows_past_retention(settings, capsys):
    assert settings.EXPORT_LOG_RETENTION_DAYS == 400
    now = timezone.now()
    for age in (401, 399, 0):
        log = ExportLog.objects.create(
            table="cases", format="csv", query_string="force=kent", dataset_version="v"
        )
        ExportLog.objects.filter(pk=log.pk).update(created_at=now - timedelta(days=age))
    call_command("prune_export_log")
    assert sorted(
        (now - created).days for created in ExportLog.objects.values_list("created_at", flat=True)
    ) == [0, 399]
    assert capsys.readouterr().out.startswith("Deleted 1 export-log row older than 400 days (")
