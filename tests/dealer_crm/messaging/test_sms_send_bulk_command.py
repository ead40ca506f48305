"""`manage.py sms_send_bulk`: the counts without --confirm, the exact JSON, --wait with the
dispatcher running beside it (in-process, or a real worker through Redis), free text only where the
gateway sends it, uploads, the sender."""

import io
import json
import threading
import time

import pytest
import time_machine
from django.core.management import CommandError, call_command

from dealer_crm.accounts.roles import Role, sync_role_permissions
from dealer_crm.messaging import services
from dealer_crm.messaging.gateways import GATEWAYS
from dealer_crm.messaging.gateways.base import Gateway, Reply
from dealer_crm.messaging.models import BulkSend, OutboundMessage
from tests.customers.factories import workbook
from tests.dealer_crm.messaging.test_bulk_pages import DAYTIME, AnswersGateway, mitsubishi_archive
from tests.factories import UserFactory

EXCLUDED = {"opted_out": 2, "no_mobile": 1, "duplicate_mobile": 1}
Status = OutboundMessage.Status


@pytest.fixture
def store(db):
    sync_role_permissions()
    UserFactory(username="root", is_superuser=True, is_staff=True)
    return mitsubishi_archive()


@pytest.fixture
def daytime():
    with time_machine.travel(DAYTIME, tick=False):
        yield


def run(*args) -> str:
    out = io.StringIO()
    call_command("sms_send_bulk", *args, stdout=out)
    return out.getvalue()


def run_json(*args) -> dict:
    out = run(*args, "--json")
    assert out.count("\n") == 1  # one line, nothing else
    return json.loads(out)


SPRING = ["--template", "spring_event", "--filter", "brand=mitsubishi", "--date", "2026-12-12"]


def test_without_confirm_it_prints_the_counts_and_queues_nothing(store, daytime):
    summary = run_json(*SPRING)
    assert summary == {"recipients": 6, "excluded": EXCLUDED, "queued": 0}
    assert list(summary) == ["recipients", "excluded", "queued"]
    assert BulkSend.objects.count() == 0 and OutboundMessage.objects.count() == 0


def test_its_plain_output_says_the_counts_and_that_nothing_was_queued(store, daytime):
    out = run(*SPRING)
    assert "Nothing queued" in out and "Recipients: 6" in out and "Excluded: 4" in out
    assert "(opted_out): 2" in out and "(duplicate_mobile): 1" in out


def test_confirmed_it_queues_a_message_per_recipient_as_the_first_superuser(store, daytime):
    summary = run_json(*SPRING, "--confirm")
    assert summary == {"recipients": 6, "excluded": EXCLUDED, "queued": 6}
    bulk = BulkSend.objects.get()
    assert bulk.created_by.username == "root" and bulk.status == BulkSend.Status.QUEUED
    refusing = {customer.pk for customer in store["refusing"]}
    assert not OutboundMessage.objects.filter(customer_id__in=refusing).exists()
    assert set(OutboundMessage.objects.values_list("text", flat=True)) >= {
        "三菱车主0先生您好，雷诺汽车4S店将于12月12日举办春季保养活动，欢迎光临。 回T退订"}


@pytest.fixture
def dispatcher():
    """The dispatcher running beside the command, as a worker would, on its own connection."""
    from django.db import connections

    stop = threading.Event()

    def loop():
        try:
            while not stop.is_set():
                services.dispatch(gateway=AnswersGateway(), budget_seconds=1)
                time.sleep(0.05)
        finally:
            connections.close_all()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(10)


@pytest.mark.django_db(transaction=True)
def test_with_wait_it_returns_when_every_message_is_settled(store, daytime, dispatcher):
    AnswersGateway.refuse = {"13900000004"}
    summary = run_json(*SPRING, "--confirm", "--wait", "--timeout", "30")
    assert summary == {"recipients": 6, "excluded": EXCLUDED, "queued": 6, "sent": 5, "failed": 1, "unknown": 0}
    assert list(summary) == ["recipients", "excluded", "queued", "sent", "failed", "unknown"]
    assert not OutboundMessage.objects.filter(status__in=[Status.QUEUED, Status.SENDING]).exists()
    assert BulkSend.objects.get().status == BulkSend.Status.DONE


def test_wait_gives_up_after_its_timeout(store, daytime):
    with pytest.raises(CommandError, match="still waiting after 0.2 s"):
        run(*SPRING, "--confirm", "--wait", "--timeout", "0.2")


@pytest.fixture
def worker_env(monkeypatch, tmp_path, settings):
    """The worker process runs on the real clock: no quiet hours for it (nor for this process), and
    its console gateway writes where the test reads."""
    monkeypatch.setenv("SMS_QUIET_HOURS", "")
    monkeypatch.setenv("SMS_CONSOLE_FILE", str(tmp_path / "sms.log"))
    settings.SMS_QUIET_HOURS = ""
    return tmp_path / "sms.log"


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_with_wait_it_returns_when_a_real_worker_has_sent_them(worker_env, store, celery_worker):
    summary = run_json(*SPRING, "--confirm", "--wait", "--timeout", "60")
    if celery_worker.poll() is None:
        celery_worker.terminate()
    output, _ = celery_worker.communicate(timeout=30)
    assert summary == {"recipients": 6, "excluded": EXCLUDED, "queued": 6, "sent": 6, "failed": 0, "unknown": 0}, output
    sent = [json.loads(line) for line in worker_env.read_text(encoding="utf-8").splitlines()]
    assert sorted(line["phone"] for line in sent) == sorted(OutboundMessage.objects.values_list("phone", flat=True))
    assert "dispatch_task" in output and "succeeded" in output


def test_free_text_goes_on_a_gateway_that_sends_it(store, daytime):
    summary = run_json("--text", "本周六门店停电，暂停营业一天。", "--purpose", "notice", "--filter", "brand=mitsubishi",
                       "--confirm")
    assert summary == {"recipients": 8, "excluded": {"no_mobile": 1, "duplicate_mobile": 1}, "queued": 8}


class TemplatesOnlyGateway(Gateway):
    name = "templates_only"
    free_text = False

    def template_code(self, template) -> str:
        return "SMS_1"


def test_free_text_is_refused_on_a_gateway_that_sends_only_templates(store, daytime, settings, monkeypatch):
    monkeypatch.setitem(GATEWAYS, "templates_only", f"{__name__}.TemplatesOnlyGateway")
    settings.SMS_GATEWAY = "templates_only"
    with pytest.raises(CommandError, match="sends only approved templates"):
        run("--text", "本周六门店停电。", "--purpose", "notice", "--filter", "brand=mitsubishi")
    assert run_json(*SPRING)["recipients"] == 6  # its templates still go


def test_text_needs_a_purpose_and_the_date_its_template_uses(store, daytime):
    with pytest.raises(CommandError, match="--purpose"):
        run("--text", "本周六门店停电。", "--filter", "")
    with pytest.raises(CommandError, match="--date"):
        run("--template", "spring_event", "--filter", "brand=mitsubishi")
    with pytest.raises(CommandError, match="No SMS template"):
        run("--template", "nope", "--filter", "")


def test_an_uploaded_list_is_read_from_its_mobile_column(store, daytime, tmp_path):
    path = tmp_path / "名单.xlsx"
    path.write_bytes(workbook(["姓名", "手机号"], ["甲", "13900000000"], ["乙", 13900000003], ["丙", "13912345678"],
                              ["丁", "12345"], ["戊", "13900000001"], title=None))
    summary = run_json("--template", "spring_event", "--upload", str(path), "--date", "2026-12-12", "--confirm")
    assert summary == {"recipients": 2, "excluded": {"not_a_customer": 1, "invalid_mobile": 1, "opted_out": 1},
                       "queued": 2}
    assert BulkSend.objects.get().upload_name == "名单.xlsx"


def test_the_sender_is_named_or_refused(store, daytime):
    UserFactory(username="sales_zhou", roles=[Role.SALES_MANAGER])
    summary = run_json(*SPRING, "--confirm", "--user", "sales_zhou")
    assert summary == {"recipients": 6, "excluded": EXCLUDED, "queued": 0}  # marketing by sales waits for approval
    assert BulkSend.objects.get().status == BulkSend.Status.AWAITING_APPROVAL
    with pytest.raises(CommandError, match="No active user"):
        run(*SPRING, "--user", "nobody")


def test_without_a_superuser_it_asks_for_the_sender(db, daytime):
    sync_role_permissions()
    mitsubishi_archive()
    with pytest.raises(CommandError, match="--user"):
        run(*SPRING)


def test_a_reply_of_stop_leaves_the_customer_out_of_the_next_marketing_send(store, daytime):
    services.reply_record(gateway_name="console", reply=Reply(phone="+8613900000003", text="退订"))
    summary = run_json(*SPRING, "--confirm")
    assert summary["excluded"]["opted_out"] == 3 and summary["recipients"] == 5
    assert not OutboundMessage.objects.filter(customer=store["owners"][3]).exists()
