"""Who is asking, for sign-in lockout and rate limits: the client's address, the account named, and the counts.

django-axes (lockout) and django-ratelimit (rate limits) both ask these functions, so an attempt is
counted against the same address and the same account whichever guard counts it.
"""

import logging
from collections.abc import Callable

from django.conf import settings
from django_ratelimit import ALL
from django_ratelimit.core import is_ratelimited

logger = logging.getLogger(__name__)

TOO_MANY_REQUESTS = 429  # the status of a page refused by a rate limit or a sign-in lockout


def client_ip(request) -> str:
    """The client's address: the connection's, or behind a TLS proxy the last address the proxy added.

    Only the last X-Forwarded-For entry is trusted: earlier ones are whatever the client sent.
    """
    if settings.BEHIND_TLS_PROXY:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if forwarded:
            return forwarded[-1]
    return request.META.get("REMOTE_ADDR") or "0.0.0.0"


def email_key(address) -> str:
    """An e-mail address as the portal matches it (trimmed, any case), so that ``Olivia@x.org``, ``OLIVIA@x.org``
    and ``olivia@x.org`` count against one account: in sign-in lockout and in the password-reset limit."""
    return str(address or "").strip().lower()


def sign_in_username(request, credentials) -> str:
    """The e-mail address a sign-in attempt names, as the portal matches it (``email_key``)."""
    return email_key((credentials or {}).get("username"))


def posted_email(group, request) -> str:
    """django-ratelimit's key for a form that posts an e-mail address: the address as the portal matches it."""
    return email_key(request.POST.get("email"))


def refuse_over_limit(form, message: str) -> int:
    """Show ``form`` again, refused by a rate limit: what was typed, checked, with ``message`` on top.

    Returns the status of the page that shows it (429)."""
    form.is_valid()
    form.add_error(None, message)
    return TOO_MANY_REQUESTS


def rate_limited(request, *, group: str, key: str | Callable, rate: str) -> bool:
    """Count this request in ``group`` (by ``key``: "ip", "user", or a function such as ``posted_email``) and say
    whether it is over ``rate``.

    Fails open: if the cache holding the counts is unreachable, the request goes through (and the failure is
    logged), because refusing a charity's concern for want of a counter would lose more than it protects.
    """
    try:
        return is_ratelimited(request, group=group, key=key, rate=rate, method=ALL, increment=True)
    except Exception:
        logger.exception("Rate limit %s could not be counted; letting the request through", group)
        return False
