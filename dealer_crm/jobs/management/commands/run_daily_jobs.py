import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dealer_crm.jobs.services import catch_up_daily_jobs, run_daily_jobs


class Command(BaseCommand):
    help = ("Run every daily job for a date (default: today in Asia/Shanghai), or with --catch-up the "
            "dates due and not done, and print a JSON summary.")

    def add_arguments(self, parser):
        when = parser.add_mutually_exclusive_group()
        when.add_argument("--date", help="YYYY-MM-DD; default today")
        when.add_argument("--catch-up", action="store_true",
                          help="what beat runs when it starts: today once 05:30 has passed, and the days "
                               "missed within DAILY_JOBS_CATCH_UP_DAYS, each date not done yet, in order")

    def handle(self, *args, **options):
        if options["catch_up"]:
            summary = catch_up_daily_jobs(now=timezone.now())
        else:
            try:
                on = date.fromisoformat(options["date"]) if options["date"] else timezone.localdate()
            except ValueError as exc:
                raise CommandError(f"--date must be YYYY-MM-DD: {exc}") from exc
            summary = run_daily_jobs(on=on)
        self.stdout.write(json.dumps(summary, ensure_ascii=False, sort_keys=True))
        if not summary["ok"]:
            raise CommandError("At least one daily job failed; see the summary above.")
