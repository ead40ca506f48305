"""Hostile input on every page and every form answers below 500 (a 400 is fine).

Each URL of the URL conf is opened with real objects behind its path arguments, by a user who may
see it: a role persona for the CRM pages, a superuser for the admin. GET sends hostile values for
the parameters the view reads (its filter form's fields, q, page, o, the admin's own and its list
filters, one unknown); POST sends the page's own forms back with hostile values in some of their
fields (the others keep what the page filled in, so validation gets past the first field) and
posts to the action-only URLs as well.

Bounded for CI: a few fixed values everywhere, then a fixed number of examples per URL, derandomised, so every run sends the same
requests (FUZZ_EXAMPLES raises the number for a longer local hunt). A 500 found here gets its own
named test in test_odd_input.py.
"""

import os
from datetime import date, timedelta
from html.parser import HTMLParser
from urllib.parse import quote, urlsplit

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from customers import services
from customers.forms import CustomerFilterForm
from customers.imports.models import ImportBatch
from customers.models import Customer, DuplicateCandidate, FamilyMember
from dealer_crm.audit.forms import AuditFilterForm
from dealer_crm.audit.models import AuditEvent
from followups.callbacks.models import DELAYED_OUTCOMES, CallbackKind, CallbackRule, OutcomeRule
from tests.customers.factories import make_vehicle
from tests.dealer_crm.test_login_required import ALL, PUBLIC
from tests.factories import UserFactory

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# --- hostile values ---------------------------------------------------------------------------
NAMED = [
    "", " ", "0", "-1", "9" * 24, "-" + "9" * 24, "1" * 5_000, "1e308", "NaN", "inf", "0x1F", "١٢٣", "1_000",
    "\U0010ffff", "皖Z\U0010ffff", "张\U0010ffff", "\ufffd", "\ufeff张三", "\u200f\u202e三张", "\u0301", "\uffff",
    "x" * 10_000, "张" * 10_000, "2026-02-30", "99999-12-31", "0001-01-01", "-0001-01-01", "25:61",
    "' OR 1=1 --", "%", "_", "\\", "<script>", "../../etc/passwd", "{{ 7*7 }}", "%(name)s", "None", "on",
    "yes", "true", "-id", "?", "__", "pk", "name__startswith",
]
UNSTORABLE = ["\x00", "张\x00三", "\ud800", "皖\udfff"]  # sent as %00 and as the bytes of a surrogate
ANY_CHARACTER = st.characters(exclude_categories=[])  # surrogates too: Hypothesis leaves them out by default

storable = st.one_of(st.sampled_from(NAMED), st.text(st.characters(exclude_characters="\x00"), max_size=40),
                     st.integers(min_value=-10**30, max_value=10**30).map(str))
unstorable = st.one_of(st.sampled_from(UNSTORABLE), st.text(ANY_CHARACTER, min_size=1, max_size=20))  # or any text


# Mostly storable values: a NUL anywhere makes the whole request a 400 before the view, so it must not
# hide how the view handles the rest.
hostile_value = st.one_of(storable, storable, storable, unstorable)


def values(names: list[str]):
    """Hostile values for some of `names` (at least one), now and then under a hostile name."""
    name = st.one_of(st.sampled_from(names), st.sampled_from(names), st.sampled_from(names), hostile_value)
    return st.dictionaries(name, hostile_value, min_size=1, max_size=6)


# Sent to every parameter at once, then to every field of every form, on every URL, before the random examples.
EVERYWHERE = ["张\x00三", "皖Z\U0010ffff", "9" * 24, "x" * 10_000, "\u200f\ud800"]


def everywhere_first(argument: str, names: list[str]):
    def decorate(test):
        for value in EVERYWHERE:
            test = example(**{argument: dict.fromkeys(names, value)})(test)
        return test
    return decorate


def encode(pairs) -> str:
    """As a browser would send them: UTF-8, a surrogate as the bytes it would have been."""
    return "&".join(f"{quote(key, safe='', errors='surrogatepass')}={quote(value, safe='', errors='surrogatepass')}"
                    for key, value in pairs)


# --- the objects behind the path arguments --------------------------------------------------------
@pytest.fixture
def world(db, supervisor, admin_user):
    zhang = services.customer_create(by=supervisor, name="张三", mobile="13812345678")
    zhang_twin = services.customer_create(by=supervisor, name="张三", mobile="13812345679")
    vehicle = make_vehicle(zhang, serial=123456, plate="皖C12345", by=supervisor)
    member = services.family_member_save(customer=zhang, by=supervisor, relation=FamilyMember.Relation.values[0],
                                         name="李四")
    first, second = sorted([zhang, zhang_twin], key=lambda customer: customer.pk)
    duplicate = DuplicateCandidate.objects.create(first=first, second=second,
                                                 reason=DuplicateCandidate.Reason.values[0], found_on=date(2026, 3, 1))
    batch = ImportBatch.objects.create(kind=ImportBatch.Kind.values[0], filename="档案.xlsx", size=4, sha256="0" * 64,
                                       content=b"test", created_by=admin_user)
    services.customer_phones_reveal(customer=zhang, by=supervisor)  # an audit event
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    from dealer_crm.messaging.models import BulkSend

    bulk = BulkSend.objects.create(purpose="notice", text="本周六门店停电。", created_by=admin_user)
    from dealer_crm.messaging.models import OutboundMessage, SmsTemplate

    template = SmsTemplate.objects.create(key="fuzz", name="保养提醒", purpose="service", text="{name}您好")
    message = OutboundMessage.objects.create(customer=zhang, phone=zhang.mobile, text="您好", purpose="service",
                                             idempotency_key="fuzz", status="unknown", not_before=timezone.now())
    return {"bulk": bulk, "sms_template": template, "sms_message": message, "customer": zhang, "vehicle": vehicle, "member": member, "duplicate": duplicate, "batch": batch,
            "event": AuditEvent.objects.order_by("pk").first(), "root": root, "supervisor": supervisor,
            "admin_user": admin_user}


CUSTOMER_PAGES = {"detail", "edit", "timeline", "history", "reveal_phones", "preference_set", "sms_card", "sms_send",
                  "sms_preview"}
VEHICLE_PAGES = {"vehicle_detail", "vehicle_edit", "vehicle_owner", "delivery_file"}
ADMIN_MODELS = {f"admin:{model._meta.app_label}_{model._meta.model_name}_{suffix}": model
                for model in admin.site._registry for suffix in ("changelist", "add", "change", "delete", "history")}
SKIPPED = {"healthz"}  # reads nothing from the request
# Customer care's pages of one object (the others take no argument).
CARE_PAGES_OF_ONE = {
    *(f"events:{page}" for page in ("event_detail", "event_edit", "event_outcome", "event_cancel", "event_audience",
                                    "audience_count", "event_invite", "invitations_create", "invitations_send_sms",
                                    "invitations_call", "invitation_list", "invitation_answer", "checklist",
                                    "checklist_item_edit", "checklist_item_done", "checklist_item_remove", "door",
                                    "door_check_in", "door_walk_in")),
    *(f"gifts:{page}" for page in ("request_detail", "request_decide", "request_send", "request_cancel", "gift_edit",
                                   "budget_edit")),
    *(f"membership:{page}" for page in ("member_detail", "points_redeem", "points_adjust", "member_enrol",
                                        "reward_edit", "reward_switch", "tier_edit", "rule_edit")),
    "care:interview_detail", "care:lounge_visit", "care:lounge_leave",
}


def _problem(world: dict):
    """A problem of the world's customer, raised the first time a page needs one."""
    if "problem" not in world:
        from followups.callbacks.services.problems import problem_raise

        world["problem"] = problem_raise(customer=world["customer"], category="repair", department="service",
                                         description="洗车不干净", by=world["supervisor"])
    return world["problem"]


def _lost_contact(world: dict):
    """A callback of the world's customer closed as lost contact, made the first time a page needs one."""
    if "lost_contact" not in world:
        from followups.callbacks.models import Callback

        world["lost_contact"] = Callback.objects.create(
            customer=world["customer"], kind="ssi", source_key="fuzz:lost", status="lost_contact",
            due_at=timezone.now(), closed_at=timezone.now(), created_on=timezone.localdate())
    return world["lost_contact"]


def _lapse(world: dict):
    """The world's customer lapsed in a band (made the first time a page needs one), for the lapse's
    reason page and the band's edit page."""
    if "lapse" not in world:
        from followups.retention.models import Lapse, LapseBand

        band, _made = LapseBand.objects.get_or_create(months=6, defaults={"name": "流失6个月"})
        world["lapse"] = Lapse.objects.create(customer=world["customer"], band=band, since=date(2025, 9, 1),
                                              created_on=date(2026, 3, 1))
    return world["lapse"]


def _script_draft(world: dict, name: str):
    """The seeded Renault SSI (a script's pages), its new draft (a version's) or the draft's first
    question (a question's), the draft started the first time a page needs one."""
    from followups.scripts.models import Script
    from followups.scripts.services import script_draft_start
    from tests.followups.factories import seeded_scripts

    seeded_scripts()  # a transactional test may have emptied the reused database
    script = Script.objects.get(key="renault_ssi")
    if name in {"scripts:script_detail", "scripts:script_switch", "scripts:draft_start"}:
        return script
    if "script_draft" not in world:
        world["script_draft"] = script_draft_start(script=script, by=world["supervisor"])
    if name.startswith("scripts:question_") and name != "scripts:question_add":
        return world["script_draft"].questions.order_by("position").first()
    return world["script_draft"]


def _complaint(world: dict, name: str):
    """A complaint of the world's customer (registered the first time a page needs one), its case
    analysis's plan, a severity or a store calendar day, for the complaints' pages of one object."""
    from followups.complaints import services as complaints
    from followups.complaints.models import Severity, StoreDay

    if name.startswith("complaints:severity_"):
        return Severity.objects.order_by("pk").first()
    if name.startswith("complaints:storeday_"):
        return StoreDay.objects.get_or_create(day=date(2027, 1, 1), defaults={"is_workday": False})[0]
    if "complaint" not in world:
        complaint = complaints.complaint_register(
            customer=world["customer"], channel="phone", category="service", description="等了三个小时没人管",
            department="service", by=world["supervisor"], owner=world["supervisor"])
        analysis = complaints.analysis_write(
            complaint=complaint, root_cause="process", root_cause_text="接待无人跟进", by=world["supervisor"],
            plans=[complaints.PlanInput(action="晨会强调接待流程", department="service", owner=world["supervisor"],
                                        due_on=timezone.localdate() + timedelta(days=30))])
        world["complaint"], world["plan"] = complaint, analysis.plans.get()
    return world["plan"] if name == "complaints:plan_done" else world["complaint"]


def _lead(world: dict):
    """A sales lead of the world's customer, referred by their twin, handed over the first time a page needs one."""
    if "lead" not in world:
        from followups.leads.services import lead_create

        pair = world["duplicate"]
        twin = pair.second if pair.first_id == world["customer"].pk else pair.first
        world["lead"] = lead_create(by=world["supervisor"], source="referral", customer=world["customer"],
                                    referred_by=twin, model_interest="科雷傲")
    return world["lead"]


def _appointment(world: dict):
    """A booking of the world's customer and car, tomorrow at 10:00 with an advisor of the installation
    (made the first time a page needs one), for the appointments' pages of one booking."""
    if "appointment" not in world:
        from datetime import datetime, time

        from followups.appointments.models import Appointment, ServiceResource, Slot

        resource = ServiceResource.objects.order_by("pk").first() or ServiceResource.objects.create(name="服务顾问A")
        day = timezone.localdate() + timedelta(days=1)
        slot, _made = Slot.objects.get_or_create(
            resource=resource, starts_at=timezone.make_aware(datetime.combine(day, time(10))),
            defaults={"day": day, "hour": 10, "places": 3, "booked": 1})
        world["appointment"] = Appointment.objects.create(
            customer=world["customer"], vehicle=world["vehicle"], slot=slot, starts_at=slot.starts_at,
            source="phone", jobs=["首保"], booked_by=world["supervisor"], booked_at=timezone.now())
    return world["appointment"]


def _care(world: dict, name: str):
    """Customer care's objects of the world's customer (made the first time a page needs them): an
    event with the customer invited and a checklist task, a gift with its budget and a request, the
    customer as a member with a reward and a tier, an interview and a lounge visit."""
    if "care" not in world:
        from customers.membership.models import Member, Reward, Tier
        from events.care.models import Interview, LoungeVisit
        from events.gifts.models import Gift, GiftBudget, GiftRequest
        from events.models import ChecklistItem, Event, Invitation

        now, today, customer = timezone.now(), timezone.localdate(), world["customer"]
        event = Event.objects.create(title="车主日", kind="owners_day", starts_at=now + timedelta(days=10), venue="展厅")
        gift = Gift.objects.create(name="保温杯", unit_cost=50, stock=5)
        world["care"] = {
            "event": event,
            "invitation": Invitation.objects.create(event=event, customer=customer, channel="sms"),
            "item": ChecklistItem.objects.create(event=event, kind="catering", title="冷餐"),
            "gift": gift,
            "budget": GiftBudget.objects.create(name="本月", starts_on=today.replace(day=1),
                                                ends_on=today.replace(day=1) + timedelta(days=27), amount=1000),
            "request": GiftRequest.objects.create(customer=customer, gift=gift, unit_cost=50, reason="other",
                                                  requested_by=world["admin_user"], requested_at=now),
            "member": Member.objects.create(customer=customer, joined_on=today),
            "reward": Reward.objects.create(kind="labour", name="一小时工时", points=100),
            "tier": Tier.objects.order_by("pk").first() or Tier.objects.create(name="普卡", threshold=0),
            "interview": Interview.objects.create(customer=customer, held_at=now, interviewer=world["supervisor"]),
            "lounge": LoungeVisit.objects.create(customer=customer, arrived_at=now, host=world["supervisor"]),
        }
    care = world["care"]
    short = name.split(":", 1)[1]
    if name.startswith("events:"):
        kwargs = {"pk": care["event"].pk}
        if short in {"invitation_answer", "door_check_in"}:
            kwargs["invitation_pk"] = care["invitation"].pk
        elif short.startswith("checklist_item_"):
            kwargs["item_pk"] = care["item"].pk
        return kwargs
    if name.startswith("gifts:"):
        if short == "gift_edit":
            return {"pk": care["gift"].pk}
        if short == "budget_edit":
            return {"pk": care["budget"].pk}
        return {"pk": care["request"].pk}
    if name.startswith("membership:"):
        if short == "member_enrol":
            return {"customer_pk": world["customer"].pk}
        if short.startswith("reward_"):
            return {"pk": care["reward"].pk}
        if short == "tier_edit":
            return {"pk": care["tier"].pk}
        if short == "rule_edit":
            return {"kind": "scheduled"}
        return {"pk": care["member"].pk}
    if short == "interview_detail":
        return {"pk": care["interview"].pk}
    return {"pk": care["lounge"].pk}  # the lounge visit's pages


def path_for(name: str, world: dict) -> str | None:
    """The URL `name` with real objects behind its arguments; None for the admin's unnamed redirects."""
    short = name.split(":", 1)[-1]
    if name.startswith("customers:") and short in CUSTOMER_PAGES:
        return reverse(name, kwargs={"pk": world["customer"].pk})
    if short in VEHICLE_PAGES:
        return reverse(name, kwargs={"pk": world["vehicle"].pk})
    kwargs = {
        "customers:export": {"fmt": "xlsx"},
        "customers:vehicle_add": {"customer_pk": world["customer"].pk},
        "customers:family_add": {"customer_pk": world["customer"].pk},
        "customers:family_edit": {"pk": world["member"].pk},
        "customers:family_delete": {"pk": world["member"].pk},
        "customers:duplicate_merge": {"pk": world["duplicate"].pk},
        "customers:duplicate_dismiss": {"pk": world["duplicate"].pk},
        "customers:vehicle_act": {"pk": world["customer"].pk, "vehicle_pk": world["vehicle"].pk, "action": "sold"},
        "audit:event_detail": {"pk": world["event"].pk},
        "admin:view_on_site": {"content_type_id": ContentType.objects.get_for_model(Customer).pk,
                               "object_id": world["customer"].pk},
        "admin:app_list": {"app_label": "customers"},
        "admin:auth_user_password_change": {"id": world["admin_user"].pk},
        "messaging:receipts_push": {"gateway": "http", "token": "fuzz"},
        "messaging:replies_push": {"gateway": "http", "token": "fuzz"},
        "messaging:template_edit": {"pk": world["sms_template"].pk},
        "messaging:template_switch": {"pk": world["sms_template"].pk},
        "messaging:outbox_decide": {"pk": world["sms_message"].pk},
    }.get(name)
    if name.startswith("messaging:bulk_") and name not in {"messaging:bulk_list", "messaging:bulk_new",
                                                           "messaging:bulk_confirm", "messaging:bulk_approvals"}:
        kwargs = {"pk": world["bulk"].pk}
    if name == "callbacks:problem_create":
        kwargs = {"customer_pk": world["customer"].pk}
    elif name.startswith("callbacks:problem_") and name != "callbacks:problem_inbox":
        kwargs = {"pk": _problem(world).pk}
    if name == "callbacks:rule_edit":  # a rule the migrations ship, one with due days to type
        kwargs = {"pk": CallbackRule.objects.exclude(kind=CallbackKind.REQUESTED).order_by("pk").first().pk}
    elif name == "callbacks:outcome_edit":  # an outcome whose minutes may be changed
        kwargs = {"pk": OutcomeRule.objects.filter(outcome__in=DELAYED_OUTCOMES).order_by("pk").first().pk}
    elif name == "callbacks:request":
        kwargs = {"customer_pk": world["customer"].pk}
    if name == "callbacks:callback_list_export":
        kwargs = {"fmt": "xlsx"}
    elif name == "callbacks:lost_contact_retry":
        kwargs = {"pk": _lost_contact(world).pk}
    elif name.startswith("callbacks:callback_") and name not in {"callbacks:callback_list",
                                                                  "callbacks:callback_reassign"}:
        kwargs = {"pk": _lost_contact(world).pk}  # the workbench's pages of one callback
    if name == "callbacks:callback_extra":  # a feature panel's form (callbacks/extras.py)
        kwargs = {**kwargs, "name": "retention-reasons", "action": "record"}
    if name == "retention:lapse_reason_add":
        kwargs = {"pk": _lapse(world).pk}
    elif name == "retention:band_edit":
        kwargs = {"pk": _lapse(world).band_id}
    elif name == "retention:report_export":
        kwargs = {"fmt": "xlsx"}
    if name == "complaints:escalate_problem":
        kwargs = {"problem_pk": _problem(world).pk}
    elif name == "complaints:complaint_move":
        kwargs = {"pk": _complaint(world, name).pk, "action": "contacted"}
    elif name.startswith(("complaints:complaint_", "complaints:plan_", "complaints:severity_",
                          "complaints:storeday_")) and name not in {
            "complaints:complaint_list", "complaints:complaint_create", "complaints:plan_list",
            "complaints:severity_list", "complaints:severity_create", "complaints:storeday_list"}:
        kwargs = {"pk": _complaint(world, name).pk}
    if name.startswith("leads:") and name not in {"leads:lead_list", "leads:lead_create"}:
        kwargs = {"pk": _lead(world).pk}
    if name in {"appointments:detail", "appointments:reschedule", "appointments:cancel", "appointments:check_in"}:
        kwargs = {"pk": _appointment(world).pk}
    elif name == "appointments:capacity_edit":
        kwargs = {"pk": _appointment(world).slot.resource_id}
    if name in CARE_PAGES_OF_ONE:
        kwargs = _care(world, name)
    if name.startswith("scripts:") and name not in {"scripts:script_list", "scripts:script_new"}:
        kwargs = {"pk": _script_draft(world, name).pk}
    if name.startswith("imports:batch_") and name not in {"imports:batch_list", "imports:batch_upload"}:
        kwargs = {"pk": world["batch"].pk}
    if name in ADMIN_MODELS and name.rsplit("_", 1)[-1] in {"change", "delete", "history"}:
        model = ADMIN_MODELS[name]
        instance = model._default_manager.order_by("pk").first() or (
            Group.objects.create(name="fuzz") if model is Group else None)
        kwargs = {"object_id": instance.pk if instance else 1}
    return reverse(name, kwargs=kwargs) if kwargs is not None else reverse(name)


NAMED_URLS = sorted({name for _prefix, _entry, name in ALL if name and name not in SKIPPED})


def user_for(name: str, world: dict):
    if name in PUBLIC:
        return None  # the login pages and the language switch: as a visitor who has not logged in
    if name.startswith("admin:"):
        return world["root"]
    if name.startswith(("jobs:", "imports:")):
        return world["admin_user"]  # the daily jobs and the imports are the system administrator's
    return world["supervisor"]  # every other CRM page: the DCRC supervisor may see it


def sign_in(client, user) -> None:
    """Each example starts signed in again: an example may have logged out or changed the password."""
    if user is None:
        client.logout()
    else:
        client.force_login(user)


def get_parameters(name: str, root) -> list[str]:
    names = ["q", "page", "o", "p", "e", "next", "all", "_popup", "_to_field", "_changelist_filters",
             "fuzz_unknown"]
    if name in {"customers:list", "customers:export"}:
        names += list(CustomerFilterForm.base_fields)
    if name == "audit:event_list":
        names += list(AuditFilterForm.base_fields)
    model = ADMIN_MODELS.get(name)
    if model is not None and name.endswith("_changelist"):
        model_admin = admin.site._registry[model]
        request = type("Request", (), {"user": root, "GET": {}})()
        for item in model_admin.get_list_filter(request):
            if isinstance(item, str) or isinstance(item, tuple):
                field = item if isinstance(item, str) else item[0]
                names += [field, f"{field}__exact", f"{field}__id__exact", f"{field}__isnull", f"{field}__in",
                          f"{field}__gte", f"{field}__lt"]
            else:
                names.append(getattr(item, "parameter_name", None) or "fuzz_filter")
    return names


class FormFields(HTMLParser):
    """The fields, and the values the page filled in, of the forms that post back to the page."""

    def __init__(self, path: str):
        super().__init__()
        self.path, self.inside, self.fields = path, False, {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            action = urlsplit(attrs.get("action") or self.path).path
            self.inside = (attrs.get("method") or "get").lower() == "post" and action == self.path
        elif self.inside and tag in {"input", "select", "textarea"} and attrs.get("name"):
            if attrs.get("type") in {"checkbox", "radio"} and "checked" not in attrs:
                self.fields.setdefault(attrs["name"], None)
            else:
                self.fields[attrs["name"]] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


# --- the tests ----------------------------------------------------------------------------------
def test_every_named_url_is_fuzzed(world):
    for name in NAMED_URLS:
        assert path_for(name, world), name
    assert len(NAMED_URLS) > 100  # the CRM's pages and the admin's


@pytest.mark.django_db
@pytest.mark.parametrize("name", NAMED_URLS)
def test_hostile_input_never_gives_a_500(client, world, name):
    """GET with hostile parameters, then POST the page's forms back with hostile values. One test for
    both, so that the objects behind the URL are made once."""
    path = path_for(name, world)
    user = user_for(name, world)

    parameters = get_parameters(name, world["root"])

    @FUZZ
    @given(params=values(parameters))
    @everywhere_first("params", parameters)
    def get(params):
        sign_in(client, user)
        response = client.get(path, QUERY_STRING=encode(params.items()))
        assert response.status_code < 500, f"GET {path}?{encode(params.items())} answered {response.status_code}"

    sign_in(client, user)
    page = client.get(path)
    parser = FormFields(path)
    if page.status_code == 200 and "html" in page.get("Content-Type", ""):
        parser.feed(page.content.decode())
    filled = {key: value for key, value in parser.fields.items() if value is not None and key != "csrfmiddlewaretoken"}
    names = [key for key in parser.fields if key != "csrfmiddlewaretoken"] + ["fuzz_unknown"]

    @FUZZ
    @given(hostile=values(names))
    @everywhere_first("hostile", names)
    def post(hostile):
        sign_in(client, user)
        body = encode({**filled, **hostile}.items())
        response = client.post(path, body, content_type="application/x-www-form-urlencoded")
        assert response.status_code < 500, f"POST {path} with {body[:2000]} answered {response.status_code}"

    client.raise_request_exception = False  # a 500 is reported with the request that caused it
    get()
    post()
