# The status "nothing to import": a checked file with nothing to write ends there.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('imports', '0001_import_batch'),
    ]

    operations = [
        migrations.AlterField(
            model_name='importbatch',
            name='status',
            field=models.CharField(choices=[('checking', 'Checking the file'), ('checked', 'Checked: waiting for confirmation'), ('importing', 'Importing'), ('done', 'Imported'), ('failed', 'Failed'), ('cancelled', 'Cancelled'), ('nothing', 'Nothing to import')], default='checking', max_length=10, verbose_name='status'),
        ),
    ]
