"""This app's panel on the callback workbench (followups/callbacks/extras.py). Registered in its
AppConfig.ready()."""


def register() -> None:
    """Nothing yet: the panel lands with the calls."""
