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


# --- callbacks, calls and answers, made directly (the supervisor's figures read these rows) ----------
def make_callback(*, customer=None, kind: str = "ssi", status: str = "open", due_at=None, expires_at=None,
                  agent=None, source_key: str | None = None, vehicle=None, **kwargs):
    from uuid import uuid4

    from django.utils import timezone

    from followups.callbacks.models import Callback

    due_at = due_at or timezone.now()
    return Callback.objects.create(
        customer=customer or CustomerFactory(), vehicle=vehicle, kind=kind, status=status, due_at=due_at,
        expires_at=expires_at, assigned_to=agent, source_key=source_key or f"test:{uuid4().hex[:16]}",
        created_on=timezone.localdate(due_at), **kwargs)


def make_attempt(callback, *, agent, at, outcome: str):
    from followups.callbacks.models import CallAttempt

    return CallAttempt.objects.create(callback=callback, agent=agent, made_at=at, outcome=outcome)


def script_version(kind: str = "ssi"):
    from followups.scripts.models import Script, ScriptVersion

    script, _ = Script.objects.get_or_create(key=f"test-{kind}", defaults={"name": f"{kind} 话术", "kind": kind})
    version, _ = ScriptVersion.objects.get_or_create(script=script, number=1, defaults={"status": "published"})
    return version


def make_response(callback, *, by, at, score, attempt=None, corrects=None):
    """A response with `score` as its average (the mean of its score answers, as services/calls.py keeps it)."""
    from decimal import Decimal

    from followups.callbacks.models import ScriptResponse

    return ScriptResponse.objects.create(
        callback=callback, version=script_version("csi" if callback.kind == "csi" else "ssi"), attempt=attempt,
        answered_at=at, answered_by=by, corrects=corrects, correction_reason="客户更正" if corrects else "",
        average_score=None if score is None else Decimal(str(score)))


# --- queue builds: deliveries, repair orders and preferences, on given dates ------------------------
def default_callback_rules() -> None:
    """The rules, outcome rules and texts of the data migrations, also in a reused test database that
    a transactional test emptied (get-or-create: nothing changes where they are)."""
    import importlib

    from django.apps import apps

    importlib.import_module("followups.callbacks.migrations.0002_default_rules").create_defaults(apps, None)
    importlib.import_module("followups.callbacks.migrations.0006_unreachable_sms_defaults").unreachable_text_set(
        apps, None)
    importlib.import_module("followups.complaints.migrations.0002_default_severities").create(apps, None)
    importlib.import_module("followups.appointments.migrations.0002_defaults").create_defaults(apps, None)
    # Customer care's: the invitation call and text, the birthday call and greetings, the tiers and points rules.
    importlib.import_module("events.migrations.0003_invitation_defaults").create(apps, None)
    importlib.import_module("events.birthdays.migrations.0002_defaults").create(apps, None)
    importlib.import_module("customers.membership.migrations.0003_defaults").create(apps, None)


_serials = iter(range(700_000, 800_000))


def deliver(customer=None, *, on, **customer_fields):
    """A vehicle delivered on `on` to `customer` (a new one by default), its owner from that day."""
    customer = customer or CustomerFactory(**customer_fields)
    return make_vehicle(customer, serial=next(_serials), delivered=on)


def repair_order(vehicle, *, closed_on, kind: str = "repair", customer=None):
    """A repair order of `kind` closed on `closed_on`, for the vehicle's owner unless `customer`."""
    from customers.services import service_visit_record

    return service_visit_record(vehicle=vehicle, customer=customer, ro_number=f"RO{next(_serials)}",
                                opened_on=closed_on, closed_on=closed_on, kind=kind, mileage=5000)


def refuse(customer, *, channel: str = "phone", purpose: str = "service", allowed: bool = False):
    from datetime import date

    from customers.models import ContactPreference

    return ContactPreference.objects.create(customer=customer, channel=channel, purpose=purpose, allowed=allowed,
                                            reason="客户要求", recorded_on=date(2026, 1, 1))


# --- the supervisor's figures: a completed call and a correction, as services/calls.py records them --
def complete(callback, *, agent, at, score):
    """The completing call and its response, as `callback_complete` records them."""
    attempt = make_attempt(callback, agent=agent, at=at, outcome="completed")
    return make_response(callback, by=agent, at=at, score=score, attempt=attempt)


def correct(response, *, by, at, score):
    """A correction as `response_correct` records it: a new response naming the old one, at the time
    of the correction, by whoever corrects, naming no call."""
    return make_response(response.callback, by=by, at=at, score=score, corrects=response)


__all__ = ["CustomerFactory", "complete", "correct", "deliver", "make_attempt", "make_callback", "make_response",
           "make_vehicle", "manager", "raise_problem", "refuse", "repair_order", "script_version"]


# --- the workbench: a published script with one question of each kind -------------------------------
def publish_script(kind: str = "ssi", *, number: int = 1, published_at=None):
    """A published all-brand script of `kind`, the only one in use: a score (below 7 is
    dissatisfied), a yes/no (no is), a choice (不会 is) and an optional text."""
    from django.utils import timezone

    from followups.scripts.models import Question, Script, ScriptVersion

    Script.objects.filter(kind=kind).exclude(key=f"workbench-{kind}").update(active=False)
    script, _created = Script.objects.get_or_create(key=f"workbench-{kind}", defaults={"name": "回访话术", "kind": kind})
    script.versions.filter(status=ScriptVersion.Status.PUBLISHED).update(status=ScriptVersion.Status.RETIRED)
    version = ScriptVersion.objects.create(script=script, number=number, status=ScriptVersion.Status.PUBLISHED,
                                           published_at=published_at or timezone.now(), opening="{name}您好")
    Question.objects.create(version=version, position=1, text="您对本次服务的总体满意度打几分？", kind="score",
                            dissatisfied_below=7)
    Question.objects.create(version=version, position=2, text="服务顾问是否主动向您解释维修项目？", kind="yes_no",
                            dissatisfied_answers=["no"])
    Question.objects.create(version=version, position=3, text="您会向朋友推荐我们吗？", kind="choice",
                            choices=["会", "不确定", "不会"], dissatisfied_answers=["不会"])
    Question.objects.create(version=version, position=4, text="还有其他建议吗？", kind="text", required=False)
    return version


# --- callback scripts (回访话术) -----------------------------------------------------------------------
def seeded_scripts() -> None:
    """The scripts of the seeding migrations (scripts 0002, and 0006 of customer care's calls), also in
    a reused test database that a transactional test emptied (a key already there is left as it is)."""
    from importlib import import_module

    from django.apps import apps

    import_module("followups.scripts.migrations.0002_seed_scripts").seed(apps, None)
    import_module("followups.scripts.migrations.0006_care_scripts").seed(apps, None)


# --- retention (招揽): the shipped bands, rules, texts and scripts; visits with mileage; bookings -----
def retention_defaults() -> None:
    """The lapse bands, the retention calls' rules and texts (retention 0002), the retention scripts
    (scripts 0004) and the catalogue's models, also in a reused test database that a transactional
    test emptied."""
    import importlib

    from django.apps import apps

    default_callback_rules()  # the lost-contact text the retention rules name
    # The store's catalogue of models and their intervals, which the due dates read.
    importlib.import_module("customers.catalogue.migrations.0002_seed_store_models").seed(apps, None)
    importlib.import_module("followups.retention.migrations.0002_defaults").create(apps, None)
    importlib.import_module("followups.scripts.migrations.0004_retention_scripts").seed(apps, None)


def service_visit(vehicle, *, on, kind: str = "scheduled", mileage: int | None = None, customer=None,
                  advisor: str = "马超"):
    """A repair order of `kind` opened and closed on `on` at `mileage` km, for the vehicle's owner
    unless `customer` (the archive's own service: the timeline entry and the last-visit date)."""
    from customers.services import service_visit_record

    return service_visit_record(vehicle=vehicle, customer=customer, ro_number=f"RO{next(_serials)}", opened_on=on,
                                closed_on=on, kind=kind, mileage=mileage, advisor=advisor)


def book(vehicle, *, at, customer=None, status: str = "booked"):
    """An appointment of the vehicle at `at` (a slot of its own), made directly: the retention
    builds only read whether one is booked ahead."""
    from django.utils import timezone

    from followups.appointments.models import Appointment, ServiceResource, Slot

    resource, _created = ServiceResource.objects.get_or_create(name="测试顾问")
    local = timezone.localtime(at)
    slot, _created = Slot.objects.get_or_create(resource=resource, starts_at=at, defaults={
        "day": local.date(), "hour": local.hour, "places": 5, "booked": 1})
    customer = customer or vehicle.roles.filter(kind="owner").first().customer
    return Appointment.objects.create(customer=customer, vehicle=vehicle, slot=slot, starts_at=at, status=status,
                                      source="phone", booked_at=timezone.now())
