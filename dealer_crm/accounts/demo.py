"""Demo staff for `make run`: one user per role, with passwords made on this machine."""

import secrets
import string
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction

from .models import User
from .roles import Role
from .services import user_set_roles

DEMO_USERS: list[tuple[str, str, Role]] = [
    ("admin", "王磊", Role.ADMIN),
    ("gm", "陈建国", Role.GENERAL_MANAGER),
    ("supervisor", "刘芳", Role.DCRC_SUPERVISOR),
    ("service", "赵强", Role.SERVICE_MANAGER),
    ("sales", "孙伟", Role.SALES_MANAGER),
    ("showroom", "周敏", Role.SALES_SUPERVISOR),
    ("agent", "李娜", Role.CALLBACK_AGENT),
    ("interviewer", "吴静", Role.INTERVIEWER),
    ("lounge", "郑丽", Role.LOUNGE_HOST),
    ("marketing", "何磊", Role.MARKETING),
]


def logins_file() -> Path:
    """One file per database, so that demo stores on SQLite and PostgreSQL keep their own logins."""
    name = Path(str(connection.settings_dict["NAME"])).stem
    return Path(settings.VAR_DIR) / f"demo-logins-{name}.txt"


def _new_password() -> str:
    alphabet = string.ascii_lowercase + string.digits
    return "demo-" + "".join(secrets.choice(alphabet) for _ in range(8))


@transaction.atomic
def demo_users_ensure() -> list[tuple[str, str, Role]]:
    """Create the demo users that are missing; returns (username, password, role) of the new ones.

    Passwords are random per machine and written to var/demo-logins-<database>.txt (never committed), so a
    demo database copied elsewhere does not come with known credentials.
    """
    created = []
    for username, display_name, role in DEMO_USERS:
        if User.objects.filter(username=username).exists():
            continue
        password = _new_password()
        user = User.objects.create_user(
            username=username,
            password=password,
            display_name=display_name,
            is_staff=role == Role.ADMIN,
        )
        user_set_roles(user=user, roles={role}, by=None)
        created.append((username, password, role))
    if created:
        path = logins_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        # A user made again (the database was deleted and made anew) replaces its old, dead line.
        renewed = {username for username, _password, _role in created}
        kept = [line for line in (path.read_text(encoding="utf-8").splitlines() if path.exists() else [])
                if line.split("\t", 1)[0] not in renewed]
        lines = kept + [f"{username}\t{password}\t{role.label}" for username, password, role in created]
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        path.chmod(0o600)
    return created
