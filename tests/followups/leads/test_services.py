"""The lead's workflow (followups/leads/services.py): who may take each step, the states it moves
through, the referral kept in the archive, the buyer added to it when won, and the steps on the lead
and on the customer's timeline."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied

from customers import services as archive
from customers.models import Customer, TimelineEntry
from customers.timeline import entry_text
from followups.leads import services
from followups.leads.models import Lead, LeadStep
from tests.customers.factories import CustomerFactory
from tests.followups.factories import make_callback

from .conftest import MONDAY_10, hand_over

pytestmark = pytest.mark.django_db
S = Lead.Status
TODAY = date(2026, 11, 30)  # MONDAY_10's day in the store's zone


def actions(lead: Lead) -> list[str]:
    return list(lead.steps.values_list("action", flat=True))


def timeline_of(customer: Customer) -> list[tuple[str, str]]:
    """The customer's lead entries as they read in Chinese: (title, detail)."""
    return [tuple(entry_text(kind=entry.kind, params=entry.params, title=entry.title, body=entry.body))
            for entry in customer.timeline.filter(kind=TimelineEntry.Kind.LEAD).order_by("occurred_at", "id")]


# --- handing over -------------------------------------------------------------------------------
def test_an_agent_hands_over_a_caller_as_a_new_unassigned_lead(agent):
    lead = hand_over(by=agent, name=" 王 小明 ", mobile="+86 186-5555-0001", budget="20万", timing="soon",
                     note="想换七座车")
    lead.refresh_from_db()
    assert (lead.status, lead.assigned_to, lead.next_contact_on) == (S.NEW, None, None)
    assert (lead.name, lead.mobile, lead.created_by, lead.created_at) == ("王小明", "18655550001", agent, MONDAY_10)
    assert lead.number == f"XS{lead.pk:06d}"
    assert list(lead.steps.values_list("action", "note", "by")) == [(LeadStep.Action.CREATED, "想换七座车", agent.pk)]


def test_a_caller_not_in_the_archive_needs_a_name_and_a_mobile(agent):
    with pytest.raises(services.LeadError, match="姓名"):
        hand_over(by=agent, name="  ")
    with pytest.raises(services.LeadError, match="手机"):
        hand_over(by=agent, mobile="")
    with pytest.raises(services.LeadError):
        hand_over(by=agent, mobile="05523012345")  # a landline: sales call or text a mobile
    assert not Lead.objects.exists()


def test_a_colleague_without_the_right_cannot_hand_over(outsider):
    with pytest.raises(PermissionDenied):
        hand_over(by=outsider)


def test_a_customer_of_the_archive_is_the_prospect_with_their_own_name_and_mobile(agent):
    customer = CustomerFactory(name="李建国", mobile="13966660001")
    lead = hand_over(by=agent, customer=customer, name="别的名字", mobile="")
    assert (lead.customer, lead.name, lead.mobile) == (customer, "李建国", "13966660001")
    assert timeline_of(customer) == [(f"销售线索 {lead.number}：意向 科雷傲，已转销售", "")]


def test_on_a_call_the_calls_customer_is_the_prospect(agent):
    callback = make_callback(kind="reminder", customer=CustomerFactory(name="赵六"))
    lead = hand_over(by=agent, source="callback", callback=callback)
    assert (lead.customer, lead.callback, lead.name) == (callback.customer, callback, "赵六")


def test_a_call_is_with_its_customer_only(agent):
    callback = make_callback(kind="reminder")
    with pytest.raises(services.LeadError):
        hand_over(by=agent, source="callback", callback=callback, customer=CustomerFactory(name="别人"))


def test_a_customer_cannot_refer_themselves(agent):
    customer = CustomerFactory()
    with pytest.raises(services.LeadError):
        hand_over(by=agent, customer=customer, referred_by=customer, source="referral")


# --- the referral kept in the archive ---------------------------------------------------------------
def test_a_referral_of_an_archive_customer_sets_who_referred_them_through_the_archive(agent):
    referrer, friend = CustomerFactory(name="老客户"), CustomerFactory(name="新朋友")
    lead = hand_over(by=agent, customer=friend, referred_by=referrer, source="referral")
    friend.refresh_from_db()
    assert friend.referred_by == referrer
    # Through the archive's service: its history says who set it.
    latest = friend.history.order_by("-history_date").first()
    assert (latest.referred_by_id, latest.history_user) == (referrer.pk, agent)
    assert timeline_of(referrer) == [(f"转介绍 新朋友 给销售（线索 {lead.number}，意向 科雷傲）", "")]


def test_a_referrer_already_in_the_record_is_kept(agent):
    first, second = CustomerFactory(name="第一位"), CustomerFactory(name="第二位")
    friend = archive.customer_create(by=agent, name="朋友", mobile="13966660002", referred_by=first)
    hand_over(by=agent, customer=friend, referred_by=second, source="referral")
    friend.refresh_from_db()
    assert friend.referred_by == first


def test_a_referred_person_not_in_the_archive_gets_the_referrer_when_they_buy(agent, sales_manager, consultant):
    referrer = CustomerFactory(name="老客户")
    lead = hand_over(by=agent, name="新朋友", mobile="18655550002", referred_by=referrer, source="referral")
    assert lead.customer is None
    services.lead_assign(lead=lead, to=consultant, by=sales_manager, now=MONDAY_10)
    lead = services.lead_win(lead=lead, by=consultant, note="订购科雷傲", now=MONDAY_10 + timedelta(days=3))
    buyer = lead.customer
    assert (buyer.name, buyer.mobile, buyer.referred_by, buyer.source) == ("新朋友", "18655550002", referrer,
                                                                             Customer.Source.REFERRAL)
    assert list(referrer.referrals.all()) == [buyer]
    assert timeline_of(referrer)[-1] == (f"所转介绍的 新朋友 已购车（线索 {lead.number}）", "")


def test_linking_a_referred_lead_to_a_customer_later_sets_the_referrer(agent):
    referrer = CustomerFactory(name="老客户")
    friend = CustomerFactory(name="新朋友", mobile="18655550003")
    lead = hand_over(by=agent, name="新朋友", mobile="18655550003", referred_by=referrer, source="referral")
    services.lead_link(lead=lead, customer=friend, by=agent, now=MONDAY_10 + timedelta(hours=1))
    friend.refresh_from_db()
    assert friend.referred_by == referrer
    assert actions(lead) == ["created", "linked"]
    assert timeline_of(friend) == [(f"销售线索 {lead.number}（新朋友）已关联到此客户", "")]


def test_a_lead_is_linked_once(agent):
    lead = hand_over(by=agent, customer=CustomerFactory())
    with pytest.raises(services.LeadError):
        services.lead_link(lead=lead, customer=CustomerFactory(), by=agent)


def test_only_the_creator_or_who_follows_it_links_a_lead(agent, consultant):
    lead = hand_over(by=agent)
    with pytest.raises(PermissionDenied):
        services.lead_link(lead=lead, customer=CustomerFactory(), by=consultant)


# --- assigning ------------------------------------------------------------------------------------
def test_only_the_sales_manager_assigns(agent, consultant, other_consultant):
    lead = hand_over(by=agent)
    for someone in (agent, consultant):
        with pytest.raises(PermissionDenied):
            services.lead_assign(lead=lead, to=other_consultant, by=someone)


def test_the_manager_gives_the_lead_with_a_first_contact_date_today_by_default(agent, sales_manager, consultant):
    lead = hand_over(by=agent, customer=CustomerFactory(name="钱七"))
    lead = services.lead_assign(lead=lead, to=consultant, by=sales_manager, now=MONDAY_10)
    assert (lead.status, lead.assigned_to, lead.next_contact_on) == (S.ASSIGNED, consultant, TODAY)
    step = lead.steps.get(action="assigned")
    assert (step.to, step.by, step.next_contact_on) == (consultant, sales_manager, TODAY)
    assert timeline_of(lead.customer)[-1] == (f"销售线索 {lead.number} 已分派给 周敏，首次联系 2026-11-30", "")


def test_a_lead_is_given_only_to_who_follows_leads_up(agent, sales_manager):
    lead = hand_over(by=agent)
    with pytest.raises(services.LeadError, match="不跟进销售线索"):
        services.lead_assign(lead=lead, to=agent, by=sales_manager)


def test_the_first_contact_cannot_be_in_the_past(agent, sales_manager, consultant):
    lead = hand_over(by=agent)
    with pytest.raises(services.LeadError, match="不能早于今天"):
        services.lead_assign(lead=lead, to=consultant, by=sales_manager, next_contact_on=TODAY - timedelta(days=1),
                             now=MONDAY_10)


def test_given_again_to_someone_else_a_followed_lead_keeps_its_state(agent, sales_manager, consultant, other_consultant):
    lead = hand_over(by=agent)
    services.lead_assign(lead=lead, to=consultant, by=sales_manager, now=MONDAY_10)
    services.lead_contact(lead=lead, by=consultant, note="约周六看车", next_contact_on=TODAY + timedelta(days=5),
                          now=MONDAY_10)
    lead = services.lead_assign(lead=lead, to=other_consultant, by=sales_manager, now=MONDAY_10)
    assert (lead.status, lead.assigned_to) == (S.FOLLOWING, other_consultant)
    with pytest.raises(services.LeadError, match="已在跟进"):
        services.lead_assign(lead=lead, to=other_consultant, by=sales_manager, now=MONDAY_10)


# --- contacts -------------------------------------------------------------------------------------
@pytest.fixture
def assigned(agent, sales_manager, consultant):
    lead = hand_over(by=agent, customer=CustomerFactory(name="孙八", mobile="13966660003"))
    return services.lead_assign(lead=lead, to=consultant, by=sales_manager, now=MONDAY_10)


def test_the_consultant_records_a_contact_with_the_next_date(assigned, consultant):
    lead = services.lead_contact(lead=assigned, by=consultant, note="客户周六来店试驾",
                                 next_contact_on=date(2026, 12, 5), now=MONDAY_10 + timedelta(hours=2))
    assert (lead.status, lead.next_contact_on) == (S.FOLLOWING, date(2026, 12, 5))
    step = lead.steps.get(action="contacted")
    assert (step.note, step.next_contact_on, step.by) == ("客户周六来店试驾", date(2026, 12, 5), consultant)
    assert timeline_of(lead.customer)[-1] == (f"销售线索 {lead.number}：销售已联系，下次联系 2026-12-05", "客户周六来店试驾")


def test_a_contact_needs_what_was_said_and_a_next_date_not_in_the_past(assigned, consultant):
    with pytest.raises(services.LeadError, match="沟通内容"):
        services.lead_contact(lead=assigned, by=consultant, note=" ", next_contact_on=date(2026, 12, 5), now=MONDAY_10)
    with pytest.raises(services.LeadError, match="下次联系"):
        services.lead_contact(lead=assigned, by=consultant, note="已联系", next_contact_on=None, now=MONDAY_10)
    with pytest.raises(services.LeadError, match="不能早于今天"):
        services.lead_contact(lead=assigned, by=consultant, note="已联系", next_contact_on=date(2026, 11, 29),
                              now=MONDAY_10)
    assert services.lead_contact(lead=assigned, by=consultant, note="已联系", next_contact_on=TODAY,
                                 now=MONDAY_10).next_contact_on == TODAY  # later the same day is fine


def test_another_consultant_or_the_agent_cannot_record_a_contact(assigned, other_consultant, agent):
    for someone in (other_consultant, agent):
        with pytest.raises(PermissionDenied):
            services.lead_contact(lead=assigned, by=someone, note="x", next_contact_on=TODAY, now=MONDAY_10)


def test_the_manager_records_contacts_of_a_given_lead_but_not_of_an_unassigned_one(agent, sales_manager, assigned):
    services.lead_contact(lead=assigned, by=sales_manager, note="经理亲自回电", next_contact_on=TODAY, now=MONDAY_10)
    with pytest.raises(services.LeadError, match="分派"):
        services.lead_contact(lead=hand_over(by=agent), by=sales_manager, note="x", next_contact_on=TODAY, now=MONDAY_10)


# --- won, lost, reopened --------------------------------------------------------------------------
def test_lost_needs_a_reason(assigned, consultant):
    with pytest.raises(services.LeadError, match="原因"):
        services.lead_lose(lead=assigned, by=consultant, reason="  ", now=MONDAY_10)
    lead = services.lead_lose(lead=assigned, by=consultant, reason="已在他店购车", now=MONDAY_10 + timedelta(days=1))
    assert (lead.status, lead.close_reason, lead.next_contact_on) == (S.LOST, "已在他店购车", None)
    assert lead.closed_at == MONDAY_10 + timedelta(days=1)
    assert timeline_of(lead.customer)[-1] == (f"销售线索 {lead.number} 已战败", "已在他店购车")


def test_won_needs_no_reason_and_keeps_the_linked_customer(assigned, consultant):
    customers = Customer.objects.count()
    lead = services.lead_win(lead=assigned, by=consultant, now=MONDAY_10 + timedelta(days=2))
    assert (lead.status, lead.closed_at, lead.next_contact_on) == (S.WON, MONDAY_10 + timedelta(days=2), None)
    assert Customer.objects.count() == customers
    assert timeline_of(lead.customer)[-1] == (f"销售线索 {lead.number}：已成交", "")


def test_a_won_prospect_whose_mobile_is_on_file_is_linked_first_or_said_to_be_new(agent, sales_manager):
    """The delivery may be imported before the lead is won (the buyer is on file), or the number is a
    relative's: the user says which, the lead is never linked to someone by guess."""
    on_file = CustomerFactory(name="王晓明", mobile="18655550004")
    lead = hand_over(by=agent, mobile="18655550004")
    with pytest.raises(services.LeadError, match="王晓明"):
        services.lead_win(lead=lead, by=sales_manager, now=MONDAY_10)
    assert Lead.objects.get(pk=lead.pk).status == S.NEW
    services.lead_link(lead=lead, customer=on_file, by=sales_manager, now=MONDAY_10)
    lead = services.lead_win(lead=lead, by=sales_manager, now=MONDAY_10 + timedelta(minutes=1))
    assert lead.customer == on_file and actions(lead) == ["created", "linked", "won"]


def test_a_buyer_said_to_be_new_is_added_though_a_relative_has_the_number(agent, sales_manager):
    relative = CustomerFactory(name="王父", mobile="13966660009")
    archive.customer_update(customer=relative, by=agent, phone2="18655550005")
    lead = hand_over(by=agent, name="王小明", mobile="18655550005")
    with pytest.raises(services.LeadError, match="王父"):  # the other phone counts too
        services.lead_win(lead=lead, by=sales_manager, now=MONDAY_10)
    lead = services.lead_win(lead=lead, by=sales_manager, new_customer=True, now=MONDAY_10)
    assert lead.customer != relative and (lead.customer.name, lead.customer.mobile) == ("王小明", "18655550005")


def test_a_closed_lead_takes_no_more_steps(assigned, consultant, sales_manager, other_consultant):
    services.lead_win(lead=assigned, by=consultant, now=MONDAY_10)
    with pytest.raises(services.LeadError):
        services.lead_contact(lead=assigned, by=consultant, note="x", next_contact_on=TODAY, now=MONDAY_10)
    with pytest.raises(services.LeadError):
        services.lead_lose(lead=assigned, by=consultant, reason="x", now=MONDAY_10)
    with pytest.raises(services.LeadError):
        services.lead_assign(lead=assigned, to=other_consultant, by=sales_manager, now=MONDAY_10)


def test_only_the_manager_reopens_with_a_reason_and_the_consultant_contacts_today(assigned, consultant, sales_manager):
    services.lead_lose(lead=assigned, by=consultant, reason="暂不购车", now=MONDAY_10)
    with pytest.raises(PermissionDenied):
        services.lead_reopen(lead=assigned, by=consultant, note="客户回电")
    with pytest.raises(services.LeadError, match="原因"):
        services.lead_reopen(lead=assigned, by=sales_manager, note="")
    lead = services.lead_reopen(lead=assigned, by=sales_manager, note="客户回电又想买了",
                                now=MONDAY_10 + timedelta(days=10))
    assert (lead.status, lead.assigned_to, lead.closed_at, lead.close_reason) == (S.ASSIGNED, consultant, None, "")
    assert lead.next_contact_on == TODAY + timedelta(days=10)
    assert actions(lead) == ["created", "assigned", "lost", "reopened"]
    with pytest.raises(services.LeadError):
        services.lead_reopen(lead=lead, by=sales_manager, note="again")


def test_the_whole_story_is_on_the_lead_and_on_the_customers_timeline(assigned, consultant):
    services.lead_contact(lead=assigned, by=consultant, note="发送报价", next_contact_on=date(2026, 12, 2),
                          now=MONDAY_10 + timedelta(hours=1))
    services.lead_win(lead=assigned, by=consultant, note="订购科雷傲", now=MONDAY_10 + timedelta(days=2))
    assert actions(assigned) == ["created", "assigned", "contacted", "won"]
    number = assigned.number
    assert [title for title, _body in timeline_of(assigned.customer)] == [
        f"销售线索 {number}：意向 科雷傲，已转销售", f"销售线索 {number} 已分派给 周敏，首次联系 2026-11-30",
        f"销售线索 {number}：销售已联系，下次联系 2026-12-02", f"销售线索 {number}：已成交"]


# --- the mobile -----------------------------------------------------------------------------------
def test_revealing_the_prospects_mobile_is_for_who_calls_them_and_is_logged(assigned, consultant, other_consultant):
    from dealer_crm.audit.models import AuditEvent

    assert services.lead_mobile_reveal(lead=assigned, by=consultant) == "13966660003"
    event = AuditEvent.objects.get(action=AuditEvent.Action.PHONE_REVEAL, target_id=str(assigned.pk))
    assert (event.actor, event.target_type) == (consultant, "leads.lead")
    with pytest.raises(PermissionDenied):
        services.lead_mobile_reveal(lead=assigned, by=other_consultant)
