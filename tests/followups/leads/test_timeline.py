"""The lead's steps on the customer's timeline, as the customer page shows them (in Chinese, and in
English for an English reader: the entries store codes and names, the words come when read), and the
referral on the referrer's timeline and in their record."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from followups.leads import services
from tests.customers.factories import CustomerFactory

from .conftest import MONDAY_10, hand_over, html

pytestmark = pytest.mark.django_db


def timeline(client, customer) -> str:
    return html(client.get(reverse("customers:timeline", args=[customer.pk])))


def test_the_prospects_timeline_tells_each_step(login, agent, sales_manager, consultant):
    customer = CustomerFactory(name="李建国")
    lead = hand_over(by=agent, customer=customer, model_interest="卡缤")
    services.lead_assign(lead=lead, to=consultant, by=sales_manager, next_contact_on=date(2026, 12, 1),
                         now=MONDAY_10 + timedelta(minutes=1))
    services.lead_contact(lead=lead, by=consultant, note="客户周六来店试驾", next_contact_on=date(2026, 12, 5),
                          now=MONDAY_10 + timedelta(minutes=2))
    services.lead_lose(lead=lead, by=consultant, reason="选择了其他品牌", now=MONDAY_10 + timedelta(minutes=3))
    page = timeline(login(agent), customer)
    for text in (f"销售线索 {lead.number}：意向 卡缤，已转销售", f"销售线索 {lead.number} 已分派给 周敏，首次联系 2026-12-01",
                 f"销售线索 {lead.number}：销售已联系，下次联系 2026-12-05", "客户周六来店试驾",
                 f"销售线索 {lead.number} 已战败", "选择了其他品牌"):
        assert text in page


def test_an_english_reader_reads_the_same_entries_in_english(login, agent, sales_manager, consultant):
    customer = CustomerFactory(name="李建国")
    lead = hand_over(by=agent, customer=customer, model_interest="卡缤")
    services.lead_assign(lead=lead, to=consultant, by=sales_manager, now=MONDAY_10)
    client = login(agent)
    client.post(reverse("set_language"), {"language": "en"})
    page = timeline(client, customer)
    assert f"Sales lead {lead.number}: interested in 卡缤, handed over to sales" in page
    assert f"Sales lead {lead.number} given to 周敏" in page


def test_the_referrer_is_told_and_kept_in_the_referred_customers_record(login, agent, sales_manager, consultant):
    referrer = CustomerFactory(name="老客户")
    lead = hand_over(by=agent, name="新朋友", mobile="18655556001", referred_by=referrer, source="referral",
                     model_interest="")
    services.lead_assign(lead=lead, to=consultant, by=sales_manager, now=MONDAY_10)
    services.lead_win(lead=lead, by=consultant, now=MONDAY_10 + timedelta(days=1))
    client = login(agent)
    page = timeline(client, referrer)
    assert f"转介绍 新朋友 给销售（线索 {lead.number}，意向 未定车型）" in page
    assert f"所转介绍的 新朋友 已购车（线索 {lead.number}）" in page
    lead.refresh_from_db()
    assert lead.customer.referred_by == referrer
    # The buyer's own page names who referred them (the archive's field, shown by the archive's page).
    assert "老客户" in html(client.get(reverse("customers:detail", args=[lead.customer.pk])))
