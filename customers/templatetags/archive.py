from django import template

from customers.amounts import format_yuan
from customers.normalize import format_phone, mask_id_number, mask_phone

register = template.Library()


@register.filter
def masked(number: str) -> str:
    """138****5678: how staff see a phone until they reveal it."""
    return mask_phone(number or "")


@register.filter
def phone(number: str) -> str:
    return format_phone(number or "")


@register.filter
def masked_id(value: str) -> str:
    """An ID card number shows its first 3 and last 4 characters only."""
    return mask_id_number(value)


@register.filter
def yuan(amount) -> str:
    """¥194,800.00 (— when there is none)."""
    return format_yuan(amount)
