"""Approval of bulk sends: a sales role's marketing send waits for the DCRC supervisor, a
supervisor's goes at once, nobody approves their own, and the approval or refusal is recorded."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils.translation import gettext

from dealer_crm.accounts.roles import Role
from dealer_crm.home import home_panels
from dealer_crm.messaging import services
from dealer_crm.messaging.gateways.base import Reply
from dealer_crm.messaging.models import BulkSend, OutboundMessage, Purpose
from tests.dealer_crm.messaging.test_bulk_pages import MITSUBISHI, check, confirm, store  # noqa: F401 - fixture
from tests.dealer_crm.messaging.test_bulk_pages import daytime  # noqa: F401 - fixture
from tests.factories import UserFactory

pytestmark = pytest.mark.usefixtures("daytime")


@pytest.fixture
def sales(db):
    return UserFactory(username="sales_zhou", display_name="周强", roles=[Role.SALES_MANAGER])


def marketing_by(user, store) -> BulkSend:
    return services.bulk_send_create(by=user, purpose=Purpose.MARKETING, template=store["template"],
                                     variables={"date": "12月12日"}, query=MITSUBISHI)


def test_a_sales_marketing_send_confirmed_on_the_page_waits_and_queues_nothing(client, store, sales):
    client.force_login(sales)
    response = confirm(client, check(client, store["template"]))
    bulk = BulkSend.objects.get()
    assert bulk.status == BulkSend.Status.AWAITING_APPROVAL and bulk.recipients == 6
    assert OutboundMessage.objects.count() == 0
    page = client.get(response["Location"]).content.decode()
    assert "等待" in page.split('id="bulk-approver">', 1)[1].split("</dd>", 1)[0] or "waiting" in page
    assert 'id="bulk-approval"' not in page  # sales cannot approve


def test_a_sales_service_send_goes_at_once(store, sales):
    bulk = services.bulk_send_create(by=sales, purpose=Purpose.SERVICE, text="您的爱车该保养了，欢迎预约。", query=MITSUBISHI)
    assert bulk.status == BulkSend.Status.QUEUED and bulk.messages.count() == 8


def test_a_supervisors_marketing_send_goes_at_once(store, supervisor):
    bulk = marketing_by(supervisor, store)
    assert bulk.status == BulkSend.Status.QUEUED and bulk.approved_by is None and bulk.messages.count() == 6


def test_the_supervisor_sees_it_waiting_and_approves_it(client, store, sales, supervisor):
    bulk = marketing_by(sales, store)
    client.force_login(supervisor)
    listing = client.get(reverse("messaging:bulk_approvals")).content.decode()
    assert f'action="/sms/bulk/{bulk.pk}/approve/"' in listing and "周强" in listing
    response = client.post(reverse("messaging:bulk_approve", args=[bulk.pk]))
    assert response["Location"] == reverse("messaging:bulk_detail", args=[bulk.pk])
    bulk.refresh_from_db()
    assert bulk.status == BulkSend.Status.QUEUED and bulk.approved_by == supervisor and bulk.approved_at
    assert bulk.messages.count() == 6
    page = client.get(response["Location"]).content.decode()
    assert str(supervisor) in page.split('id="bulk-approver">', 1)[1].split("</dd>", 1)[0]
    assert f"/sms/bulk/{bulk.pk}/approve/" not in client.get(reverse("messaging:bulk_approvals")).content.decode()


def test_a_refused_send_is_never_sent_and_the_refusal_is_recorded(client, store, sales, supervisor):
    bulk = marketing_by(sales, store)
    client.force_login(supervisor)
    assert client.post(reverse("messaging:bulk_reject", args=[bulk.pk]))["Location"] == reverse("messaging:bulk_approvals")
    bulk.refresh_from_db()
    assert bulk.status == BulkSend.Status.REJECTED and bulk.approved_by == supervisor
    assert OutboundMessage.objects.count() == 0
    client.post(reverse("messaging:bulk_approve", args=[bulk.pk]))  # too late: refused
    assert OutboundMessage.objects.count() == 0


def test_nobody_approves_their_own_send(client, store):
    approver = UserFactory(username="sales_approver", roles=[Role.SALES_MANAGER])
    approver.user_permissions.add(Permission.objects.get(codename="approve_bulksend"))
    bulk = marketing_by(approver, store)
    client.force_login(approver)
    listing = client.get(reverse("messaging:bulk_approvals")).content.decode()
    assert "own-send" in listing and f"/sms/bulk/{bulk.pk}/approve/" not in listing
    detail = client.get(reverse("messaging:bulk_detail", args=[bulk.pk])).content.decode()
    assert f"/sms/bulk/{bulk.pk}/approve/" not in detail
    response = client.post(reverse("messaging:bulk_approve", args=[bulk.pk]), follow=True)
    bulk.refresh_from_db()
    assert bulk.status == BulkSend.Status.AWAITING_APPROVAL and OutboundMessage.objects.count() == 0
    assert gettext("A bulk send is approved by someone other than its sender.") in response.content.decode()


def test_only_approvers_open_the_approvals_or_approve(client, store, sales):
    bulk = marketing_by(sales, store)
    client.force_login(sales)
    assert client.get(reverse("messaging:bulk_approvals")).status_code == 403
    assert client.post(reverse("messaging:bulk_approve", args=[bulk.pk])).status_code == 403
    assert client.post(reverse("messaging:bulk_reject", args=[bulk.pk])).status_code == 403


def test_the_supervisors_home_counts_every_send_awaiting_approval(client, store, sales, supervisor):
    from django.utils import timezone

    for _n in range(7):
        marketing_by(sales, store)
    panels = dict((panel.key, shown) for panel, shown in home_panels(user=supervisor, today=timezone.localdate()))
    assert panels["bulk_approvals"].total == 7 and len(panels["bulk_approvals"].rows) == 5
    client.force_login(supervisor)
    home = client.get("/").content.decode()
    assert 'href="/sms/bulk/approvals/"' in home


def test_after_a_reply_of_stop_the_next_marketing_send_leaves_the_customer_out(store, supervisor):
    first = marketing_by(supervisor, store)
    customer = store["owners"][3]
    assert first.messages.filter(customer=customer).exists()
    services.reply_record(gateway_name="console", reply=Reply(phone=customer.mobile, text="退订"))
    later = services.bulk_send_create(by=supervisor, purpose=Purpose.MARKETING, text="双十二到店有礼。", query=MITSUBISHI)
    assert not later.messages.filter(customer=customer).exists()
    assert later.excluded["opted_out"] == 3
