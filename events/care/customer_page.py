"""This app's section on the customer page (customers/sections.py). Registered in its AppConfig.ready()."""


def register() -> None:
    """Nothing yet: the section lands with the pages."""
