"""Every write to people and memberships goes through these functions."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import Membership, User
from .roles import Role

if TYPE_CHECKING:  # named in the signatures only: the project package does not import the apps
    from commitments.models import Organisation


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


@transaction.atomic
def user_calendar_token_reset(*, user: User) -> str:
    """Give the person a new secret for the address of their calendar feed of deadlines, and return it.

    The old address stops working at once: the feed finds its owner by this secret alone, and a calendar program
    cannot sign in, so a new secret is how a person takes back an address they shared by mistake.
    """
    user.calendar_token = secrets.token_urlsafe(32)
    user.full_clean(exclude=["password"])
    user.save(update_fields=["calendar_token"])
    return user.calendar_token


@transaction.atomic
def user_email_preferences_update(*, user: User, digest_frequency: str, case_emails: bool) -> User:
    """Save the e-mails the person chooses: how often their digest comes ("daily", "weekly" on Mondays, "off"), and
    whether they get optional case e-mails. E-mails a process requires are sent whatever they choose here."""
    user.digest_frequency = digest_frequency
    user.case_emails = case_emails
    user.full_clean(exclude=["password"])
    user.save(update_fields=["digest_frequency", "case_emails"])
    return user


# --- Two-factor sign-in (django-otp) -------------------------------------------------------------------
RECOVERY_CODE_COUNT = 10
TWO_FACTOR_ROLES = (Role.CHAMPION, Role.ADMINISTRATOR)


def _check_may_use_two_factor(user: User) -> None:
    if not user.has_role(*TWO_FACTOR_ROLES):
        raise ValidationError("Two-factor sign-in is for Compact champions and administrators.")


@transaction.atomic
def two_factor_start(*, user: User) -> TOTPDevice:
    """The person's authenticator-app key waiting to be confirmed: the one already waiting, or a new one.

    Nothing changes at sign-in until ``two_factor_confirm`` succeeds, so an abandoned set-up locks no one out.
    """
    _check_may_use_two_factor(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice(user=user, name="Authenticator app", confirmed=False)
        device.full_clean()
        device.save()
    return device


@transaction.atomic
def two_factor_confirm(*, user: User, device: TOTPDevice, code: str) -> list[str]:
    """Switch two-factor sign-in on once ``code`` (digits only, as ``TwoFactorCodeForm`` cleans it) matches the
    app; returns the recovery codes, shown only once.

    Any earlier confirmed device and recovery codes are replaced, so one app and one set of codes are valid.
    """
    _check_may_use_two_factor(user)
    if device.user_id != user.pk or device.confirmed:
        raise ValidationError("Start setting up two-factor sign-in again.")
    if not device.verify_token(code):
        raise ValidationError(
            {"code": "That code does not match. Check the time on your phone, then type the newest code."}
        )
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    StaticDevice.objects.filter(user=user).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    recovery = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=recovery, token=token) for token in codes)
    return codes


@transaction.atomic
def two_factor_turn_off(*, user: User) -> int:
    """Switch two-factor sign-in off: remove the person's authenticator keys and recovery codes."""
    removed, _ = TOTPDevice.objects.filter(user=user).delete()
    static, _ = StaticDevice.objects.filter(user=user).delete()
    return removed + static
