"""The Celery application. Workers and beat load settings from Django (CELERY_* names)."""

import os

from celery import Celery

# Workers and beat run in production by default; `make run` and the tests name their settings.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dealer_crm.settings.production")

app = Celery("dealer_crm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
