"""dealer_crm: the CRM of a 4S dealership's customer-service department (DCRC, 客服部)."""

from .celery import app as celery_app

__all__ = ("celery_app",)
