"""The complaints' daily job (dealer_crm.jobs.registry): the escalations, after the callback centre's
jobs. Beat also runs them every five minutes (tasks.escalate_task, migration 0003), so a deadline
is told within minutes of being reached; this run records what a stopped beat missed. Idempotent:
a level recorded once is not recorded again (Escalation's `escalation_once`)."""

from datetime import date

from django.utils.translation import gettext_lazy as _

from dealer_crm.jobs.registry import daily_job

from .escalation import LEVELS, complaints_escalate


@daily_job("complaints.escalate", label=_("Escalate the complaints' deadlines"), order=300)
def escalate_complaints(*, on: date) -> dict[str, int]:
    # As of now, whatever day is being run: a deadline is a moment. The SMS are the five-minute
    # task's, which sends them only while the store is open (05:30 is not). The counts under the
    # names the jobs page words (found, created); the levels are in the task's result.
    result = complaints_escalate()
    return {"found": result["checked"], "created": sum(result[level] for level in LEVELS)}
