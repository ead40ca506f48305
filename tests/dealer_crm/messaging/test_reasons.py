"""Why a message failed is stored as a code with its detail and shown in the reader's language:
the outbox, a bulk send's recipients and a customer's messages in Chinese or English, whatever
language the worker ran in; the gateway's own words verbatim in both; the old English texts
migrated to codes and back."""

from datetime import datetime
from importlib import import_module
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.urls import reverse
from django.utils import translation

from customers import services as archive
from dealer_crm.accounts.roles import Role, sync_role_permissions
from dealer_crm.messaging import reasons, services
from dealer_crm.messaging.gateways.base import REJECTED, TEMPORARY, UNKNOWN, Gateway, Result
from dealer_crm.messaging.models import BulkSend, DeliveryReceipt, OutboundMessage, Purpose
from tests.factories import UserFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAYTIME = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)
Status = OutboundMessage.Status
migration = import_module("dealer_crm.messaging.migrations.0004_reason_code")


@pytest.fixture(autouse=True)
def _setup(db, settings, tmp_path):
    sync_role_permissions()
    settings.SMS_GATEWAY = "console"
    settings.SMS_CONSOLE_FILE = str(tmp_path / "sms.log")
    settings.SMS_RATE_LIMIT = 0
    settings.SMS_MAX_ATTEMPTS = 1
    with time_machine.travel(DAYTIME, tick=False):
        yield


class Answers(Gateway):
    """The gateway's answer for every message: only the HTTP call is faked."""

    name = "fake"

    def __init__(self, outcome: str, *, reason: str = "", code: str = ""):
        self.outcome, self.reason, self.code = outcome, reason, code

    def send(self, messages):
        return [Result(id=m.id, outcome=self.outcome, reason=self.reason, code=self.code) for m in messages]


@pytest.fixture
def keeper():
    return UserFactory(roles=[Role.CALLBACK_AGENT])


def _customer(keeper, n: int):
    return archive.customer_create(by=keeper, name=f"客户{n}", mobile=f"1391234{n:04d}")


def _sent_through(gateway: Gateway, who, *, key: str = "a", bulk: BulkSend | None = None) -> OutboundMessage:
    """A message queued and dispatched while the worker speaks Chinese, as the default language."""
    with translation.override("zh-hans"):
        message = services.message_queue(customer_id=who.pk, purpose=Purpose.SERVICE, text="您的车已修好。",
                                         idempotency_key=key).message
        if bulk is not None:
            OutboundMessage.objects.filter(pk=message.pk).update(bulk=bulk)
        services.dispatch(gateway=gateway)
    return OutboundMessage.objects.get(pk=message.pk)


def _page(client, url: str, language: str) -> str:
    client.cookies["django_language"] = language
    return client.get(url).content.decode()


def test_a_timeout_is_stored_as_a_code_and_shown_in_the_readers_language(login, supervisor, keeper):
    message = _sent_through(Answers(UNKNOWN, code=reasons.TIMEOUT), _customer(keeper, 1))
    assert (message.status, message.reason_code, message.reason) == (Status.UNKNOWN, reasons.TIMEOUT, "")

    client = login(supervisor)
    chinese = _page(client, reverse("messaging:outbox"), "zh-hans")
    english = _page(client, reverse("messaging:outbox"), "en")

    assert "网关未及时响应。" in chinese and "did not answer" not in chinese
    assert "The gateway did not answer in time." in english and "网关未及时响应" not in english


def test_the_gateways_own_words_are_shown_as_it_wrote_them_in_every_language(login, supervisor, keeper):
    words = "InvalidParameterValue.IncorrectPhoneNumber: 手机号格式错误"
    message = _sent_through(Answers(REJECTED, reason=words), _customer(keeper, 1))
    assert (message.status, message.reason_code, message.reason) == (Status.FAILED, reasons.GATEWAY, words)

    client = login(supervisor)
    for language in ("zh-hans", "en"):
        assert words in _page(client, reverse("messaging:outbox"), language)


def test_giving_up_shows_the_attempts_and_the_last_answer_in_the_readers_language(login, supervisor, keeper):
    message = _sent_through(Answers(TEMPORARY, reason="HTTP 503", code=reasons.HTTP_ERROR), _customer(keeper, 1))
    assert (message.reason_code, message.reason) == (reasons.TEMPORARY_GAVE_UP, "HTTP 503")

    client = login(supervisor)
    assert "尝试 1 次后放弃：HTTP 503" in _page(client, reverse("messaging:outbox"), "zh-hans")
    assert "Given up at attempt 1: HTTP 503" in _page(client, reverse("messaging:outbox"), "en")


def test_a_bulk_sends_recipients_show_their_reasons_in_the_readers_language(login, supervisor, keeper):
    bulk = BulkSend.objects.create(text="您的车已修好。", purpose=Purpose.SERVICE, created_by=supervisor,
                                   recipients=1, status=BulkSend.Status.QUEUED)
    _sent_through(Answers(UNKNOWN, reason="ReadTimeout", code=reasons.CONNECTION_BROKEN), _customer(keeper, 1), bulk=bulk)

    client = login(supervisor)
    url = reverse("messaging:bulk_detail", args=[bulk.pk])
    assert "调用过程中与网关的连接中断：ReadTimeout" in _page(client, url, "zh-hans")
    assert "The connection to the gateway broke during the call: ReadTimeout" in _page(client, url, "en")


def test_a_customers_messages_show_a_failed_receipt_with_the_carriers_words(login, supervisor, keeper):
    who = _customer(keeper, 1)
    message = _sent_through(Answers("accepted"), who)
    services.receipts_record(gateway_name="fake", receipts=[
        services.Receipt(id=message.pk, delivered=False, reason="MK:0001: 空号")])
    message.refresh_from_db()
    assert (message.reason_code, message.reason) == (reasons.UNDELIVERED, "MK:0001: 空号")

    client = login(supervisor)
    url = reverse("customers:sms_card", args=[who.pk])  # the card the customer's page loads
    assert "未送达：MK:0001: 空号" in _page(client, url, "zh-hans")
    assert "Not delivered: MK:0001: 空号" in _page(client, url, "en")


def test_a_persons_decision_names_them_in_the_readers_language(supervisor, keeper):
    message = _sent_through(Answers(UNKNOWN, code=reasons.TIMEOUT), _customer(keeper, 1))
    services.message_decide_unknown(message=message, by=supervisor, resend=False)
    message.refresh_from_db()
    assert (message.reason_code, message.reason) == (reasons.FAILED_BY_PERSON, supervisor.username)
    with translation.override("en"):
        assert message.reason_text == f"Marked as failed by {supervisor.username}."
    with translation.override("zh-hans"):
        assert message.reason_text == f"已由 {supervisor.username} 标记为失败。"


def test_every_code_has_a_text_in_both_languages():
    for code in reasons.CODES:
        for language in ("zh-hans", "en"):
            with translation.override(language):
                assert reasons.reason_text(code, "x", attempts=2)
                assert reasons.reason_text(code, "", attempts=2)
    with translation.override("zh-hans"):
        untranslated = [code for code in reasons.CODES if code != reasons.GATEWAY
                        and reasons.reason_text(code, "", attempts=2).isascii()]
    assert untranslated == []


# --- the migration of the texts stored before ---------------------------------------------------
def _old_row(who, n: int, *, status: str, reason: str, attempts: int = 1) -> OutboundMessage:
    return OutboundMessage.objects.create(customer=who, phone=who.mobile, text="您好。", purpose=Purpose.SERVICE,
                                          idempotency_key=f"old:{n}", status=status, reason=reason,
                                          not_before=DAYTIME, attempts=attempts)


def test_the_migration_turns_the_old_texts_into_codes_and_back(keeper, supervisor):
    who = _customer(keeper, 1)
    old = {
        "timeout": _old_row(who, 1, status=Status.UNKNOWN, reason="The gateway did not answer in time."),
        "refused": _old_row(who, 2, status=Status.CANCELLED, reason="排队后客户已拒收。"),
        "gave_up": _old_row(who, 3, status=Status.FAILED, attempts=5,
                            reason="Gave up after 5 attempts: No connection to the gateway: ConnectionError"),
        "gave_up_zh": _old_row(who, 4, status=Status.FAILED, attempts=5, reason="尝试 5 次后放弃：HTTP 503"),
        "by": _old_row(who, 5, status=Status.FAILED, reason=f"已由 {supervisor.username} 标记为失败。"),
        "gateway": _old_row(who, 6, status=Status.FAILED, reason="isv.MOBILE_NUMBER_ILLEGAL: 非法手机号"),
        "receipt": _old_row(who, 7, status=Status.FAILED, reason="停机"),
        "no_id": _old_row(who, 8, status=Status.FAILED, reason="The template has no Tencent template ID."),
        "delivered": _old_row(who, 9, status=Status.DELIVERED, reason=""),
    }
    DeliveryReceipt.objects.create(message=old["receipt"], delivered=False, reason="停机", gateway="aliyun")

    migration.forwards(apps, None)

    stored = {name: OutboundMessage.objects.values_list("reason_code", "reason").get(pk=row.pk)
              for name, row in old.items()}
    assert stored == {
        "timeout": (reasons.TIMEOUT, ""),
        "refused": (reasons.REFUSED_AT_SEND, ""),
        "gave_up": (reasons.TEMPORARY_GAVE_UP, "ConnectionError"),
        "gave_up_zh": (reasons.TEMPORARY_GAVE_UP, "HTTP 503"),
        "by": (reasons.FAILED_BY_PERSON, supervisor.username),
        "gateway": (reasons.GATEWAY, "isv.MOBILE_NUMBER_ILLEGAL: 非法手机号"),
        "receipt": (reasons.UNDELIVERED, "停机"),
        "no_id": (reasons.NO_TEMPLATE_ID, "tencent"),
        "delivered": ("", ""),
    }
    with translation.override("en"):
        assert OutboundMessage.objects.get(pk=old["refused"].pk).reason_text == "The customer refused it after it was queued."

    migration.backwards(apps, None)

    back = dict(OutboundMessage.objects.filter(pk__in=[row.pk for row in old.values()]).values_list("pk", "reason"))
    assert back[old["timeout"].pk] == "The gateway did not answer in time."
    assert back[old["refused"].pk] == "The customer refused it after it was queued."
    assert back[old["gave_up_zh"].pk] == "Gave up after 5 attempts: HTTP 503"
    assert back[old["by"].pk] == f"Marked as failed by {supervisor.username}."
    assert back[old["gateway"].pk] == "isv.MOBILE_NUMBER_ILLEGAL: 非法手机号"
    assert back[old["no_id"].pk] == "The template has no Tencent template ID."
    assert set(OutboundMessage.objects.values_list("reason_code", flat=True)) == {""}


def test_a_template_without_an_id_at_the_gateway_names_the_gateway_as_the_pages_do():
    with translation.override("zh-hans"):
        assert reasons.reason_text(reasons.NO_TEMPLATE_ID, "tencent") == "该模板在网关 腾讯云 没有审核通过的模板ID。"
    with translation.override("en"):
        assert reasons.reason_text(reasons.NO_TEMPLATE_ID, "aliyun") == "The template has no approved ID at the gateway Aliyun."
