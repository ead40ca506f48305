"""What a new installation books with: three service advisors (服务顾问1–3, to be renamed after the
store's own) and their places, the no-show follow-up call's rule, and the appointments' two texts.

Places: on working days (China's, with the make-up days) each advisor takes 2 cars an hour from
8:00 to 17:00, on weekends 1 an hour from 9:00 to 16:00; nobody is booked over the lunch hour (12:00)
on either. The no-show call (预约未到回访) is due on the day the no-show is found, at the shift's start,
open for 7 days, 3 attempts over 3 days, before the retention calls in the queue (priority 15);
the customer who is not reached gets the callback centre's unreachable text.

The texts (service purpose): 预约确认 (`appointment_booked`) the moment the appointment is booked, and
预约改期 (`appointment_moved`) when it moves — both allowed in quiet hours since the customer is waiting
for them, and two templates so that a booking moved the same day is still told (the SMS platform sends
one text of a template a day to a number); 预约提醒 (`appointment_tomorrow`) the day before. Their keys
differ from the demo store's `appointment_confirmed`.

Idempotent (get-or-create): the tests' factory runs it again in an emptied database. Backwards, the
rows go unless in use (an advisor with bookings, a text already sent stay).
"""

from django.db import migrations
from django.db.models import ProtectedError

ADVISORS = ["服务顾问1", "服务顾问2", "服务顾问3"]
LUNCH = 12
# (day type, first hour, last hour starting, places)
CAPACITIES = [("workday", 8, 16, 2), ("rest_day", 9, 15, 1)]

TEMPLATES = [
    ("appointment_booked", "预约确认",
     "{name}{title}您好，您已预约{date} {time}到{store}为爱车{plate}保养维修，届时请携带行驶证。如需改期或取消请来电。",
     True),
    ("appointment_moved", "预约改期",
     "{name}{title}您好，您的预约已改至{date} {time}，请届时到{store}为爱车{plate}保养维修，届时请携带行驶证。如需再改期请来电。",
     True),
    ("appointment_tomorrow", "预约提醒",
     "{name}{title}您好，温馨提醒：您预约了明天（{date}）{time}到{store}为爱车{plate}保养维修，届时请携带行驶证。如需改期请来电。",
     False),
]

NO_SHOW_RULE = {"due_days": [0], "expires_after_days": 7, "priority": 15, "max_attempts": 3, "attempt_days": 3,
                "no_calls": "skip"}
UNREACHABLE_KEY = "callback_unreachable_sms"


def create_defaults(apps, schema_editor):
    ServiceResource = apps.get_model("appointments", "ServiceResource")
    Capacity = apps.get_model("appointments", "Capacity")
    SmsTemplate = apps.get_model("messaging", "SmsTemplate")
    CallbackRule = apps.get_model("callbacks", "CallbackRule")
    for position, name in enumerate(ADVISORS, start=1):
        resource, created = ServiceResource.objects.get_or_create(
            name=name, defaults={"kind": "advisor", "position": position})
        if not created:
            continue  # the store's own places are kept
        Capacity.objects.bulk_create([
            Capacity(resource=resource, day_type=day_type, hour=hour, places=places)
            for day_type, first, last, places in CAPACITIES for hour in range(first, last + 1) if hour != LUNCH])
    for key, name, text, exempt in TEMPLATES:
        SmsTemplate.objects.get_or_create(key=key, defaults={
            "name": name, "purpose": "service", "text": text, "quiet_hours_exempt": exempt})
    CallbackRule.objects.get_or_create(kind="no_show", visit_kind="", defaults={
        **NO_SHOW_RULE, "unreachable_sms_template": SmsTemplate.objects.filter(key=UNREACHABLE_KEY).first()})


def remove_defaults(apps, schema_editor):
    for model, lookup in [("callbacks.CallbackRule", {"kind": "no_show", "visit_kind": ""}),
                          ("messaging.SmsTemplate", {"key__in": [key for key, *_rest in TEMPLATES]}),
                          ("appointments.ServiceResource", {"name__in": ADVISORS})]:
        for row in apps.get_model(model).objects.filter(**lookup):
            try:
                row.delete()
            except ProtectedError:  # booked, or a text the outbox sent: it stays
                pass


class Migration(migrations.Migration):

    dependencies = [
        ("appointments", "0001_appointments"),
        ("callbacks", "0007_retention_kinds"),
        ("messaging", "0005_staff_alert"),
    ]

    operations = [migrations.RunPython(create_defaults, remove_defaults)]
