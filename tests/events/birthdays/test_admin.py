"""The greetings in the admin: the system administrator looks them up; nobody adds or changes one there."""

from datetime import date

import pytest
from django.urls import reverse

from events.birthdays.models import BirthdayGreeting

from .conftest import customer

pytestmark = pytest.mark.django_db


def test_the_admin_lists_the_greetings_read_only(client, django_user_model):
    from django.utils import timezone

    superuser = django_user_model.objects.create_superuser(username="root", password="x" * 12)
    wang = customer(born=date(1980, 12, 3))
    greeting = BirthdayGreeting.objects.create(customer=wang, year=2026, celebrated_on=date(2026, 12, 3), age=46,
                                               status="refused", refused_reason="opted_out", created_at=timezone.now())
    client.force_login(superuser)
    listing = client.get(reverse("admin:birthdays_birthdaygreeting_changelist"))
    assert listing.status_code == 200 and "王建国" in listing.content.decode()
    assert client.get(reverse("admin:birthdays_birthdaygreeting_add")).status_code == 403
    change = client.get(reverse("admin:birthdays_birthdaygreeting_change", args=[greeting.pk]))
    assert change.status_code == 200 and 'name="_save"' not in change.content.decode()
