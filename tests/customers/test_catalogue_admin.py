"""The catalogue in the admin: listed, searched, filtered by brand, exported to xlsx and imported back."""

import io
import zipfile
from importlib import import_module

import openpyxl
import pytest
from django.apps import apps as django_apps

from customers.catalogue.models import VehicleModel, VehicleModelAlias
from dealer_crm.audit.models import AuditEvent

SEED = import_module("customers.catalogue.migrations.0002_seed_store_models")
URL = "/admin/catalogue/vehiclemodel/"


@pytest.fixture
def catalogue(db):
    if not VehicleModel.objects.exists():
        SEED.seed(django_apps, None)


def export(client) -> bytes:
    form = client.get(URL + "export/").context["form"]
    data = {name: "on" for name, field in form.fields.items() if getattr(field, "is_selectable_field", False)}
    response = client.post(URL + "export/", {**data, "format": "0", "resource": "0"})
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return response.content


def upload(client, content: bytes):
    """The import's two steps: the preview, then the confirmation. Returns both responses."""
    preview = client.post(URL + "import/", {"format": "0", "resource": "0",
                                            "import_file": _file(content)})
    assert preview.status_code == 200
    confirm = preview.context.get("confirm_form")
    if confirm is None:
        return preview, None
    return preview, client.post(URL + "process_import/", {**confirm.initial, "resource": "0"})


def _file(content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("车型目录.xlsx", content,
                              content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def rows_of(content: bytes) -> list[list]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def workbook(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.django_db
def test_the_admin_lists_searches_and_filters_the_catalogue_by_brand(catalogue, login, admin_user):
    client = login(admin_user)
    page = client.get(URL, {"brand__exact": "mitsubishi"})
    assert page.status_code == 200
    names = {model.name for model in page.context["cl"].result_list}
    assert "欧蓝德" in names and "科雷傲" not in names
    found = client.get(URL, {"q": "KOLEOS"}).context["cl"].result_list
    assert [model.name for model in found] == ["科雷傲"]


@pytest.mark.django_db
def test_an_exported_catalogue_imported_unchanged_changes_nothing(catalogue, login, admin_user):
    client = login(admin_user)
    before = list(VehicleModel.objects.values())
    content = export(client)
    rows = rows_of(content)
    assert rows[0] == ["编号", "品牌", "车型", "其他写法", "首保里程（公里）", "首保时间（月）", "保养间隔里程（公里）",
                       "保养间隔时间（月）", "启用"]
    koleos = next(row for row in rows if row[2] == "科雷傲")
    assert koleos[1] == "雷诺" and koleos[3] == "Koleos、科雷傲Koleos、新科雷傲" and koleos[8] == "是"
    preview, done = upload(client, content)
    totals = preview.context["result"].totals
    assert (totals["new"], totals["update"], totals["skip"], totals["invalid"], totals["error"]) == (
        0, 0, len(before), 0, 0)
    assert done.status_code == 302
    assert list(VehicleModel.objects.values()) == before
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT, actor=admin_user).exists()


@pytest.mark.django_db
def test_an_edited_file_changes_the_models_and_their_spellings(catalogue, login, admin_user):
    client = login(admin_user)
    rows = rows_of(export(client))
    koleos = next(row for row in rows if row[2] == "科雷傲")
    koleos[3], koleos[6] = "KOLEOS, 科雷傲 Koleos; 新科雷傲、科雷傲 2.0", 7500
    rows.append([None, "三菱", "君阁", "Zinger", 5000, 6, 10000, 12, "是"])
    preview, done = upload(client, workbook(rows))
    totals = preview.context["result"].totals
    assert (totals["new"], totals["update"], totals["invalid"]) == (1, 1, 0)
    assert done.status_code == 302
    model = VehicleModel.objects.get(name="科雷傲")
    assert (model.aliases, model.interval_km) == ("KOLEOS、科雷傲 Koleos、新科雷傲、科雷傲 2.0", 7500)
    assert "科雷傲20" in set(model.alias_keys.values_list("key", flat=True))
    assert VehicleModel.objects.get(name="君阁").brand == "mitsubishi"


@pytest.mark.django_db
def test_a_file_giving_one_spelling_to_two_models_is_refused_row_by_row(catalogue, login, admin_user):
    client = login(admin_user)
    rows = rows_of(export(client))
    kadjar = next(row for row in rows if row[2] == "科雷嘉")
    kadjar[3] = "Kadjar、Koleos"  # Koleos is 科雷傲's
    preview, done = upload(client, workbook(rows))
    assert preview.context["result"].totals["invalid"] == 1 and done is None
    assert "科雷傲" in preview.content.decode()
    assert not VehicleModelAlias.objects.filter(vehicle_model__name="科雷嘉", key="koleos").exists()


@pytest.mark.django_db
def test_the_admin_form_refuses_a_spelling_another_model_has(catalogue, login, admin_user):
    client = login(admin_user)
    response = client.post(URL + "add/", {
        "brand": "renault", "name": "新车", "aliases": "KOLEOS", "first_maintenance_km": "5000",
        "first_maintenance_months": "3", "interval_km": "10000", "interval_months": "12", "active": "on"})
    assert response.status_code == 200 and not VehicleModel.objects.filter(name="新车").exists()
    assert "科雷傲" in response.content.decode()
    response = client.post(URL + "add/", {
        "brand": "renault", "name": "新车", "aliases": "XINCHE", "first_maintenance_km": "5000",
        "first_maintenance_months": "3", "interval_km": "10000", "interval_months": "12", "active": "on"})
    assert response.status_code == 302
    assert list(VehicleModel.objects.get(name="新车").alias_keys.values_list("key", flat=True)) == ["xinche"]


@pytest.mark.django_db
def test_only_those_who_keep_the_catalogue_import_it(catalogue, login, colleague):
    from tests.factories import UserFactory

    staff_without_rights = UserFactory(username="staff_only", is_staff=True)
    client = login(staff_without_rights)
    assert client.get(URL + "import/").status_code == 403
    assert client.get(URL + "export/").status_code == 403
    client = login(colleague)
    assert client.get(URL + "import/").status_code in (302, 403)  # not admin staff: no admin site at all


@pytest.mark.django_db
def test_a_file_that_is_no_small_workbook_is_refused_before_it_is_read(catalogue, login, admin_user):
    client = login(admin_user)
    too_big = client.post(URL + "import/", {"format": "0", "resource": "0", "import_file": _file(b"PK" * 600_000)})
    assert "1 MB" in too_big.content.decode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bomb:
        bomb.writestr("[Content_Types].xml", "")
        bomb.writestr("xl/worksheets/sheet1.xml", b"0" * 50_000_000)
    refused = client.post(URL + "import/", {"format": "0", "resource": "0", "import_file": _file(buffer.getvalue())})
    assert refused.context.get("confirm_form") is None and refused.context["form"].errors["import_file"]
    not_a_workbook = client.post(URL + "import/", {"format": "0", "resource": "0", "import_file": _file(b"a,b\n")})
    assert not_a_workbook.context["form"].errors["import_file"]
