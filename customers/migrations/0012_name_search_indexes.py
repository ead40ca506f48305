"""Indexes for the mixed-pinyin keys and, on PostgreSQL, for a given name anywhere in the name.

A GIN index on the name's two-character pieces (张思阳 → {张思, 思阳}) finds 思阳 inside any name:
a trigram index cannot, as two characters make no trigram. The pieces are an expression of the
name, so no column has to be kept in step with it.
"""

from django.db import migrations, models

from dealer_crm.migration_ops import postgresql_only

CREATE = [
    "CREATE OR REPLACE FUNCTION customer_name_bigrams(text) RETURNS text[] LANGUAGE sql IMMUTABLE STRICT "
    "PARALLEL SAFE AS $$ SELECT ARRAY(SELECT substr($1, i, 2) FROM generate_series(1, char_length($1) - 1) AS i) $$",
    "CREATE INDEX IF NOT EXISTS customer_name_bigrams_gin ON customers_customer USING gin (customer_name_bigrams(name))",
]
DROP = ["DROP INDEX IF EXISTS customer_name_bigrams_gin", "DROP FUNCTION IF EXISTS customer_name_bigrams(text)"]


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0011_fill_mixed_pinyin_keys'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='customer',
            index=models.Index(fields=['name_pinyin_given_initials', '-id'], name='customer_pinyin_given_idx'),
        ),
        migrations.AddIndex(
            model_name='customer',
            index=models.Index(fields=['name_pinyin_surname_initial', '-id'], name='customer_pinyin_surname_idx'),
        ),
        postgresql_only(CREATE, DROP),
    ]
