"""The birthday call's panel on the callback workbench (followups/callbacks/extras.py), registered
from BirthdaysConfig.ready(): on a birthday call (CallbackKind.BIRTHDAY), whose birthday it is and
how old they turn, by when the norm wants the call made (within two hours of the shift's start),
this year's greeting SMS, the children on file with their next birthdays, and the gifts the customer
was given or chose before (the gifts app's requests). Three queries."""

from datetime import datetime

from django.utils import timezone

from followups.callbacks.extras import workbench_extra_register
from followups.callbacks.models import CallbackKind


def birthday_context(*, bench, user, may_record: bool, now: datetime, kept: dict | None) -> dict | None:
    from customers.models import FamilyMember

    from .days import age_on, next_birthday
    from .models import BirthdayGreeting
    from .selectors import gifts_before
    from followups.callbacks.services.building import shift_start

    from .services import BIRTHDAY_CALL_WITHIN

    callback, customer = bench.callback, bench.customer
    day = callback.created_on
    birthday = customer.birthday
    greeting = (BirthdayGreeting.objects.filter(customer=customer, family_member__isnull=True, year=day.year)
                .select_related("message").first())
    children = [(child, next_birthday(child.birthday, today=timezone.localdate(now)))
                for child in FamilyMember.objects.filter(customer=customer, relation=FamilyMember.Relation.CHILD)
                if child.birthday]
    # The norm counts from the shift's start on the birthday, whenever the morning's job queued the call.
    call_by = datetime.combine(day, shift_start(), tzinfo=timezone.get_current_timezone()) + BIRTHDAY_CALL_WITHIN
    return {"customer": customer, "birthday": birthday, "day": day,
            "age": age_on(birthday, day=day) if birthday else greeting.age if greeting else None,
            "greeting": greeting, "call_by": call_by, "late": callback.is_open and now > call_by,
            "children": [{"child": child, "on": on, "age": age_on(child.birthday, day=on)} for child, on in children],
            "gifts": gifts_before(customer=customer)}


def register() -> None:
    workbench_extra_register("birthday", kinds=(CallbackKind.BIRTHDAY,),
                             template="birthdays/partials/workbench_birthday.html", context=birthday_context, order=10)
