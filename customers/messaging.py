"""The archive's side of the SMS platform (`dealer_crm.messaging.audience.Audience`).

Who the customers of a list filter are, which of them refuse SMS of a purpose (or are held from
marketing for now, `holds`), the variables a template fills in for each, who owns a number that
replied "stop", and the timeline entries of the messages sent. `settings.MESSAGING_AUDIENCE` names
`CustomerAudience`.
"""

from collections.abc import Iterable
from datetime import date, datetime

from django.db.models import OuterRef, Subquery
from django.http import QueryDict
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from dealer_crm.messaging.audience import Candidate, Exclusion

from .forms import CustomerFilterForm
from .holds import marketing_held
from .models import ContactPreference, Customer, Gender, ServiceVisit, TimelineEntry, VehicleRole
from .selectors import customer_list
from .services import contact_preference_set, timeline_add

Channel, PrefPurpose = ContactPreference.Channel, ContactPreference.Purpose
CHUNK = 5000

# Which answer decides, the most specific first: SMS for this purpose, SMS for any purpose, any
# channel for this purpose, any channel for any purpose. "Refuses marketing SMS but agrees to
# service SMS" therefore gets the reminder and not the promotion.
_PRECEDENCE = [(Channel.SMS, "purpose"), (Channel.SMS, PrefPurpose.ALL), (Channel.ANY, "purpose"), (Channel.ANY, PrefPurpose.ALL)]


def _refusal_reason(channel: str, purpose: str) -> str:
    if channel == Channel.ANY and purpose == PrefPurpose.ALL:
        return Exclusion.REFUSES_ALL
    if purpose == PrefPurpose.ALL:
        return Exclusion.REFUSES_SMS
    return Exclusion.OPTED_OUT


class CustomerAudience:
    def from_filter(self, query: str, *, user) -> list[Candidate]:
        form = CustomerFilterForm(QueryDict(query) if query else None)
        filters = form.filters()
        if filters is None:
            return []
        customers = customer_list(filters=filters).prefetch_related(None).order_by("id")
        return list(map(Candidate._make, customers.values_list("id", "mobile").iterator(CHUNK)))

    def describe_filter(self, query: str) -> list[tuple[str, str]]:
        """The filter in people's words, e.g. [("品牌", "三菱")]; an empty list is every customer."""
        form = CustomerFilterForm(QueryDict(query) if query else None)
        if not form.is_bound:
            return []
        if not form.is_valid():
            return [(str(_("Filter")), str(_("not valid: no customer is chosen")))]
        words = []
        for name, field in form.fields.items():
            value = form.cleaned_data.get(name)
            if name == "order" or value in (None, "", False):
                continue
            if isinstance(value, date):
                value = date_format(value, "SHORT_DATE_FORMAT")
            elif value is True:
                value = _("yes")
            elif getattr(field, "choices", None):
                value = dict(field.choices).get(value, value)
            words.append((str(field.label), str(value)))
        return words

    def from_mobiles(self, mobiles: list[str]) -> dict[str, Candidate]:
        owners: dict[str, Candidate] = {}
        unique = list(dict.fromkeys(mobiles))
        for start in range(0, len(unique), CHUNK):
            rows = Customer.objects.filter(mobile__in=unique[start:start + CHUNK]).order_by("id").values_list("id", "mobile")
            for pk, mobile in rows:
                owners.setdefault(mobile, Candidate(customer_id=pk, mobile=mobile))
        return owners

    def of(self, customer_ids: Iterable[int]) -> list[Candidate]:
        return [Candidate(customer_id=pk, mobile=mobile)
                for pk, mobile in Customer.objects.filter(pk__in=list(customer_ids)).order_by("id").values_list("id", "mobile")]

    def refusals(self, *, purpose: str, customer_ids: Iterable[int] | None = None) -> dict[int, str]:
        """Who refuses SMS of this purpose (their preferences), and for marketing also whose marketing
        is held (`holds`: an open complaint). The customer's own refusal names the reason when both apply."""
        if customer_ids is not None:
            customer_ids = list(customer_ids)
        answers = ContactPreference.objects.filter(channel__in=[Channel.SMS, Channel.ANY],
                                                   purpose__in=[purpose, PrefPurpose.ALL])
        if customer_ids is not None:
            answers = answers.filter(customer_id__in=customer_ids)
        by_customer: dict[int, dict[tuple[str, str], bool]] = {}
        for customer_id, channel, answer_purpose, allowed in answers.values_list("customer_id", "channel", "purpose", "allowed"):
            by_customer.setdefault(customer_id, {})[(channel, answer_purpose)] = allowed
        refusing = {}
        for customer_id, said in by_customer.items():
            for channel, which in _PRECEDENCE:
                key = (channel, purpose if which == "purpose" else which)
                if key in said:
                    if not said[key]:
                        refusing[customer_id] = _refusal_reason(*key)
                    break
        if purpose == PrefPurpose.MARKETING:
            for customer_id, reason in marketing_held(customer_ids).items():
                refusing.setdefault(customer_id, reason)
        return refusing

    def variables(self, customer_ids: Iterable[int]) -> dict[int, dict[str, str]]:
        ids = list(customer_ids)
        last_advisor = ServiceVisit.objects.filter(customer=OuterRef("pk")).exclude(advisor="").order_by(
            "-opened_on", "-id").values("advisor")[:1]
        values = {}
        for pk, name, gender, advisor in Customer.objects.filter(pk__in=ids).annotate(
                advisor=Subquery(last_advisor)).values_list("id", "name", "gender", "advisor"):
            values[pk] = {"name": name, "title": {Gender.MALE: "先生", Gender.FEMALE: "女士"}.get(gender, ""),
                          "advisor": advisor or ""}
        # The car: the one they own (the newest role first), else the one they drive.
        for customer_id, plate, model_name in VehicleRole.objects.filter(
                customer_id__in=ids, ended_on__isnull=True).order_by("customer_id", "kind", "-id").values_list(
                "customer_id", "vehicle__plate", "vehicle__model_name"):
            if customer_id in values and "model" not in values[customer_id]:
                values[customer_id] |= {"plate": plate, "model": model_name}
        return values

    def opt_out(self, *, phone: str, text: str, at: datetime, gateway: str) -> int:
        customers = list(Customer.objects.filter(mobile=phone))
        for customer in customers:
            contact_preference_set(customer=customer, channel=Channel.SMS, purpose=PrefPurpose.MARKETING, allowed=False,
                                   reason=f"短信回复“{text[:50]}”", by=None, on=timezone.localdate(at))
            timeline_add(customer=customer, kind=TimelineEntry.Kind.SMS, occurred_at=at,
                         params={"variant": "opt_out", "text": text[:50]})
        return len(customers)

    def messages_sent(self, messages: list) -> None:
        from django.contrib.contenttypes.models import ContentType

        if not messages:
            return
        source_type = ContentType.objects.get_for_model(type(messages[0]))
        TimelineEntry.objects.bulk_create([
            TimelineEntry(customer_id=message.customer_id, kind=TimelineEntry.Kind.SMS, occurred_at=message.sent_at or timezone.now(),
                          params={"variant": "sent", "purpose": message.purpose, "text": message.text,
                                  "template": message.template.name if message.template_id else ""},
                          source_type=source_type, source_id=str(message.pk), created_by_id=message.created_by_id)
            for message in messages
        ], batch_size=1000)
