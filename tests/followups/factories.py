"""Factories of the callback centre's records, one section per part (whoever needs one adds it)."""

from dealer_crm.accounts.roles import Role
from tests.customers.factories import CustomerFactory, make_vehicle
from tests.factories import UserFactory


# --- problems (反馈问题) ---------------------------------------------------------------------------
def manager(role: Role, username: str, display_name: str):
    return UserFactory(username=username, display_name=display_name, roles=[role])


def raise_problem(*, by, department: str = "service", category: str = "repair", customer=None, vehicle=None,
                  description: str = "保养后车里有机油味", **kwargs):
    from followups.callbacks.services.problems import problem_raise

    customer = customer or CustomerFactory()
    return problem_raise(customer=customer, category=category, department=department, description=description,
                         by=by, vehicle=vehicle, **kwargs)


__all__ = ["CustomerFactory", "make_vehicle", "manager", "raise_problem"]
