"""Every change retention makes (招揽): the vehicles' due state and what the visits answer
(`refresh`), the day's solicitations and reminders and the letters (`reminders`), the lapsed
customers, their win-back calls, the reasons learnt and the sold car (`lapses`), and the concern a
reminder asks about first (`concerns`). The daily jobs, the pages, the workbench and the demo call
these; each is keyword-only and transactional."""

from .common import Reason, reason_label
from .concerns import concern_of
from .lapses import lapse_of_callback, lapse_reason_record, lapse_window, lapses_build, vehicle_sold
from .refresh import service_due_recompute, service_due_refresh
from .reminders import channel_choose, letters_mark_printed, reminder_of_callback, reminders_build

__all__ = [
    "Reason", "channel_choose", "concern_of", "lapse_of_callback", "lapse_reason_record", "lapse_window", "lapses_build",
    "letters_mark_printed", "reason_label", "reminder_of_callback", "reminders_build", "service_due_recompute",
    "service_due_refresh", "vehicle_sold",
]
