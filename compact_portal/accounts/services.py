"""Every write to people and memberships goes through these functions."""

from django.db import transaction

from commitments.models import Organisation

from .models import Membership, User


@transaction.atomic
def user_create(*, email: str, full_name: str, password: str | None = None) -> User:
    """Create a person who signs in with ``email``; without a password they must use password reset."""
    user = User(email=email, full_name=full_name)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    user.save()
    return user


@transaction.atomic
def membership_grant(*, user: User, organisation: Organisation, role: str) -> Membership:
    """Give ``user`` the ``role`` in ``organisation``; granting a role already held changes nothing."""
    existing = Membership.objects.filter(user=user, organisation=organisation, role=role).first()
    if existing:
        return existing
    membership = Membership(user=user, organisation=organisation, role=role)
    membership.full_clean()
    membership.save()
    user.__dict__.pop("_portal_roles", None)
    return membership


@transaction.atomic
def membership_revoke(*, user: User, organisation: Organisation, role: str) -> bool:
    """Take the role away; returns whether the person held it."""
    deleted, _ = Membership.objects.filter(user=user, organisation=organisation, role=role).delete()
    user.__dict__.pop("_portal_roles", None)
    return bool(deleted)
