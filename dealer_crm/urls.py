from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import set_language

from . import views
from .accounts.forms import AdminLoginForm, LoginForm

admin.site.site_header = _("Customer centre administration")
admin.site.site_title = _("Customer centre")
admin.site.index_title = _("Administration")
admin.site.login_form = AdminLoginForm
# The CRM link (返回客户中心) in the header leads back; Django's own "View site" would be a second one.
admin.site.site_url = None

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("accounts/keepalive/", views.keepalive, name="keepalive"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=LoginForm),
         name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    # The login page offers the language switch too, so it must work before login.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("customers/", include("customers.urls")),
    path("audit/", include("dealer_crm.audit.urls")),
    path("jobs/", include("dealer_crm.jobs.urls")),
    path("imports/", include("customers.imports.urls")),
    path("sms/", include("dealer_crm.messaging.urls")),
    path("callbacks/", include("followups.callbacks.urls")),
    path("scripts/", include("followups.scripts.urls")),
    path("complaints/", include("followups.complaints.urls")),
    path("retention/", include("followups.retention.urls")),
    path("appointments/", include("followups.appointments.urls")),
    path("leads/", include("followups.leads.urls")),
    path("members/", include("customers.membership.urls")),
    path("events/", include("events.urls")),
    path("gifts/", include("events.gifts.urls")),
    path("birthdays/", include("events.birthdays.urls")),
    path("care/", include("events.care.urls")),
    path("admin/imports/importbatch/", include("customers.imports.old_admin_urls")),  # moved to /imports/
    path("admin/", admin.site.urls),
]
