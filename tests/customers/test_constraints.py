"""What the database itself refuses, whatever code path writes."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from customers import services
from customers.models import Customer, ServiceVisit, Vehicle, VehicleRole
from tests.customers.factories import CustomerFactory, make_vehicle, valid_vin


@pytest.mark.django_db
def test_a_vin_is_unique():
    owner = CustomerFactory()
    make_vehicle(owner, serial=1)
    with pytest.raises(ValidationError, match="车架号"):
        make_vehicle(owner, serial=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Vehicle.objects.bulk_create([Vehicle(vin=valid_vin(1), brand="renault", model_name="卡缤")])


@pytest.mark.django_db
def test_the_database_refuses_a_malformed_mobile():
    with pytest.raises(IntegrityError), transaction.atomic():
        Customer.objects.bulk_create([Customer(name="李四", mobile="23812345678")])


@pytest.mark.django_db
def test_a_malformed_mobile_is_explained_before_the_database_sees_it():
    with pytest.raises(ValidationError) as error:
        services.customer_create(by=None, name="李四", mobile="2381234567")
    assert "mobile" in error.value.message_dict


@pytest.mark.django_db
def test_a_ro_number_is_unique_and_amounts_are_not_negative():
    vehicle = make_vehicle(CustomerFactory(), serial=2)
    services.service_visit_record(vehicle=vehicle, ro_number="RO1", opened_on=date(2026, 4, 1), kind="first")
    with pytest.raises(ValidationError, match="工单号"):
        services.service_visit_record(vehicle=vehicle, ro_number="RO1", opened_on=date(2026, 5, 1), kind="repair")
    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceVisit.objects.bulk_create([ServiceVisit(vehicle=vehicle, ro_number="RO2", opened_on=date(2026, 5, 1),
                                                       kind="repair", total_amount=Decimal("-1"))])


@pytest.mark.django_db
def test_a_vehicle_has_one_current_owner():
    vehicle = make_vehicle(CustomerFactory(), serial=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        VehicleRole.objects.bulk_create([VehicleRole(vehicle=vehicle, customer=CustomerFactory(), kind="owner",
                                                     started_on=date(2026, 5, 1))])


@pytest.mark.django_db
def test_a_customer_cannot_be_merged_into_itself():
    customer = CustomerFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Customer.all_objects.filter(pk=customer.pk).update(merged_into=customer)
