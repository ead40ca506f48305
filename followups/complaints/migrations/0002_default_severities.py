"""The three severities a store starts with (the supervisor may change them): general, serious and
major, with the deadlines of Chinese dealer practice — first contact within 24 / 12 / 2 working hours,
solved within 72 / 48 / 24."""

from decimal import Decimal

from django.db import migrations

SEVERITIES = [
    # code, name, rank, first contact, solved, clock
    ("general", "一般", 1, Decimal("24"), Decimal("72"), "working"),
    ("serious", "严重", 2, Decimal("12"), Decimal("48"), "working"),
    ("major", "重大", 3, Decimal("2"), Decimal("24"), "working"),
]


def create(apps, schema_editor):
    severity = apps.get_model("complaints", "Severity")
    for code, name, rank, contact, solve, clock in SEVERITIES:
        severity.objects.get_or_create(code=code, defaults={
            "name": name, "rank": rank, "first_contact_hours": contact, "solve_hours": solve, "clock": clock})


def remove(apps, schema_editor):
    apps.get_model("complaints", "Severity").objects.filter(code__in=[row[0] for row in SEVERITIES]).delete()


class Migration(migrations.Migration):
    dependencies = [("complaints", "0001_complaints")]
    operations = [migrations.RunPython(create, remove)]
