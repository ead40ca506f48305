"""How problems' timeline entries read (kind "problem"; variants per step).

Registered with the archive's timeline in CallbacksConfig.ready()."""

from customers.timeline import Message

MESSAGES: dict[str, Message] = {}
