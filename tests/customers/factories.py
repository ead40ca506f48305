import io
from datetime import date

import factory
import openpyxl

from customers import services
from customers.models import Customer, Vehicle
from customers.normalize import vin_check_digit


def workbook(header: list, *rows, title: str | None = "雷诺4S店 2012年交车客户档案") -> bytes:
    """A small xlsx as the archives write them: a title row above the header, then the rows."""
    book = openpyxl.Workbook()
    if title:
        book.active.append([title])
    book.active.append(header)
    for row in rows:
        book.active.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def valid_vin(serial: int, wmi: str = "VF1") -> str:
    body = f"{wmi}RFB00X{'T'}A{serial:06d}"
    body = body[:8] + "0" + body[9:]
    return body[:8] + vin_check_digit(body) + body[9:]


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = "张三"
    mobile = factory.Sequence(lambda n: f"138{n:08d}")


def make_vehicle(customer: Customer, *, serial: int, plate: str = "", model_name: str = "科雷傲",
                 delivered: date = date(2026, 3, 1), by=None) -> Vehicle:
    return services.vehicle_add(customer=customer, by=by, vin=valid_vin(serial), plate=plate,
                                brand=Vehicle.Brand.RENAULT, model_name=model_name, delivery_date=delivered)
