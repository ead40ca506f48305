"""The home panel the birthdays fill (dealer_crm.home): "birthdays" — the birthdays of the next
days, customers and their children, today's first and the important first within a day, with the
week's count. Registered in BirthdaysConfig.ready()."""

PANEL_ROWS = 6


def _birthdays_week(*, user, today):
    """Five queries at most: the count, the rows shown, their people, greetings and children's gifts."""
    from django.conf import settings
    from django.urls import reverse
    from django.utils.translation import gettext as _
    from django.utils.translation import pgettext

    from dealer_crm.home import NOTHING, PanelRow, PanelRows

    from .selectors import BirthdayFilters, birthdays_page

    if not user.has_perm("birthdays.view_birthdaygreeting"):
        return NOTHING
    page, total = birthdays_page(today=today, days=settings.BIRTHDAY_DAYS_AHEAD, filters=BirthdayFilters(), page="1",
                                 per_page=PANEL_ROWS)
    if not total:
        return NOTHING
    url = reverse("birthdays:birthday_list")
    rows = []
    for row in page.object_list:
        whose = (_("%(child)s (child of %(parent)s)") % {"child": row.family_member.name, "parent": row.customer.name}
                 if row.is_child else row.customer.name)
        text = _("%(whose)s · %(age)d years") % {"whose": whose, "age": row.age}
        if row.important and not row.is_child:
            text += f" · {row.customer.get_importance_display()}"
        meta = pgettext("birthday", "Today") if row.is_today else f"{row.on:%m-%d}"
        rows.append(PanelRow(text=text, url=url, meta=meta, tone="warning" if row.is_today else ""))
    return PanelRows(rows=rows, total=total)


def register() -> None:
    from dealer_crm.home import panel_fill

    panel_fill("birthdays", items=_birthdays_week, link_url_name="birthdays:birthday_list")
