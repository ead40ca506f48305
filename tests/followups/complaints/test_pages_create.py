"""Registering a complaint (/complaints/new/?customer=…) from a phone call, a walk-in, a letter,
online or the manufacturer's hotline: the form, its errors in Chinese with nothing typed lost, and
who may register."""

import pytest
import time_machine
from django.urls import reverse

from followups.complaints.models import Complaint, ComplaintStep
from tests.customers.factories import CustomerFactory, make_vehicle

from .test_pages_support import MONDAY_10, detail_url, html, marketing_user, severity

pytestmark = pytest.mark.django_db
NEW = reverse("complaints:complaint_create")


@pytest.fixture
def customer(agent):
    customer = CustomerFactory(name="王建华", mobile="13912345678")
    make_vehicle(customer, serial=51, plate="皖A51000", by=agent)
    return customer


def url_for(customer) -> str:
    return f"{NEW}?customer={customer.pk}"


def posted(customer, **fields) -> dict:
    data = {"channel": "walk_in", "category": "attitude", "severity": severity("serious").pk,
            "vehicle": "",
            "description": "服务顾问态度恶劣，客户要求道歉", "department": "service", "person_concerned": "服务顾问小李"}
    data.update(fields)
    return {key: value for key, value in data.items() if value is not None}


def vehicle_of(customer):
    from customers.models import Vehicle

    return Vehicle.objects.get(roles__customer=customer)


def test_the_form_offers_the_customers_car_the_hand_channels_and_the_general_severity(login, agent, customer):
    page = html(login(agent).get(url_for(customer)))
    assert "王建华" in page and "139****5678" in page and "13912345678" not in page
    assert "皖A51000" in page and f'<option value="{vehicle_of(customer).pk}" selected>' in page
    assert f'<option value="{severity("general").pk}" selected>' in page
    for channel in ("phone", "walk_in", "letter", "online", "hotline"):
        assert f'<option value="{channel}">' in page
    for channel in ("callback", "manufacturer"):  # they come through the workbench and the items' page
        assert f'<option value="{channel}">' not in page
    assert 'name="owner"' not in page  # only the supervisor gives it to someone


def test_an_agent_registers_a_walk_in_complaint(login, agent, customer):
    vehicle = vehicle_of(customer)
    with time_machine.travel(MONDAY_10, tick=False):
        response = login(agent).post(url_for(customer), posted(customer, vehicle=vehicle.pk))
    complaint = Complaint.objects.get()
    assert response.status_code == 302 and response["Location"] == detail_url(complaint)
    assert (complaint.customer, complaint.vehicle, complaint.channel, complaint.category) == (
        customer, vehicle, "walk_in", "attitude")
    assert complaint.severity.code == "serious" and complaint.registered_by == agent and complaint.owner is None
    assert complaint.person_concerned == "服务顾问小李" and complaint.department == "service"
    assert list(complaint.steps.values_list("action", flat=True)) == [ComplaintStep.Action.REGISTERED]
    page = html(login(agent).get(response["Location"]))
    assert f"投诉 {complaint.number} 已登记" in page and "服务顾问态度恶劣" in page


def test_the_supervisor_gives_it_to_someone_as_it_is_registered(login, supervisor, service_manager, customer):
    page = html(login(supervisor).get(url_for(customer)))
    assert 'name="owner"' in page and f'<option value="{service_manager.pk}">' in page
    response = login(supervisor).post(url_for(customer), posted(customer, vehicle="", owner=service_manager.pk))
    complaint = Complaint.objects.get()
    assert response.status_code == 302 and complaint.owner == service_manager and complaint.vehicle is None


def test_an_owner_sent_by_someone_who_may_not_assign_is_ignored(login, agent, service_manager, customer):
    login(agent).post(url_for(customer), posted(customer, vehicle="", owner=service_manager.pk))
    assert Complaint.objects.get().owner is None


@pytest.mark.parametrize(("field", "message"), [
    ("description", "Write what the customer complains of."),
    ("channel", "Choose how the complaint came in."),
    ("category", "Choose the complaint's category."),
    ("department", "Choose the department concerned."),
])
def test_a_missing_field_is_shown_in_chinese_and_nothing_typed_is_lost(login, agent, customer, field, message):
    from django.utils.translation import gettext

    response = login(agent).post(url_for(customer), posted(customer, vehicle="", **{field: ""}))
    page = html(response)
    assert response.status_code == 400 and not Complaint.objects.exists()
    assert gettext(message) in page and gettext(message) != message  # worded in Chinese
    assert "is-invalid" in page
    if field != "description":
        assert "服务顾问态度恶劣，客户要求道歉" in page
    assert 'value="服务顾问小李"' in page


def test_another_customers_vehicle_is_refused(login, agent, customer):
    stranger = CustomerFactory()
    other_car = make_vehicle(stranger, serial=52, plate="皖A52000", by=agent)
    response = login(agent).post(url_for(customer), posted(customer, vehicle=other_car.pk))
    assert response.status_code == 400 and not Complaint.objects.exists()
    assert "服务顾问态度恶劣" in html(response)


def test_a_severity_no_longer_in_use_is_not_offered(login, agent, customer):
    old = severity("major")
    old.active = False
    old.save()
    page = html(login(agent).get(url_for(customer)))
    assert f'<option value="{old.pk}"' not in page
    response = login(agent).post(url_for(customer), posted(customer, vehicle="", severity=old.pk))
    assert response.status_code == 400 and not Complaint.objects.exists()


def test_without_a_customer_the_page_says_where_to_start(login, agent):
    response = login(agent).get(NEW)
    assert response.status_code == 200 and 'id="complaint-choose-customer"' in html(response)
    assert login(agent).get(f"{NEW}?customer=abc").status_code == 400
    assert login(agent).get(f"{NEW}?customer=999999").status_code == 404


def test_who_may_not_register_is_refused_before_the_customer_is_looked_up(login, general_manager, customer):
    client = login(marketing_user())
    assert client.get(url_for(customer)).status_code == 403
    assert client.get(f"{NEW}?customer=999999").status_code == 403
    assert client.post(url_for(customer), posted(customer, vehicle="")).status_code == 403
    assert not Complaint.objects.exists()


def test_a_merged_customer_takes_no_complaint(login, agent, customer):
    from customers.models import Customer

    survivor = CustomerFactory()
    Customer.all_objects.filter(pk=customer.pk).update(merged_into=survivor)
    assert login(agent).get(url_for(customer)).status_code == 404


def test_the_customer_page_offers_registering_a_complaint_to_who_may(login, agent, customer):
    page = html(login(agent).get(reverse("customers:detail", args=[customer.pk])))
    assert f'href="{url_for(customer)}" id="complaint-register-link"' in page.replace("&amp;", "&")
    assert "登记投诉" in page
    other = html(login(marketing_user()).get(reverse("customers:detail", args=[customer.pk])))
    assert 'id="complaint-register-link"' not in other
