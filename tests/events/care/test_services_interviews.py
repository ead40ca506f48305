"""interview_record: the file filled in through the archive's services (its history names who changed
what; a colleague's change meanwhile stops the save), the family and their birthdays, suggestions that
go to a department as problems, referrals handed to sales as leads, the gift chosen from the menu as a
request for the general manager, the important-customer form, the timeline entry — and nothing half
recorded when one of them is refused."""

from datetime import date

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from customers import services as archive
from customers.edits import fingerprints
from customers.models import Customer, FamilyMember, TimelineEntry
from customers.timeline import entry_text
from events.care import services
from events.care.models import ImportantCustomerForm, Interview, Referral, Suggestion
from events.gifts.models import GiftRequest
from followups.callbacks.models import Problem
from followups.leads.models import Lead

from .conftest import AT_10

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _thursday():
    with time_machine.travel(AT_10, tick=False):
        yield


def record(customer, by, **kwargs):
    return services.interview_record(customer=customer, by=by, **kwargs)


def base_of(customer, *names):
    return fingerprints({name: getattr(customer, name) for name in names})


def test_it_fills_in_the_file_and_its_history_names_the_interviewer(interviewer, customer):
    base = base_of(customer, "occupation", "interests", "expectations", "social_level")
    interview = record(customer, interviewer, summary="聊了用车情况", file_base=base, file={
        "occupation": "中学教师", "social_level": "教育系统", "interests": "钓鱼、摄影",
        "expectations": "保养时能有代步车"})
    customer.refresh_from_db()
    assert (customer.occupation, customer.social_level, customer.interests, customer.expectations) == (
        "中学教师", "教育系统", "钓鱼、摄影", "保养时能有代步车")
    assert sorted(interview.file_fields) == ["expectations", "interests", "occupation", "social_level"]
    latest = customer.history.order_by("-history_id").first()
    assert latest.history_user == interviewer and latest.occupation == "中学教师"


def test_a_field_left_as_it_was_is_not_written(interviewer, customer):
    base = base_of(customer, "occupation", "interests")
    interview = record(customer, interviewer, file_base=base, file={"occupation": "医生", "interests": "钓鱼"})
    assert interview.file_fields == ["occupation"]


def test_a_colleague_s_change_meanwhile_stops_the_save_and_nothing_is_recorded(interviewer, supervisor, customer):
    base = base_of(customer, "occupation", "interests")
    archive.customer_update(customer=customer, by=supervisor, occupation="律师")
    with pytest.raises(services.CareError) as refused:
        record(customer, interviewer, file_base=base, file={"occupation": "医生", "interests": "钓鱼"},
               suggestions=[{"text": "休息区太吵"}])
    assert "律师" in str(refused.value)
    customer.refresh_from_db()
    assert customer.occupation == "律师"
    assert not Interview.objects.exists() and not Suggestion.objects.exists()


def test_the_family_gains_a_child_and_an_existing_child_s_birthday_is_corrected(interviewer, customer):
    child = customer.family.get()
    interview = record(customer, interviewer, family=[
        {"member": child, "relation": "child", "name": "王小雨", "birthday": date(2018, 12, 9), "note": ""},
        {"member": None, "relation": "spouse", "name": "李芳", "birthday": date(1986, 5, 20), "note": "喜欢花"},
        {"member": None, "relation": "", "name": "", "birthday": None, "note": ""},
    ])
    child.refresh_from_db()
    assert child.birthday == date(2018, 12, 9)
    spouse = FamilyMember.objects.get(customer=customer, relation="spouse")
    assert (spouse.name, spouse.birthday, spouse.note) == ("李芳", date(1986, 5, 20), "喜欢花")
    assert interview.family_changed == 2
    assert spouse.history.order_by("-history_id").first().history_user == interviewer


def test_an_unchanged_family_member_is_not_counted(interviewer, customer):
    child = customer.family.get()
    interview = record(customer, interviewer, family=[
        {"member": child, "relation": "child", "name": "王小雨", "birthday": child.birthday, "note": ""}])
    assert interview.family_changed == 0


def test_a_suggestion_for_a_department_becomes_a_problem_in_its_inbox(interviewer, customer):
    interview = record(customer, interviewer, suggestions=[
        {"text": "保养等待时间太长，希望能预约快保", "department": "service", "category": "waiting"},
        {"text": "休息区可以放些儿童绘本", "department": ""},
    ])
    routed, kept = interview.suggestions.order_by("id")
    problem = Problem.objects.get()
    assert routed.problem == problem and kept.problem is None
    assert (problem.customer, problem.department, problem.category, problem.status, problem.raised_by) == (
        customer, "service", "waiting", Problem.Status.OPEN, interviewer)
    assert problem.description == "保养等待时间太长，希望能预约快保" and problem.callback is None
    assert TimelineEntry.objects.filter(customer=customer, kind=TimelineEntry.Kind.PROBLEM).count() == 1


def test_the_lounge_host_records_suggestions_but_does_not_route_them(host, customer):
    with pytest.raises(services.CareError, match="不能把问题转给部门|does not send problems"):
        record(customer, host, suggestions=[{"text": "洗车太慢", "department": "service", "category": "waiting"}])
    interview = record(customer, host, suggestions=[{"text": "洗车太慢", "department": ""}])
    assert interview.suggestions.get().problem is None and not Problem.objects.exists()


def test_a_referral_is_a_lead_for_sales_referred_by_the_customer(interviewer, customer):
    interview = record(customer, interviewer, referrals=[
        {"name": "赵强", "mobile": "139 5555 0202", "model_interest": "科雷嘉", "timing": "soon", "note": ""}])
    lead = Referral.objects.get(interview=interview).lead
    assert (lead.name, lead.mobile, lead.source, lead.referred_by, lead.model_interest, lead.timing, lead.status) == (
        "赵强", "13955550202", Lead.Source.REFERRAL, customer, "科雷嘉", "soon", Lead.Status.NEW)
    assert interview.number in lead.note
    assert TimelineEntry.objects.filter(customer=customer, kind=TimelineEntry.Kind.LEAD).exists()


def test_a_referral_s_wrong_mobile_refuses_the_whole_interview(interviewer, customer):
    with pytest.raises(services.CareError, match="赵强"):
        record(customer, interviewer, summary="谈得很好", suggestions=[{"text": "很好"}],
               referrals=[{"name": "赵强", "mobile": "12345", "model_interest": ""}])
    assert not Interview.objects.exists() and not Lead.objects.exists() and not Suggestion.objects.exists()


def test_the_gift_chosen_from_the_menu_waits_for_the_general_manager(interviewer, customer, gifts):
    interview = record(customer, interviewer, gift=gifts["toy"], gift_family_member=customer.family.get())
    request = GiftRequest.objects.get()
    assert interview.gift_request == request
    assert (request.reason, request.status, request.gift, request.requested_by, request.family_member) == (
        "interview", GiftRequest.Status.REQUESTED, gifts["toy"], interviewer, customer.family.get())
    assert request.address == "芜湖市镜湖区北京路18号" and interview.number in request.note


def test_a_gift_out_of_stock_refuses_the_interview(interviewer, customer, gifts):
    with pytest.raises(services.CareError):
        record(customer, interviewer, gift=gifts["gone"], file={"occupation": "医生"})
    customer.refresh_from_db()
    assert customer.occupation == "" and not Interview.objects.exists() and not GiftRequest.objects.exists()


def test_the_lounge_host_does_not_request_gifts(host, customer, gifts):
    with pytest.raises(services.CareError):
        record(customer, host, gift=gifts["tea"])


def test_the_important_customer_form_is_kept_when_filled_in(interviewer, customer):
    interview = record(customer, interviewer, important={
        "company": "芜湖奇瑞配套公司", "position": "总经理", "family_vehicles": "妻子开科雷嘉",
        "decision_maker": "本人", "preferred_contact": "wechat", "notes": "周末不接电话", "best_time": ""})
    form = ImportantCustomerForm.objects.get(interview=interview)
    assert (form.company, form.position, form.preferred_contact, form.notes) == (
        "芜湖奇瑞配套公司", "总经理", "wechat", "周末不接电话")
    empty = record(customer, interviewer, important={"company": "", "position": ""})
    assert not ImportantCustomerForm.objects.filter(interview=empty).exists()


def test_the_interview_is_on_the_timeline_in_one_line(interviewer, customer, gifts):
    interview = record(customer, interviewer, summary="聊了孩子的学习", place="home",
                       file={"occupation": "医生"}, suggestions=[{"text": "好", "department": "sales",
                                                                  "category": "staff"}],
                       referrals=[{"name": "赵强", "mobile": "13955550202"}], gift=gifts["tea"],
                       important={"company": "芜湖医院"})
    entry = TimelineEntry.objects.get(customer=customer, kind=TimelineEntry.Kind.INTERVIEW)
    assert entry.source_id == str(interview.pk) and entry.created_by == interviewer
    text = entry_text(kind=entry.kind, params=entry.params, title=entry.title, body=entry.body)
    assert text.title.startswith(f"面访 {interview.number}（上门）")
    assert "；1 条建议" in text.title
    for words in ("职业", "1 条建议", "1 条转部门", "1 位转介绍", "黄山毛峰礼盒", "重要客户面访表"):
        assert words in text.title
    assert text.body == "聊了孩子的学习"


def test_who_may_not_interview_is_refused(marketing, customer):
    with pytest.raises(PermissionDenied):
        record(customer, marketing)


def test_a_merged_customer_is_refused(interviewer, supervisor, customer):
    survivor = Customer.objects.create(name="王建华", mobile="13955550999")
    archive.customer_merge(survivor=survivor, duplicate=customer, by=supervisor)
    customer = Customer.all_objects.get(pk=customer.pk)
    with pytest.raises(services.CareError, match=str(survivor.pk)):
        record(customer, interviewer)


def test_an_interview_time_in_the_future_is_refused(interviewer, customer):
    from datetime import timedelta

    with pytest.raises(services.CareError):
        record(customer, interviewer, held_at=AT_10 + timedelta(hours=2))
