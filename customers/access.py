"""Fetching archive records for a user, or refusing (see dealer_crm.access)."""

from dealer_crm.access import get_for_user

from .models import Customer, DuplicateCandidate, FamilyMember, Vehicle


def can_edit_customer(user) -> bool:
    """Whether `user` may open a customer's edit form. The form shows the full numbers, so it takes
    the need to see them as well as the right to change the record. The detail page's 编辑 button
    and the edit view both ask this, so the button shows exactly when the form opens."""
    return user.has_perm("customers.change_customer") and user.has_perm("customers.reveal_phone")


def get_customer_for_user(user, pk: int, *, perm: str = "customers.view_customer",
                          include_merged: bool = False) -> Customer:
    """A customer for `user`. Merged records are found only for reading (`include_merged`), so that
    an old link still leads to the survivor; nothing can be added to a merged record."""
    customers = Customer.all_objects.all() if include_merged else Customer.objects.all()
    return get_for_user(user, customers, perm=perm, pk=pk)


def get_vehicle_for_user(user, pk: int, *, perm: str = "customers.view_vehicle") -> Vehicle:
    return get_for_user(user, Vehicle.objects.all(), perm=perm, pk=pk)


def get_family_member_for_user(user, pk: int, *, perm: str) -> FamilyMember:
    return get_for_user(user, FamilyMember.objects.select_related("customer"), perm=perm, pk=pk)


def get_duplicate_for_user(user, pk: int) -> DuplicateCandidate:
    return get_for_user(user, DuplicateCandidate.objects.select_related("first", "second"),
                        perm="customers.merge_customer", pk=pk)
