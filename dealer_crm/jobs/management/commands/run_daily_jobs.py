import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dealer_crm.jobs.services import run_daily_jobs


class Command(BaseCommand):
    help = "Run every daily job for a date (default: today in Asia/Shanghai) and print a JSON summary."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="YYYY-MM-DD; default today")

    def handle(self, *args, **options):
        try:
            on = date.fromisoformat(options["date"]) if options["date"] else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"--date must be YYYY-MM-DD: {exc}") from exc
        summary = run_daily_jobs(on=on)
        self.stdout.write(json.dumps(summary, ensure_ascii=False, sort_keys=True))
        if not summary["ok"]:
            raise CommandError("At least one daily job failed; see the summary above.")
