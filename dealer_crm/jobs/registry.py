"""The daily jobs: each app declares its own in a `daily_jobs` module with `@daily_job`.

A job is a plain function `job(*, on: date) -> dict[str, int]` that does that day's work and
returns counts (e.g. {"created": 3}). It must be idempotent: run twice for the same date, the
second run creates nothing new — the database's unique constraints make sure of it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from django.utils.functional import Promise


@dataclass(frozen=True)
class DailyJob:
    name: str
    label: str | Promise
    func: Callable[..., dict[str, int]]
    order: int


_jobs: dict[str, DailyJob] = {}


def daily_job(name: str, *, label: str | Promise, order: int = 100):
    """Register a function as a daily job under a stable `name`. Lower `order` runs first."""

    def register(func):
        if name in _jobs and _jobs[name].func is not func:
            raise ValueError(f"Two daily jobs are named {name!r}.")
        _jobs[name] = DailyJob(name=name, label=label, func=func, order=order)
        return func

    return register


def registered_jobs() -> list[DailyJob]:
    return sorted(_jobs.values(), key=lambda job: (job.order, job.name))


def job_label(name: str) -> str | Promise:
    """The job's label, or its name if the job is no longer registered."""
    return _jobs[name].label if name in _jobs else name
