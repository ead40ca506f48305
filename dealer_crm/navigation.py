"""The side menu. Each entry names the permission that shows it, so each role sees its own work.
An entry whose page lets people in by a rule rather than by one permission names that rule, so the
entry shows exactly to those the page lets in.

Later features add their entries here, in the section where staff look for them.
"""

from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class MenuItem:
    label: str | Promise
    url_name: str
    icon: str  # a Bootstrap Icons name
    perm: str | None = None  # None: every signed-in user
    staff_only: bool = False  # Django admin pages need is_staff as well
    # The dotted path of the page's own `(user) -> bool` access rule, asked as well as `perm`. A path,
    # not the function: nothing in dealer_crm imports an app, and the rule stays the page's.
    rule: str | None = None

    def visible_to(self, user) -> bool:
        if self.staff_only and not user.is_staff:
            return False
        if self.perm is not None and not user.has_perm(self.perm):
            return False
        return self.rule is None or import_string(self.rule)(user)


@dataclass(frozen=True)
class MenuSection:
    label: str | Promise
    items: tuple[MenuItem, ...]


SUPERVISION_READERS = "followups.callbacks.views.supervisor.can_read_supervision"

MENU: tuple[MenuSection, ...] = (
    MenuSection(_("Work"), (MenuItem(_("Today"), "home", "house-door"),)),
    MenuSection(
        _("Archive"),
        (
            MenuItem(_("Customers"), "customers:list", "person-lines-fill", perm="customers.view_customer"),
            MenuItem(_("New customer"), "customers:create", "person-plus", perm="customers.add_customer"),
            MenuItem(_("Possible duplicates"), "customers:duplicates", "people", perm="customers.merge_customer"),
        ),
    ),
    MenuSection(
        _("Callbacks"),
        (
            MenuItem(_("Callback workbench"), "callbacks:workbench", "telephone", perm="callbacks.work_callback"),
            MenuItem(_("Problems"), "callbacks:problem_inbox", "signpost-split", perm="callbacks.view_problem"),
            # The supervisor, and the general manager who reads them without working the queue.
            MenuItem(_("Callback supervision"), "callbacks:supervisor", "speedometer2", rule=SUPERVISION_READERS),
            MenuItem(_("All callbacks"), "callbacks:callback_list", "list-check", rule=SUPERVISION_READERS),
            MenuItem(_("Callback rules"), "callbacks:rule_list", "sliders", perm="callbacks.view_callbackrule"),
            MenuItem(_("Callback scripts"), "scripts:script_list", "journal-text", perm="scripts.view_script"),
        ),
    ),
    MenuSection(
        _("Complaints"),
        (
            MenuItem(_("Complaints"), "complaints:complaint_list", "exclamation-octagon", perm="complaints.view_complaint"),
            MenuItem(_("My inbox"), "complaints:inbox", "inbox", perm="complaints.handle_complaint"),
            MenuItem(_("Improvement plans"), "complaints:plan_list", "clipboard-check",
                     perm="complaints.handle_complaint"),
            MenuItem(_("Manufacturer's dissatisfaction items"), "complaints:manufacturer_list", "building-exclamation",
                     perm="complaints.view_manufactureritem"),
            MenuItem(_("Severities and calendar"), "complaints:severity_list", "calendar3",
                     perm="complaints.view_severity"),
        ),
    ),
    MenuSection(
        _("Retention and appointments"),
        (
            MenuItem(_("Reminders and solicitations"), "retention:reminder_list", "bell", perm="retention.view_reminder"),
            MenuItem(_("Letters to print"), "retention:letters", "envelope-paper", perm="retention.change_reminder"),
            MenuItem(_("Lapsed customers"), "retention:lapse_list", "person-dash", perm="retention.view_lapse"),
            MenuItem(_("Retention results"), "retention:report", "graph-up", perm="retention.view_reminder"),
            MenuItem(_("Appointment calendar"), "appointments:calendar", "calendar-week",
                     perm="appointments.view_appointment"),
            MenuItem(_("Service desk today"), "appointments:day", "clipboard2-check", perm="appointments.view_appointment"),
            MenuItem(_("Workshop capacity"), "appointments:capacity", "sliders2", perm="appointments.view_capacity"),
            MenuItem(_("Lapse bands"), "retention:band_list", "hourglass-split", perm="retention.view_lapseband"),
            # Who reads leads, and who hands them over (an agent sees the leads they raised).
            MenuItem(_("Sales leads"), "leads:lead_list", "person-up", rule="followups.leads.selectors.can_open_leads"),
        ),
    ),
    MenuSection(
        _("Customer care"),
        (
            MenuItem(_("Events"), "events:event_list", "balloon", perm="events.view_event"),
            MenuItem(_("Birthdays"), "birthdays:birthday_list", "cake2", perm="birthdays.view_birthdaygreeting"),
            MenuItem(_("Gift requests"), "gifts:request_list", "gift", perm="gifts.view_giftrequest"),
            MenuItem(_("Gift approvals"), "gifts:approval_list", "patch-check", perm="gifts.approve_giftrequest"),
            MenuItem(_("Gift catalogue"), "gifts:gift_list", "box-seam", perm="gifts.view_gift"),
            MenuItem(_("Gift budgets"), "gifts:budget_list", "piggy-bank", perm="gifts.view_giftbudget"),
            MenuItem(_("Members"), "membership:member_list", "award", perm="membership.view_member"),
            MenuItem(_("Rewards"), "membership:reward_list", "bag-heart", perm="membership.view_reward"),
            MenuItem(_("Tiers and points rules"), "membership:tier_list", "bar-chart-steps", perm="membership.view_tier"),
            MenuItem(_("Interviews"), "care:interview_list", "chat-square-text", perm="care.view_interview"),
            MenuItem(_("Lounge"), "care:lounge", "cup-hot", perm="care.view_loungevisit"),
        ),
    ),
    MenuSection(
        _("SMS"),
        (
            MenuItem(_("Outbox"), "messaging:outbox", "envelope", perm="messaging.view_outboundmessage"),
            MenuItem(_("Bulk sends"), "messaging:bulk_list", "send", perm="messaging.view_bulksend"),
            MenuItem(_("SMS templates"), "messaging:template_list", "card-text", perm="messaging.view_smstemplate"),
        ),
    ),
    MenuSection(
        _("Administration"),
        (
            MenuItem(_("Audit log"), "audit:event_list", "shield-check", perm="audit.view_auditevent"),
            MenuItem(_("Daily jobs"), "jobs:run_list", "clock-history", perm="jobs.view_jobrun"),
            MenuItem(_("Archive imports"), "imports:batch_list", "file-earmark-arrow-up", perm="imports.view_importbatch"),
            MenuItem(
                _("Staff and roles"), "admin:accounts_user_changelist", "people",
                perm="accounts.change_user", staff_only=True,
            ),
            MenuItem(
                _("Schedules"), "admin:django_celery_beat_periodictask_changelist", "calendar-week",
                perm="django_celery_beat.view_periodictask", staff_only=True,
            ),
        ),
    ),
)


def menu_for(user, current_path: str = "") -> list[dict]:
    """The sections and items `user` may see; the item whose URL is the longest prefix of the path is current."""
    sections = []
    for section in MENU:
        items = [{"label": item.label, "url": reverse(item.url_name), "icon": item.icon, "active": False}
                 for item in section.items if item.visible_to(user)]
        if items:
            sections.append({"label": section.label, "items": items})
    candidates = [item for section in sections for item in section["items"]
                  if current_path == item["url"] or (item["url"] != "/" and current_path.startswith(item["url"]))]
    if candidates:
        max(candidates, key=lambda item: len(item["url"]))["active"] = True
    return sections


def shell(request) -> dict:
    """Template context processor: the menu of the signed-in user and the idle timeout."""
    user = getattr(request, "user", None)
    items = menu_for(user, request.path) if user is not None and user.is_authenticated else []
    return {"menu": items, "session_idle_minutes": settings.SESSION_IDLE_MINUTES}
