"""The login forms: Django's, with the username's length checked before anyone authenticates."""

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _


class UsernameLengthMixin:
    """Django's login forms only tell the browser the username's maximum length; a longer one went
    on to authenticate, and django-axes could not record the failed attempt (its column holds 255
    characters): a 500. No account has a longer username, so the form refuses it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["username"]
        field.validators.append(MaxLengthValidator(
            field.max_length, message=_("A username has at most %(limit_value)d characters.")))


class LoginForm(UsernameLengthMixin, AuthenticationForm):
    pass


class AdminLoginForm(UsernameLengthMixin, AdminAuthenticationForm):
    pass
