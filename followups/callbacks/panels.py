"""The home panels the callback centre fills (dealer_crm.home): registered in CallbacksConfig.ready()."""


def register() -> None:
    pass
