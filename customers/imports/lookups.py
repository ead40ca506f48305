"""`__any_of`: one array parameter for thousands of values, the imports' look-up of a chunk's keys."""

from django.db import models


class AnyOf(models.Lookup):
    """`field__any_of=frozenset(…)`: `= ANY(%s)` with one array parameter on PostgreSQL, where `__in`
    with thousands of values costs Django a parameter each; `IN (…)` elsewhere. Pass a set, not a
    list: Django resolves a list's elements one by one before the lookup sees them."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = list(self.rhs)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*lhs_params, values]
        if not values:
            return "1 = 0", []
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", [*lhs_params, *values]


def register() -> None:
    """Make `__any_of` available on every field (relations keep lookups of their own)."""
    models.Field.register_lookup(AnyOf)
    models.ForeignKey.register_lookup(AnyOf)
