from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One security-relevant action: who did what to which record, when and from where.

    Rows are only ever added; nothing in the application updates or deletes them.
    """

    class Action(models.TextChoices):
        LOGIN = "login", _("Logged in")
        LOGIN_FAILED = "login_failed", _("Failed login")
        LOGOUT = "logout", _("Logged out")
        ROLE_CHANGE = "role_change", _("Roles changed")
        PHONE_REVEAL = "phone_reveal", _("Full phone number revealed")
        PHONE_SEARCH = "phone_search", _("Searched by phone number")
        PASSWORD_SET = "password_set", _("Password set by an administrator")
        EXPORT = "export", _("Data exported")
        CONTACT_OPT_IN = "contact_opt_in", _("Contact allowed again")
        CALLBACK_REASSIGN = "callback_reassign", _("Callbacks reassigned")

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The name tried at a failed login, or the actor's username kept even if the account is renamed.
    actor_name = models.CharField(_("user name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=32, choices=Action.choices)
    target_type = models.CharField(_("record type"), max_length=100, blank=True)
    target_id = models.CharField(_("record id"), max_length=64, blank=True)
    target_repr = models.CharField(_("record"), max_length=200, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["action", "-at"], name="audit_action_at_idx"),
            models.Index(fields=["actor", "-at"], name="audit_actor_at_idx"),
            models.Index(fields=["target_type", "target_id"], name="audit_target_idx"),
        ]

    def __str__(self) -> str:
        return f"{timezone.localtime(self.at):%Y-%m-%d %H:%M} {self.actor_label} {self.action_label}"

    @property
    def action_label(self) -> str:
        """What happened, in words: opening the edit form shows the full numbers too, and is logged as
        a reveal, but the reader of the log must tell it apart from a click on the reveal button."""
        if self.action == self.Action.PHONE_REVEAL and self.detail.get("via") == "edit_form":
            return str(_("Opened the edit form (full number shown)"))
        return self.get_action_display()

    @property
    def detail_display(self) -> list[tuple[str, str]]:
        """The detail as (label, value) lines, with role codes shown as role names."""
        from dealer_crm.accounts.roles import Role

        labels = {"added": _("Roles added"), "removed": _("Roles removed"), "access": _("Access changed"),
                  "via": _("Through"), "phones": _("Numbers shown"), "rows": _("Rows"),
                  "list": _("List"), "format": _("Format"), "filters": _("Filters"),
                  "match": _("Searched by"), "digits": _("Digits typed"), "results": _("Customers found"),
                  "sessions_ended": _("Sessions ended"), "to": _("Given to"),
                  "being_called": _("Including those being called"), "moved": _("Callbacks moved"),
                  "callbacks": _("Callbacks ticked")}
        lines = []
        for key, value in self.detail.items():
            if key in ("added", "removed"):
                value = "、".join(str(Role(code).label) if code in Role.values else code for code in value) or "—"
            elif key == "match":
                value = "、".join(str({"ending": _("a number's ending"), "number": _("a whole number")}.get(v, v))
                                 for v in value)
            elif key == "via":
                value = {"edit_form": _("the customer's edit form")}.get(value, value)
            elif key == "to":
                value = value or _("Nobody (the whole team)")
            elif isinstance(value, bool):
                value = _("Yes") if value else _("No")
            elif isinstance(value, dict):
                value = ", ".join(f"{k}={v}" for k, v in value.items())
            elif isinstance(value, list):
                value = "、".join(f"#{v}" for v in value)
            lines.append((str(labels.get(key, key)), str(value)))
        return lines

    @property
    def actor_label(self) -> str:
        """Who acted, for display: the user, the name tried at a failed login, or the system itself."""
        if self.actor_id:
            return str(self.actor)
        return self.actor_name or str(_("System"))
