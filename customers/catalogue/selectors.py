"""Reading the catalogue: which model of which brand a vehicle's text names.

`vehicle_model_resolve` is what every path that stores a vehicle's brand and model calls (the
imports, the vehicle form); a known spelling gives the catalogue's brand and name, anything else
keeps the text and the brand as it was said, so a person decides. An import reads one
`catalogue_snapshot()` and resolves all its rows against it.
"""

from .models import VehicleModel, VehicleModelAlias
from .spellings import spelling_key

# A brand that says nothing about the model: a known model's own brand replaces it.
UNSAID_BRANDS = {"", "other"}


class CatalogueSnapshot:
    """The models in use and their spellings, as read once (two queries)."""

    def __init__(self, models: list[VehicleModel], alias_keys: list[tuple[str, int]]):
        by_id = {model.pk: model for model in models}
        self._by_key: dict[str, list[VehicleModel]] = {}
        for model in models:
            self._by_key.setdefault(model.name_key, []).append(model)
        for key, model_id in alias_keys:
            if model_id in by_id:
                self._by_key.setdefault(key, []).append(by_id[model_id])
        self._resolved: dict[tuple[str, str], tuple[str, str]] = {}

    def model_for(self, *, brand: str, model_text: str) -> VehicleModel | None:
        """The one model in use that the text names under the brand (any brand when none was said);
        None for an unknown text, or one that two brands' models share while no brand was said."""
        found = self._by_key.get(spelling_key(model_text), ())
        if brand not in UNSAID_BRANDS:
            found = [model for model in found if model.brand == brand]
        return found[0] if len(found) == 1 else None

    def resolve(self, *, brand: str, model_text: str) -> tuple[str, str]:
        """(brand, model name) to store: the catalogue's for a model it knows; else the brand as said
        ("" when none) and the text as written."""
        brand = brand or ""
        answer = self._resolved.get((brand, model_text))
        if answer is None:
            model = self.model_for(brand=brand, model_text=model_text)
            answer = (model.brand, model.name) if model else (brand, model_text)
            self._resolved[(brand, model_text)] = answer
        return answer


def catalogue_snapshot() -> CatalogueSnapshot:
    return CatalogueSnapshot(
        list(VehicleModel.objects.filter(active=True)),
        list(VehicleModelAlias.objects.filter(vehicle_model__active=True).values_list("key", "vehicle_model_id")),
    )


def vehicle_model_resolve(*, brand: str, model_text: str,
                          catalogue: CatalogueSnapshot | None = None) -> tuple[str, str]:
    """(brand, canonical model name) for a vehicle said to be `brand` `model_text`: see
    `CatalogueSnapshot.resolve`. Pass `catalogue` to resolve many vehicles against one reading."""
    return (catalogue or catalogue_snapshot()).resolve(brand=brand, model_text=model_text)


def vehicle_model_for(*, vehicle, catalogue: CatalogueSnapshot | None = None) -> VehicleModel | None:
    """The catalogue's model of a vehicle (its intervals: `first_maintenance`, `maintenance_interval`),
    or None when the catalogue does not know it. A job reading many vehicles passes one `catalogue`."""
    return (catalogue or catalogue_snapshot()).model_for(brand=vehicle.brand, model_text=vehicle.model_name)
