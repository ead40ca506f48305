"""What the apps' admin classes share."""

from django.contrib import admin
from django.contrib.admin.filters import SimpleListFilter


class FilteredLookupsOnly:
    """The changelist filters only as its filters offer.

    Django's admin accepts a lookup on any field of the model in the URL (`?mobile__startswith=138`),
    so a masked or hidden field could be recovered one character at a time by watching whether a
    record stays in the list. Here a URL lookup must start with a listed filter's field (or the
    date hierarchy's), whose values the list shows anyway; anything else is refused (400).
    `restrict_lookups` gives every admin of the site this behaviour, the packages' admins too.
    """

    def lookup_allowed(self, lookup, value, request=None):
        paths = {self.date_hierarchy} - {None}
        for item in self.get_list_filter(request):
            if isinstance(item, type) and issubclass(item, SimpleListFilter):
                paths.add(item.parameter_name)
            else:
                paths.add(item[0] if isinstance(item, (list, tuple)) else item)
        if not any(lookup == path or lookup.startswith(path + "__") for path in paths):
            return False
        # Django's own check refuses a path that goes on from a listed relation to another field.
        return super().lookup_allowed(lookup, value, request)


def restrict_lookups(site: admin.AdminSite) -> None:
    """Register every model admin of `site` again with `FilteredLookupsOnly` in front. Called once all
    admin modules are loaded (the accounts app's `ready`), so no admin is left out."""
    for model, model_admin in list(site._registry.items()):
        if isinstance(model_admin, FilteredLookupsOnly):
            continue
        cls = type(model_admin)
        site.unregister(model)
        site.register(model, type(cls.__name__, (FilteredLookupsOnly, cls), {"__module__": cls.__module__}))


class ReadOnlyAdmin(admin.ModelAdmin):
    """For look-ups only: records are written by the application's services (audit log, job runs,
    the archive), never edited by hand in the admin."""

    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
