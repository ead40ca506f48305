from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "dealer_crm.accounts"
    label = "accounts"
    verbose_name = _("Staff and roles")

    def ready(self) -> None:
        from django.contrib import admin

        from dealer_crm.admin import restrict_lookups

        from .roles import sync_role_permissions_after_migrate

        # The admin has loaded every app's admin module by now (it is the first app).
        restrict_lookups(admin.site)

        # Apps added later bring new permissions; each migrate grants them to the roles that have them.
        post_migrate.connect(sync_role_permissions_after_migrate, dispatch_uid="accounts.sync_role_permissions")
