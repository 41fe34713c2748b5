"""Reads about people and their roles, shared by views, navigation and later the access checks."""

from django.db.models import QuerySet

from commitments.models import Organisation

from .models import Membership, User


def memberships_for_user(*, user: User, roles: tuple[str, ...] = ()) -> QuerySet[Membership]:
    """The person's memberships (optionally only those in ``roles``), with their organisations."""
    memberships = Membership.objects.filter(user=user).select_related("organisation")
    if roles:
        memberships = memberships.filter(role__in=roles)
    return memberships.order_by("organisation__name", "role")


def organisations_where(*, user: User, role: str) -> QuerySet[Organisation]:
    """The organisations in which the person holds ``role`` (none for a visitor who is not signed in)."""
    if not user.is_authenticated:
        return Organisation.objects.none()
    return Organisation.objects.filter(memberships__user=user, memberships__role=role).distinct()
