"""The target group builder (the filters of events.audience as a form, the group's size before
inviting, counted again by htmx as the filters change, saved on the event, input kept on errors) and
inviting (the invitation list made once; by SMS with a marketing template, who would be refused and
why shown before the confirmed send, never twice; by invitation calls on the callback queue), with
who may do it and fixed query counts."""

from datetime import timedelta

import pytest

from dealer_crm.messaging.models import OutboundMessage, SmsTemplate
from events import services
from events.models import Event, Invitation
from followups.callbacks.models import Callback, CallbackKind

from .conftest import NOW, customer_with_car, refuse
from .pages_support import html, part, plan, reader, text, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def store(db):
    """Four customers: two Koleos owners who like golf (one in 蜀山区), a Captur owner, and a Koleos owner
    without a mobile."""
    return {
        "golf": customer_with_car(name="高尔", interests="高尔夫 摄影", address="合肥市蜀山区长江西路1号"),
        "golf2": customer_with_car(name="高夫", interests="高尔夫", address="合肥市包河区"),
        "captur": customer_with_car(name="卡缤主", model_name="卡缤", interests="钓鱼"),
        "nophone": customer_with_car(name="无号", mobile=""),
    }


# --- the target group -----------------------------------------------------------------------------
def test_the_builder_shows_every_filter_and_the_whole_archive_s_size(login, marketing, clock, store):
    event = plan(by=marketing)
    page = html(login(marketing).get(url("event_audience", event.pk)))
    for label in ("品牌", "车型", "爱好兴趣", "会员等级", "重要程度", "最近回厂自", "最近回厂至", "区域", "生日月份", "有手机号"):
        assert label in text(part(page, "audience-form")), label
    assert ">4<" in part(page, "audience-size")
    assert 'hx-get="%s"' % url("audience_count", event.pk) in page


def test_the_size_follows_the_filters_as_they_change(login, marketing, clock, store):
    event = plan(by=marketing)
    client = login(marketing)
    response = client.get(url("audience_count", event.pk), {"models": ["科雷傲"], "interests": "高尔夫"},
                          HTTP_HX_REQUEST="true")
    fragment = html(response)
    assert fragment.lstrip().startswith('<div class="card border-primary') and "<html" not in fragment
    assert ">2<" in part(fragment, "audience-size") and "车型：科雷傲" in text(fragment)
    narrower = html(client.get(url("audience_count", event.pk), {"interests": "高尔夫", "district": "蜀山区"},
                               HTTP_HX_REQUEST="true"))
    assert ">1<" in part(narrower, "audience-size")
    with_mobile = html(client.get(url("audience_count", event.pk), {"models": ["科雷傲"], "has_mobile": "on"},
                                  HTTP_HX_REQUEST="true"))
    assert ">2<" in part(with_mobile, "audience-size")


def test_a_wrong_range_is_told_and_not_counted(login, marketing, clock, store):
    event = plan(by=marketing)
    fragment = html(login(marketing).get(url("audience_count", event.pk),
                                         {"last_visit_after": "2026-10-01", "last_visit_before": "2026-01-01"}))
    assert "请更正条件后查看人数" in text(fragment) and 'id="audience-size"' not in fragment


def test_saving_the_group_keeps_it_on_the_event_and_goes_on_to_inviting(login, marketing, clock, store):
    event = plan(by=marketing)
    client = login(marketing)
    response = client.post(url("event_audience", event.pk), {"models": ["科雷傲"], "interests": "高尔夫",
                                                              "brands": ["renault"]})
    event.refresh_from_db()
    assert response.status_code == 302 and response["Location"] == url("event_invite", event.pk)
    assert event.audience == {"brands": ["renault"], "models": ["科雷傲"], "interests": "高尔夫"}
    assert "目标客户已保存：共 2 位" in text(html(client.get(response["Location"])))
    again = html(client.get(url("event_audience", event.pk)))
    assert 'value="高尔夫"' in again and '<option value="科雷傲" selected>' in again and ">2<" in part(again, "audience-size")


def test_a_group_with_errors_comes_back_as_typed(login, marketing, clock, store):
    event = plan(by=marketing)
    response = login(marketing).post(url("event_audience", event.pk), {
        "interests": "钓鱼", "district": "包河区", "last_visit_after": "2026-10-01", "last_visit_before": "2026-01-01"})
    page = html(response)
    event.refresh_from_db()
    assert response.status_code == 400 and event.audience == {}
    assert "最近到店的时间范围结束早于开始" in text(page) or "结束早于开始" in text(page)
    assert 'value="钓鱼"' in page and 'value="包河区"' in page


def test_only_who_invites_builds_the_group(login, marketing, clock, agent):
    event = plan(by=marketing)
    assert login(agent).get(url("event_audience", event.pk)).status_code == 403
    assert login(reader()).get(url("audience_count", event.pk)).status_code == 403


# --- the invitation list and the SMS ---------------------------------------------------------------
def test_the_invite_page_shows_the_group_size_before_the_list_is_made(login, marketing, clock, store):
    event = plan(by=marketing)
    services.event_audience_set(event=event, filters={"models": ["科雷傲"]}, by=marketing)
    page = html(login(marketing).get(url("event_invite", event.pk)))
    assert "目标客户共 3 位" in text(part(page, "invite-size")) and "车型：科雷傲" in text(page)
    assert "data-confirm=" in part(page, "invite-create-form")


def test_making_the_list_twice_invites_each_customer_once(login, marketing, clock, store):
    event = plan(by=marketing)
    services.event_audience_set(event=event, filters={"models": ["科雷傲"]}, by=marketing)
    client = login(marketing)
    client.post(url("invitations_create", event.pk))
    second = client.post(url("invitations_create", event.pk), follow=True)
    assert Invitation.objects.filter(event=event).count() == 3
    assert "0 位客户已加入邀请名单" in text(html(second))
    assert "名单上有 3 位客户" in text(html(second))


def test_the_sms_check_shows_who_gets_it_and_who_is_refused_and_why(login, marketing, clock, store,
                                                                     invitation_defaults):
    event = plan(by=marketing)
    refuse(store["golf2"], channel="sms", purpose="marketing")
    services.invitations_create(event=event, by=marketing)
    page = html(login(marketing).get(url("event_invite", event.pk), {"template": invitation_defaults.pk}))
    result = part(page, "invite-preview-result")
    assert ">2<" in part(result, "preview-reached") and ">2<" in part(result, "preview-refused")
    reasons = text(part(result, "preview-reasons"))
    assert reasons == "已退订此类短信 1 无手机号 1"
    assert "现在把邀请短信“活动邀约”发给 2 位客户？" in part(result, "invite-sms-form")
    assert not OutboundMessage.objects.exists()  # checking sends nothing


def test_only_marketing_templates_are_offered(login, marketing, clock, invitation_defaults):
    SmsTemplate.objects.create(key="svc_tip", name="保养提醒", purpose="service", text="{name}您好，该保养了")
    event = plan(by=marketing)
    page = html(login(marketing).get(url("event_invite", event.pk)))
    assert "活动邀约" in part(page, "id_template") and "保养提醒" not in part(page, "id_template")
    refused = login(marketing).get(url("event_invite", event.pk), {"template": "999999"})
    assert "请从营销短信模板中选择" in text(html(refused))


def test_sending_queues_each_invitation_once_and_lists_the_guests(login, marketing, clock, store,
                                                                  invitation_defaults):
    event = plan(by=marketing)
    services.invitations_create(event=event, by=marketing)
    client = login(marketing)
    response = client.post(url("invitations_send_sms", event.pk), {"template": invitation_defaults.pk}, follow=True)
    assert response.redirect_chain[-1][0] == url("invitation_list", event.pk)
    assert "3 条邀请短信已进入发送队列" in text(html(response)) and "1 位客户未发短信" in text(html(response))
    again = client.post(url("invitations_send_sms", event.pk), {"template": invitation_defaults.pk}, follow=True)
    assert "0 条邀请短信已进入发送队列" in text(html(again))
    assert OutboundMessage.objects.count() == 3
    row = text(part(html(again), f"invitation-{event.invitations.get(customer=store['nophone']).pk}"))
    assert "未发短信：无手机号" in row


def test_calls_put_the_waiting_invitations_on_the_callback_queue_once(login, marketing, clock, store,
                                                                      invitation_defaults):
    event = plan(by=marketing)
    services.invitations_create(event=event, by=marketing)
    client = login(marketing)
    page = html(client.get(url("event_invite", event.pk)))
    assert "把 4 个邀约电话加入回访队列？" in part(page, "invite-call-form")
    response = client.post(url("invitations_call", event.pk), follow=True)
    assert "个邀约电话已加入回访队列" in text(html(response))
    made = Callback.objects.filter(kind=CallbackKind.INVITATION).count()
    assert made == 3  # the customer without a mobile or a landline cannot be called
    client.post(url("invitations_call", event.pk))
    assert Callback.objects.filter(kind=CallbackKind.INVITATION).count() == made


def test_a_cancelled_event_invites_nobody_more(login, marketing, clock, store, invitation_defaults):
    event = plan(by=marketing)
    services.event_cancel(event=event, by=marketing, reason="延期")
    client = login(marketing)
    response = client.get(url("event_invite", event.pk), follow=True)
    assert "此活动已取消：不再邀请客户" in text(html(response))
    client.post(url("invitations_create", event.pk))
    assert not Invitation.objects.exists() and Event.objects.get().status == Event.Status.CANCELLED


def test_the_invite_page_runs_a_fixed_number_of_queries(login, marketing, clock, store, invitation_defaults,
                                                        django_assert_max_num_queries):
    event = plan(by=marketing)
    services.invitations_create(event=event, by=marketing)
    client = login(marketing)
    client.get(url("event_invite", event.pk), {"template": invitation_defaults.pk})
    with django_assert_max_num_queries(20) as few:
        client.get(url("event_invite", event.pk), {"template": invitation_defaults.pk})
    for n in range(8):
        customer_with_car(name=f"新客{n}")
    services.invitations_create(event=event, by=marketing)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url("event_invite", event.pk), {"template": invitation_defaults.pk})
    assert NOW < event.starts_at - timedelta(days=1)
