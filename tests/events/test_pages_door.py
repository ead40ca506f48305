"""The door check-in on the event's day, for a tablet: the search (name, pinyin, the mobile's last digits,
a plate) finds the invited guests first with a large 签到 button; one tap checks in and the counts
follow; a second tap is told the guest is already in and when; an archive customer not invited is
checked in as a walk-in; the walk-in form adds a new customer or hands a prospect to sales as a lead
(the form kept with its errors); htmx swaps only the live part; fixed query counts; who may use it."""

import re
from datetime import timedelta

import pytest

from customers.models import Customer
from events import services
from events.models import Invitation
from followups.leads.models import Lead

from .conftest import EVENT_START, customer_with_car
from .pages_support import html, part, plan, text, url

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def event(marketing, clock):
    """On Tuesday: the event of Saturday 14:00 with two invited customers (one coming with 3 people) and
    one customer of the archive not in the target group; the door then opens on Saturday at 13:30."""
    event = plan(by=marketing, capacity=50)
    coming = customer_with_car(name="张来宾", mobile="13912345678")
    customer_with_car(name="张另一", mobile="13987650000")
    services.event_audience_set(event=event, filters={"has_mobile": True}, by=marketing)
    services.invitations_create(event=event, by=marketing)
    services.invitation_answer(invitation=event.invitations.get(customer=coming), rsvp="yes", party_size=3,
                               by=marketing)
    customer_with_car(name="路人甲", mobile="")  # not invited: no mobile, outside the group
    clock.move_to(EVENT_START - timedelta(minutes=30))
    return event


def invitation_of(event, name):
    return event.invitations.get(customer__name=name)


def test_the_door_page_has_a_big_search_box_and_the_counts(login, door, event):
    page = html(login(door).get(url("door", event.pk)))
    assert 'id="door-q"' in page and "autofocus" in part(page, "door-search-form")
    assert ">0<" in part(page, "door-checked-in") and ">1<" in part(page, "door-expected")
    assert "输入姓名、拼音、手机后四位或车牌" in text(page)


def test_searching_by_name_finds_the_invited_guest_with_a_check_in_button(login, door, event):
    page = html(login(door).get(url("door", event.pk), {"q": "张来宾"}))
    guest = invitation_of(event, "张来宾")
    hit = part(page, f"hit-{guest.customer_id}")
    assert "确认出席，3 人" in text(hit) and url("door_check_in", event.pk, guest.pk) in hit
    assert "签到" in text(hit).split() and "139****5678" in hit and "13912345678" not in page


def test_the_mobile_s_last_digits_and_pinyin_find_the_guest(login, door, event):
    client = login(door)
    guest = invitation_of(event, "张来宾")
    assert f'id="hit-{guest.customer_id}"' in html(client.get(url("door", event.pk), {"q": "5678"}))
    assert f'id="hit-{guest.customer_id}"' in html(client.get(url("door", event.pk), {"q": "zhanglaibin"}))


def test_who_may_not_see_numbers_is_told_the_mobile_s_ending_does_not_search(login, marketing, event):
    page = html(login(marketing).get(url("door", event.pk), {"q": "5678"}))
    assert "按手机尾号查找来宾需要查看号码的权限" in text(part(page, "door-tail-withheld"))
    assert 'id="door-tail-withheld"' not in html(login(marketing).get(url("door", event.pk), {"q": "张来宾"}))


def test_a_tap_checks_the_guest_in_and_the_counts_follow(login, door, event):
    guest = invitation_of(event, "张来宾")
    response = login(door).post(url("door_check_in", event.pk, guest.pk), {"q": "张来宾"}, **HX)
    fragment = html(response)
    guest.refresh_from_db()
    assert guest.checked_in_at is not None and guest.guests_arrived == 3 and guest.checked_in_by == door
    assert fragment.lstrip().startswith('<div id="door-live"') and "<html" not in fragment
    assert "张来宾 签到成功，欢迎光临！" in text(part(fragment, "door-notice"))
    assert ">1<" in part(fragment, "door-checked-in") and ">3<" in part(fragment, "door-guests")
    assert "13:30 已签到" in text(part(fragment, f"hit-{guest.customer_id}"))


def test_the_people_arriving_are_the_announced_party_unless_changed_beside_the_button(login, door, event):
    guest, other = invitation_of(event, "张来宾"), invitation_of(event, "张另一")
    client = login(door)
    page = html(client.get(url("door", event.pk), {"q": "张"}))
    def announced(invitation):
        return re.search(rf'id="guests-{invitation.pk}"[^>]*value="(\d+)"', page).group(1)

    assert (announced(guest), announced(other)) == ("3", "1")
    client.post(url("door_check_in", event.pk, other.pk), {"q": "张", "guests": "2"}, **HX)
    other.refresh_from_db()
    assert other.guests_arrived == 2
    fragment = html(client.post(url("door_check_in", event.pk, guest.pk), {"q": "张", "guests": "30"}, **HX))
    guest.refresh_from_db()
    assert guest.checked_in_at is None and "请填写 1 至 20 人" in text(part(fragment, "door-notice"))


def test_a_second_tap_is_told_it_is_already_done(login, door, event, clock):
    guest = invitation_of(event, "张来宾")
    client = login(door)
    client.post(url("door_check_in", event.pk, guest.pk), {"q": "张来宾"}, **HX)
    clock.move_to(EVENT_START - timedelta(minutes=20))
    fragment = html(client.post(url("door_check_in", event.pk, guest.pk), {"q": "张来宾"}, **HX))
    assert "张来宾 已经签到过了（13:30）" in text(part(fragment, "door-notice"))
    assert "alert-warning" in part(fragment, "door-notice")
    assert Invitation.objects.filter(checked_in_at__isnull=False).count() == 1
    assert ">3<" in part(fragment, "door-guests")


def test_without_htmx_a_tap_comes_back_to_the_same_search_with_a_message(login, door, event):
    guest = invitation_of(event, "张来宾")
    response = login(door).post(url("door_check_in", event.pk, guest.pk), {"q": "张来宾"}, follow=True)
    assert response.redirect_chain[-1][0].endswith("?q=%E5%BC%A0%E6%9D%A5%E5%AE%BE")
    assert "张来宾 签到成功" in text(html(response))


def test_an_archive_customer_not_invited_is_checked_in_as_a_walk_in(login, door, event):
    passer = Customer.objects.get(name="路人甲")
    client = login(door)
    page = html(client.get(url("door", event.pk), {"q": "路人甲"}))
    hit = part(page, f"hit-{passer.pk}")
    assert "未受邀" in text(hit) and "现场签到（未受邀）" in text(hit)
    fragment = html(client.post(url("door_walk_in", event.pk), {"q": "路人甲", "walkin-customer": passer.pk}, **HX))
    walk_in = Invitation.objects.get(customer=passer)
    assert walk_in.channel == Invitation.Channel.WALK_IN and walk_in.checked_in_at is not None
    assert "路人甲 已作为现场来宾签到" in text(part(fragment, "door-notice")) and ">1<" in part(fragment, "door-walk-ins")


def test_a_new_walk_in_becomes_a_customer_of_the_archive(login, door, event):
    fragment = html(login(door).post(url("door_walk_in", event.pk), {
        "walkin-mode": "new", "walkin-name": "新朋友", "walkin-mobile": "139 0000 8888", "walkin-note": "朋友介绍"}, **HX))
    customer = Customer.objects.get(name="新朋友")
    assert customer.mobile == "13900008888"
    assert Invitation.objects.get(customer=customer).channel == Invitation.Channel.WALK_IN
    assert "新朋友 已作为现场来宾签到" in text(fragment)
    assert 'hx-swap-oob="true"' in fragment and 'value="新朋友"' not in part(fragment, "door-walkin")


def test_a_prospect_walk_in_is_handed_to_sales_as_a_lead(login, door, event):
    fragment = html(login(door).post(url("door_walk_in", event.pk), {
        "walkin-mode": "lead", "walkin-name": "看车人", "walkin-mobile": "13600001111", "walkin-note": "想试驾卡缤"},
        **HX))
    lead = Lead.objects.get(name="看车人")
    assert lead.source == Lead.Source.VISITOR and Invitation.objects.get(lead=lead).checked_in_at is not None
    assert "看车人 已签到，并已作为销售线索转给销售部" in text(fragment)
    assert not Customer.objects.filter(name="看车人").exists()


def test_a_walk_in_with_errors_keeps_what_was_typed(login, door, event):
    response = login(door).post(url("door_walk_in", event.pk), {
        "walkin-mode": "new", "walkin-name": "没号码", "walkin-mobile": "12345", "walkin-note": "带家人"}, **HX)
    fragment = html(response)
    form = part(fragment, "door-walkin")
    assert response.status_code == 200  # htmx swaps only a 2xx answer
    assert "“12345”不是有效的电话号码" in text(form) and "请检查下方现场来宾的信息" in text(part(fragment, "door-notice"))
    assert 'value="没号码"' in form and 'value="带家人"' in form and 'value="12345"' in form
    assert not Customer.objects.filter(name="没号码").exists()


def test_without_htmx_a_walk_in_with_errors_is_the_page_again_as_typed(login, door, event):
    response = login(door).post(url("door_walk_in", event.pk), {"walkin-mode": "lead", "walkin-name": "",
                                                                "walkin-mobile": "13600002222"})
    page = html(response)
    assert response.status_code == 400 and "<html" in page and "请填写来宾姓名" in text(part(page, "door-walkin"))
    assert 'value="13600002222"' in part(page, "door-walkin")
    assert re.search(r'value="lead"[^>]*checked', part(page, "door-walkin"))  # still a prospect for sales


def test_nobody_found_says_so_and_points_to_the_walk_in_form(login, door, event):
    page = html(login(door).get(url("door", event.pk), {"q": "查无此人"}))
    assert "没有找到“查无此人”" in text(part(page, "door-no-hit"))


def test_before_the_event_s_day_the_door_is_not_open(login, door, event, clock):
    clock.move_to(EVENT_START - timedelta(days=2))
    guest = invitation_of(event, "张来宾")
    fragment = html(login(door).post(url("door_check_in", event.pk, guest.pk), {"q": "张来宾"}, **HX))
    assert "alert-danger" in part(fragment, "door-notice") and "活动当天" in text(part(fragment, "door-notice"))
    guest.refresh_from_db()
    assert guest.checked_in_at is None


def test_the_search_swaps_only_the_live_part(login, door, event):
    fragment = html(login(door).get(url("door", event.pk), {"q": "张"}, **HX))
    assert fragment.lstrip().startswith('<div id="door-live"') and len(re.findall(r'id="hit-\d+"', fragment)) == 2


def test_the_door_runs_a_fixed_number_of_queries(login, door, event, django_assert_max_num_queries):
    client = login(door)
    client.get(url("door", event.pk), {"q": "张"})
    with django_assert_max_num_queries(16) as few:
        client.get(url("door", event.pk), {"q": "张"})
    for n in range(6):
        customer_with_car(name=f"张客{n}", mobile=f"1370000{n:04d}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = html(client.get(url("door", event.pk), {"q": "张"}))
    assert len(re.findall(r'id="hit-\d+"', page)) == 8


def test_who_has_no_right_at_the_door_is_refused(login, event):
    from .pages_support import outsider

    assert login(outsider()).get(url("door", event.pk)).status_code == 403
