"""One appointment's page (/appointments/<pk>/): what was booked, moving it to a suggested slot or
another time with a reason, cancelling it with a reason, both confirmed first; checking the customer
in at the desk; who may do what."""

from datetime import timedelta

import pytest
import time_machine

from followups.appointments.models import Appointment, Slot

from .test_pages_support import (
    DAY,
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
MONDAY = WEDNESDAY.replace(day=28)


@pytest.fixture(autouse=True)
def _monday():
    with time_machine.travel(WEDNESDAY_0930.replace(day=28), tick=False):
        yield


@pytest.fixture
def week(workshop):
    return slots(workshop, MONDAY, MONDAY + timedelta(days=1), WEDNESDAY)


@pytest.fixture
def booked(agent, week):
    customer, vehicle = customer_with_car(name="王建华", mobile="13912345678", plate="皖A51000", by=agent)
    return appointment(week["wang", WEDNESDAY, 10], customer=customer, vehicle=vehicle, by=agent,
                       jobs=["定期保养"], words="方向盘有点抖", parts="机油、机滤")


def action(appointment, name: str) -> str:
    return f"/appointments/{appointment.pk}/{name}/"


def test_the_page_tells_what_was_booked(login, agent, booked):
    page = html(login(agent).get(detail_url(booked)))
    facts = text_of(element(page, "appointment-facts"))
    assert "王建华" in facts and "139****5678" in facts and "13912345678" not in page
    assert "皖A51000" in facts and "定期保养" in facts and "“方向盘有点抖”" in facts and "机油、机滤" in facts
    assert "李娜" in facts and "来电预约" in facts
    when = text_of(element(page, "appointment-when"))
    assert "2026-09-30" in when and "10:00" in when and "王顾问" in when


def test_moving_and_cancelling_ask_for_a_confirmation(login, agent, booked):
    page = html(login(agent).get(detail_url(booked)))
    assert "data-confirm" in element(page, "reschedule-form").split(">")[0]
    assert "data-confirm" in element(page, "cancel-form").split(">")[0]
    assert 'name="move-reason"' in page and 'name="cancel-reason"' in page


def test_moving_offers_the_quiet_slots_but_not_its_own(login, agent, booked):
    page = html(login(agent).get(detail_url(booked)))
    choice = element(page, "id_move-slot-choice")
    assert f'value="{booked.slot_id}"' not in choice and 'value="other"' in choice
    assert " checked" in choice


def test_moving_needs_a_reason_and_keeps_the_choice(login, agent, booked, week):
    target = week["li", MONDAY + timedelta(days=1), 11]
    response = login(agent).post(action(booked, "reschedule"), {"move-slot": target.pk, "move-reason": " "})
    page = html(response)
    assert response.status_code == 400 and "请说明改约的原因" in text_of(page)
    assert f'value="{target.pk}" checked' in element(page, "id_move-slot-choice")
    booked.refresh_from_db()
    assert booked.status == "booked"


def test_moving_to_another_slot(login, agent, booked, week):
    target = week["li", MONDAY + timedelta(days=1), 11]
    response = login(agent).post(action(booked, "reschedule"), {"move-slot": target.pk, "move-reason": "客户周三要出差"})
    booked.refresh_from_db()
    moved = booked.rescheduled_to
    assert booked.status == "rescheduled" and moved.slot == target and moved.status == "booked"
    assert response["Location"] == detail_url(moved)
    assert moved.jobs == ["定期保养"] and moved.customer_words == "方向盘有点抖"
    page = html(login(agent).get(detail_url(booked)))
    assert "客户周三要出差" in text_of(element(page, "appointment-closed")) and detail_url(moved) in page
    assert 'id="reschedule-form"' not in page  # moved: nothing more to do here


def test_moving_to_a_full_slot_offers_the_next_free_ones(login, agent, booked, week):
    full = week["li", MONDAY + timedelta(days=1), 11]
    appointment(full)
    response = login(agent).post(action(booked, "reschedule"), {"move-slot": full.pk, "move-reason": "客户要求"})
    page = html(response)
    assert response.status_code == 409 and "该时段已约满" in text_of(element(page, "slot-full"))
    assert 'value="客户要求"' in page
    booked.refresh_from_db()
    assert booked.status == "booked"


def test_cancelling_needs_a_reason(login, agent, booked):
    response = login(agent).post(action(booked, "cancel"), {"cancel-reason": ""})
    assert response.status_code == 400 and "请说明取消的原因" in text_of(html(response))
    booked.refresh_from_db()
    assert booked.status == "booked"


def test_cancelling_frees_the_place(login, agent, booked):
    response = login(agent).post(action(booked, "cancel"), {"cancel-reason": "车已卖"})
    booked.refresh_from_db()
    assert response["Location"] == detail_url(booked) and booked.status == "cancelled"
    assert booked.close_reason == "车已卖" and Slot.objects.get(pk=booked.slot_id).booked == 0
    page = html(login(agent).get(detail_url(booked)))
    assert "已取消" in page and 'id="cancel-form"' not in page


def test_the_desk_checks_the_customer_in(login, service_manager, booked):
    with time_machine.travel(WEDNESDAY_0930.replace(hour=9, minute=55), tick=False):
        page = html(login(service_manager).get(detail_url(booked)))
        assert "data-confirm" in element(page, "check-in-form")
        response = login(service_manager).post(action(booked, "check-in"), {"next": f"{DAY}?day=2026-09-30"})
    booked.refresh_from_db()
    assert response["Location"] == f"{DAY}?day=2026-09-30"
    assert booked.status == "arrived" and booked.arrived_at is not None


def test_a_check_in_sends_back_only_to_this_site(login, service_manager, booked):
    with time_machine.travel(WEDNESDAY_0930.replace(hour=9, minute=55), tick=False):
        response = login(service_manager).post(action(booked, "check-in"), {"next": "https://example.com/"})
    assert response["Location"] == detail_url(booked)


def test_no_check_in_before_the_day(login, service_manager, booked):
    page = html(login(service_manager).get(detail_url(booked)))  # Monday, for Wednesday
    assert 'id="check-in-form"' not in page


def test_who_books_does_not_check_in(login, agent, booked):
    with time_machine.travel(WEDNESDAY_0930, tick=False):
        assert 'id="check-in-form"' not in html(login(agent).get(detail_url(booked)))
        assert login(agent).post(action(booked, "check-in")).status_code == 403
    booked.refresh_from_db()
    assert booked.status == "booked"


def test_the_general_manager_reads_without_acting(login, general_manager, booked):
    page = html(login(general_manager).get(detail_url(booked)))
    assert "王建华" in page and 'id="reschedule-form"' not in page and 'id="cancel-form"' not in page
    assert login(general_manager).post(action(booked, "cancel"), {"cancel-reason": "x"}).status_code == 403
    assert login(general_manager).post(action(booked, "reschedule"), {"move-reason": "x"}).status_code == 403


def test_it_needs_a_login_and_the_right(client, login, marketing_user, booked):
    assert client.get(detail_url(booked))["Location"].startswith("/accounts/login/")
    assert login(marketing_user).get(detail_url(booked)).status_code == 403
    assert login(marketing_user).get("/appointments/999999/").status_code == 403  # nothing learnt


def test_no_such_appointment(login, agent):
    assert login(agent).get("/appointments/999999/").status_code == 404


def test_get_is_not_an_action(login, agent, booked):
    assert login(agent).get(action(booked, "cancel")).status_code == 405
    assert Appointment.objects.get(pk=booked.pk).status == "booked"
