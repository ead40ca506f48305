"""A trigram index for plate fragments anywhere in the plate ('C123', '2345'), on PostgreSQL only.

SQLite has no such index; its scans are fast enough at the sizes it is used for.
"""

from django.db import migrations

from dealer_crm.migration_ops import postgresql_only

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS vehicle_plate_key_trgm ON customers_vehicle USING gin (plate_key gin_trgm_ops)",
]
DROP = ["DROP INDEX IF EXISTS vehicle_plate_key_trgm"]


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_archive")]
    operations = [postgresql_only(CREATE, DROP)]
