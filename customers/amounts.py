"""How an amount of money reads on every page: ¥194,800.00.

The Chinese locale groups no digits (Django's zh_Hans THOUSAND_SEPARATOR is empty), so a price
would read ¥194800.00; staff read amounts the way invoices print them, with commas in threes.
"""

from decimal import Decimal


def format_yuan(amount: Decimal | int | float | None) -> str:
    if amount is None or amount == "":
        return "—"
    return f"¥{Decimal(amount):,.2f}"
