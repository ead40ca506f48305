"""Fill the mixed-pinyin keys of the customers already stored.

Names repeat (a million customers have a few hundred thousand names), so the keys are computed
once per distinct name in Python (pypinyin has no SQL form); on PostgreSQL they are copied into a
temporary table and written by one UPDATE joined on the name. An UPDATE of every row also writes
an entry in each of the table's indexes for each row: for a big archive the secondary indexes are
dropped first and built again afterwards, as the demo seeder does (at 1,000,000 customers about
10 times faster). Elsewhere (SQLite, small archives) rows are updated in batches.
"""

import io

from django.db import migrations

from customers.normalize import name_pinyin_mixed

BATCH = 2000
REBUILD_INDEXES_FROM = 50_000  # customers to update


def _drop_secondary_indexes(cursor) -> list[str]:
    """Drop the non-unique indexes of the customer table; returns the statements that make them again."""
    cursor.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i JOIN pg_class c ON c.relname = i.indexname "
        "JOIN pg_index x ON x.indexrelid = c.oid WHERE i.tablename = 'customers_customer' "
        "AND i.schemaname = current_schema() AND NOT x.indisunique AND NOT x.indisprimary")
    definitions = cursor.fetchall()
    for name, _definition in definitions:
        cursor.execute(f'DROP INDEX "{name}"')
    return [definition for _name, definition in definitions]


def fill(apps, schema_editor):
    Customer = apps.get_model("customers", "Customer")
    connection = schema_editor.connection
    names = Customer._base_manager.values_list("name", flat=True).distinct().order_by()
    keys = {name: name_pinyin_mixed(name) for name in names.iterator(chunk_size=10_000)}
    keys = {name: pair for name, pair in keys.items() if pair != ("", "")}
    if not keys:
        return
    if connection.vendor == "postgresql":
        buffer = io.StringIO()
        for name, (given_initials, surname_initial) in keys.items():
            # Chinese names and [a-z] keys: nothing for COPY's text format to escape.
            buffer.write(f"{name}\t{given_initials}\t{surname_initial}\n")
        buffer.seek(0)
        with connection.cursor() as cursor:
            cursor.execute("CREATE TEMPORARY TABLE mixed_pinyin (name text PRIMARY KEY, given_initials text, "
                           "surname_initial text) ON COMMIT DROP")
            cursor.copy_expert("COPY mixed_pinyin FROM STDIN", buffer)
            cursor.execute("ANALYZE mixed_pinyin")
            cursor.execute("SELECT count(*) FROM customers_customer AS c JOIN mixed_pinyin AS k ON c.name = k.name")
            rebuild = cursor.fetchone()[0] >= REBUILD_INDEXES_FROM
            definitions = _drop_secondary_indexes(cursor) if rebuild else []
            cursor.execute(
                "UPDATE customers_customer AS c SET name_pinyin_given_initials = k.given_initials, "
                "name_pinyin_surname_initial = k.surname_initial FROM mixed_pinyin AS k WHERE c.name = k.name")
            if rebuild:
                # An index is only built with no deferred foreign-key check pending in the transaction.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
                for definition in definitions:
                    cursor.execute(definition)
                cursor.execute("ANALYZE customers_customer")
        return
    batch = []
    for customer in Customer._base_manager.only("id", "name").order_by("id").iterator(chunk_size=BATCH):
        if customer.name in keys:
            customer.name_pinyin_given_initials, customer.name_pinyin_surname_initial = keys[customer.name]
            batch.append(customer)
        if len(batch) >= BATCH:
            Customer._base_manager.bulk_update(batch, ["name_pinyin_given_initials", "name_pinyin_surname_initial"])
            batch = []
    if batch:
        Customer._base_manager.bulk_update(batch, ["name_pinyin_given_initials", "name_pinyin_surname_initial"])


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0010_customer_mixed_pinyin_keys'),
    ]

    # Reversed, nothing to undo: reversing 0010 drops the columns.
    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
