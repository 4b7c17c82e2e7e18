"""Returns held before review existed were already public: keep them so, as approved."""

from django.db import migrations
from django.utils import timezone


def approve_existing(apps, schema_editor):
    FoiReturn = apps.get_model("cases", "FoiReturn")
    FoiReturn.objects.filter(review_state="draft").update(review_state="approved", approved_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_history_import_batches_review")]

    operations = [migrations.RunPython(approve_existing, migrations.RunPython.noop)]
