"""The appointments in the admin: the resources are renamed and taken out of use there, their
places, the slots and the bookings only looked up (the services write them)."""

from datetime import timedelta

import pytest

from followups.appointments.models import Appointment, ServiceResource
from followups.appointments.services import appointment_book, slots_ensure

from tests.factories import UserFactory

from .services_support import THURSDAY, at, customer_with_car, shipped_workshop, slot_of


@pytest.fixture
def admin_user(db):
    """Who keeps the system: every right in the admin (the roles give none of the appointments')."""
    return UserFactory(username="root_wang", display_name="王磊", is_staff=True, is_superuser=True)


def _booking():
    advisors = shipped_workshop()
    slots_ensure(start=THURSDAY, days=1)
    customer, vehicle = customer_with_car(name="周涛")
    return appointment_book(customer=customer, vehicle=vehicle, slot=slot_of(advisors[0], THURSDAY, 9), by=None,
                            source="phone", jobs=["常规保养"], now=at(THURSDAY - timedelta(days=1), 10))


def test_the_admin_lists_the_resources_slots_and_appointments(login, admin_user):
    booking = _booking()
    client = login(admin_user)
    resources = client.get("/admin/appointments/serviceresource/")
    assert resources.status_code == 200 and "服务顾问1" in resources.content.decode()
    assert client.get("/admin/appointments/slot/").status_code == 200
    listed = client.get("/admin/appointments/appointment/")
    assert listed.status_code == 200 and "周涛" in listed.content.decode()
    assert client.get(f"/admin/appointments/appointment/{booking.pk}/change/").status_code == 200


def test_a_resource_is_renamed_and_retired_in_the_admin_but_never_deleted(login, admin_user):
    advisor = shipped_workshop()[0]
    client = login(admin_user)
    page = client.get(f"/admin/appointments/serviceresource/{advisor.pk}/change/")
    assert page.status_code == 200
    response = client.post(f"/admin/appointments/serviceresource/{advisor.pk}/change/", {
        "name": "马超", "kind": "advisor", "user": "", "position": 1,
        "capacities-TOTAL_FORMS": "0", "capacities-INITIAL_FORMS": "0"})
    assert response.status_code == 302
    advisor.refresh_from_db()
    assert advisor.name == "马超" and advisor.active is False  # the box left unticked: out of use
    assert advisor.capacities.count() == 14  # the places are the capacity page's
    assert client.post(f"/admin/appointments/serviceresource/{advisor.pk}/delete/").status_code == 403
    assert ServiceResource.objects.filter(pk=advisor.pk).exists()


def test_bookings_cannot_be_changed_in_the_admin(login, admin_user):
    booking = _booking()
    client = login(admin_user)
    client.post(f"/admin/appointments/appointment/{booking.pk}/change/", {"status": "cancelled"})
    booking.refresh_from_db()
    assert booking.status == Appointment.Status.BOOKED
    assert client.get("/admin/appointments/appointment/add/").status_code == 403
