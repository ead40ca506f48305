"""The console gateway, the default: every message goes to the log and to a file under var/.

Nothing leaves the machine. `make run` and a new installation use it, so that a store can try every
feature before it signs with a provider.
"""

import json
import logging
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from .base import ACCEPTED, Gateway, Outgoing, Result

logger = logging.getLogger("dealer_crm.messaging.console")


class ConsoleGateway(Gateway):
    name = "console"
    batch_size = 100

    def __init__(self, path: Path | None = None):
        self.path = Path(path or settings.SMS_CONSOLE_FILE)

    def send(self, messages: list[Outgoing]) -> list[Result]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        at = timezone.localtime().isoformat(timespec="seconds")
        with self.path.open("a", encoding="utf-8") as out:
            for message in messages:
                out.write(json.dumps({"at": at, "id": message.id, "phone": message.phone, "text": message.text},
                                     ensure_ascii=False) + "\n")
        for message in messages:
            logger.info("SMS #%s to %s****%s: %s", message.id, message.phone[:3], message.phone[-4:], message.text)
        return [Result(id=message.id, outcome=ACCEPTED, ref=f"console-{message.id}") for message in messages]
