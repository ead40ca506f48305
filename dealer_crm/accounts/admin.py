from axes.models import AccessFailureLog, AccessLog
from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.admin.utils import unquote
from django.contrib.auth.forms import UserChangeForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import User
from .roles import Role
from .services import ACCESS_FLAGS, user_access_changes_record, user_password_reset_record, user_set_roles


class UserRolesForm(UserChangeForm):
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=Role.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta(UserChangeForm.Meta):
        model = User

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and "roles" in self.fields:  # read-only on one's own account
            self.fields["roles"].initial = [role.value for role in self.instance.roles]


class RoleListFilter(admin.SimpleListFilter):
    """The roles by their names (系统管理员), not by their groups' names (`admin`)."""

    title = pgettext_lazy("staff", "Role")
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return Role.choices

    def queryset(self, request, queryset):
        if self.value() in Role.values:
            return queryset.filter(groups__name=self.value())
        return queryset


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Roles are set through `user_set_roles`, so every change lands in the audit log."""

    form = UserRolesForm
    list_display = ["username", "display_name", "role_names", "is_active", "is_staff", "last_login"]
    list_filter = ["is_active", "is_staff", RoleListFilter]
    search_fields = ["username", "display_name", "first_name", "last_name", "email", "mobile"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("display_name", "first_name", "last_name", "email", "mobile")}),
        (_("Roles"), {"fields": ("roles",)}),
        (_("Access"), {"fields": ("is_active", "is_staff", "is_superuser")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "display_name", "password1", "password2")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("Roles"))
    def role_names(self, user: User) -> str:
        names = {group.name for group in user.groups.all()}  # prefetched: one query for the page
        return "、".join(str(role.label) for role in Role if role.value in names) or "—"

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            # Only a superuser makes superusers or admin-site staff; nobody widens their own access.
            readonly += ["is_superuser", "is_staff"]
            if obj is not None and obj.pk == request.user.pk:
                readonly += ["is_active", "roles"]
        return readonly

    def has_change_permission(self, request, obj=None):
        # A superuser's account (its password above all) is changed by a superuser only: otherwise
        # the store's administrator could reset it and sign in with every permission there is.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)

    def user_change_password(self, request, id, form_url=""):
        """Django's page; a password it set for someone else is recorded, and their sessions end."""
        user = self.get_object(request, unquote(id))
        before = user.password if user is not None else None
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and user is not None:
            user.refresh_from_db(fields=["password"])
            if user.password != before:
                user_password_reset_record(user=user, by=request.user)
        return response

    def save_model(self, request, obj, form, change):
        before = User.objects.filter(pk=obj.pk).values(*ACCESS_FLAGS).first() if change else None
        super().save_model(request, obj, form, change)
        user_access_changes_record(user=obj, before=before, by=request.user)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if "roles" in form.cleaned_data:
            user_set_roles(user=form.instance, roles={Role(r) for r in form.cleaned_data["roles"]}, by=request.user)


# django-axes keeps only the attempts here (its access and failure logs are off: the audit log has
# every login); the lists of the logs it does not keep would only show empty pages.
for unused_log in (AccessLog, AccessFailureLog):
    if admin.site.is_registered(unused_log):
        admin.site.unregister(unused_log)
