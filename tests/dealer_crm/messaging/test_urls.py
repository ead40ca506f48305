"""Every view module of the SMS platform is mounted under /sms/, each route to its own module: a
new module whose routes urls.py forgets fails here instead of answering 404."""

import pkgutil
from importlib import import_module

from django.urls import resolve, reverse

from dealer_crm.messaging import urls, views


def test_every_view_module_has_its_routes_mounted_under_sms():
    modules = [import_module(f"{views.__name__}.{info.name}") for info in pkgutil.iter_modules(views.__path__)]
    with_routes = [module for module in modules if hasattr(module, "urlpatterns")]
    assert {module.__name__.rsplit(".", 1)[1] for module in with_routes} == {"templates", "outbox", "bulk", "callbacks"}
    for module in with_routes:
        for route in module.urlpatterns:
            assert route in urls.urlpatterns
            match = resolve(reverse(f"messaging:{route.name}", kwargs=_kwargs(route)))
            assert match.func.__module__ == module.__name__


def _kwargs(route) -> dict:
    values = {"int": 1, "string": "x"}
    return {name: values[converter.__class__.__name__.removesuffix("Converter").lower()]
            for name, converter in route.pattern.converters.items()}
