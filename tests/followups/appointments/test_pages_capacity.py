"""The workshop's capacity (/appointments/capacity/): each advisor's or bay's places per hour on
working days and weekends, read at the desk, changed by the DCRC supervisor; a change reaches the
slots already made from today on, except those booked beyond the new places."""

import pytest
import time_machine
from django.urls import reverse

from followups.appointments.models import Capacity, ServiceResource, Slot

from .test_pages_support import (
    CAPACITY,
    WEDNESDAY,
    WEDNESDAY_0930,
    appointment,
    element,
    html,
    slot,
    slots,
    text_of,
    workshop,  # noqa: F401 - a fixture
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("workshop")]


@pytest.fixture(autouse=True)
def _wednesday():
    with time_machine.travel(WEDNESDAY_0930, tick=False):
        yield


def edit_url(resource) -> str:
    return reverse("appointments:capacity_edit", args=[resource.pk])


def grid(**places) -> dict:
    """The capacity form's fields: every hour empty except those given (workday_9=3, rest_day_10=1)."""
    data = {f"places-{kind}_{hour}": "" for kind in ("workday", "rest_day") for hour in range(6, 22)}
    data.update({f"places-{key}": str(value) for key, value in places.items()})
    return data


def test_the_table_shows_each_advisors_places_per_hour(login, service_manager, workshop):
    page = html(login(service_manager).get(CAPACITY))
    wang = text_of(element(page, f"resource-{workshop['wang'].pk}"))
    assert "王顾问" in wang and "服务顾问" in wang and "工作日" in wang and "周末" in wang
    assert "2 2 2 6" in wang  # 9, 10 and 11 o'clock, and the day's total


def test_the_supervisor_changes_the_places_and_the_slots_made_follow(login, supervisor, workshop):
    wang = workshop["wang"]
    made = slots(workshop, WEDNESDAY.replace(day=29), WEDNESDAY)
    crowded = made["wang", WEDNESDAY, 10]
    appointment(crowded)
    appointment(crowded)
    past = made["wang", WEDNESDAY.replace(day=29), 10]
    page = html(login(supervisor).get(CAPACITY))
    assert f'href="{edit_url(wang)}"' in page
    response = login(supervisor).post(edit_url(wang), {
        "resource-name": "王顾问", "resource-kind": "advisor", "resource-position": "1", "resource-active": "on",
        **grid(workday_9=1, workday_10=1, workday_11=3, rest_day_10=1)})
    assert response.status_code == 302
    assert dict(Capacity.objects.filter(resource=wang, day_type="workday").values_list("hour", "places")) == {
        9: 1, 10: 1, 11: 3}
    assert Slot.objects.get(pk=made["wang", WEDNESDAY, 11].pk).places == 3  # today's slot follows
    assert Slot.objects.get(pk=crowded.pk).places == 2  # booked beyond 1: keeps its places
    assert Slot.objects.get(pk=past.pk).places == 2  # yesterday's is history
    shown = text_of(html(login(supervisor).get(CAPACITY)))
    assert "1 个时段保留原名额" in shown


def test_an_hour_emptied_is_no_longer_offered(login, supervisor, workshop):
    made = slots(workshop, WEDNESDAY.replace(day=30))
    login(supervisor).post(edit_url(workshop["li"]), {
        "resource-name": "李顾问", "resource-kind": "advisor", "resource-position": "2", "resource-active": "on",
        **grid(workday_9=1, workday_10=1)})
    assert not Capacity.objects.filter(resource=workshop["li"], hour=11, day_type="workday").exists()
    assert Slot.objects.get(pk=made["li", WEDNESDAY, 11].pk).places == 0


def test_a_bad_number_comes_back_with_the_form_kept(login, supervisor, workshop):
    response = login(supervisor).post(edit_url(workshop["wang"]), {
        "resource-name": "王顾问", "resource-kind": "advisor", "resource-position": "1", "resource-active": "on",
        **grid(workday_9=60, workday_10=4)})
    page = html(response)
    assert response.status_code == 400 and "50" in text_of(page)
    assert 'value="4"' in page and 'value="60"' in page
    assert Capacity.objects.get(resource=workshop["wang"], day_type="workday", hour=10).places == 2


def test_adding_a_bay(login, supervisor):
    page = html(login(supervisor).get(CAPACITY))
    assert 'href="/appointments/capacity/new/"' in element(page, "resource-add")
    response = login(supervisor).post(reverse("appointments:capacity_create"), {
        "resource-name": "快修工位", "resource-kind": "bay", "resource-position": "5", "resource-active": "on",
        **grid(workday_14=2, workday_15=2)})
    bay = ServiceResource.objects.get(name="快修工位")
    assert response.status_code == 302 and bay.kind == "bay"
    assert sorted(Capacity.objects.filter(resource=bay).values_list("hour", "places")) == [(14, 2), (15, 2)]


def test_a_name_in_use_is_refused(login, supervisor):
    response = login(supervisor).post(reverse("appointments:capacity_create"), {
        "resource-name": "王顾问", "resource-kind": "advisor", "resource-position": "3", "resource-active": "on",
        **grid(workday_9=1)})
    assert response.status_code == 400 and "已存在" in text_of(html(response))


def test_the_desk_reads_but_does_not_change(login, service_manager, workshop):
    page = html(login(service_manager).get(CAPACITY))
    assert edit_url(workshop["wang"]) not in page and 'id="resource-add"' not in page
    assert login(service_manager).get(edit_url(workshop["wang"])).status_code == 403
    assert login(service_manager).post(edit_url(workshop["wang"]), grid(workday_9=9)).status_code == 403


def test_an_agent_does_not_see_the_capacity(login, agent):
    assert login(agent).get(CAPACITY).status_code == 403


def test_no_resource_says_nothing_can_be_booked(login, supervisor):
    ServiceResource.objects.all().delete()
    assert "无法预约" in text_of(element(html(login(supervisor).get(CAPACITY)), "capacity-empty"))


def test_the_page_runs_the_same_queries_for_few_and_many_resources(login, supervisor, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(supervisor)
    client.get(CAPACITY)
    with CaptureQueriesContext(connection) as few:
        client.get(CAPACITY)
    for number in range(8):
        bay = ServiceResource.objects.create(name=f"工位{number}", kind="bay", position=10 + number)
        Capacity.objects.create(resource=bay, day_type="workday", hour=9, places=1)
        slot(bay, WEDNESDAY, 9, places=1)
    with django_assert_num_queries(len(few)):
        client.get(CAPACITY)
