"""`sms_send_bulk`: the bulk send of the pages, from the command line (scripts, tests, benchmarks).

    python manage.py sms_send_bulk --template KEY --filter "brand=mitsubishi" --confirm [--wait] [--json]
    python manage.py sms_send_bulk --text "…" --purpose notice --upload mobiles.xlsx --confirm

Without --confirm it prints who would get it and who is left out, and queues nothing. The same
services as the pages: the screening, approval (a marketing send of someone without
send_marketing waits for the DCRC supervisor), the one row per recipient. The messages are sent by
the workers; --wait polls the database until none of the bulk send's messages waits or is sending.
"""

import json
import time
from datetime import date
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count

from dealer_crm.messaging import services
from dealer_crm.messaging.audience import Exclusion
from dealer_crm.messaging.bulk_forms import MAX_UPLOAD_BYTES, UploadError, date_value, filter_query_clean, read_mobiles
from dealer_crm.messaging.gateways import get_gateway
from dealer_crm.messaging.models import BulkSend, OutboundMessage, Purpose, SmsTemplate

Status = OutboundMessage.Status
POLL_SECONDS = 0.5


class Command(BaseCommand):
    help = "Send one text to the customers of a customer-list filter or of an uploaded list of mobiles."

    def add_arguments(self, parser):
        what = parser.add_mutually_exclusive_group(required=True)
        what.add_argument("--template", metavar="KEY", help="the key of an SMS template in use")
        what.add_argument("--text", help="free text (only on gateways that send it: console, http)")
        parser.add_argument("--purpose", choices=Purpose.values, help="what --text is for (required with --text)")
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--filter", metavar="QUERYSTRING",
                         help='the customer list\'s query string, e.g. "brand=mitsubishi&model_name=欧蓝德"; "" for everyone')
        who.add_argument("--upload", metavar="FILE.xlsx", help="an xlsx with a column of mobiles (手机/手机号/mobile or the first)")
        parser.add_argument("--date", help="YYYY-MM-DD: the {date} of the text")
        parser.add_argument("--user", metavar="USERNAME", help="the sender (default: the first superuser)")
        parser.add_argument("--confirm", action="store_true", help="queue it; without, only print the counts")
        parser.add_argument("--wait", action="store_true", help="return when every message is settled")
        parser.add_argument("--timeout", type=float, default=600.0, help="seconds --wait waits at most (default 600)")
        parser.add_argument("--json", action="store_true", help="print the counts as JSON")

    def handle(self, *args, **options):
        user = self._user(options["user"])
        template, text, purpose = self._what(options)
        variables = self._variables(options["date"], template.text if template is not None else text)
        mobiles, upload_name = self._upload(options["upload"])
        query = filter_query_clean(options["filter"] or "")
        if not options["confirm"]:
            if mobiles is not None:
                recipients = services.recipients_from_mobiles(mobiles=mobiles, purpose=purpose, template=template)
            else:
                recipients = services.recipients_from_filter(query=query, user=user, purpose=purpose, template=template)
            self._report({"recipients": recipients.count, "excluded": dict(recipients.excluded), "queued": 0},
                         options, note="Nothing queued: add --confirm to send.")
            if options["wait"]:
                raise CommandError("--wait needs --confirm: nothing was queued to wait for.")
            return
        try:
            bulk = services.bulk_send_create(by=user, purpose=purpose, template=template, text=text, variables=variables,
                                             query="" if mobiles is not None else query, mobiles=mobiles or [],
                                             upload_name=upload_name)
        except services.MessagingError as error:
            raise CommandError(str(error)) from error
        queued = bulk.messages.count()
        summary = {"recipients": bulk.recipients, "excluded": dict(bulk.excluded), "queued": queued}
        if bulk.status == BulkSend.Status.AWAITING_APPROVAL:
            self._report(summary, options, note=f"Bulk send #{bulk.pk} waits for the DCRC supervisor's approval.")
            if options["wait"]:
                raise CommandError(f"Bulk send #{bulk.pk} waits for approval: there is nothing to wait for yet.")
            return
        if options["wait"]:
            summary |= self._wait(bulk, timeout=options["timeout"])
        self._report(summary, options, note=f"Bulk send #{bulk.pk}.")

    # --- the arguments ---------------------------------------------------------------------
    def _user(self, username: str | None):
        users = get_user_model().objects
        if username:
            user = users.filter(username=username, is_active=True).first()
            if user is None:
                raise CommandError(f"No active user {username!r}.")
            return user
        user = users.filter(is_superuser=True, is_active=True).order_by("id").first()
        if user is None:
            raise CommandError("No superuser to send as: name the sender with --user USERNAME.")
        return user

    def _what(self, options) -> tuple[SmsTemplate | None, str, str]:
        gateway = get_gateway()
        if options["template"]:
            template = SmsTemplate.objects.filter(key=options["template"]).first()
            if template is None:
                raise CommandError(f"No SMS template with the key {options['template']!r}.")
            if options["purpose"] and options["purpose"] != template.purpose:
                raise CommandError(f"The template {template.key!r} is for {template.purpose}, not {options['purpose']}.")
            text, purpose = "", template.purpose
        else:
            template, text, purpose = None, options["text"].strip(), options["purpose"]
            if not gateway.free_text:
                raise CommandError(f"The gateway {gateway.name} sends only approved templates: use --template KEY.")
            if not purpose:
                raise CommandError("--text needs --purpose (notice, marketing, service or care).")
        try:
            services.template_check(template=template, text=text, gateway=gateway)
        except services.MessagingError as error:
            raise CommandError(str(error)) from error
        except ValidationError as error:  # the text's own rules (unknown variables, a typed signature)
            raise CommandError(" ".join(error.messages)) from error
        return template, text, purpose

    def _variables(self, value: str | None, text: str) -> dict:
        if not value:
            if "{date}" in text:
                raise CommandError("The text says {date}: give --date YYYY-MM-DD.")
            return {}
        try:
            return {"date": date_value(date.fromisoformat(value))}
        except ValueError as error:
            raise CommandError(f"--date must be YYYY-MM-DD: {error}") from error

    def _upload(self, name: str | None) -> tuple[list[str] | None, str]:
        if not name:
            return None, ""
        path = Path(name)
        try:
            with path.open("rb") as upload:
                data = upload.read(MAX_UPLOAD_BYTES + 1)
        except OSError as error:
            raise CommandError(f"Cannot read {name}: {error.strerror}") from error
        try:
            return read_mobiles(data), path.name[:200]
        except UploadError as error:
            raise CommandError(f"{name}: {error}") from error

    # --- waiting and printing ------------------------------------------------------------------
    def _wait(self, bulk: BulkSend, *, timeout: float) -> dict:
        """Poll the database until no message of the bulk send waits or is being sent."""
        deadline = time.monotonic() + timeout
        while True:
            counts = dict(bulk.messages.order_by().values_list("status").annotate(n=Count("id")))
            if not counts.get(Status.QUEUED) and not counts.get(Status.SENDING):
                return {"sent": counts.get(Status.SENT, 0) + counts.get(Status.DELIVERED, 0),
                        "failed": counts.get(Status.FAILED, 0), "unknown": counts.get(Status.UNKNOWN, 0)}
            if time.monotonic() >= deadline:
                raise CommandError(
                    f"Bulk send #{bulk.pk}: {counts.get(Status.QUEUED, 0) + counts.get(Status.SENDING, 0)} messages "
                    f"still waiting after {timeout:g} s (are the workers running? quiet hours?).")
            time.sleep(POLL_SECONDS)

    def _report(self, summary: dict, options, *, note: str) -> None:
        if options["json"]:
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
            return
        lines = [note, f"Recipients: {summary['recipients']}", f"Queued: {summary['queued']}"]
        excluded = summary["excluded"]
        lines.append(f"Excluded: {sum(excluded.values())}")
        lines += [f"  {Exclusion(reason).label if reason in Exclusion.values else reason} ({reason}): {n}"
                  for reason, n in sorted(excluded.items(), key=lambda item: -item[1])]
        lines += [f"{key.capitalize()}: {summary[key]}" for key in ("sent", "failed", "unknown") if key in summary]
        self.stdout.write("\n".join(lines))
