"""The home panel the leads fill (dealer_crm.home "leads"): registered in LeadsConfig.ready()."""

LEAD_ROWS = 6


def _leads_to_follow(*, user, today):
    """The sales manager's new leads nobody has yet and every overdue next contact; a consultant's
    contacts due today or overdue (red when overdue). Two queries: the rows and their count."""
    from django.urls import reverse
    from django.utils.translation import gettext as _
    from django.utils.translation import ngettext

    from dealer_crm.home import PanelRow, PanelRows

    from .selectors import leads_to_follow

    leads = leads_to_follow(user=user, today=today)  # none at all for a role that follows no leads
    rows = []
    for lead in leads.select_related("assigned_to")[:LEAD_ROWS]:
        if lead.next_contact_on is not None and lead.next_contact_on < today:
            late = (today - lead.next_contact_on).days
            meta, tone = ngettext("%(days)d day overdue", "%(days)d days overdue", late) % {"days": late}, "danger"
        elif lead.assigned_to_id is None:
            meta, tone = _("New, nobody has it yet"), "warning"
        else:
            meta, tone = _("Contact today"), ""
        who = f" · {lead.assigned_to}" if lead.assigned_to_id and lead.assigned_to_id != user.pk else ""
        rows.append(PanelRow(text=f"{lead.number} · {lead.name} · {lead.model_interest or '—'}{who}",
                             url=reverse("leads:lead_detail", args=[lead.pk]), meta=meta, tone=tone))
    return PanelRows(rows=rows, total=leads.count())


def register() -> None:
    from dealer_crm.home import panel_fill

    panel_fill("leads", items=_leads_to_follow, link_url_name="leads:lead_list")
