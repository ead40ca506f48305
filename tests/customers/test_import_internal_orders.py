"""Internal orders (内部单) in the DMS export are imported as such, so that no customer is called back for them."""

import pytest

from customers.imports.services import import_archive
from customers.models import ServiceVisit
from tests.customers.factories import CustomerFactory, make_vehicle, valid_vin
from tests.customers.test_import_visits import visit_row, workbook


@pytest.mark.django_db
@pytest.mark.parametrize(("word", "kind"), [("内部", "internal"), ("内部单", "internal"), ("内部保养", "internal"),
                                            ("内部维修", "internal"), ("保养", "scheduled"), ("维修", "repair")])
def test_the_dms_word_for_internal_orders_gives_an_internal_visit(admin_user, word, kind):
    make_vehicle(CustomerFactory(name="张三", mobile="13812345678"), serial=1)

    report = import_archive(data=workbook(visit_row("RO901", valid_vin(1), "2026-03-01", "2026-03-02", kind=word)),
                            kind="service-visits", by=admin_user)

    assert (report.created, report.invalid) == (1, 0)
    assert ServiceVisit.objects.get(ro_number="RO901").kind == kind
