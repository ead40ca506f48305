"""Give the service-visit entries already stored their parameters, so they read in every language.

Nearly every stored entry is a service visit (the demo store and the repair-order import write one
per visit), and the visit it points to (`source_id`) still holds everything its text was made
from: one UPDATE joined on the visit fills them all, with no row read into Python. The few owner-
change and merge entries are left as they are: their text names a vehicle or a customer as it was
then, which nothing stores apart from the text, so they keep showing their stored title.

Backwards the parameters are simply left: the previous schema step drops the column.
"""

from django.db import migrations

POSTGRESQL = """
UPDATE customers_timelineentry AS entry
SET params = jsonb_build_object('visit_kind', visit.kind, 'ro', visit.ro_number, 'km', visit.mileage,
                                'total', visit.total_amount::text, 'advisor', visit.advisor)
FROM customers_servicevisit AS visit
WHERE entry.kind = 'visit' AND entry.params = '{}'::jsonb AND entry.source_id = visit.id::text
"""

# SQLite (the embedded default, small archives): the same, as a correlated subquery.
SQLITE = """
UPDATE customers_timelineentry
SET params = (SELECT json_object('visit_kind', visit.kind, 'ro', visit.ro_number, 'km', visit.mileage,
                                 'total', CAST(visit.total_amount AS TEXT), 'advisor', visit.advisor)
              FROM customers_servicevisit AS visit WHERE CAST(visit.id AS TEXT) = customers_timelineentry.source_id)
WHERE kind = 'visit' AND params = '{}' AND EXISTS (
    SELECT 1 FROM customers_servicevisit AS visit WHERE CAST(visit.id AS TEXT) = customers_timelineentry.source_id)
"""


def fill(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute(POSTGRESQL if connection.vendor == "postgresql" else SQLITE)


class Migration(migrations.Migration):

    dependencies = [
        ("customers", "0013_timeline_entry_params"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
