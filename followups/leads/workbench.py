"""The hand-over to sales from a retention call, on the callback workbench
(followups/callbacks/extras.py), registered from LeadsConfig.ready(): a customer called about their
car's maintenance who says they want another car becomes a lead (转销售线索) on the lead form, which
starts from the call. No query: a link for whoever may add a lead."""

from followups.callbacks.extras import workbench_extra_register
from followups.callbacks.models import CallbackKind

KINDS = (CallbackKind.SOLICIT, CallbackKind.REMINDER, CallbackKind.WIN_BACK, CallbackKind.NO_SHOW)


def lead_context(*, bench, user, may_record: bool, now, kept: dict | None) -> dict | None:
    if not user.has_perm("leads.add_lead"):
        return None
    return {"callback_id": bench.callback.pk}


def register() -> None:
    workbench_extra_register("leads", kinds=KINDS, template="callbacks/partials/extra_lead.html",
                             context=lead_context, order=40)
