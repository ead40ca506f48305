"""In a real browser, customer care's two walks.

The door: on the morning of an owners' day, the colleague at the entrance finds an invited guest by
name, checks him in with one tap and the counts go up by him and the two people he said he would
bring; a second tap is told he is already in and counts nothing; an archive customer who was not
invited is found and checked in as a walk-in; someone not in the archive is added on the spot as a
new customer and checked in. The event's page then counts them, and the guest's timeline says he came.

The gift: an interviewer records the customer's gift choice from the gift menu; the general manager
approves it from the queue (the budget and the stock are charged); the DCRC posts it with the courier
and the tracking number; the customer's timeline tells each step.

No page of either walk has a script or style refused by the Content-Security-Policy, nor a script error.
"""

import os
import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import expect

from customers.models import Customer
from dealer_crm.accounts.roles import Role, sync_role_permissions
from events import services as event_services
from events.care.models import Interview
from events.gifts.models import Gift, GiftBudget, GiftRequest
from events.models import Event, Invitation
from tests.browser.signing_in import sign_in
from tests.browser.test_complaint_walk import watched
from tests.factories import UserFactory
from tests.followups.factories import CustomerFactory, make_vehicle

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHANGHAI = ZoneInfo("Asia/Shanghai")
PLANNING = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)  # when the invitations went out
DOOR_OPENS = datetime(2026, 12, 12, 9, 40, tzinfo=SHANGHAI)  # a Saturday, twenty minutes before the start
STARTS = datetime(2026, 12, 12, 10, 0, tzinfo=SHANGHAI)
# Where the walk's screenshots go (var/ is not in the repository): CARE_WALK_SHOTS to look elsewhere.
SCREENSHOTS = os.environ.get("CARE_WALK_SHOTS", "var/care-walk-")


def shot(page, name: str) -> None:
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=f"{SCREENSHOTS}{name}.png", full_page=True)


def an_owners_day(organiser) -> tuple[Event, Customer, Customer, Customer]:
    """An owners' day for the Koleos owners, invited on 1 December: 王建华 said he comes with two
    more people, 李秀英 has not answered; 赵敏 drives a Captur and was not invited."""
    wang = CustomerFactory(name="王建华", mobile="13955501234")
    li = CustomerFactory(name="李秀英", mobile="13955505678")
    zhao = CustomerFactory(name="赵敏", mobile="13855509876")
    make_vehicle(wang, serial=11, plate="皖C6D218", model_name="科雷傲", delivered=date(2025, 5, 20))
    make_vehicle(li, serial=12, plate="皖C3K771", model_name="科雷傲", delivered=date(2024, 9, 2))
    make_vehicle(zhao, serial=13, plate="皖C9Q052", model_name="卡缤", delivered=date(2025, 3, 8))
    event = event_services.event_create(by=organiser, title="科雷傲车主日", kind=Event.Kind.OWNERS_DAY,
                                        starts_at=STARTS, venue="展厅二楼", budget=Decimal("8000"), capacity=60)
    event_services.event_audience_set(event=event, filters={"models": ["科雷傲"]}, by=organiser)
    assert event_services.invitations_create(event=event, by=organiser) == 2
    event_services.invitation_answer(invitation=Invitation.objects.get(event=event, customer=wang), rsvp="yes",
                                     party_size=3, by=organiser)
    return event, wang, li, zhao


def test_the_door_checks_in_with_one_tap_counts_each_guest_once_and_adds_walk_ins(browser, live_server):
    problems: list[str] = []
    with time_machine.travel(PLANNING, tick=True):
        sync_role_permissions()
        organiser = UserFactory(username="dcrc_sun", display_name="孙丽", roles=[Role.DCRC_SUPERVISOR])
        UserFactory(username="door_zhou", display_name="周婷", roles=[Role.CALLBACK_AGENT])
        event, wang, li, zhao = an_owners_day(organiser)

    with time_machine.travel(DOOR_OPENS, tick=True):
        door = watched(sign_in(browser, live_server, "door_zhou", viewport=(1024, 1366)), problems)  # a tablet
        door.goto(f"{live_server.url}/events/{event.pk}/door/")
        expect(door.locator("h1")).to_contain_text("科雷傲车主日")
        expect(door.locator("#door-checked-in")).to_have_text("0")
        expect(door.locator("#door-guests")).to_have_text("0")
        expect(door.locator("#door-expected")).to_have_text("1")  # one yes, of 3 people
        shot(door, "door-empty")

        # The invited guest: found by name, one tap.
        door.locator("#door-q").fill("王建华")
        guest = door.locator(f"#hit-{wang.pk}")
        expect(guest).to_contain_text("王建华")
        expect(guest).to_contain_text("皖C6D218")
        expect(guest).to_contain_text("3")  # coming, 3 people
        expect(guest).not_to_contain_text("13955501234")  # the mobile masked
        guest.locator("button.door-button").click()
        expect(door.locator("#door-notice")).to_have_text("王建华 签到成功，欢迎光临！")
        expect(door.locator("#door-checked-in")).to_have_text("1")
        expect(door.locator("#door-guests")).to_have_text("3")
        shot(door, "door-checked-in")

        # A second tap is told he is in, and counts nothing.
        door.locator(f"#hit-{wang.pk} button.door-button").click()
        expect(door.locator("#door-notice")).to_have_text(re.compile(r"^王建华 已经签到过了（09:4\d）。$"))
        expect(door.locator("#door-checked-in")).to_have_text("1")
        expect(door.locator("#door-guests")).to_have_text("3")

        # An archive customer who was not invited: found, checked in as a walk-in.
        door.locator("#door-q").fill("赵敏")
        walk_in = door.locator(f"#hit-{zhao.pk}")
        expect(walk_in).to_contain_text("未受邀")
        expect(walk_in).to_contain_text("皖C9Q052")
        walk_in.locator("button.door-button").click()
        expect(door.locator("#door-notice")).to_have_text("赵敏 已作为现场来宾签到，欢迎光临！")
        expect(door.locator("#door-checked-in")).to_have_text("2")
        expect(door.locator("#door-guests")).to_have_text("4")
        expect(door.locator("#door-walk-ins")).to_have_text("1")

        # Someone not in the archive: nobody found, added on the spot as a new customer.
        door.locator("#door-q").fill("陈志强")
        expect(door.locator("#door-no-hit")).to_be_visible()
        form = door.locator("#walkin-form")
        form.get_by_label("新客户：加入客户档案").check()
        form.locator("#id_walkin-name").fill("陈志强")
        form.locator("#id_walkin-mobile").fill("137 0000 1111")
        form.locator("#id_walkin-note").fill("朋友王建华带来，想试驾")
        shot(door, "door-walk-in")
        door.locator("#walkin-submit").click()
        expect(door.locator("#door-notice")).to_have_text("陈志强 已作为现场来宾签到，欢迎光临！")
        expect(door.locator("#door-checked-in")).to_have_text("3")
        expect(door.locator("#door-guests")).to_have_text("5")
        expect(door.locator("#door-walk-ins")).to_have_text("2")
        expect(door.locator("#id_walkin-name")).to_have_value("")  # emptied for the next one
        shot(door, "door-after")

        newcomer = Customer.objects.get(mobile="13700001111")
        assert newcomer.name == "陈志强"
        arrivals = {(i.customer_id, i.channel, i.guests_arrived) for i in Invitation.objects.filter(
            event=event, checked_in_at__isnull=False)}
        assert arrivals == {(wang.pk, "sms", 3), (zhao.pk, "walk_in", 1), (newcomer.pk, "walk_in", 1)}
        assert Invitation.objects.get(event=event, customer=li).checked_in_at is None

        # The organiser's page of the event counts them; the guest's timeline says he came.
        organiser_page = watched(sign_in(browser, live_server, "dcrc_sun"), problems)
        organiser_page.goto(f"{live_server.url}/events/{event.pk}/")
        expect(organiser_page.locator("#count-invited")).to_have_text("2")  # walk-ins aside
        expect(organiser_page.locator("#count-checked-in")).to_have_text("3")
        expect(organiser_page.locator("#count-walk-ins")).to_have_text("2")
        shot(organiser_page, "event")
        organiser_page.goto(f"{live_server.url}/customers/{wang.pk}/")
        expect(organiser_page.locator("#timeline")).to_contain_text("到场参加活动“科雷傲车主日”，共 3 人")
        for page in (door, organiser_page):
            page.context.close()
    assert not problems, "\n".join(problems)


INTERVIEW_DAY = datetime(2026, 12, 9, 10, 30, tzinfo=SHANGHAI)
APPROVAL_DAY = datetime(2026, 12, 9, 15, 0, tzinfo=SHANGHAI)
POSTING_DAY = datetime(2026, 12, 10, 9, 15, tzinfo=SHANGHAI)


def test_a_gift_chosen_in_an_interview_is_approved_by_the_general_manager_posted_and_on_the_timeline(
        browser, live_server):
    problems: list[str] = []
    with time_machine.travel(INTERVIEW_DAY, tick=True):
        sync_role_permissions()
        UserFactory(username="care_wu", display_name="吴芳", roles=[Role.INTERVIEWER])
        general_manager = UserFactory(username="gm_qian", display_name="钱伟", roles=[Role.GENERAL_MANAGER])
        UserFactory(username="dcrc_sun", display_name="孙丽", roles=[Role.DCRC_SUPERVISOR])
        customer = CustomerFactory(name="王建华", mobile="13955501234", address="蚌埠市龙子湖区东海大道88号")
        make_vehicle(customer, serial=21, plate="皖C6D218", model_name="科雷傲", delivered=date(2025, 5, 20))
        scent = Gift.objects.create(name="车载香薰礼盒", unit_cost=Decimal("168"), stock=5, on_menu=True,
                                    description="檀木香，三瓶装")
        Gift.objects.create(name="定制保温杯", unit_cost=Decimal("88"), stock=20, on_menu=True)
        Gift.objects.create(name="售后专用纪念品", unit_cost=Decimal("30"), stock=50, on_menu=False)  # not on the menu
        budget = GiftBudget.objects.create(name="2026年12月", starts_on=date(2026, 12, 1), ends_on=date(2026, 12, 31),
                                           amount=Decimal("3000"), set_by=general_manager)

        # The interviewer opens the interview from the customer's page and records the gift chosen.
        interviewer = watched(sign_in(browser, live_server, "care_wu"), problems)
        interviewer.goto(f"{live_server.url}/customers/{customer.pk}/")
        interviewer.locator("#care-interview-new").click()
        menu = interviewer.locator("#gift-menu")
        expect(menu).to_contain_text("车载香薰礼盒")
        expect(menu).to_contain_text("¥168")
        expect(menu).to_contain_text("定制保温杯")
        expect(menu).not_to_contain_text("售后专用纪念品")
        interviewer.locator("#id_summary").fill("王先生对首保服务满意，喜欢自驾游，想参加车主自驾活动")
        interviewer.locator("#id_gift").select_option(value=str(scent.pk))
        shot(interviewer, "interview")
        interviewer.locator("#interview-save").click()
        interview = Interview.objects.get(customer=customer)
        gift_request = GiftRequest.objects.get(customer=customer)
        expect(interviewer.locator(".alert-success").first).to_contain_text(
            f"面访 {interview.number} 已记入王建华的档案。")
        expect(interviewer.locator("#interview-gift")).to_contain_text("车载香薰礼盒")
        assert (gift_request.gift_id, gift_request.reason, gift_request.status, gift_request.address) == (
            scent.pk, "interview", "requested", "蚌埠市龙子湖区东海大道88号")
        number = gift_request.number

    with time_machine.travel(APPROVAL_DAY, tick=True):
        # The general manager approves it from the queue, after the confirmation.
        manager = watched(sign_in(browser, live_server, "gm_qian"), problems)
        manager.goto(f"{live_server.url}/gifts/approvals/")
        waiting = manager.locator(f"#waiting-{gift_request.pk}")
        expect(waiting).to_contain_text(number)
        expect(waiting).to_contain_text("王建华")
        expect(waiting).to_contain_text("车载香薰礼盒")
        expect(waiting).to_contain_text("吴芳")
        expect(manager.locator("#queue-budget-left")).to_contain_text("3,000")
        shot(manager, "approvals")
        questions: list[str] = []
        manager.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
        waiting.get_by_role("button", name="批准").click()
        expect(manager.locator(".alert-success").first).to_contain_text(f"礼品申请 {number} 已批准：由客服部寄出。")
        expect(manager.locator("#queue-empty")).to_be_visible()
        expect(manager.locator("#queue-budget-left")).to_contain_text("2,832")
        assert questions and number in questions[0]
        budget.refresh_from_db()
        scent.refresh_from_db()
        assert (budget.committed, scent.stock) == (Decimal("168"), 4)

    with time_machine.travel(POSTING_DAY, tick=True):
        # The DCRC posts it with the courier and the number.
        dcrc = watched(sign_in(browser, live_server, "dcrc_sun"), problems)
        dcrc.goto(f"{live_server.url}/gifts/{gift_request.pk}/")
        send = dcrc.locator("#send-form")
        expect(send.locator("#id_send-address")).to_have_value("蚌埠市龙子湖区东海大道88号")
        send.locator("#id_send-courier").fill("顺丰速运")
        send.locator("#id_send-tracking_number").fill("SF1234567890")
        shot(dcrc, "send")
        dcrc.once("dialog", lambda dialog: dialog.accept())
        send.get_by_role("button", name="已寄出").click()
        expect(dcrc.locator(".alert-success").first).to_contain_text(f"礼品 {number} 已登记寄出。")
        gift_request.refresh_from_db()
        assert (gift_request.status, gift_request.courier, gift_request.tracking_number) == (
            "sent", "顺丰速运", "SF1234567890")

        # The customer's timeline tells the interview and each step of the gift.
        dcrc.goto(f"{live_server.url}/customers/{customer.pk}/")
        timeline = dcrc.locator("#timeline")
        expect(timeline).to_contain_text(f"面访 {interview.number}")
        expect(timeline).to_contain_text(f"礼品 {number} 已申请：车载香薰礼盒")
        expect(timeline).to_contain_text(f"礼品 {number} 已由钱伟批准：车载香薰礼盒")
        expect(timeline).to_contain_text(f"礼品 {number} 已寄出：车载香薰礼盒，顺丰速运，单号 SF1234567890")
        shot(dcrc, "timeline")
        for page in (interviewer, manager, dcrc):
            page.context.close()
    assert not problems, "\n".join(problems)
