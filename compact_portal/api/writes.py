"""What every API write shares: who the audit trail names ("API: <token name>"), the scope a token needs, and the
``Idempotency-Key`` header (the same key and body again replay the answer stored the first time; the same key with
another body is refused).

The apps' ``api.py`` views call ``token_write``; no business rule lives here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import exceptions, permissions, throttling
from rest_framework.response import Response

from compact_portal.accounts.models import ApiToken
from compact_portal.audit import audit_context
from compact_portal.models import ApiIdempotency

from .authentication import ApiClient

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY_MAX_LENGTH = 200
VIA_PREFIX = "API: "


def token_via(token: ApiToken) -> str:
    """How the audit trail names a write a token made."""
    return f"{VIA_PREFIX}{token.name}"


class HasToken(permissions.BasePermission):
    """A request made with a usable token (none: 401, which the authentication class words)."""

    def has_permission(self, request, view) -> bool:
        if not isinstance(request.user, ApiClient):
            raise exceptions.NotAuthenticated("Send an API token: Authorization: Bearer <token>.")
        return True


class TokenRateThrottle(throttling.UserRateThrottle):
    """The token rate (``API_RATE_TOKEN``) counted per token: a token is no account, so it has no ``pk`` to count by."""

    def get_cache_key(self, request, view):
        if isinstance(request.user, ApiClient):
            return self.cache_format % {"scope": self.scope, "ident": f"token-{request.user.token.pk}"}
        return super().get_cache_key(request, view)


TOKEN_THROTTLES = [throttling.AnonRateThrottle, TokenRateThrottle]


def token_scope(scope: str) -> type[permissions.BasePermission]:
    """A token that may write ``scope`` ("invoices" or "payments") for writes; reads need only a token."""

    class TokenScope(HasToken):
        message = f"This token may not record {scope}; make a token that may, or ask its officer to."

        def has_permission(self, request, view) -> bool:
            super().has_permission(request, view)
            if request.method in permissions.SAFE_METHODS:
                return True
            return bool(getattr(request.user.token, f"may_write_{scope}"))

    TokenScope.__name__ = f"TokenMayWrite{scope.title()}"
    return TokenScope


@contextmanager
def acting_as_token(request) -> Iterator[ApiToken]:
    """Credit the writes inside the block to the request's token: no person in the history, the reason
    "API: <token name>" (the import's way, ``compact_portal/audit.py``). The token is not a person, so the history
    middleware and the live re-check are told there is none signed in."""
    token = request.user.token
    django_request = request._request
    signed_in = getattr(django_request, "user", None)
    django_request.user = AnonymousUser()
    try:
        with audit_context(via=token_via(token)):
            yield token
    finally:
        django_request.user = signed_in
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())  # no history row for a use


def _fingerprint(request) -> str:
    body = json.dumps(request.data, sort_keys=True, default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def token_write(request, write: Callable[[], tuple[int, object]]) -> Response:
    """Run ``write`` (which returns a status and a body, and rolls back its own work when it refuses) as the token,
    honouring an ``Idempotency-Key``: the answer is stored with the key in the same transaction as the write, so the
    same key and body again (even at the same moment) replay it and change nothing."""
    key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    if len(key) > IDEMPOTENCY_KEY_MAX_LENGTH:
        return Response(
            {"detail": f"The {IDEMPOTENCY_HEADER} is too long; use at most {IDEMPOTENCY_KEY_MAX_LENGTH} characters."},
            status=400,
        )
    token = request.user.token
    if not key:
        with acting_as_token(request):
            status, body = write()
        return Response(body, status=status)
    fingerprint = _fingerprint(request)
    try:
        with acting_as_token(request), transaction.atomic():
            stored = ApiIdempotency.objects.filter(token=token, key=key).first()
            if stored is None:
                status, body = write()
                ApiIdempotency.objects.create(
                    token=token, key=key, fingerprint=fingerprint, status_code=status, response=body
                )
                return Response(body, status=status)
    except IntegrityError:  # the same key at the same moment: the other request's answer is the one kept
        stored = ApiIdempotency.objects.filter(token=token, key=key).first()
        if stored is None:
            raise
    if stored.fingerprint != fingerprint:
        return Response(
            {
                "detail": f"This {IDEMPOTENCY_HEADER} was used before with a different request. Use a new key for "
                "a new request, or send exactly the same request to get its answer again."
            },
            status=422,
        )
    response = Response(stored.response, status=stored.status_code)
    response["Idempotent-Replayed"] = "true"
    return response
