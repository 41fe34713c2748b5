"""Helpers shared by the funding pages.

A record the person may not see is a 404 (its existence is not revealed); a record they may see
but not change is a 403.
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from compact_portal.accounts.roles import Role

from .. import selectors
from ..models import FundingRelationship

LIST_PAGE_SIZE = 25
FUNDING_ROLES = (Role.OFFICER, Role.VCS_MEMBER, Role.CHAMPION, Role.ADMINISTRATOR)


def relationship_to_change(request, pk: int) -> FundingRelationship:
    relationship = get_object_or_404(
        selectors.relationships_visible_to(user=request.user).select_related("compact", "funder", "recipient"), pk=pk
    )
    if not selectors.relationships_editable_by(user=request.user).filter(pk=pk).exists():
        raise PermissionDenied("Only the funder's officers can change its funding records.")
    return relationship
