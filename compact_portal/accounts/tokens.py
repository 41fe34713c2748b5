"""Every write to API tokens: an officer creates one for their body (seen once, stored as its hash) and revokes it.

A token's secret is ``secrets.token_urlsafe(32)``; only its SHA-256 hash (``ApiToken.digest``) and its first
characters (``ApiToken.prefix``, to tell tokens apart) are stored, so the secret is shown once, when it is made.
The token's history credits the officer who made or revoked it.
"""

from __future__ import annotations

import datetime
import secrets
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from compact_portal.services import validated_save

from .models import ApiToken, User
from .roles import Role
from .selectors import organisations_where

if TYPE_CHECKING:  # named in the signatures only: the project package does not import the apps
    from commitments.models import Organisation

PREFIX_LENGTH = 8


def token_bodies(*, user: User):
    """The bodies for which ``user`` may make and revoke tokens: those where they are an officer."""
    return organisations_where(user=user, role=Role.OFFICER)


def tokens_of(*, user: User):
    """The tokens of the person's bodies, live and revoked, newest first within each body."""
    return (
        ApiToken.objects.filter(organisation__in=token_bodies(user=user))
        .select_related("organisation", "created_by", "revoked_by")
        .order_by("organisation__name", "revoked_at", "-created_at")
    )


@transaction.atomic
def token_create(
    *,
    organisation: Organisation,
    actor: User,
    name: str,
    may_write_invoices: bool,
    may_write_payments: bool,
    expires_at: datetime.datetime | None,
) -> tuple[ApiToken, str]:
    """Make a token for ``organisation``; return it and its secret, which is not stored and cannot be shown again."""
    if not token_bodies(user=actor).filter(pk=organisation.pk).exists():
        raise PermissionDenied("Only an officer of the body can make its API tokens.")
    if not (may_write_invoices or may_write_payments):
        raise ValidationError("Choose what the token may record: invoices, payments or both.")
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "The expiry must be in the future."})
    raw = secrets.token_urlsafe(32)
    token = ApiToken(
        organisation=organisation,
        name=name.strip(),
        prefix=raw[:PREFIX_LENGTH],
        digest=ApiToken.hash(raw),
        may_write_invoices=may_write_invoices,
        may_write_payments=may_write_payments,
        expires_at=expires_at,
        created_by=actor,
    )
    validated_save(token, actor)
    return token, raw


@transaction.atomic
def token_revoke(*, token: ApiToken, actor: User) -> ApiToken:
    """Revoke ``token`` at once: the next request made with it is refused. Revoking it twice changes nothing."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if not token_bodies(user=actor).filter(pk=token.organisation_id).exists():
        raise PermissionDenied("Only an officer of the body can revoke its API tokens.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.revoked_by = actor
        validated_save(token, actor)
    return token
