"""A callback the customer asked for at a time (预约回电): the service and its page on the customer's file."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from customers.models import Customer, TimelineEntry
from dealer_crm.accounts.roles import sync_role_permissions
from followups.callbacks.models import Callback
from followups.callbacks.services.building import CallbackRequestError, callback_request
from tests.followups.factories import CustomerFactory, default_callback_rules, deliver

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _setup(db):
    sync_role_permissions()
    default_callback_rules()
    with time_machine.travel(NOW, tick=False):
        yield


def test_the_request_is_queued_for_the_time_the_customer_named(agent):
    vehicle = deliver(on=NOW.date() - timedelta(days=30))
    customer = vehicle.roles.get().customer
    at = datetime(2026, 12, 3, 14, 30, tzinfo=SHANGHAI)

    callback = callback_request(customer=customer, vehicle=vehicle, at=at, by=agent, note="想了解保修政策")

    assert (callback.kind, callback.status, callback.due_at, callback.vehicle) == ("requested", "open", at, vehicle)
    assert callback.expires_at == datetime(2026, 12, 11, 0, 0, tzinfo=SHANGHAI)  # open through day 7
    assert callback.source_key == f"request:{agent.pk}:202612031430"
    entry = TimelineEntry.objects.get(kind="callback", source_id=str(callback.pk))
    assert entry.text.title == "客户预约回电：2026-12-03 14:30"
    assert entry.text.body == "想了解保修政策"
    with translation.override("en"):  # read again: an entry's text is kept once read
        assert TimelineEntry.objects.get(pk=entry.pk).text.title.startswith("Asked to be called back at ")


def test_a_double_submit_queues_one_callback(agent):
    customer = CustomerFactory()
    at = NOW + timedelta(hours=3)

    first = callback_request(customer=customer, at=at, by=agent)
    second = callback_request(customer=customer, at=at, by=agent)

    assert first == second
    assert Callback.objects.count() == 1
    assert TimelineEntry.objects.filter(kind="callback").count() == 1


def test_a_time_already_past_is_refused(agent):
    with pytest.raises(CallbackRequestError) as refused:
        callback_request(customer=CustomerFactory(), at=NOW - timedelta(hours=1), by=agent)
    assert refused.value.field == "at"
    assert not Callback.objects.exists()


def test_a_merged_customer_or_someone_else_s_car_is_refused(agent):
    customer = CustomerFactory()
    other = deliver(on=NOW.date())
    with pytest.raises(CallbackRequestError):
        callback_request(customer=customer, vehicle=other, at=NOW + timedelta(hours=1), by=agent)
    Customer.all_objects.filter(pk=customer.pk).update(merged_into=CustomerFactory(name="保留的"))
    customer.refresh_from_db()
    with pytest.raises(CallbackRequestError):
        callback_request(customer=customer, at=NOW + timedelta(hours=1), by=agent)
    assert not Callback.objects.exists()


def test_an_agent_queues_a_request_from_the_customer_s_page(login, agent):
    vehicle = deliver(on=NOW.date() - timedelta(days=30))
    customer = vehicle.roles.get().customer
    client = login(agent)

    page = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert reverse("callbacks:request", args=[customer.pk]) in page
    form = client.get(reverse("callbacks:request", args=[customer.pk])).content.decode()
    assert "回电时间" in form
    assert f'<option value="{vehicle.pk}">' in form
    response = client.post(reverse("callbacks:request", args=[customer.pk]),
                           {"at": "2026-12-03T14:30", "vehicle": vehicle.pk, "note": "下午方便"})

    assert response.status_code == 302
    callback = Callback.objects.get(kind="requested")
    assert (callback.customer, callback.vehicle, callback.note) == (customer, vehicle, "下午方便")
    assert callback.due_at == datetime(2026, 12, 3, 14, 30, tzinfo=SHANGHAI)


def test_the_request_page_explains_a_bad_time_in_chinese_and_keeps_the_note(login, agent):
    customer = CustomerFactory()
    client = login(agent)

    past = client.post(reverse("callbacks:request", args=[customer.pk]), {"at": "2026-12-01T09:00", "note": "下午方便"})
    empty = client.post(reverse("callbacks:request", args=[customer.pk]), {"at": "", "note": "下午方便"})

    assert past.status_code == 200 and "约定的时间已经过去" in past.content.decode()
    assert "下午方便" in past.content.decode()
    assert empty.status_code == 200 and "请选择客户约定的日期和时间" in empty.content.decode()
    assert not Callback.objects.exists()


def test_someone_else_s_vehicle_cannot_be_chosen(login, agent):
    customer = CustomerFactory()
    other = deliver(on=NOW.date())

    response = login(agent).post(reverse("callbacks:request", args=[customer.pk]),
                                 {"at": "2026-12-03T14:30", "vehicle": other.pk})

    assert response.status_code == 200
    assert not Callback.objects.exists()


def test_a_colleague_outside_the_callback_centre_gets_no_button_and_a_403(login, colleague):
    customer = CustomerFactory()
    client = login(colleague)

    page = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert reverse("callbacks:request", args=[customer.pk]) not in page
    assert client.get(reverse("callbacks:request", args=[customer.pk])).status_code == 403
    assert client.post(reverse("callbacks:request", args=[customer.pk]), {"at": "2026-12-03T14:30"}).status_code == 403
    assert not Callback.objects.exists()
