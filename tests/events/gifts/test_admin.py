"""The gift catalogue in the admin: exported to Excel with Chinese columns, edited (a price, the stock
counted, a new gift) and imported back through the service; an unchanged file changes nothing, a row
with a negative price is refused row by row; the budgets and the requests for looking up only."""

import io
from decimal import Decimal

import openpyxl
import pytest

from dealer_crm.audit.models import AuditEvent
from events.gifts.models import Gift

pytestmark = pytest.mark.django_db
URL = "/admin/gifts/gift/"
HEADER = ["编号", "礼品", "单价（元）", "库存", "上礼品栏", "儿童礼品", "启用", "说明"]


def export(client) -> bytes:
    form = client.get(URL + "export/").context["form"]
    data = {name: "on" for name, field in form.fields.items() if getattr(field, "is_selectable_field", False)}
    response = client.post(URL + "export/", {**data, "format": "0", "resource": "0"})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    return response.content


def upload(client, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("礼品目录.xlsx", content,
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    preview = client.post(URL + "import/", {"format": "0", "resource": "0", "import_file": upload})
    assert preview.status_code == 200
    confirm = preview.context.get("confirm_form")
    if confirm is None:
        return preview, None
    return preview, client.post(URL + "process_import/", {**confirm.initial, "resource": "0"})


def rows_of(content: bytes) -> list[list]:
    return [list(row) for row in openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True)]


def workbook(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def catalogue(db):
    Gift.objects.create(name="品牌保温杯", unit_cost=Decimal("68.00"), stock=10, description="印店标")
    Gift.objects.create(name="儿童绘本套装", unit_cost=Decimal("59.00"), stock=5, for_children=True)


def test_an_export_imported_unchanged_changes_nothing(catalogue, login, admin_user):
    client = login(admin_user)
    before = list(Gift.objects.values())
    content = export(client)
    rows = rows_of(content)
    assert rows[0] == HEADER
    cup = next(row for row in rows if row[1] == "品牌保温杯")
    assert cup[2:] == [68, 10, "是", "否", "是", "印店标"]  # a number Excel adds up
    preview, done = upload(client, content)
    totals = preview.context["result"].totals
    assert (totals["new"], totals["update"], totals["skip"], totals["invalid"]) == (0, 0, 2, 0)
    assert done.status_code == 302 and list(Gift.objects.values()) == before
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT, actor=admin_user).exists()


def test_an_edited_file_changes_the_price_and_adds_a_gift_but_never_overwrites_a_stock(catalogue, login, admin_user):
    client = login(admin_user)
    rows = rows_of(export(client))
    cup = next(row for row in rows if row[1] == "品牌保温杯")
    cup[2], cup[3] = "72.50", 40
    rows.append([None, "车载香薰", "45", 100, "是", "否", "是", "出风口香薰夹"])
    preview, done = upload(client, workbook(rows))
    totals = preview.context["result"].totals
    assert (totals["new"], totals["update"], totals["invalid"]) == (1, 1, 0) and done.status_code == 302
    cup = Gift.objects.get(name="品牌保温杯")
    assert (cup.unit_cost, cup.stock) == (Decimal("72.50"), 10)  # approvals may have taken from it since
    scent = Gift.objects.get(name="车载香薰")
    assert scent.stock == 100 and scent.on_menu and not scent.for_children


def test_a_row_with_a_negative_price_is_refused_and_nothing_imported(catalogue, login, admin_user):
    client = login(admin_user)
    rows = rows_of(export(client))
    rows.append([None, "坏礼品", "-5", 3, "是", "否", "是", ""])
    preview, done = upload(client, workbook(rows))
    assert done is None and preview.context["result"].totals["invalid"] == 1
    assert not Gift.objects.filter(name="坏礼品").exists()


def test_budgets_and_requests_are_for_looking_up_only(login, store):
    from tests.factories import UserFactory

    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    client = login(root)
    page = client.get("/admin/gifts/giftrequest/").content.decode()
    assert store["waiting"].number in page
    assert client.get("/admin/gifts/giftrequest/add/").status_code == 403
    assert client.get("/admin/gifts/giftbudget/add/").status_code == 403
    assert 'name="_save"' not in client.get(f"/admin/gifts/giftrequest/{store['waiting'].pk}/change/").content.decode()


def test_staff_without_the_catalogue_rights_cannot_import(login, catalogue):
    from tests.factories import UserFactory

    staff = UserFactory(username="staff_only", is_staff=True)
    assert login(staff).get(URL + "import/").status_code == 403
