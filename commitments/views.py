from django.core.paginator import Paginator
from django.shortcuts import render

from compact_portal.accounts.permissions import role_required
from compact_portal.accounts.roles import Role
from compact_portal.accounts.selectors import memberships_for_user

from .models import Side
from .selectors import organisation_list


def directory(request):
    """The public directory of signatory organisations."""
    side = request.GET.get("side", "")
    if side not in Side.values:
        side = ""
    page = Paginator(organisation_list(side=side), 25).get_page(request.GET.get("page"))
    return render(request, "commitments/directory.html", {"page_obj": page, "side": side, "sides": Side.choices})


@role_required(Role.CHAMPION, Role.ADMINISTRATOR)
def champion_desk(request):
    """The Compact champion's starting point: the organisations they champion the compact in."""
    memberships = memberships_for_user(user=request.user, roles=(Role.CHAMPION,))
    return render(request, "commitments/champion_desk.html", {"memberships": memberships})
