"""Indexes in the exact order of the customer list's last-visit sorts (never-visited customers last),
on PostgreSQL: a page of a million customers is read straight from them. SQLite cannot declare
NULLS LAST in an index; at its sizes it sorts quickly anyway."""

from django.db import migrations

from dealer_crm.migration_ops import postgresql_only

CREATE = [
    "CREATE INDEX IF NOT EXISTS customer_last_visit_desc_idx ON customers_customer "
    "(last_visit_on DESC NULLS LAST, id DESC)",
    "CREATE INDEX IF NOT EXISTS customer_last_visit_asc_idx ON customers_customer (last_visit_on ASC NULLS LAST, id)",
]
DROP = ["DROP INDEX IF EXISTS customer_last_visit_desc_idx", "DROP INDEX IF EXISTS customer_last_visit_asc_idx"]


class Migration(migrations.Migration):
    dependencies = [("customers", "0004_list_orderings_and_labels")]
    operations = [postgresql_only(CREATE, DROP)]
