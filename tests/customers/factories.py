import io
from datetime import date

import factory
import openpyxl

from customers import services
from customers.models import Customer, Vehicle


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


# ISO 3779 / GB 16735, written out here rather than taken from customers.normalize: test VINs made
# with the code under test would pass whatever that code computes.
ISO3779_VALUES = {"A": 1, "B": 2, "C": 3, "D": 4, "E": 5, "F": 6, "G": 7, "H": 8,
                  "J": 1, "K": 2, "L": 3, "M": 4, "N": 5, "P": 7, "R": 9,
                  "S": 2, "T": 3, "U": 4, "V": 5, "W": 6, "X": 7, "Y": 8, "Z": 9}
ISO3779_WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]


def iso3779_check_digit(vin: str) -> str:
    """The check digit a 17-character VIN must carry in position 9 (that position weighs 0)."""
    total = sum((int(c) if c.isdigit() else ISO3779_VALUES[c]) * w for c, w in zip(vin, ISO3779_WEIGHTS, strict=True))
    return "X" if total % 11 == 10 else str(total % 11)


def valid_vin(serial: int, wmi: str = "VF1") -> str:
    body = f"{wmi}RFB000TA{serial:06d}"
    return body[:8] + iso3779_check_digit(body) + body[9:]


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = "张三"
    mobile = factory.Sequence(lambda n: f"138{n:08d}")


def make_vehicle(customer: Customer, *, serial: int, plate: str = "", model_name: str = "科雷傲",
                 delivered: date = date(2026, 3, 1), by=None) -> Vehicle:
    return services.vehicle_add(customer=customer, by=by, vin=valid_vin(serial), plate=plate,
                                brand=Vehicle.Brand.RENAULT, model_name=model_name, delivery_date=delivered)
