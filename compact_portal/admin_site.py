"""The Django admin, open to administrators only.

Signed-in people without the administrator role get a 403 rather than the admin's own sign-in
form, and anonymous visitors go to the portal's sign-in page.
"""

from functools import update_wrapper

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.core.exceptions import PermissionDenied, ValidationError

from compact_portal.accounts.roles import Role


class CheckedInitialData:
    """ModelAdmin mixin: an add page fills its form in from the query (``?organisation=3``), as Django's admin does,
    but only with values the field would take. Django's autocomplete widget looks the value up as an id, so
    ``?organisation=abc`` would otherwise be a server error (tests/compact_portal/test_unhandled_input.py)."""

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        fields = self.get_form(request).base_fields
        taken = {}
        for name, value in initial.items():
            if name in fields:
                try:
                    fields[name].clean(value)
                except ValidationError:
                    continue
            taken[name] = value
        return taken


class PortalAdminSite(admin.AdminSite):
    site_header = "Compact Portal administration"
    site_title = "Compact Portal admin"
    index_title = "Records"
    index_template = "admin/portal_index.html"  # the admin's index, with a link to the audit trail
    allowed_roles = frozenset({Role.ADMINISTRATOR})  # read by permissions.may_open, so links follow this check

    def has_permission(self, request):
        user = request.user
        if not (user.is_active and user.is_authenticated and user.has_role(*self.allowed_roles)):
            return False
        return self.two_factor_satisfied(request)

    @staticmethod
    def two_factor_satisfied(request) -> bool:
        """An administrator who turned two-factor sign-in on uses the admin only from a session signed in with it."""
        from compact_portal.accounts.selectors import two_factor_device

        is_verified = getattr(request.user, "is_verified", None)  # set by django-otp's middleware
        return bool(is_verified and is_verified()) or two_factor_device(user=request.user) is None

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        def guarded(request, *args, **kwargs):
            from django.contrib.auth.views import redirect_to_login

            if not self.has_permission(request):
                if request.user.is_authenticated and getattr(request.user, "is_administrator", False):
                    raise PermissionDenied("Sign out, then sign in again with your two-factor code to use the admin.")
                if request.user.is_authenticated:
                    raise PermissionDenied("Only administrators can use the admin.")
                return redirect_to_login(request.get_full_path())
            return inner(request, *args, **kwargs)

        return update_wrapper(guarded, inner)

    def get_urls(self):
        from django.urls import path

        # Before the admin's own patterns, whose catch-all would take "audit/" for an app's label.
        return [path("audit/", self.admin_view(self.audit_trail_view), name="audit_trail"), *super().get_urls()]

    def audit_trail_view(self, request):
        """Every change to the portal's records, newest first (compact_portal/admin_audit.py)."""
        from compact_portal.admin_audit import audit_trail

        return audit_trail(request, self)

    def login(self, request, extra_context=None):
        # Imported here: this module is loaded while the app registry is still being populated.
        from django.contrib.auth.views import redirect_to_login
        from django.shortcuts import redirect

        if self.has_permission(request):  # already signed in as an administrator: straight to the admin
            return redirect("admin:index")
        if request.user.is_authenticated:
            raise PermissionDenied("Only administrators can use the admin.")
        return redirect_to_login(request.GET.get("next", request.get_full_path()))


class PortalAdminConfig(AdminConfig):
    default_site = "compact_portal.admin_site.PortalAdminSite"
