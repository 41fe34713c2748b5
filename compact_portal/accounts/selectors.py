"""Reads about people and their roles, shared by views, navigation and later the access checks."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

import qrcode
import qrcode.image.svg
from django.db.models import QuerySet
from django.utils.safestring import SafeString, mark_safe
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import Membership, User

if TYPE_CHECKING:
    from commitments.models import Organisation


def memberships_for_user(*, user: User, roles: tuple[str, ...] = ()) -> QuerySet[Membership]:
    """The person's memberships (optionally only those in ``roles``), with their organisations."""
    memberships = Membership.objects.filter(user=user).select_related("organisation")
    if roles:
        memberships = memberships.filter(role__in=roles)
    return memberships.order_by("organisation__name", "role")


def organisations_where(*, user: User, role: str) -> QuerySet[Organisation]:
    """The organisations in which the person holds ``role`` (none for a visitor who is not signed in)."""
    # The organisation model as Membership names it: the project package does not import the apps.
    organisations = Membership._meta.get_field("organisation").related_model._default_manager
    if not user.is_authenticated:
        return organisations.none()
    return organisations.filter(memberships__user=user, memberships__role=role).distinct()


def two_factor_device(*, user: User):
    """The person's confirmed authenticator-app device, or None when two-factor sign-in is off."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def recovery_codes_left(*, user: User) -> int:
    """How many unused recovery codes the person has."""
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def two_factor_key(*, device: TOTPDevice) -> str:
    """The device's secret as an authenticator app takes it typed in: base32, in groups of four."""
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def two_factor_qr_svg(*, device: TOTPDevice) -> SafeString:
    """The device's ``otpauth://`` address as an inline SVG QR code (drawn here: no image request, no script)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    svg = image.to_string(encoding="unicode")
    # The XML declaration is not allowed inside HTML; the rest is plain SVG with presentation attributes only.
    # Safe to put in the page as it is: drawn by qrcode from the key, with no text anyone typed.
    return mark_safe(svg.split("?>", 1)[-1].strip())
