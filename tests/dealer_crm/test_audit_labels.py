"""The audit log tells opening the edit form (which shows the full numbers) apart from a click on
查看完整号码: both are phone reveals, but a reader must know which one happened."""

import pytest

from customers import services
from dealer_crm.audit.models import AuditEvent

EDIT_FORM = "打开编辑表单（显示完整号码）"
REVEALED = "查看完整手机号"


@pytest.fixture
def customer(agent):
    return services.customer_create(by=agent, name="张三", mobile="13812345678")


@pytest.mark.django_db
def test_the_log_names_an_edit_form_opening_and_a_reveal_differently(login, agent, supervisor, customer):
    client = login(agent)
    assert client.get(f"/customers/{customer.pk}/edit/").status_code == 200
    client.post(f"/customers/{customer.pk}/phones/reveal/", HTTP_HX_REQUEST="true")
    opened, revealed = (AuditEvent.objects.filter(action=AuditEvent.Action.PHONE_REVEAL)
                        .order_by("at", "id"))
    assert opened.detail.get("via") == "edit_form" and "via" not in revealed.detail

    log = login(supervisor).get("/audit/").content.decode()
    assert log.count(f">{EDIT_FORM}</span></td>") == 1 and log.count(f">{REVEALED}</span></td>") == 1
    assert f"<h1 class=\"h4\">{EDIT_FORM}</h1>" in login(supervisor).get(f"/audit/{opened.pk}/").content.decode()
    assert f"<h1 class=\"h4\">{REVEALED}</h1>" in login(supervisor).get(f"/audit/{revealed.pk}/").content.decode()
    assert str(opened).endswith(EDIT_FORM)


@pytest.mark.django_db
def test_the_home_panel_names_an_edit_form_opening_too(login, agent, supervisor, customer):
    login(agent).get(f"/customers/{customer.pk}/edit/")
    assert EDIT_FORM in login(supervisor).get("/").content.decode()
