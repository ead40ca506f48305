"""Changes to the catalogue: every path (the admin's form, its file import, a migration's seed
aside) saves a model through `vehicle_model_save`, so its spellings' keys never drift from it."""

from django.db import transaction

from .models import VehicleModel, VehicleModelAlias
from .spellings import spelling_key


@transaction.atomic
def vehicle_model_save(*, vehicle_model: VehicleModel) -> VehicleModel:
    """Validate and save a model, and make its spelling keys those of its aliases. A spelling another
    model claims meanwhile makes the database refuse the save (the keys are unique)."""
    vehicle_model.full_clean()
    vehicle_model.save()
    keys = {spelling_key(alias) for alias in vehicle_model.alias_list()}
    stored = VehicleModelAlias.objects.filter(vehicle_model=vehicle_model)
    stored.exclude(key__in=keys).delete()
    have = set(stored.values_list("key", flat=True))
    VehicleModelAlias.objects.bulk_create(
        [VehicleModelAlias(vehicle_model=vehicle_model, key=key) for key in sorted(keys - have)])
    return vehicle_model
