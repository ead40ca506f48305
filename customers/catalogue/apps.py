from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogueConfig(AppConfig):
    """The store's vehicle catalogue (车型目录): its brands' models, their spellings and maintenance intervals."""

    name = "customers.catalogue"
    label = "catalogue"
    verbose_name = _("Vehicle catalogue")
    default_auto_field = "django.db.models.BigAutoField"
