"""The admin site: a person's role (cases/roles.py) lets them in, not Django's "Staff status"."""

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from cases.roles import admin_access


class RoleAuthenticationForm(AdminAuthenticationForm):
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        # The same words for a wrong password and for an account with no role: a guess learns nothing.
        "invalid_login": (
            "Please enter the correct %(username)s and password of an account with an admin role "
            "(Editor, Reviewer or Viewer). Both fields may be case-sensitive."
        ),
    }

    def confirm_login_allowed(self, user):
        AuthenticationForm.confirm_login_allowed(self, user)  # refuses an inactive account
        if not admin_access(user):
            raise ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )


class AdminSite(admin.AdminSite):
    login_form = RoleAuthenticationForm

    def has_permission(self, request):
        return admin_access(request.user)
