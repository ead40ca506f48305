"""Handing a lead over (/leads/new/): from a call, from the customer's page (the customer as the
prospect, or as the referrer of someone else), or for a caller or visitor not known yet, whose
mobile is looked up in the archive first so that the existing customer is offered before a new person
is made. Errors in Chinese, nothing typed lost, the rights."""

import pytest
from django.urls import reverse

from customers.models import Customer
from dealer_crm.accounts.roles import Role
from dealer_crm.audit.models import AuditEvent
from followups.leads.models import Lead
from tests.customers.factories import CustomerFactory
from tests.factories import UserFactory
from tests.followups.factories import make_callback

from .conftest import CREATE, html

pytestmark = pytest.mark.django_db

FILLED = {"name": "王小明", "mobile": "186 5555 2001", "source": "caller", "model_interest": "科雷傲",
          "budget": "25万", "timing": "soon", "note": "想换七座"}


def test_a_blank_form_for_an_incoming_caller(login, agent):
    page = html(login(agent).get(CREATE))
    for label in ("姓名", "手机", "来源", "意向车型", "预算", "购车时间", "备注", "转交销售"):
        assert label in page
    assert 'list="lead-models"' in page


def test_the_catalogues_models_are_offered_as_suggestions(login, agent):
    from customers.catalogue.models import VehicleModel

    VehicleModel.objects.create(brand="renault", name="测试车型X", first_maintenance_km=5000, first_maintenance_months=3,
                                interval_km=5000, interval_months=6)
    page = html(login(agent).get(CREATE))
    assert '<datalist id="lead-models">' in page and 'value="测试车型X"' in page


def test_a_new_caller_becomes_a_lead_and_the_page_opens_on_it(login, agent):
    response = login(agent).post(CREATE, FILLED)
    lead = Lead.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("leads:lead_detail", args=[lead.pk])
    assert (lead.name, lead.mobile, lead.budget, lead.timing, lead.customer) == ("王小明", "18655552001", "25万", "soon", None)
    page = html(login(agent).get(response["Location"]))
    assert f"线索 {lead.number} 已转交销售" in page


def test_errors_are_in_chinese_and_nothing_typed_is_lost(login, agent):
    response = login(agent).post(CREATE, {**FILLED, "name": "", "mobile": "12345"})
    page = html(response)
    assert response.status_code == 400 and not Lead.objects.exists()
    assert "请填写意向客户的姓名" in page and "手机号" in page
    assert 'value="25万"' in page and "想换七座" in page and 'value="科雷傲"' in page
    assert 'class="form-control is-invalid"' in page


def test_a_mobile_on_file_offers_the_customer_before_making_a_new_person(login, agent):
    on_file = Customer.objects.create(name="王晓明", mobile="18655552001")
    client = login(agent)
    response = client.post(CREATE, FILLED)
    page = html(response)
    assert response.status_code == 200 and not Lead.objects.exists()
    assert 'id="lead-offer"' in page and "王晓明" in page and "186****2001" in page
    assert f'name="match" value="{on_file.pk}"' in page and 'name="match" value="new"' in page
    assert 'value="25万"' in page  # what was typed stays
    response = client.post(CREATE, {**FILLED, "match": str(on_file.pk)})
    lead = Lead.objects.get()
    assert response.status_code == 302 and (lead.customer, lead.name) == (on_file, "王晓明")


def test_a_different_person_with_the_same_mobile_is_handed_over_as_new(login, agent):
    Customer.objects.create(name="王晓明", mobile="18655552001")
    response = login(agent).post(CREATE, {**FILLED, "match": "new"})
    lead = Lead.objects.get()
    assert response.status_code == 302 and (lead.customer, lead.name) == (None, "王小明")


def test_a_customer_not_among_those_offered_cannot_be_chosen(login, agent):
    on_file = Customer.objects.create(name="王晓明", mobile="18655552001")
    stranger = CustomerFactory(name="别人")
    page = html(login(agent).post(CREATE, {**FILLED, "match": str(stranger.pk)}))
    assert not Lead.objects.exists() and f'value="{on_file.pk}"' in page


def test_an_open_lead_with_the_mobile_is_said_before_a_second_hand_over(login, agent):
    client = login(agent)
    client.post(CREATE, FILLED)
    first = Lead.objects.get()
    page = html(client.post(CREATE, FILLED))
    assert Lead.objects.count() == 1 and 'id="lead-open-already"' in page and first.number in page
    client.post(CREATE, {**FILLED, "match": "new"})
    assert Lead.objects.count() == 2


def test_the_lookup_of_a_typed_mobile_counts_as_a_phone_search_for_a_role_that_sees_numbers_masked(login, consultant):
    login(consultant).post(CREATE, FILLED)
    assert AuditEvent.objects.filter(actor=consultant, action=AuditEvent.Action.PHONE_SEARCH).count() == 1


def test_over_the_hourly_limit_of_number_checks_the_form_says_so(login, consultant, settings):
    settings.PHONE_SEARCHES_PER_HOUR = 1
    client = login(consultant)
    client.post(CREATE, FILLED)
    response = client.post(CREATE, {**FILLED, "mobile": "18655552002"})
    assert response.status_code == 400 and "最近一小时" in html(response)
    assert Lead.objects.count() == 1


# --- from the customer's page and from a call ----------------------------------------------------
def test_from_the_customers_page_the_customer_is_the_prospect(login, agent):
    customer = CustomerFactory(name="李建国", mobile="13955552001")
    url = f"{CREATE}?customer={customer.pk}"
    page = html(login(agent).get(url))
    assert 'id="lead-prospect"' in page and "李建国" in page and "139****2001" in page
    assert 'name="name"' not in page and 'name="mobile"' not in page
    assert f"?referred_by={customer.pk}" in page  # or they refer someone else
    response = login(agent).post(url, {"source": "visitor", "model_interest": "科雷傲", "timing": "now"})
    lead = Lead.objects.get()
    assert response.status_code == 302 and (lead.customer, lead.name, lead.mobile) == (customer, "李建国", "13955552001")


def test_a_referral_from_the_referrers_page_keeps_who_referred_whom(login, agent):
    referrer = CustomerFactory(name="老客户")
    url = f"{CREATE}?referred_by={referrer.pk}"
    page = html(login(agent).get(url))
    assert 'id="lead-referrer"' in page and "由 老客户 转介绍" in page
    assert '<option value="referral" selected>' in page
    login(agent).post(url, {**FILLED, "source": "referral"})
    lead = Lead.objects.get()
    assert (lead.referred_by, lead.source, lead.customer) == (referrer, "referral", None)


def test_from_a_call_its_customer_is_the_prospect_or_refers_someone(login, agent):
    callback = make_callback(kind="reminder", customer=CustomerFactory(name="赵六", mobile="13955552002"))
    client = login(agent)
    page = html(client.get(f"{CREATE}?callback={callback.pk}"))
    assert 'id="lead-from-call"' in page and "赵六" in page and '<option value="callback" selected>' in page
    assert f"?callback={callback.pk}&amp;refer=1" in page
    client.post(f"{CREATE}?callback={callback.pk}", {"source": "callback", "model_interest": "", "timing": "unknown"})
    lead = Lead.objects.get()
    assert (lead.customer, lead.callback, lead.source) == (callback.customer, callback, "callback")
    client.post(f"{CREATE}?callback={callback.pk}&refer=1", {**FILLED, "source": "callback"})
    referral = Lead.objects.exclude(pk=lead.pk).get()
    assert (referral.referred_by, referral.callback, referral.name) == (callback.customer, callback, "王小明")


def test_a_broken_link_says_so(login, agent):
    for query in ("?customer=abc", "?callback=-1", "?referred_by=" + "9" * 30):
        response = login(agent).get(CREATE + query)
        assert response.status_code == 400 and 'id="lead-broken-link"' in html(response)


def test_a_link_to_no_such_customer_is_a_404(login, agent):
    assert login(agent).get(f"{CREATE}?customer=999999").status_code == 404


# --- who may hand over -------------------------------------------------------------------------
@pytest.mark.parametrize("role", [Role.CALLBACK_AGENT, Role.INTERVIEWER, Role.LOUNGE_HOST, Role.SERVICE_MANAGER,
                                  Role.DCRC_SUPERVISOR, Role.SALES_SUPERVISOR, Role.SALES_MANAGER, Role.MARKETING])
def test_whoever_meets_customers_hands_leads_over(login, role):
    assert login(UserFactory(roles=[role])).get(CREATE).status_code == 200


@pytest.mark.parametrize("role", [Role.GENERAL_MANAGER, Role.ADMIN])
def test_others_are_refused(login, role):
    client = login(UserFactory(roles=[role]))
    assert client.get(CREATE).status_code == 403
    assert client.post(CREATE, FILLED).status_code == 403
    assert not Lead.objects.exists()
