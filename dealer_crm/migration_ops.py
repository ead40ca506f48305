"""Helpers for migrations. Kept stable: migrations import them."""

from django.db import migrations


def postgresql_only(create: list[str], drop: list[str]) -> migrations.RunPython:
    """Run SQL that only PostgreSQL has (trigram or NULLS LAST indexes); nothing elsewhere."""

    def run(statements):
        def apply(apps, schema_editor):
            if schema_editor.connection.vendor == "postgresql":
                for statement in statements:
                    schema_editor.execute(statement)

        return apply

    return migrations.RunPython(run(create), run(drop))
