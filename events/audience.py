"""An event's target group (目标客户群): archive customers chosen by filters, counted before inviting.

A target group is a dict of filters (`AUDIENCE_KEYS`), kept on the event (`Event.audience`) so the
group can be counted again and its invitations explained. Every filter narrows; an empty dict is
every active customer of the archive (merged records never count).

How it is counted within a second on a million customers (`audience_count`): never a Python loop
or an IN-list, one or two COUNT statements that read the fewest rows the filters allow.
- The customer's own columns (importance, last visit, birthday month, address, interests, mobile)
  are conditions of one scan of the customers; last visit, a mobile on file and the rarer
  importances have their indexes, and the "not merged" condition is left out of the count (the
  merged who match are counted apart from their partial index and taken off) so that PostgreSQL
  can count from an index alone where one holds the filter's column (the whole store from the
  primary key).
- The car (brand, model) is a semi-join (EXISTS) on the current vehicle roles; with no filter on
  the customer's row the group is counted from those roles alone (a model's cars from
  `vehicle_model_idx`), each customer once.
- The membership (tiers, members only, non-members) is a semi-join on the members' table; members
  only or tiers alone are counted from the members' table.
- Interest words: any of them, as LIKE '%word%' (case-insensitive only for Latin words: UPPER() on
  every row's text costs a third of the scan and Chinese has no case).
The count runs with JIT off: compiling the expressions of a one-off count costs more than it saves.
bench/care_bench.py (`audience`) times each typical filter at 100,000 and 1,000,000 customers.
"""

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.membership.models import Member, Tier
from customers.models import Customer, Vehicle, VehicleRole

AUDIENCE_KEYS = ("brands", "models", "interests", "tiers", "members_only", "importance", "last_visit_after",
                 "last_visit_before", "district", "birthday_month", "has_mobile")
NON_MEMBERS = "none"
WORDS = re.compile(r"[\s,，、;；/]+")
LATIN = re.compile(r"[A-Za-z]")


class AudienceError(ValidationError):
    """Filters that cannot choose a target group (an unknown key, a month 13, a date that is no date)."""


def _list(value) -> list:
    if value in (None, ""):
        return []
    if isinstance(value, (list, tuple, set)):
        return [item for item in value if item not in (None, "")]
    return [value]


def _date(value, key: str) -> str:
    if isinstance(value, date):
        return value.isoformat()
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError as error:
        raise AudienceError({key: _("Enter a date such as 2026-12-31.")}) from error


def _bool(value) -> bool | None:
    if value in (None, ""):
        return None
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes", "on")
    return bool(value)


def audience_clean(filters: dict | None) -> dict:
    """The filters in their stored form: known keys only, empty ones dropped, lists de-duplicated and
    sorted, dates as ISO text. Raises AudienceError (by key) for what cannot be a filter."""
    filters = dict(filters or {})
    unknown = sorted(set(filters) - set(AUDIENCE_KEYS))
    if unknown:
        raise AudienceError(_("Unknown target group filter: %(keys)s.") % {"keys": "、".join(unknown)})
    clean: dict = {}
    brands = sorted({str(brand) for brand in _list(filters.get("brands"))})
    if bad := [brand for brand in brands if brand not in Vehicle.Brand.values]:
        raise AudienceError({"brands": _("Unknown brand: %(brands)s.") % {"brands": "、".join(bad)}})
    if brands:
        clean["brands"] = brands
    models = sorted({str(name).strip() for name in _list(filters.get("models")) if str(name).strip()})
    if models:
        clean["models"] = models
    words = [word for word in WORDS.split(str(filters.get("interests") or "")) if word]
    if words:
        clean["interests"] = " ".join(dict.fromkeys(words))
    tiers = []
    for tier in _list(filters.get("tiers")):
        if str(tier) == NON_MEMBERS:
            tiers.append(NON_MEMBERS)
        elif str(tier).isdigit():
            tiers.append(int(tier))
        else:
            raise AudienceError({"tiers": _("Choose member tiers from the list.")})
    if tiers:
        clean["tiers"] = sorted(set(tiers), key=lambda tier: (tier == NON_MEMBERS, str(tier).zfill(12)))
    if _bool(filters.get("members_only")):
        clean["members_only"] = True
    importance = sorted({str(level) for level in _list(filters.get("importance"))})
    if bad := [level for level in importance if level not in Customer.Importance.values]:
        raise AudienceError({"importance": _("Unknown importance: %(levels)s.") % {"levels": "、".join(bad)}})
    if importance:
        clean["importance"] = importance
    for key in ("last_visit_after", "last_visit_before"):
        if filters.get(key) not in (None, ""):
            clean[key] = _date(filters[key], key)
    if clean.get("last_visit_after") and clean.get("last_visit_before") and (
            clean["last_visit_after"] > clean["last_visit_before"]):
        raise AudienceError({"last_visit_before": _("The last visit's range ends before it starts.")})
    district = str(filters.get("district") or "").strip()
    if district:
        clean["district"] = district[:50]
    month = filters.get("birthday_month")
    if month not in (None, ""):
        if not str(month).isdigit() or not 1 <= int(month) <= 12:
            raise AudienceError({"birthday_month": _("Choose a month from 1 to 12.")})
        clean["birthday_month"] = int(month)
    has_mobile = _bool(filters.get("has_mobile"))
    if has_mobile is not None:
        clean["has_mobile"] = has_mobile
    return clean


def _word(field: str, word: str) -> Q:
    return Q(**{f"{field}__icontains" if LATIN.search(word) else f"{field}__contains": word})


def audience_customers(*, filters: dict) -> QuerySet[Customer]:
    """The active (not merged) customers of the target group; unordered (the caller orders)."""
    return _filtered(Customer.objects.all(), audience_clean(filters))


def _filtered(customers: QuerySet[Customer], filters: dict) -> QuerySet[Customer]:
    cars = Q()
    if filters.get("brands"):
        cars &= Q(vehicle__brand__in=filters["brands"])
    if filters.get("models"):
        cars &= Q(vehicle__model_name__in=filters["models"])
    if cars:
        customers = customers.filter(Exists(VehicleRole.objects.filter(cars, customer=OuterRef("pk"),
                                                                       ended_on__isnull=True)))
    if filters.get("interests"):
        any_word = Q()
        for word in filters["interests"].split():
            any_word |= _word("interests", word)
        customers = customers.filter(any_word)
    members = Member.objects.filter(customer=OuterRef("pk"), status=Member.Status.ACTIVE)
    if filters.get("tiers"):
        tier_ids = [tier for tier in filters["tiers"] if tier != NON_MEMBERS]
        wanted = Q()
        if tier_ids:
            wanted |= Exists(members.filter(tier_id__in=tier_ids))
        if NON_MEMBERS in filters["tiers"]:
            wanted |= ~Exists(members)
        customers = customers.filter(wanted)
    if filters.get("members_only"):
        customers = customers.filter(Exists(members))
    if filters.get("importance"):
        customers = customers.filter(importance__in=filters["importance"])
    if filters.get("last_visit_after"):
        customers = customers.filter(last_visit_on__gte=filters["last_visit_after"])
    if filters.get("last_visit_before"):
        customers = customers.filter(last_visit_on__lte=filters["last_visit_before"])
    if filters.get("district"):
        customers = customers.filter(address__contains=filters["district"])
    if filters.get("birthday_month"):
        customers = customers.filter(birthday__month=filters["birthday_month"])
    if filters.get("has_mobile") is True:
        customers = customers.exclude(mobile="")
    elif filters.get("has_mobile") is False:
        customers = customers.filter(mobile="")
    return customers.order_by()


# The filters on the customer's own row; without them a group of car owners or members is counted
# from the vehicle roles or the members alone.
CUSTOMER_KEYS = frozenset({"interests", "importance", "last_visit_after", "last_visit_before", "district",
                           "birthday_month", "has_mobile"})


def _merged_ids() -> QuerySet:
    return Customer.all_objects.filter(merged_into__isnull=False).values("id")  # a partial index holds them


def _count(filters: dict) -> int:
    tiers = filters.get("tiers", [])
    tier_ids = [tier for tier in tiers if tier != NON_MEMBERS]
    if not (CUSTOMER_KEYS & filters.keys()) and NON_MEMBERS not in tiers:
        members = Member.objects.filter(status=Member.Status.ACTIVE)
        if tier_ids:
            members = members.filter(tier_id__in=tier_ids)
        cars = Q()
        if filters.get("brands"):
            cars &= Q(vehicle__brand__in=filters["brands"])
        if filters.get("models"):
            cars &= Q(vehicle__model_name__in=filters["models"])
        if cars:  # each customer once, however many of their cars match
            roles = VehicleRole.objects.filter(cars, ended_on__isnull=True).exclude(customer_id__in=_merged_ids())
            if tier_ids or filters.get("members_only"):
                roles = roles.filter(Exists(members.filter(customer_id=OuterRef("customer_id"))))
            return roles.order_by().values("customer_id").distinct().count()
        if tier_ids or filters.get("members_only"):  # a customer is a member once (one-to-one)
            return members.exclude(customer_id__in=_merged_ids()).count()
    everyone = _filtered(Customer.all_objects.all(), filters)
    merged = _filtered(Customer.all_objects.filter(merged_into__isnull=False), filters)
    return everyone.count() - merged.count()


def audience_count(*, filters: dict) -> int:
    """How many customers the target group holds (see the module's docstring), in one or two
    statements that read the fewest rows the filters allow:
    - cars (and membership) only: the distinct customers of the current vehicle roles of those cars;
    - membership only: the members of those tiers;
    - otherwise the archive's customers who match, merged ones included, less the merged ones who
      match: without the "not merged" condition PostgreSQL counts from an index alone wherever the
      filters' columns are in one (the whole store from the primary key, a last visit range, a
      mobile on file) instead of reading every customer's row; the merged are a partial index's few.
    Merged customers never count. JIT off."""
    filters = audience_clean(filters)
    if connection.vendor != "postgresql":
        return _count(filters)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        return _count(filters)


LABELS = {
    "brands": gettext_lazy("Brand"),
    "models": gettext_lazy("Model"),
    "interests": gettext_lazy("Interests"),
    "tiers": gettext_lazy("Member tier"),
    "members_only": gettext_lazy("Members only"),
    "importance": gettext_lazy("Importance"),
    "last_visit_after": gettext_lazy("Last visit from"),
    "last_visit_before": gettext_lazy("Last visit until"),
    "district": gettext_lazy("Address contains"),
    "birthday_month": gettext_lazy("Birthday month"),
    "has_mobile": gettext_lazy("Has a mobile"),
}


def audience_describe(filters: dict) -> list[str]:
    """The filters in the reader's words, one line each ("品牌：雷诺、三菱"); an empty list is every customer."""
    filters = audience_clean(filters)
    tier_names = {}
    if filters.get("tiers"):
        tier_names = dict(Tier.objects.filter(pk__in=[t for t in filters["tiers"] if t != NON_MEMBERS])
                          .values_list("id", "name"))
    lines = []
    for key in AUDIENCE_KEYS:
        if key not in filters:
            continue
        value = filters[key]
        if key == "brands":
            text = "、".join(str(Vehicle.Brand(brand).label) for brand in value)
        elif key == "models":
            text = "、".join(value)
        elif key == "interests":
            text = _("any of %(words)s") % {"words": "、".join(value.split())}
        elif key == "tiers":
            text = "、".join(str(_("Non-members")) if tier == NON_MEMBERS else tier_names.get(tier, f"#{tier}")
                            for tier in value)
        elif key == "importance":
            text = "、".join(str(Customer.Importance(level).label) for level in value)
        elif key in ("last_visit_after", "last_visit_before"):
            text = date_format(date.fromisoformat(value), "SHORT_DATE_FORMAT")
        elif key == "birthday_month":
            text = str(value)
        elif key in ("members_only", "has_mobile"):
            text = str(_("yes")) if value else str(_("no"))
        else:
            text = value
        lines.append(f"{LABELS[key]}：{text}")
    return lines
