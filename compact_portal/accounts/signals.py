"""Signing in: each sign-in moves ``last_login`` to ``previous_login`` before recording the new one."""

from django.utils import timezone


def record_sign_in(sender, user, **kwargs):
    """Django's ``update_last_login``, keeping the sign-in before it: replaces it on ``user_logged_in``
    (``AccountsConfig.ready``), so ``last_login`` is written once per sign-in as before."""
    user.previous_login = user.last_login
    user.last_login = timezone.now()
    user.save(update_fields=["previous_login", "last_login"])
