"""Fetching archive records for a user, or refusing (see dealer_crm.access)."""

from dealer_crm.access import get_for_user

from .models import Customer, DuplicateCandidate, FamilyMember, Vehicle


def get_customer_for_user(user, pk: int, *, perm: str = "customers.view_customer") -> Customer:
    # all_objects: a merged customer's old address still resolves, and the view sends it on.
    return get_for_user(user, Customer.all_objects.all(), perm=perm, pk=pk)


def get_vehicle_for_user(user, pk: int, *, perm: str = "customers.view_vehicle") -> Vehicle:
    return get_for_user(user, Vehicle.objects.all(), perm=perm, pk=pk)


def get_family_member_for_user(user, pk: int, *, perm: str) -> FamilyMember:
    return get_for_user(user, FamilyMember.objects.select_related("customer"), perm=perm, pk=pk)


def get_duplicate_for_user(user, pk: int) -> DuplicateCandidate:
    return get_for_user(user, DuplicateCandidate.objects.select_related("first", "second"),
                        perm="customers.merge_customer", pk=pk)
