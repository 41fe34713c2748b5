"""Authentication by e-mail address, with permissions that follow the administrator role, and sign-in lockout."""

from axes.backends import AxesStandaloneBackend
from django.contrib.auth.backends import ModelBackend


class RoleAwareBackend(ModelBackend):
    """Django's model backend, plus: an active administrator has every permission.

    Administrators are a role held through a membership (see ``Membership``), not a flag kept on the
    user, so granting or removing the role is the only thing needed to open or close the admin.
    """

    def has_perm(self, user_obj, perm, obj=None):
        if user_obj.is_active and getattr(user_obj, "is_administrator", False):
            return True
        return super().has_perm(user_obj, perm, obj)

    def has_module_perms(self, user_obj, app_label):
        if user_obj.is_active and getattr(user_obj, "is_administrator", False):
            return True
        return super().has_module_perms(user_obj, app_label)


class SignInLockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check, for sign-ins that come through a web request.

    Every sign-in form passes its request. Code that authenticates without one (the test client's
    ``login``, a shell) has no client address to lock out, so it is left to the password backend instead
    of being refused with axes' "request required" error.
    """

    def authenticate(self, request=None, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
