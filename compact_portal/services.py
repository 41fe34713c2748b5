"""Helpers every app's services share."""

from typing import Any

from compact_portal.accounts.models import User


def validated_save(instance, actor: User | None) -> None:
    """``full_clean()`` then save ``instance``, crediting ``actor`` in its history when one is given
    (otherwise django-simple-history's middleware credits the signed-in person)."""
    instance.full_clean()
    if actor is not None:
        instance._history_user = actor
    instance.save()


def check_fields(fields: dict[str, Any], allowed) -> None:
    """Refuse a field a service does not set: a programming error, not a user's."""
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError(f"Unknown field(s): {', '.join(sorted(unknown))}")
