from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    """The archive (客户档案): customers, family, vehicles, service visits, imports, search."""

    name = "customers"
    verbose_name = _("Customer archive")
