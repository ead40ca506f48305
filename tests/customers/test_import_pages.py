"""The CRM's import pages (系统管理 → 档案导入): who may open them, the history's filters, and the
admin's former import addresses leading to them."""

import pytest
from django.urls import reverse

from customers.imports import batches
from customers.imports.models import ImportBatch
from dealer_crm.navigation import menu_for
from tests.customers.test_import_deliveries import ROWS, workbook

PAGES = ["batch_detail", "batch_progress", "batch_invalid_rows"]
POSTS = ["batch_confirm", "batch_cancel"]


@pytest.fixture
def batch(admin_user):
    uploaded = batches.import_batch_upload(kind="deliveries", filename="交车档案.xlsx", content=workbook(*ROWS),
                                           by=admin_user)
    return batches.import_batch_check(batch_id=uploaded.pk)


@pytest.mark.django_db
def test_the_admin_opens_the_history_and_the_upload_from_the_crm_menu(client, admin_user, batch):
    urls = {item["url"] for section in menu_for(admin_user) for item in section["items"]}
    assert reverse("imports:batch_list") in urls
    client.force_login(admin_user)
    page = client.get(reverse("imports:batch_list")).content.decode()
    assert "交车档案.xlsx" in page and reverse("imports:batch_detail", args=[batch.pk]) in page
    assert reverse("imports:batch_upload") in page and 'class="app-sidebar' in page  # the CRM's layout
    assert client.get(reverse("imports:batch_upload")).status_code == 200


@pytest.mark.django_db
def test_the_admin_needs_no_admin_site_access_for_the_import_pages(client, admin_user, batch):
    admin_user.is_staff = False
    admin_user.save()
    client.force_login(admin_user)
    assert client.get(reverse("imports:batch_detail", args=[batch.pk])).status_code == 200


@pytest.mark.django_db
def test_a_colleague_gets_403_on_every_import_page_even_for_a_batch_that_does_not_exist(client, colleague, batch):
    assert not any(reverse("imports:batch_list") == item["url"]
                   for section in menu_for(colleague) for item in section["items"])
    client.force_login(colleague)
    assert client.get(reverse("imports:batch_list")).status_code == 403
    assert client.get(reverse("imports:batch_upload")).status_code == 403
    for pk in (batch.pk, batch.pk + 1000):
        for name in PAGES:
            assert client.get(reverse(f"imports:{name}", args=[pk])).status_code == 403, name
        for name in POSTS:
            assert client.post(reverse(f"imports:{name}", args=[pk])).status_code == 403, name
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.CHECKED


@pytest.mark.django_db
def test_a_supervisor_who_reads_the_history_may_not_confirm(client, supervisor, admin_user, batch):
    supervisor.user_permissions.add(*_perms("view_importbatch"))
    client.force_login(supervisor)
    page = client.get(reverse("imports:batch_detail", args=[batch.pk])).content.decode()
    assert 'id="confirm-import"' not in page and reverse("imports:batch_upload") not in page
    assert client.post(reverse("imports:batch_confirm", args=[batch.pk])).status_code == 403


@pytest.mark.django_db
def test_confirm_and_cancel_take_only_a_post_with_a_csrf_token(admin_user, batch):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    assert client.get(reverse("imports:batch_confirm", args=[batch.pk])).status_code == 405
    assert client.post(reverse("imports:batch_cancel", args=[batch.pk])).status_code == 403  # no token
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.CHECKED


@pytest.mark.django_db
def test_cancelling_asks_first_and_returns_to_the_history(client, admin_user, batch):
    client.force_login(admin_user)
    page = client.get(reverse("imports:batch_detail", args=[batch.pk])).content.decode()
    assert "data-confirm=" in page and "onclick" not in page and "<script>" not in page
    response = client.post(reverse("imports:batch_cancel", args=[batch.pk]))
    assert response.status_code == 302 and response.url == reverse("imports:batch_list")
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.CANCELLED


@pytest.mark.django_db
def test_the_history_filters_by_kind_and_status_and_ignores_unknown_values(client, admin_user, batch):
    other = batches.import_batch_upload(kind="handbook", filename="诺相随.xlsx", content=workbook(*ROWS[:1]),
                                        by=admin_user)
    client.force_login(admin_user)

    def files(**query):
        response = client.get(reverse("imports:batch_list"), query)
        assert response.status_code == 200
        return {b.filename for b in response.context["page"].object_list}

    assert files() == {"交车档案.xlsx", "诺相随.xlsx"}
    assert files(kind="handbook") == {"诺相随.xlsx"}
    assert files(status="checked") == {"交车档案.xlsx"}
    assert files(kind="deliveries", status=other.status) == set()
    assert files(kind="nonsense", status="x' OR 1=1") == {"交车档案.xlsx", "诺相随.xlsx"}


@pytest.mark.django_db
def test_the_history_pages_keep_the_filters(client, admin_user, monkeypatch):
    from customers.imports import views

    monkeypatch.setattr(views, "PAGE_SIZE", 1)
    for number in range(3):
        batches.import_batch_upload(kind="deliveries", filename=f"{number}.xlsx",
                                    content=workbook(*ROWS[:number + 1]), by=admin_user)
    client.force_login(admin_user)
    page = client.get(reverse("imports:batch_list"), {"kind": "deliveries", "page": 2}).content.decode()
    assert "kind=deliveries&amp;page=3" in page and "kind=deliveries&amp;page=1" in page


@pytest.mark.django_db
@pytest.mark.parametrize(("old", "new"), [
    ("/admin/imports/importbatch/", "/imports/"),
    ("/admin/imports/importbatch/?status__exact=done&kind__exact=handbook", "/imports/?kind=handbook&status=done"),
    ("/admin/imports/importbatch/add/", "/imports/new/"),
    ("/admin/imports/importbatch/add/?kind=service-visits", "/imports/new/?kind=service-visits"),
    ("/admin/imports/importbatch/{pk}/change/", "/imports/{pk}/"),
    ("/admin/imports/importbatch/{pk}/progress/", "/imports/{pk}/"),
    ("/admin/imports/importbatch/{pk}/invalid-rows/", "/imports/{pk}/invalid-rows/"),
])
def test_the_admins_former_import_addresses_lead_to_the_crm_pages(client, admin_user, batch, old, new):
    client.force_login(admin_user)
    response = client.get(old.format(pk=batch.pk))
    assert response.status_code == 302 and response.url == new.format(pk=batch.pk)


@pytest.mark.django_db
def test_the_admin_no_longer_lists_imports(client, admin_user, batch):
    from django.contrib import admin

    assert ImportBatch not in admin.site._registry
    client.force_login(admin_user)
    assert "/admin/imports/" not in client.get(reverse("admin:index")).content.decode()


def _perms(*codenames):
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(content_type__app_label="imports", codename__in=codenames)
