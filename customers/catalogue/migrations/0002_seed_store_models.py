"""The store's models to start with: Renault models sold in China, and the Mitsubishi models of the
customers the store kept after the move (the names the demo store uses among them).

The maintenance intervals are the store's defaults, to be edited in the admin (车型目录) — not the
manufacturers' figures: first maintenance (首保) at 5,000 km or 3 months for Renault, 5,000 km or
6 months for Mitsubishi; then every 10,000 km or 12 months for both, whichever comes first.
"""

from django.db import migrations

from customers.catalogue.spellings import join_aliases, spelling_key

RENAULT_FIRST = (5_000, 3)
MITSUBISHI_FIRST = (5_000, 6)
THEN_EVERY = (10_000, 12)

# brand → (name, its usual English name, other spellings)
MODELS = {
    "renault": [
        ("科雷傲", "Koleos", ["新科雷傲"]),
        ("科雷嘉", "Kadjar", []),
        ("卡缤", "Captur", []),
        ("风朗", "Fluence", []),
        ("纬度", "Latitude", []),
        ("塔利斯曼", "Talisman", []),
        ("梅甘娜", "Mégane", []),
        ("风景", "Scénic", []),
        ("拉古那", "Laguna", []),
    ],
    "mitsubishi": [
        ("欧蓝德", "Outlander", []),
        ("劲炫", "ASX", []),
        ("帕杰罗", "Pajero", []),
        ("帕杰罗·劲畅", "Pajero Sport", ["劲畅"]),
        ("翼神", "Lancer EX", []),
        ("戈蓝", "Grandis", []),
        ("蓝瑟", "Lancer", []),
        ("奕歌", "Eclipse Cross", []),
    ],
}


def seed(apps, schema_editor):
    VehicleModel = apps.get_model("catalogue", "VehicleModel")
    VehicleModelAlias = apps.get_model("catalogue", "VehicleModelAlias")
    for brand, models in MODELS.items():
        first_km, first_months = RENAULT_FIRST if brand == "renault" else MITSUBISHI_FIRST
        for name, english, others in models:
            aliases = [english, f"{name}{english}", *others]  # KOLEOS, 科雷傲Koleos, 科雷傲 KOLEOS…
            model, created = VehicleModel.objects.get_or_create(
                brand=brand, name=name,
                defaults={"name_key": spelling_key(name), "aliases": join_aliases(aliases),
                          "first_maintenance_km": first_km, "first_maintenance_months": first_months,
                          "interval_km": THEN_EVERY[0], "interval_months": THEN_EVERY[1]})
            if created:
                VehicleModelAlias.objects.bulk_create(
                    [VehicleModelAlias(vehicle_model=model, key=spelling_key(alias)) for alias in aliases])


def unseed(apps, schema_editor):
    VehicleModel = apps.get_model("catalogue", "VehicleModel")
    for brand, models in MODELS.items():
        VehicleModel.objects.filter(brand=brand, name__in=[name for name, _english, _others in models]).delete()


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0001_catalogue")]

    operations = [migrations.RunPython(seed, unseed)]
