"""How this app's timeline entries read. Registered with the archive's timeline in its AppConfig.ready()."""

from customers.timeline import Message

MESSAGES: dict[str, Message] = {}
