import time
from importlib import import_module

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Max
from django.utils.module_loading import module_has_submodule

from customers.demo import seed_customers
from customers.models import Customer
from dealer_crm.accounts.demo import demo_users_ensure, logins_file


def app_demo_seeders() -> list:
    """The `demo_seed(*, seed, customer_ids)` of each installed app that has a `demo` module with one,
    in the order of INSTALLED_APPS: the features above the archive (the callback centre…) add their
    history of the customers just made, without the archive importing them."""
    seeders = []
    for config in apps.get_app_configs():
        if module_has_submodule(config.module, "demo"):
            seeder = getattr(import_module(f"{config.name}.demo"), "demo_seed", None)
            if callable(seeder):
                seeders.append(seeder)
    return seeders


class Command(BaseCommand):
    help = ("Create the demo staff (one user per role) and, with --customers N, a demo store of N customers "
            "with vehicles delivered over three years, their maintenance and repair history, and family, "
            "and the history each app's demo module adds for them (demo_seed). Never in production.")

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

            first = (Customer.all_objects.aggregate(top=Max("id"))["top"] or 0) + 1
            totals = seed_customers(count=customers, seed=seed, progress=progress)
            for seeder in app_demo_seeders():
                for name, count in seeder(seed=seed, customer_ids=range(first, first + customers)).items():
                    totals[name] = totals.get(name, 0) + count
            rows = ", ".join(f"{name} {count:,}" for name, count in totals.items())
            self.stdout.write(f"Demo store: {rows} in {time.monotonic() - started:.1f} s")
        path = logins_file()
        self.stdout.write(f"Demo logins (user, password, role) — also in var/{path.name}:")
        if path.exists():
            self.stdout.write(path.read_text(encoding="utf-8"))
