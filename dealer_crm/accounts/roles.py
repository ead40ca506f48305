"""The roles of the customer-service department, and the permissions each one holds.

A role is a Django group whose name is the role's value. The groups are created by a data
migration; their permissions are kept in step with `ROLE_PERMISSIONS` after every migrate, so an
app that adds a model only has to name its permissions here.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    # Order matters: a user with several roles lands on the home page of the first.
    ADMIN = "admin", _("System administrator")
    GENERAL_MANAGER = "general_manager", _("General manager")
    DCRC_SUPERVISOR = "dcrc_supervisor", _("DCRC supervisor")
    SERVICE_MANAGER = "service_manager", _("After-sales manager")
    SALES_MANAGER = "sales_manager", _("Sales manager")
    SALES_SUPERVISOR = "sales_supervisor", _("Sales supervisor")
    CALLBACK_AGENT = "callback_agent", _("Callback agent")
    INTERVIEWER = "interviewer", _("Interviewer")
    LOUNGE_HOST = "lounge_host", _("Lounge host")
    MARKETING = "marketing", _("Marketing")


# "app_label.codename" per role. Permissions of models that do not exist yet are skipped until they do.
# What reading the archive takes; what keeping it takes on top.
ARCHIVE_READ = {"customers.view_customer", "customers.view_vehicle", "customers.view_servicevisit"}
ARCHIVE_KEEP = ARCHIVE_READ | {
    "customers.add_customer", "customers.change_customer", "customers.add_vehicle", "customers.change_vehicle",
    "customers.change_deliveryfile", "customers.add_familymember", "customers.change_familymember",
    "customers.delete_familymember", "customers.change_contactpreference", "customers.add_timelineentry",
}
# Whose work needs the customer's full number (they call or visit); every reveal is logged.
PHONE_REVEAL = {"customers.reveal_phone"}
# Who takes lists out of the system (to plan, to report): the roles that manage, not those who
# work customer by customer. Every export is logged and its phones are masked.
EXPORT = {"customers.export_customers"}
# The SMS platform (dealer_crm/messaging). Whoever talks to customers sends them service and care
# messages one by one; bulk sends of marketing by anyone without `send_marketing` wait for the DCRC
# supervisor's approval. Templates are the supervisor's (the admin moves them between installations).
SMS_SEND = {"messaging.view_smstemplate", "messaging.add_outboundmessage", "messaging.view_outboundmessage"}
SMS_BULK = SMS_SEND | {"messaging.add_bulksend", "messaging.view_bulksend"}
SMS_RUN = SMS_BULK | {
    "messaging.add_smstemplate", "messaging.change_smstemplate", "messaging.send_marketing",
    "messaging.approve_bulksend", "messaging.view_inboundreply", "messaging.change_outboundmessage",
}
# The callback centre (followups.callbacks, followups.scripts). Agents work the queue and raise
# problems; the supervisor also sets the rules, edits the scripts, reassigns and closes; the
# department managers record the fixes of the problems routed to them.
CALLBACK_WORK = {
    "callbacks.view_callback", "callbacks.work_callback", "callbacks.view_problem", "callbacks.add_problem",
    "scripts.view_script", "scripts.view_scriptversion",
}
CALLBACK_RUN = CALLBACK_WORK | {
    "callbacks.supervise_callback", "callbacks.change_callback", "callbacks.close_problem",
    "callbacks.view_callbackrule", "callbacks.change_callbackrule",
    "callbacks.view_outcomerule", "callbacks.change_outcomerule",
    "scripts.add_script", "scripts.change_script", "scripts.add_scriptversion", "scripts.change_scriptversion",
    "scripts.view_question",  # the questions' Excel export and import in the admin
}
PROBLEM_FIX = {"callbacks.view_problem", "callbacks.fix_problem"}
# Complaints (followups.complaints). Whoever meets customers registers a complaint; a department's
# manager handles those the supervisor gives them; the supervisor assigns, reclassifies, sets the
# severities and the store's calendar, and enters the manufacturer's dissatisfaction items.
COMPLAINT_REGISTER = {"complaints.view_complaint", "complaints.add_complaint"}
COMPLAINT_HANDLE = COMPLAINT_REGISTER | {"complaints.handle_complaint"}
COMPLAINT_RUN = COMPLAINT_HANDLE | {
    "complaints.supervise_complaint", "complaints.view_severity", "complaints.change_severity",
    "complaints.add_severity", "complaints.view_storeday", "complaints.add_storeday", "complaints.change_storeday",
    "complaints.delete_storeday", "complaints.view_manufactureritem", "complaints.add_manufactureritem",
}

# Retention (followups.retention, followups.appointments, followups.leads). Whoever talks to customers
# books appointments and hands buyers to sales; the agents work the reminders and the lapse list and
# print the letters; the supervisor also sets the lapse bands and the workshop's capacity; the service
# desk (the after-sales manager) checks the booked customers in; the sales side works the leads.
RETENTION_WORK = {
    "retention.view_reminder", "retention.change_reminder", "retention.view_lapse", "retention.add_lapsereason",
    "appointments.view_appointment", "appointments.book_appointment", "leads.add_lead",
}
RETENTION_RUN = RETENTION_WORK | {
    "retention.view_lapseband", "retention.add_lapseband", "retention.change_lapseband",
    "appointments.view_capacity", "appointments.change_capacity", "appointments.add_capacity",
    "appointments.view_serviceresource", "appointments.add_serviceresource", "appointments.change_serviceresource",
    "appointments.desk_appointment", "leads.view_lead",
}
APPOINTMENT_BOOK = {"appointments.view_appointment", "appointments.book_appointment", "leads.add_lead"}
SERVICE_DESK = APPOINTMENT_BOOK | {"appointments.desk_appointment", "appointments.view_capacity",
                                   "retention.view_reminder"}
LEAD_FOLLOW = {"leads.view_lead", "leads.add_lead", "leads.follow_lead"}
LEAD_RUN = LEAD_FOLLOW | {"leads.manage_lead"}

# Customer care (events, events.gifts, events.birthdays, events.care, customers.membership). Marketing
# runs the events with the DCRC; whoever meets customers requests gifts, which only the general manager
# approves; the DCRC posts them. Interviewers and lounge hosts fill the file in person; whoever is at the
# service desk or meets customers enrols members and redeems points; the supervisor sets the tiers, the
# points rules and the rewards, and corrects a balance.
EVENT_READ = {"events.view_event", "events.view_invitation", "events.view_checklistitem"}
EVENT_DOOR = EVENT_READ | {"events.checkin_event", "leads.add_lead"}  # a walk-in prospect is handed to sales
EVENT_RUN = EVENT_DOOR | {
    "events.add_event", "events.change_event", "events.invite_event", "events.change_invitation",
    "events.add_checklistitem", "events.change_checklistitem", "events.delete_checklistitem",
}
GIFT_REQUEST = {"gifts.view_gift", "gifts.view_giftrequest", "gifts.add_giftrequest"}
GIFT_RUN = GIFT_REQUEST | {
    "gifts.send_giftrequest", "gifts.add_gift", "gifts.change_gift", "gifts.view_giftbudget",
}
GIFT_APPROVE = GIFT_REQUEST | {
    "gifts.approve_giftrequest", "gifts.view_giftbudget", "gifts.add_giftbudget", "gifts.change_giftbudget",
}
BIRTHDAY_READ = {"birthdays.view_birthdaygreeting"}
CARE_MEET = {"care.view_interview", "care.add_interview", "care.view_loungevisit", "care.add_loungevisit",
             "care.change_loungevisit"}
MEMBER_SERVE = {"membership.view_member", "membership.add_member", "membership.redeem_points",
                "membership.view_reward", "membership.view_tier"}
MEMBER_RUN = MEMBER_SERVE | {
    "membership.adjust_points", "membership.change_member", "membership.add_tier", "membership.change_tier",
    "membership.view_pointsrule", "membership.add_pointsrule", "membership.change_pointsrule",
    "membership.add_reward", "membership.change_reward",
}

ROLE_PERMISSIONS: dict[Role, set[str]] = {
    # Not change_customer: the customer edit form shows the full numbers (customers.access.can_edit_customer)
    # and the admin sees them masked only, so it would be a right that no page honours.
    Role.ADMIN: (ARCHIVE_KEEP - {"customers.change_customer"}) | EXPORT | {
        "accounts.view_user",
        "accounts.add_user",
        "accounts.change_user",
        "audit.view_auditevent",
        "jobs.view_jobrun",
        "jobs.run_daily_jobs",
        "django_celery_beat.view_periodictask",
        "django_celery_beat.change_periodictask",
        "imports.view_importbatch",
        "imports.add_importbatch",
        # The vehicle catalogue: models are switched off (not in use), never deleted.
        "catalogue.view_vehiclemodel",
        "catalogue.add_vehiclemodel",
        "catalogue.change_vehiclemodel",
        # Locked logins (django-axes): deleting an attempt unlocks that account on that address.
        "axes.view_accessattempt",
        "axes.delete_accessattempt",
        "messaging.view_smstemplate",
        "messaging.add_smstemplate",
        "messaging.change_smstemplate",
        "messaging.view_staffalert",  # the complaints' escalation SMS to staff, in the Django admin
        # The gift catalogue's Excel import and export (django-import-export) in the Django admin.
        "gifts.view_gift", "gifts.add_gift", "gifts.change_gift",
    },
    Role.GENERAL_MANAGER: ARCHIVE_READ | EXPORT | PROBLEM_FIX | COMPLAINT_HANDLE | {
        "jobs.view_jobrun", "messaging.view_outboundmessage", "messaging.view_bulksend", "callbacks.view_callback",
        "retention.view_reminder", "retention.view_lapse", "appointments.view_appointment", "leads.view_lead",
    } | EVENT_READ | GIFT_APPROVE | BIRTHDAY_READ | {"care.view_interview", "care.view_loungevisit",
                                                     "membership.view_member", "membership.view_tier"},
    Role.DCRC_SUPERVISOR: ARCHIVE_KEEP | PHONE_REVEAL | EXPORT | {
        "audit.view_auditevent", "accounts.view_user", "customers.merge_customer",
        "customers.view_duplicatecandidate",
    } | SMS_RUN | CALLBACK_RUN | COMPLAINT_RUN | RETENTION_RUN | EVENT_RUN | GIFT_RUN | BIRTHDAY_READ | CARE_MEET
      | MEMBER_RUN,
    Role.SERVICE_MANAGER: (ARCHIVE_READ | PHONE_REVEAL | SMS_SEND | PROBLEM_FIX | COMPLAINT_HANDLE | SERVICE_DESK
                           | MEMBER_SERVE),
    Role.SALES_MANAGER: ARCHIVE_READ | PHONE_REVEAL | SMS_BULK | PROBLEM_FIX | COMPLAINT_HANDLE | LEAD_RUN | EVENT_DOOR,
    Role.SALES_SUPERVISOR: ARCHIVE_READ | SMS_BULK | LEAD_FOLLOW | EVENT_DOOR,
    Role.CALLBACK_AGENT: (ARCHIVE_KEEP | PHONE_REVEAL | SMS_SEND | CALLBACK_WORK | COMPLAINT_REGISTER | RETENTION_WORK
                          | GIFT_REQUEST | BIRTHDAY_READ | EVENT_DOOR),
    Role.INTERVIEWER: (ARCHIVE_KEEP | PHONE_REVEAL | SMS_SEND | COMPLAINT_REGISTER | APPOINTMENT_BOOK | GIFT_REQUEST
                       | BIRTHDAY_READ | CARE_MEET | MEMBER_SERVE | EVENT_DOOR | {"callbacks.add_problem"}),
    Role.LOUNGE_HOST: (ARCHIVE_KEEP | PHONE_REVEAL | SMS_SEND | COMPLAINT_REGISTER | APPOINTMENT_BOOK | CARE_MEET
                       | MEMBER_SERVE | EVENT_DOOR),
    Role.MARKETING: ARCHIVE_READ | SMS_BULK | {"messaging.send_marketing"} | EVENT_RUN | GIFT_REQUEST,
}


def sync_role_permissions(*, group_model=None, permission_model=None) -> None:
    """Create the role groups if missing and set each group's permissions to `ROLE_PERMISSIONS`.

    The model classes may be passed in so that a data migration can call this with its
    historical models.
    """
    if group_model is None or permission_model is None:
        from django.contrib.auth.models import Group, Permission

        group_model, permission_model = Group, Permission

    wanted = {perm for perms in ROLE_PERMISSIONS.values() for perm in perms}
    by_name = {}
    for perm in permission_model.objects.select_related("content_type").filter(
        content_type__app_label__in={name.split(".")[0] for name in wanted}
    ):
        by_name[f"{perm.content_type.app_label}.{perm.codename}"] = perm
    for role, names in ROLE_PERMISSIONS.items():
        group, _created = group_model.objects.get_or_create(name=role.value)
        group.permissions.set([by_name[name] for name in sorted(names) if name in by_name])


def sync_role_permissions_after_migrate(sender, **kwargs) -> None:
    """post_migrate receiver: runs after auth has created the permissions of the migrated app."""
    sync_role_permissions()
