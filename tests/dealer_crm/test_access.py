"""The access helpers refuse a colleague without the role before they reveal anything."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from dealer_crm.audit.access import get_audit_event_for_user
from dealer_crm.audit.models import AuditEvent
from dealer_crm.audit.services import audit_record


@pytest.fixture
def event(admin_user):
    return audit_record(actor=admin_user, action=AuditEvent.Action.EXPORT, detail={"rows": 3})


@pytest.mark.django_db
def test_the_supervisor_gets_the_event(supervisor, event):
    assert get_audit_event_for_user(supervisor, event.pk) == event


@pytest.mark.django_db
def test_a_colleague_without_the_role_is_refused(colleague, event):
    with pytest.raises(PermissionDenied):
        get_audit_event_for_user(colleague, event.pk)


@pytest.mark.django_db
def test_a_colleague_cannot_learn_whether_a_record_exists(colleague):
    with pytest.raises(PermissionDenied):
        get_audit_event_for_user(colleague, 999_999)


@pytest.mark.django_db
def test_a_missing_record_is_404_for_those_allowed(supervisor):
    with pytest.raises(Http404):
        get_audit_event_for_user(supervisor, 999_999)


@pytest.mark.django_db
def test_an_inactive_user_is_refused(supervisor, event):
    supervisor.is_active = False
    supervisor.save()
    with pytest.raises(PermissionDenied):
        get_audit_event_for_user(supervisor, event.pk)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/audit/", "/jobs/"])
def test_the_pages_answer_403_to_a_colleague(login, colleague, path):
    response = login(colleague).get(path)
    assert response.status_code == 403
    assert "没有访问此页面的权限" in response.content.decode()


@pytest.mark.django_db
def test_the_event_page_answers_403_to_a_colleague(login, colleague, event):
    assert login(colleague).get(f"/audit/{event.pk}/").status_code == 403
