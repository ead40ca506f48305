"""Two search keys for mixed pinyin (张思阳: "zhangsy", "zsiyang"). Filled by 0011, indexed by 0012:
the indexes come after the fill so that it does not update them a million times."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0009_partial_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='customer',
            name='name_pinyin_given_initials',
            field=models.CharField(blank=True, editable=False, max_length=100),
        ),
        migrations.AddField(
            model_name='customer',
            name='name_pinyin_surname_initial',
            field=models.CharField(blank=True, editable=False, max_length=100),
        ),
    ]
