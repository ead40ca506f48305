"""Booking a visit (/appointments/book/): from the customer's page, a reminder call or an incoming
phone call (a customer search first); the quietest slots as the first choices, another day and hour
by hand; a full slot brings the form back with the message and the next free slots, nothing typed
lost; errors in Chinese; who may book."""

from datetime import timedelta

import pytest
import time_machine

from followups.appointments.models import Appointment, Slot

from .test_pages_support import (
    BOOK,
    WEDNESDAY,
    WEDNESDAY_0930,
    appointment,
    customer_with_car,
    detail_url,
    element,
    html,
    marketing_user,  # noqa: F401 - a fixture
    slots,
    text_of,
    workshop,  # noqa: F401 - a fixture
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("workshop")]
THURSDAY = WEDNESDAY.replace(day=24)  # a week before: bookings for the week ahead of it
THURSDAY_0930 = WEDNESDAY_0930.replace(day=24)


@pytest.fixture(autouse=True)
def _thursday():
    with time_machine.travel(THURSDAY_0930, tick=False):
        yield


@pytest.fixture
def week(workshop):
    """Slots for Thursday 24 September (today) to Wednesday 30 (the festival's three days closed)."""
    days = [THURSDAY, THURSDAY.replace(day=28), THURSDAY.replace(day=29), THURSDAY.replace(day=30)]
    return slots(workshop, *days)


@pytest.fixture
def caller(agent):
    return customer_with_car(name="王建华", mobile="13912345678", plate="皖A51000", by=agent)


def url(customer, **params) -> str:
    query = "&".join(f"{name}={value}" for name, value in {"customer": customer.pk, **params}.items())
    return f"{BOOK}?{query}"


def posted(**fields) -> dict:
    data = {"slot": "", "other_day": "", "other_hour": "", "other_resource": "", "jobs": "首保\n检查空调",
            "customer_words": "空调有点异味", "parts_note": "空调滤芯", "source": "phone"}
    data.update(fields)
    return data


def suggested(page: str) -> list[str]:
    """The slot ids offered as radio buttons, in order, and which is checked ("*")."""
    import re

    return [value + ("*" if checked else "") for value, checked in
            re.findall(r'type="radio" name="slot" id="id_slot-\w+" value="(\w+)"( checked)?', page)]


def test_the_quietest_slots_come_first_and_the_first_is_chosen(login, agent, caller, week):
    customer, vehicle = caller
    busy = week["wang", THURSDAY.replace(day=28), 9]
    for _ in range(2):
        appointment(busy)
    page = html(login(agent).get(url(customer)))
    offered = suggested(page)
    assert offered[0].endswith("*") and offered[-1] == "other"
    assert str(busy.pk) not in [value.rstrip("*") for value in offered]  # full: never offered
    first = Slot.objects.get(pk=offered[0].rstrip("*"))
    assert first.booked == 0 and first.day >= THURSDAY
    choice = text_of(element(page, "id_slot-choice"))
    assert f"已约 0/{first.places}" in choice  # how full each one is
    assert "王建华" in page and "139****5678" in page and "13912345678" not in page
    assert f'<option value="{vehicle.pk}" selected>' in page  # the only car, chosen


def test_booking_a_suggested_slot(login, agent, caller, week):
    customer, vehicle = caller
    page = html(login(agent).get(url(customer)))
    chosen = Slot.objects.get(pk=suggested(page)[0].rstrip("*"))
    response = login(agent).post(url(customer), posted(slot=chosen.pk, vehicle=vehicle.pk))
    booked = Appointment.objects.get()
    assert response.status_code == 302 and response["Location"] == detail_url(booked)
    assert (booked.customer, booked.vehicle, booked.slot, booked.status) == (customer, vehicle, chosen, "booked")
    assert booked.jobs == ["首保", "检查空调"] and booked.customer_words == "空调有点异味"
    assert booked.parts_note == "空调滤芯" and booked.source == "phone" and booked.booked_by == agent
    chosen.refresh_from_db()
    assert chosen.booked == 1
    assert "已预约" in html(login(agent).get(response["Location"]))


def test_another_time_takes_the_advisor_with_the_most_room(login, agent, caller, week):
    customer, vehicle = caller
    login(agent).post(url(customer), posted(slot="other", other_day="2026-09-29", other_hour="10",
                                            vehicle=vehicle.pk))
    booked = Appointment.objects.get()
    assert booked.slot == week["wang", THURSDAY.replace(day=29), 10]  # 2 free against 1


def test_another_time_with_one_advisor(login, agent, caller, week, workshop):
    customer, vehicle = caller
    login(agent).post(url(customer), posted(slot="other", other_day="2026-09-29", other_hour="10",
                                            other_resource=workshop["li"].pk, vehicle=vehicle.pk))
    assert Appointment.objects.get().slot == week["li", THURSDAY.replace(day=29), 10]


def test_a_closed_day_is_refused_with_the_form_kept(login, agent, caller, week):
    customer, vehicle = caller
    response = login(agent).post(url(customer), posted(slot="other", other_day="2026-09-25", other_hour="10",
                                                       vehicle=vehicle.pk))
    page = html(response)
    assert response.status_code == 400 and not Appointment.objects.exists()
    assert "车间不接受预约" in text_of(page)
    assert "首保\n检查空调" in page and "空调有点异味" in page and 'value="2026-09-25"' in page


def test_a_full_slot_brings_the_form_back_with_the_next_free_slots(login, agent, caller, week):
    customer, vehicle = caller
    page = html(login(agent).get(url(customer)))
    last = Slot.objects.get(pk=suggested(page)[0].rstrip("*"))
    for _ in range(last.places - last.booked):
        appointment(last)  # other agents took its places meanwhile
    response = login(agent).post(url(customer), posted(slot=last.pk, vehicle=vehicle.pk))
    page = html(response)
    assert response.status_code == 409 and not Appointment.objects.filter(customer=customer).exists()
    assert "该时段已约满" in text_of(element(page, "slot-full"))
    offered = suggested(page)
    assert str(last.pk) not in [value.rstrip("*") for value in offered] and offered[0].endswith("*")
    assert "首保\n检查空调" in page and "空调有点异味" in page and "空调滤芯" in page  # nothing lost
    last.refresh_from_db()
    assert last.booked == last.places


def test_the_jobs_are_required_and_the_rest_is_kept(login, agent, caller, week):
    customer, vehicle = caller
    response = login(agent).post(url(customer), posted(slot="other", jobs="  \n ", other_day="2026-09-29",
                                                       other_hour="10", vehicle=vehicle.pk))
    page = html(response)
    assert response.status_code == 400 and not Appointment.objects.exists()
    assert "请至少写一个项目" in text_of(page) and "空调有点异味" in page
    assert 'value="other" checked' in page and 'value="2026-09-29"' in page


def test_no_time_chosen_is_an_error(login, agent, caller, week):
    customer, vehicle = caller
    response = login(agent).post(url(customer), posted(vehicle=vehicle.pk))
    assert response.status_code == 400 and "请选择时间" in text_of(html(response))


def test_the_other_times_day_and_hour_are_needed(login, agent, caller, week):
    customer, vehicle = caller
    page = text_of(html(login(agent).post(url(customer), posted(slot="other", vehicle=vehicle.pk))))
    assert "请选择日期" in page and "请选择几点钟" in page


def test_a_car_of_someone_else_is_refused(login, agent, caller, week):
    customer, _vehicle = caller
    _other, strangers_car = customer_with_car(name="李四", mobile="13700000001", plate="皖A99999")
    response = login(agent).post(url(customer), posted(slot="other", other_day="2026-09-29", other_hour="10",
                                                       vehicle=strangers_car.pk))
    assert response.status_code == 400 and "请选择客户名下的车辆" in text_of(html(response))


def test_from_the_calendar_the_hour_clicked_is_chosen(login, agent, caller, week, workshop):
    customer, _vehicle = caller
    page = html(login(agent).get(url(customer, day="2026-09-29", hour=11, resource=workshop["li"].pk)))
    assert 'value="other" checked' in page and 'value="2026-09-29"' in page
    assert '<option value="11" selected>' in page and f'<option value="{workshop["li"].pk}" selected>' in page


def test_a_day_that_does_not_exist_from_a_link_is_ignored(login, agent, caller, week):
    customer, _vehicle = caller
    page = html(login(agent).get(url(customer, day="2026-02-30", hour=10)))
    assert 'value="other" checked' not in page and suggested(page)[0].endswith("*")


def test_from_a_reminder_the_jobs_start_from_it_and_it_is_booked_with_it(login, agent, caller, week):
    from followups.callbacks.models import CallbackKind
    from followups.retention.models import Reminder
    from tests.followups.factories import make_callback

    customer, vehicle = caller
    call = make_callback(customer=customer, vehicle=vehicle, kind=CallbackKind.SOLICIT, agent=agent)
    reminder = Reminder.objects.create(vehicle=vehicle, customer=customer, kind="first", cycle="first", channel="call",
                                       due_on=WEDNESDAY + timedelta(days=20), window_end=WEDNESDAY + timedelta(days=50),
                                       created_on=THURSDAY, callback=call, concern="上次保养后仪表盘报警")
    page = html(login(agent).get(url(customer, callback=call.pk)))
    assert "首保招揽" in text_of(element(page, "booking-reminder"))
    assert "上次保养后仪表盘报警" in text_of(element(page, "booking-concern"))
    assert "\n首保</textarea>" in page and '<option value="reminder" selected>' in page
    chosen = suggested(page)[0].rstrip("*")
    login(agent).post(url(customer, callback=call.pk), posted(slot=chosen, jobs="首保", source="reminder",
                                                              vehicle=vehicle.pk))
    booked = Appointment.objects.get()
    assert booked.callback == call and booked.reminder == reminder and booked.source == "reminder"


def test_a_call_of_another_customer_is_not_found(login, agent, caller):
    from tests.followups.factories import make_callback

    customer, _vehicle = caller
    assert login(agent).get(url(customer, callback=make_callback().pk)).status_code == 404
    assert login(agent).get(f"{BOOK}?customer=abc").status_code == 404


def test_bookings_ahead_are_shown_so_nobody_books_twice(login, agent, caller, week):
    customer, vehicle = caller
    ahead = appointment(week["wang", THURSDAY.replace(day=30), 11], customer=customer, vehicle=vehicle)
    page = html(login(agent).get(url(customer)))
    assert detail_url(ahead) in element(page, "booked-ahead") and "09-30" in text_of(element(page, "booked-ahead"))
    response = login(agent).post(url(customer), posted(slot="other", other_day="2026-09-29", other_hour="10",
                                                       vehicle=vehicle.pk))
    page = html(response)
    assert response.status_code == 400 and "这辆车已预约" in text_of(page)  # the service's refusal, in the form
    assert Appointment.objects.filter(customer=customer).count() == 1 and "空调有点异味" in page


def test_a_time_past_is_refused(login, agent, caller, week):
    customer, vehicle = caller
    response = login(agent).post(url(customer), posted(slot=week["wang", THURSDAY, 9].pk, vehicle=vehicle.pk))
    assert response.status_code == 400 and "该时段已过" in text_of(html(response))
    assert not Appointment.objects.exists()


# --- an incoming call: the customer search first ------------------------------------------------------
def test_without_a_customer_the_page_finds_the_caller(login, agent, caller):
    customer, vehicle = caller
    page = html(login(agent).get(BOOK))
    assert 'name="q"' in element(page, "book-search") and "谁来电" in text_of(page)
    found = html(login(agent).get(f"{BOOK}?q=王建华"))
    hits = element(found, "customer-hits")
    assert "139****5678" in hits and "13912345678" not in found
    assert f"?customer={customer.pk}&amp;vehicle={vehicle.pk}&amp;source=phone" in hits


def test_the_search_carries_the_hour_from_the_calendar(login, agent, caller):
    customer, vehicle = caller
    found = html(login(agent).get(f"{BOOK}?q=王建华&day=2026-09-29&hour=10"))
    link = element(found, "customer-hits")
    assert "day=2026-09-29" in link and "hour=10" in link and "source=phone" in link
    assert 'type="hidden" name="day" value="2026-09-29"' in element(found, "book-search")


def test_the_live_search_answers_with_the_hits_alone(login, agent, caller):
    response = login(agent).get(f"{BOOK}?q=王建华", HTTP_HX_REQUEST="true")
    assert "<html" not in html(response) and "customer-hits" in html(response)


def test_nobody_found_offers_a_new_customer(login, agent):
    page = html(login(agent).get(f"{BOOK}?q=查无此人"))
    assert "查无此人" in text_of(element(page, "no-hits"))
    assert 'href="/customers/new/"' in element(page, "no-hits")


def test_a_booking_from_the_call_is_marked_as_from_an_incoming_call(login, agent, caller, week):
    customer, vehicle = caller
    page = html(login(agent).get(url(customer, vehicle=vehicle.pk, source="phone")))
    assert '<option value="phone" selected>' in page


# --- who may book ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("persona", ["agent", "service_manager", "supervisor", "colleague"])
def test_whoever_talks_to_customers_books(request, login, persona, caller, week):
    customer, _vehicle = caller
    assert login(request.getfixturevalue(persona)).get(url(customer)).status_code == 200


def test_the_general_manager_reads_but_does_not_book(login, general_manager, caller):
    customer, _vehicle = caller
    assert login(general_manager).get(url(customer)).status_code == 403
    assert login(general_manager).get(BOOK).status_code == 403


def test_it_needs_a_login_and_the_right(client, login, marketing_user, caller):
    customer, _vehicle = caller
    assert client.get(url(customer))["Location"].startswith("/accounts/login/")
    assert login(marketing_user).post(url(customer), posted()).status_code == 403
