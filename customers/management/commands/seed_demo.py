import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from customers.demo import seed_customers
from customers.models import Customer
from dealer_crm.accounts.demo import demo_users_ensure, logins_file


class Command(BaseCommand):
    help = ("Create the demo staff (one user per role) and, with --customers N, a demo store of N customers "
            "with vehicles delivered over three years, their maintenance and repair history, and family. "
            "Never in production.")

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=0, help="how many customers to add")
        parser.add_argument("--seed", type=int, default=1, help="random seed (the same seed, the same store)")
        parser.add_argument("--if-empty", action="store_true", help="add customers only if there are none yet")

    def handle(self, *args, customers: int, seed: int, if_empty: bool, **options):
        if not settings.DEBUG:
            raise CommandError("seed_demo only runs with DEBUG on (the embedded default of `make run`).")
        if customers < 0:
            raise CommandError("--customers must be 0 or more.")
        demo_users_ensure()
        if customers and not (if_empty and Customer.all_objects.exists()):
            started = time.monotonic()
            step = max(customers // 10, 1)

            def progress(done: int) -> None:
                if done % step < 10_000 or done == customers:
                    self.stdout.write(f"  {done:,} / {customers:,} customers ({time.monotonic() - started:.0f} s)")

            totals = seed_customers(count=customers, seed=seed, progress=progress)
            rows = ", ".join(f"{name} {count:,}" for name, count in totals.items())
            self.stdout.write(f"Demo store: {rows} in {time.monotonic() - started:.1f} s")
        path = logins_file()
        self.stdout.write(f"Demo logins (user, password, role) — also in var/{path.name}:")
        if path.exists():
            self.stdout.write(path.read_text(encoding="utf-8"))
