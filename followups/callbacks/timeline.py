"""How the callback centre's timeline entries read (kind "callback"; variants per outcome).

Registered with the archive's timeline in CallbacksConfig.ready()."""

from customers.timeline import Message

MESSAGES: dict[str, Message] = {}
