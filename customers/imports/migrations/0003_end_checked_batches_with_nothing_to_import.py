"""Files checked before the status "nothing to import" existed, that had nothing to import, waited
for a confirmation that could do nothing: they end now, as the check ends them today."""

from django.db import migrations
from django.db.models import F, Q


def end_them(apps, schema_editor):
    ImportBatch = apps.get_model("imports", "ImportBatch")
    writes = Q(preview__created__gt=0) | Q(preview__updated__gt=0)
    ImportBatch.objects.filter(status="checked").exclude(writes).update(
        status="nothing", finished_at=F("updated_at"), content=b"")


def wait_again(apps, schema_editor):
    # Back to waiting; their file is gone, so a confirmation would fail them, which is what they are.
    ImportBatch = apps.get_model("imports", "ImportBatch")
    ImportBatch.objects.filter(status="nothing").update(status="checked", finished_at=None)


class Migration(migrations.Migration):

    dependencies = [
        ("imports", "0002_importbatch_status_nothing_to_import"),
    ]

    operations = [migrations.RunPython(end_them, wait_again)]
