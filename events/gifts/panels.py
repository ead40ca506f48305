"""The home panels this app fills (dealer_crm.home.panel_fill). Registered in its AppConfig.ready()."""


def register() -> None:
    """Nothing yet: the panels land with the pages."""
