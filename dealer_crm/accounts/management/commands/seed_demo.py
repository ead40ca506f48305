from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dealer_crm.accounts.demo import demo_users_ensure, logins_file


class Command(BaseCommand):
    help = "Create the demo staff (one user per role) and print their logins. Never in production."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("seed_demo only runs with DEBUG on (the embedded default of `make run`).")
        demo_users_ensure()
        self.stdout.write("Demo logins (user, password, role) — also in var/demo-logins.txt:")
        path = logins_file()
        if path.exists():
            self.stdout.write(path.read_text(encoding="utf-8"))
