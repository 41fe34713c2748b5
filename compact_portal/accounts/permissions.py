"""Role checks for views: anonymous visitors are sent to sign in, others without the role get 403.

``may_open`` asks a page's own role check, so a link is offered on the same condition the page opens on.
"""

from functools import wraps

from django.contrib import admin
from django.contrib.auth.mixins import AccessMixin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.urls import resolve, reverse


def holds_one_of(user, roles) -> bool:
    """Whether a signed-in ``user`` holds one of ``roles``: the check of ``role_required`` and
    ``RoleRequiredMixin``."""
    return user.has_role(*roles)


def allowed_roles(url_name: str, *args) -> frozenset[str] | None:
    """The roles the page at ``url_name`` (with ``args``) lets in, from its own ``role_required`` or
    ``RoleRequiredMixin``, or the admin site's; None for a page without a role check."""
    match = resolve(reverse(url_name, args=args))
    view = match.func
    roles = getattr(view, "allowed_roles", None)
    if roles is None and hasattr(view, "view_class") and issubclass(view.view_class, RoleRequiredMixin):
        roles = view.view_class.allowed_roles
    if roles is None and match.namespace == admin.site.name:
        roles = admin.site.allowed_roles  # the admin's pages all follow its has_permission
    return None if roles is None else frozenset(roles)


def may_open(user, url_name: str, *args) -> bool:
    """Whether the page at ``url_name`` lets ``user`` in by role: False for a visitor or a person without one of
    its roles, True for a page without a role check. What the page then shows (its records) is the page's own
    affair: a list shows only what the person may see."""
    roles = allowed_roles(url_name, *args)
    if roles is None:
        return True
    return bool(user.is_authenticated) and holds_one_of(user, roles)


def role_required(*roles: str):
    """Decorate a function view so that only people holding one of ``roles`` reach it."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not holds_one_of(request.user, roles):
                raise PermissionDenied("You do not have a role that can use this page.")
            return view(request, *args, **kwargs)

        wrapped.allowed_roles = frozenset(roles)
        return wrapped

    return decorator


class RoleRequiredMixin(AccessMixin):
    """Class-based view version of ``role_required``; set ``allowed_roles``."""

    allowed_roles: tuple[str, ...] = ()
    raise_exception = False

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not holds_one_of(request.user, self.allowed_roles):
            raise PermissionDenied("You do not have a role that can use this page.")
        return super().dispatch(request, *args, **kwargs)
