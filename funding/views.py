from django.shortcuts import render

from compact_portal.accounts.permissions import role_required
from compact_portal.accounts.roles import Role
from compact_portal.accounts.selectors import memberships_for_user


@role_required(Role.OFFICER)
def workspace(request):
    """A council officer's starting point: the public bodies whose funding they log."""
    memberships = memberships_for_user(user=request.user, roles=(Role.OFFICER,))
    return render(request, "funding/workspace.html", {"memberships": memberships})
