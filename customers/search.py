"""The header search: one box finds a customer by name, pinyin, phone, plate or VIN.

The query's shape decides which indexed lookups run (a handful at most, whatever the archive's
size): Chinese text → name, its beginning or (two characters or more) anywhere in it, e.g. a
given name alone (or plate, if it starts with a province); digits → phone (full or tail), plate
fragment, VIN tail; letters → pinyin, initials and mixed pinyin (zhangsy, zsiyang); letters and
digits → plate fragment and VIN. Exact hits come first, then prefix and fragment hits.
"""

import re
import sys
from dataclasses import dataclass, field

from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import Func, Q, QuerySet, TextField
from django.utils.translation import gettext_lazy as _

from .models import Customer, Vehicle, VehicleRole
from .normalize import PROVINCES, _nfkc, plate_search_key
from .phone_privacy import FULL_NUMBER, PHONE_ENDING, phone_search_limit_reached, phone_search_record

CJK = re.compile(r"[\u4e00-\u9fff]")
PLATE_SUFFIXES = "挂学警港澳领"
MATCH_LABELS = {
    "name": _("name"),
    "pinyin": _("pinyin"),
    "initials": _("initials"),
    "pinyin_mixed": _("mixed pinyin"),
    "phone": _("phone"),
    "phone_tail": _("phone ending"),
    "plate": _("plate"),
    "vin": _("VIN"),
}


@dataclass
class SearchHit:
    customer: Customer
    matched: str  # a key of MATCH_LABELS
    exact: bool
    vehicles: list[Vehicle] = field(default_factory=list)  # the vehicles that matched, if any

    @property
    def matched_label(self):
        return MATCH_LABELS[self.matched]

    @property
    def opens_directly(self) -> bool:
        """A whole number, plate or VIN names one customer: the search page opens them."""
        return self.exact and self.matched in ("phone", "plate", "vin")


def _after_prefix(field: str, prefix: str, *, exact_keys: bool = False, with_prefix: bool = False) -> Q:
    """Values that start with `prefix` but are longer, as an index range: > prefix and < the next prefix
    (`with_prefix`: >= prefix, the prefix itself too).

    With the range alone PostgreSQL reads just that slice of the index, in order, and stops at the
    limit. Search keys made of [a-z0-9] only (`exact_keys`) need nothing more; other text keeps a
    LIKE so that the result stays exact in any collation.
    """
    condition = Q(**{f"{field}__{'gte' if with_prefix else 'gt'}": prefix})
    stem = prefix.rstrip(chr(sys.maxunicode))  # the last code point has no next one: bound by what precedes it
    if stem:
        condition &= Q(**{f"{field}__lt": stem[:-1] + chr(ord(stem[-1]) + 1)})
    return condition if exact_keys else condition & Q(**{f"{field}__startswith": prefix})


def _customers(*keys: str) -> QuerySet[Customer]:
    return Customer.objects.only("id", "name", "mobile", "phone2", "importance", "lost_contact_since",
                                 "last_visit_on", "merged_into", *keys)


class NameBigrams(Func):
    """The name's two-character pieces, as the GIN index of migration 0012 holds them (PostgreSQL)."""

    function = "customer_name_bigrams"
    output_field = ArrayField(TextField())


def _names_containing(text: str) -> QuerySet[Customer]:
    """Names with `text` inside but not at the start (the prefix lookup has those), newest first.

    On PostgreSQL the index finds the names holding every two-character piece of `text`; LIKE then
    keeps those where the pieces stand together. SQLite scans, as it does at its sizes.
    """
    customers = _customers().filter(name__contains=text).exclude(name__startswith=text)
    if connection.vendor == "postgresql":
        pieces = sorted({text[i:i + 2] for i in range(len(text) - 1)})
        customers = customers.alias(name_bigrams=NameBigrams("name")).filter(name_bigrams__contains=pieces)
    return customers.order_by("-id")


def _key_hits(field: str, word: str, *, matched: str, limit: int) -> tuple[list[SearchHit], list[SearchHit]]:
    """(exact, prefix) hits on a search key of [a-z0-9] in one range of its `(key, -id)` index, from
    `word` itself on: the exact keys come first, newest first, then the longer ones. PostgreSQL reads
    only the rows it returns, even when thousands match ("zs")."""
    customers = (_customers(field).filter(_after_prefix(field, word, exact_keys=True, with_prefix=True))
                 .order_by(field, "-id")[:limit])
    exact, prefix = [], []
    for customer in customers:
        is_exact = getattr(customer, field) == word
        (exact if is_exact else prefix).append(SearchHit(customer, matched, is_exact))
    return exact, prefix


def _vehicle_hits(vehicles: QuerySet[Vehicle], *, matched: str, exact: bool, limit: int) -> list[SearchHit]:
    """Customers holding a current role on the matched vehicles (owner first)."""
    roles = (VehicleRole.objects.filter(vehicle__in=vehicles[:limit], ended_on__isnull=True,
                                        customer__merged_into__isnull=True)
             .select_related("vehicle", "customer").order_by("vehicle_id", "kind")[: limit * 2])
    hits: dict[int, SearchHit] = {}
    for role in roles:
        hit = hits.setdefault(role.customer_id, SearchHit(role.customer, matched, exact))
        if role.vehicle not in hit.vehicles:
            hit.vehicles.append(role.vehicle)
    return list(hits.values())


def _customer_hits(customers: QuerySet[Customer], *, matched: str, exact: bool, limit: int) -> list[SearchHit]:
    return [SearchHit(customer, matched, exact) for customer in customers[:limit]]


def _digits(text: str) -> str:
    """The query as a phone number would be typed: separators dropped, +86 / 0086 taken off."""
    digits = re.sub(r"[\-+()（）.·]", "", text)
    if digits.startswith("0086") and len(digits) == 15:
        return digits[4:]
    if digits.startswith("86") and len(digits) == 13:
        return digits[2:]
    return digits


def phone_lookups(query: str) -> set[str]:
    """Which phone lookups the query's shape calls for: a whole number (7+ digits) and/or an
    ending (3 to 10 digits)."""
    text = re.sub(r"\s+", "", _nfkc(query))
    digits = _digits(text)
    if not text or not digits.isdigit():
        return set()
    return ({FULL_NUMBER} if len(digits) >= 7 else set()) | ({PHONE_ENDING} if 3 <= len(digits) < 11 else set())


def customer_search(*, query: str, limit: int = 20, phones: frozenset[str] = frozenset({FULL_NUMBER, PHONE_ENDING})
                    ) -> list[SearchHit]:
    """The hits for the query; `phones` says which phone lookups may run (see `customer_search_for`)."""
    text = re.sub(r"\s+", "", _nfkc(query))
    if not text:
        return []
    exact: list[SearchHit] = []
    partial: list[list[SearchHit]] = []  # one list per kind of lookup, interleaved below
    digits = _digits(text)

    looks_like_plate = text[0] in PROVINCES and len(text) > 1 and not CJK.search(text[1:].rstrip(PLATE_SUFFIXES))
    if CJK.search(text) and not looks_like_plate:
        exact += _customer_hits(_customers().filter(name=text).order_by("-id"), matched="name", exact=True,
                                limit=limit)
        partial.append(_customer_hits(_customers().filter(_after_prefix("name", text)).order_by("name"),
                                      matched="name", exact=False, limit=limit))
        if len(text) >= 2:  # a given name alone (思阳 in 张思阳); one character is too common for it
            partial.append(_customer_hits(_names_containing(text), matched="name", exact=False, limit=limit))
    elif digits.isdigit():
        if len(digits) >= 7 and FULL_NUMBER in phones:
            exact += _customer_hits(_customers().filter(Q(mobile=digits) | Q(phone2=digits)).order_by("-id"),
                                    matched="phone", exact=True, limit=limit)
        if 3 <= len(digits) < 11:
            if PHONE_ENDING in phones:
                tail = digits[::-1]
                partial.append(_customer_hits(
                    _customers().filter(Q(mobile_rev__startswith=tail) | Q(phone2_rev__startswith=tail))
                    .exclude(mobile=digits).exclude(phone2=digits).order_by("-id"),
                    matched="phone_tail", exact=False, limit=limit))
            partial.append(_plate_hits(digits, limit=limit))
        if 5 <= len(digits) <= 8:  # a VIN's tail: staff read out the last 6
            partial.append(_vehicle_hits(Vehicle.objects.filter(vin_rev__startswith=digits[::-1]).order_by(),
                                         matched="vin", exact=False, limit=limit))
    elif re.fullmatch(r"[A-Za-z]+", text):
        word = text.lower()  # pinyin keys are [a-z0-9] (normalize.name_pinyin)
        keys = [("name_pinyin", "pinyin")]
        if len(word) <= 4:
            keys.append(("name_initials", "initials"))
        if len(word) >= 3:  # mixed pinyin: zhangsy (given name as initials), zsiyang (surname as initial)
            keys += [("name_pinyin_given_initials", "pinyin_mixed"), ("name_pinyin_surname_initial", "pinyin_mixed")]
        for key, matched in keys:
            found, longer = _key_hits(key, word, matched=matched, limit=limit)
            exact += found
            partial.append(longer)
    else:
        key = plate_search_key(text)
        if len(key) == 17:
            exact += _vehicle_hits(Vehicle.objects.filter(vin=key), matched="vin", exact=True, limit=limit)
        elif text[0] in PROVINCES and len(key) >= 6:
            exact += _vehicle_hits(Vehicle.objects.filter(plate=text[0] + key), matched="plate", exact=True,
                                   limit=limit)
        partial.append(_plate_hits(key, limit=limit, province=text[0] if text[0] in PROVINCES else ""))
        if 5 <= len(key) <= 8 and re.fullmatch(r"[A-Z0-9]+", key):
            partial.append(_vehicle_hits(Vehicle.objects.filter(vin_rev__startswith=key[::-1]).order_by(),
                                         matched="vin", exact=False, limit=limit))

    seen: set[int] = set()
    hits = []
    for hit in exact + _interleave(partial):
        if hit.customer.pk not in seen:
            seen.add(hit.customer.pk)
            hits.append(hit)
    hits = hits[:limit]
    _add_current_vehicles([hit for hit in hits if not hit.vehicles])
    return hits


def _interleave(groups: list[list[SearchHit]]) -> list[SearchHit]:
    """One of each kind in turn, so that 20 phone endings cannot push the one plate match out."""
    merged = []
    for rank in range(max((len(group) for group in groups), default=0)):
        merged += [group[rank] for group in groups if rank < len(group)]
    return merged


def _add_current_vehicles(hits: list[SearchHit]) -> None:
    """The cars of customers found by name or phone, so staff can tell two 张伟 apart (one query)."""
    if not hits:
        return
    by_customer = {hit.customer.pk: hit for hit in hits}
    roles = (VehicleRole.objects.filter(customer__in=by_customer, ended_on__isnull=True)
             .select_related("vehicle").order_by("kind", "-id"))
    for role in roles:
        by_customer[role.customer_id].vehicles.append(role.vehicle)


def _plate_hits(key: str, *, limit: int, province: str = "") -> list[SearchHit]:
    """Plates containing the fragment (3+ characters: the trigram index on PostgreSQL), or for two
    characters plates starting with them (the prefix index): trigrams need three."""
    if len(key) < 2:
        return []
    if len(key) == 2:
        vehicles = Vehicle.objects.filter(_after_prefix("plate_key", key) | Q(plate_key=key))
    else:
        vehicles = Vehicle.objects.filter(plate_key__contains=key)
    if province:
        vehicles = vehicles.filter(plate__startswith=province)
    return _vehicle_hits(vehicles.order_by("plate_key"), matched="plate", exact=False, limit=limit)


@dataclass
class SearchOutcome:
    hits: list[SearchHit]
    # Why phone lookups the query called for did not run: "role" (an ending needs the permission to
    # reveal numbers) or "limit" (too many phone searches in the last hour); "" when they all ran.
    phones_withheld: str = ""


def customer_search_for(*, user, query: str) -> SearchOutcome:
    """The search as one member of staff may run it.

    A number's ending is an oracle for a role that sees numbers masked: with 188****4818 on screen,
    searching 04818, 14818, … shows digit by digit which guess still finds the customer. So endings
    need `customers.reveal_phone`, and whole numbers — which the searcher already knows — are open
    to every role. The phone lookups that could still be guessed with — endings for the roles that
    may reveal, whole numbers for the others — are audited like reveals and limited per hour
    (`PHONE_SEARCHES_PER_HOUR`), counted in the audit log itself, so every server shares the count.
    """
    wanted = phone_lookups(query)
    may_reveal = user.has_perm("customers.reveal_phone")
    allowed = wanted if may_reveal else wanted - {PHONE_ENDING}
    withheld = "role" if allowed != wanted else ""
    audited = allowed & ({PHONE_ENDING} if may_reveal else {FULL_NUMBER})
    if audited and phone_search_limit_reached(user=user):
        allowed, audited, withheld = allowed - audited, set(), "limit"
    hits = customer_search(query=query, phones=frozenset(allowed))
    if audited:
        phone_search_record(user=user, match=sorted(audited), digits=len(_digits(re.sub(r"\s+", "", _nfkc(query)))),
                            results=sum(hit.matched in ("phone", "phone_tail") for hit in hits))
    return SearchOutcome(hits, withheld)
