"""Fetching one record for one user. Every view that shows or changes a record goes through here.

`get_for_user` checks the permission first (so a colleague without the role cannot even learn
whether a record exists), then fetches from the queryset the caller is allowed to see.
Each app defines one helper per object type on top of it (e.g. `get_audit_event_for_user`).
"""

from typing import TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.shortcuts import get_object_or_404

M = TypeVar("M", bound=Model)


def require_perm(user, perm: str) -> None:
    if not (user.is_authenticated and user.is_active and user.has_perm(perm)):
        raise PermissionDenied


def get_for_user(user, queryset: QuerySet[M], *, perm: str, **lookup) -> M:
    require_perm(user, perm)
    return get_object_or_404(queryset, **lookup)
