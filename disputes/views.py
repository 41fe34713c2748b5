from django.shortcuts import render

from compact_portal.accounts.permissions import role_required
from compact_portal.accounts.roles import Role
from compact_portal.accounts.selectors import memberships_for_user


@role_required(Role.VCS_MEMBER)
def my_concerns(request):
    """A VCS member's starting point for the Compact concerns their organisations have raised."""
    memberships = memberships_for_user(user=request.user, roles=(Role.VCS_MEMBER,))
    return render(request, "disputes/my_concerns.html", {"memberships": memberships})


@role_required(Role.PANEL_MEMBER)
def panel(request):
    """A dispute panel member's starting point: appeals waiting for the panel."""
    memberships = memberships_for_user(user=request.user, roles=(Role.PANEL_MEMBER,))
    return render(request, "disputes/panel.html", {"memberships": memberships})
