"""The SMS platform (短信平台): templates, the outbox, the gateways, receipts and replies.

Every feature that texts a customer goes through `services.message_queue` (one message) or
`services.bulk_send_confirm` (a bulk send); the dispatcher (`services.dispatch`) sends what is due.
Who a recipient is, what they agreed to and where a sent message is recorded belong to the archive:
the platform asks them of the audience named by `settings.MESSAGING_AUDIENCE` (`audience.py`), so
that nothing here imports an app.
"""
