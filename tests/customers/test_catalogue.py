"""The vehicle catalogue (车型目录): a known model gives its brand and its spelling wherever a vehicle
is stored; an unknown one keeps its text and leaves the brand for a person."""

from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from customers.catalogue.models import MaintenanceInterval, VehicleModel, VehicleModelAlias
from customers.catalogue.selectors import catalogue_snapshot, vehicle_model_for, vehicle_model_resolve
from customers.catalogue.services import vehicle_model_save
from customers.catalogue.spellings import spelling_key
from customers.forms import VehicleForm
from customers.imports.services import import_archive
from customers.models import Vehicle
from tests.customers import factories
from tests.customers.factories import CustomerFactory, valid_vin

SEED = import_module("customers.catalogue.migrations.0002_seed_store_models")


@pytest.fixture
def catalogue(db):
    """The store's seeded models (a transactional test elsewhere may have emptied the tables)."""
    if not VehicleModel.objects.exists():
        SEED.seed(django_apps, None)


def a_model(**fields) -> VehicleModel:
    values = {"brand": "renault", "name": "测试车", "first_maintenance_km": 5000, "first_maintenance_months": 3,
              "interval_km": 10000, "interval_months": 12, **fields}
    return vehicle_model_save(vehicle_model=VehicleModel(**values))


# --- spellings -------------------------------------------------------------------------------------
def test_spellings_differ_only_in_width_case_spaces_punctuation_and_accents():
    assert spelling_key("ＫＯＬＥＯＳ") == spelling_key(" koleos ") == "koleos"
    assert spelling_key("帕杰罗·劲畅") == spelling_key("帕杰罗 劲畅") == "帕杰罗劲畅"
    assert spelling_key("Mégane") == spelling_key("MEGANE")
    assert spelling_key("科雷傲 Koleos") == spelling_key("科雷傲Koleos")


# --- resolving -------------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("written", ["科雷傲", "科雷傲 ", "KOLEOS", "Koleos", "科雷傲Koleos", "科雷傲 KOLEOS", "新科雷傲"])
def test_a_known_spelling_gives_the_brand_and_the_catalogues_name(catalogue, written):
    assert vehicle_model_resolve(brand="", model_text=written) == ("renault", "科雷傲")


@pytest.mark.django_db
def test_a_brand_of_other_or_none_is_replaced_by_the_models_own(catalogue):
    assert vehicle_model_resolve(brand="other", model_text="ASX") == ("mitsubishi", "劲炫")
    assert vehicle_model_resolve(brand="mitsubishi", model_text="pajero sport") == ("mitsubishi", "帕杰罗·劲畅")


@pytest.mark.django_db
def test_an_unknown_model_keeps_its_text_and_leaves_the_brand_as_said(catalogue):
    assert vehicle_model_resolve(brand="", model_text="某某X5") == ("", "某某X5")
    assert vehicle_model_resolve(brand="renault", model_text="某某X5") == ("renault", "某某X5")


@pytest.mark.django_db
def test_a_model_of_another_brand_than_the_one_said_keeps_both_as_said(catalogue):
    assert vehicle_model_resolve(brand="renault", model_text="欧蓝德") == ("renault", "欧蓝德")


@pytest.mark.django_db
def test_a_name_two_brands_have_is_left_for_a_person_unless_the_brand_is_said(catalogue):
    a_model(brand="other", name="风景")  # 风景 is also Renault's Scénic
    assert vehicle_model_resolve(brand="", model_text="风景") == ("", "风景")
    assert vehicle_model_resolve(brand="renault", model_text="风景") == ("renault", "风景")
    # "other" says nothing of the model: still two candidates, and the brand stays as said.
    assert vehicle_model_resolve(brand="other", model_text="风景") == ("other", "风景")


@pytest.mark.django_db
def test_a_model_not_in_use_is_not_matched(catalogue):
    VehicleModel.objects.filter(name="科雷傲").update(active=False)
    assert vehicle_model_resolve(brand="", model_text="KOLEOS") == ("", "KOLEOS")


@pytest.mark.django_db
def test_a_snapshot_resolves_many_rows_with_two_queries(catalogue, django_assert_num_queries):
    with django_assert_num_queries(2):
        snapshot = catalogue_snapshot()
        answers = {snapshot.resolve(brand="", model_text=text) for text in ["科雷傲", "KOLEOS", "劲炫"] * 1000}
    assert answers == {("renault", "科雷傲"), ("mitsubishi", "劲炫")}


# --- the intervals the reminders read ------------------------------------------------------------
@pytest.mark.django_db
def test_a_vehicle_s_model_gives_its_maintenance_intervals(catalogue):
    renault = Vehicle(brand="other", model_name="KOLEOS")
    mitsubishi = Vehicle(brand="mitsubishi", model_name="欧蓝德")
    assert vehicle_model_for(vehicle=renault).first_maintenance == MaintenanceInterval(km=5000, months=3)
    assert vehicle_model_for(vehicle=mitsubishi).first_maintenance == MaintenanceInterval(km=5000, months=6)
    assert vehicle_model_for(vehicle=mitsubishi).maintenance_interval == MaintenanceInterval(km=10000, months=12)
    assert vehicle_model_for(vehicle=Vehicle(brand="other", model_name="某某X5")) is None


@pytest.mark.django_db
def test_the_demo_store_s_models_are_all_in_the_catalogue_with_the_demo_s_intervals(catalogue):
    from customers import demo

    snapshot = catalogue_snapshot()
    for brand, names in demo.MODELS.items():
        for name in names:
            model = vehicle_model_for(vehicle=Vehicle(brand="", model_name=name), catalogue=snapshot)
            assert (model.brand, model.name) == (brand, name)
            interval = demo.MAINTENANCE_INTERVALS[name]
            assert (model.first_maintenance_km, model.first_maintenance_months, model.interval_km,
                    model.interval_months) == (interval.first_km, interval.first_months, interval.every_km,
                                               interval.every_months)


# --- constraints -----------------------------------------------------------------------------------
@pytest.mark.django_db
def test_two_models_cannot_claim_one_spelling(catalogue):
    with pytest.raises(ValidationError) as refused:
        a_model(aliases="科雷嘉、ｋｏｌｅｏｓ")  # 科雷嘉 is a name, Koleos an alias of 科雷傲
    assert "科雷嘉" in str(refused.value) and "科雷傲" in str(refused.value)
    with pytest.raises(ValidationError):
        a_model(name="KOLEOS")  # a name that is another model's alias
    assert not VehicleModel.objects.filter(name="测试车").exists()


@pytest.mark.django_db
def test_the_database_refuses_a_spelling_two_models_claim(catalogue):
    koleos = VehicleModel.objects.get(name="科雷傲")
    kadjar = VehicleModel.objects.get(name="科雷嘉")
    assert VehicleModelAlias.objects.filter(vehicle_model=koleos, key="koleos").exists()
    with pytest.raises(IntegrityError), transaction.atomic():
        VehicleModelAlias.objects.create(vehicle_model=kadjar, key="koleos")


@pytest.mark.django_db
def test_one_brand_has_a_model_once_however_it_is_written(catalogue):
    with pytest.raises(ValidationError):
        a_model(name="科雷傲")
    with pytest.raises(ValidationError):
        a_model(name="科 雷傲")
    with pytest.raises(IntegrityError), transaction.atomic():
        VehicleModel.objects.create(brand="renault", name="科·雷傲", name_key="科雷傲", first_maintenance_km=1,
                                    first_maintenance_months=1, interval_km=1, interval_months=1)


@pytest.mark.django_db
def test_intervals_must_be_positive(catalogue):
    with pytest.raises(IntegrityError), transaction.atomic():
        VehicleModel.objects.filter(name="科雷傲").update(interval_km=0)


@pytest.mark.django_db
def test_saving_a_model_keeps_its_spelling_keys_in_step_with_its_aliases(catalogue):
    model = a_model(aliases="TEST, Test Car；测试车 (new)")
    assert model.aliases == "TEST、Test Car、测试车 (new)"
    assert set(model.alias_keys.values_list("key", flat=True)) == {"test", "testcar", "测试车new"}
    model.aliases = "TEST"
    vehicle_model_save(vehicle_model=model)
    assert list(model.alias_keys.values_list("key", flat=True)) == ["test"]


# --- the imports -----------------------------------------------------------------------------------
DELIVERY_HEADER = ["客户姓名", "手机号码", "车架号(VIN)", "车型"]  # no 品牌 column


@pytest.mark.django_db
def test_a_deliveries_file_without_a_brand_column_gets_the_brand_from_the_model(catalogue, admin_user):
    data = factories.workbook(DELIVERY_HEADER,
                              ["张三", "13812345678", valid_vin(1), "科雷傲"],
                              ["李四", "13912345678", valid_vin(2), "KOLEOS"],
                              ["王五", "13712345678", valid_vin(3), "科雷傲 "],
                              ["赵六", "13612345678", valid_vin(4), "某某X5"],
                              ["孙七", "13512345678", valid_vin(5), "劲炫ASX"])
    report = import_archive(data=data, kind="deliveries", by=admin_user)
    assert (report.created, report.invalid) == (5, 0)
    stored = dict((vin, (brand, model)) for vin, brand, model in
                  Vehicle.objects.values_list("vin", "brand", "model_name"))
    assert [stored[valid_vin(n)] for n in range(1, 6)] == [
        ("renault", "科雷傲"), ("renault", "科雷傲"), ("renault", "科雷傲"), ("other", "某某X5"),
        ("mitsubishi", "劲炫")]


@pytest.mark.django_db
def test_a_second_file_fixes_a_brand_left_as_other_and_never_erases_a_known_one(catalogue, admin_user):
    customer = CustomerFactory(name="张三", mobile="13812345678")
    factories.make_vehicle(customer, serial=1, model_name="某某X5")
    Vehicle.objects.update(brand="other", model_name="科雷傲")  # as the import stored it before the catalogue
    data = factories.workbook(DELIVERY_HEADER, ["张三", "13812345678", valid_vin(1), "KOLEOS"])
    assert import_archive(data=data, kind="deliveries", by=admin_user).updated == 1
    assert Vehicle.objects.values_list("brand", "model_name").get() == ("renault", "科雷傲")
    unknown = factories.workbook(DELIVERY_HEADER, ["张三", "13812345678", valid_vin(1), "某某X5"])
    import_archive(data=unknown, kind="deliveries", by=admin_user)
    assert Vehicle.objects.values_list("brand", "model_name").get() == ("renault", "某某X5")


@pytest.mark.django_db
def test_an_import_reads_the_catalogue_once(catalogue, admin_user, monkeypatch):
    from customers.imports import deliveries, table

    reads = []
    monkeypatch.setattr(deliveries, "catalogue_snapshot", lambda: reads.append(1) or catalogue_snapshot())
    monkeypatch.setattr(table.tables, "__kwdefaults__", {"size": 3})  # blocks of 3 rows: 4 blocks
    rows = [[f"客户{n}", f"138000000{n:02d}", valid_vin(n), "科雷傲"] for n in range(1, 11)]
    report = import_archive(data=factories.workbook(DELIVERY_HEADER, *rows), kind="deliveries", by=admin_user)
    assert report.created == 10 and len(reads) == 1


@pytest.mark.django_db
def test_a_repair_order_s_new_car_gets_the_brand_from_its_vin_or_its_model(catalogue, admin_user):
    header = ["工单号", "车架号", "进厂日期", "维修类型", "送修人", "车型"]
    data = factories.workbook(header,
                              ["RO1", valid_vin(1, wmi="LGB"), "2026-03-05", "维修", "张三", "koleos"],
                              ["RO2", valid_vin(2, wmi="JMB"), "2026-03-05", "维修", "李四", "某某X5"],
                              ["RO3", valid_vin(3, wmi="LGB"), "2026-03-05", "维修", "王五", "某某X5"],
                              title="怀远系统 维修工单导出")
    report = import_archive(data=data, kind="service-visits", by=admin_user)
    assert report.created == 3
    stored = dict((vin[:3] + vin[-1], (brand, model)) for vin, brand, model in
                  Vehicle.objects.values_list("vin", "brand", "model_name"))
    assert stored == {"LGB1": ("renault", "科雷傲"), "JMB2": ("mitsubishi", "某某X5"), "LGB3": ("other", "某某X5")}


# --- the vehicle form ------------------------------------------------------------------------------
def vehicle_form(**fields) -> VehicleForm:
    return VehicleForm({"vin": valid_vin(9), "plate": "", "brand": "", "model_name": "", **fields})


@pytest.mark.django_db
def test_the_vehicle_form_needs_no_brand_for_a_model_the_catalogue_knows(catalogue):
    form = vehicle_form(model_name="koleos")
    assert form.is_valid(), form.errors
    assert (form.cleaned_data["brand"], form.cleaned_data["model_name"]) == ("renault", "科雷傲")
    form = vehicle_form(brand="other", model_name="欧蓝德")
    assert form.is_valid() and form.service_fields()["brand"] == "mitsubishi"


@pytest.mark.django_db
def test_the_vehicle_form_asks_for_the_brand_of_an_unknown_model(catalogue):
    form = vehicle_form(model_name="某某X5")
    assert not form.is_valid() and list(form.errors) == ["brand"]
    form = vehicle_form(brand="other", model_name="某某X5")
    assert form.is_valid() and (form.cleaned_data["brand"], form.cleaned_data["model_name"]) == ("other", "某某X5")
