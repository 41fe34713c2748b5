"""API tokens: ``Authorization: Bearer <token>``. A token acts for its body; it is stored hashed, and an expired or
revoked token is refused."""

from dataclasses import dataclass

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from compact_portal.accounts.models import ApiToken


@dataclass(frozen=True)
class ApiClient:
    """Who a request made with a token is: the token, acting for its body (``request.user`` in the API's views).
    It holds no role and signs in to no page; the writes it makes name it in the audit trail as "API: <name>"."""

    token: ApiToken
    is_authenticated: bool = True
    is_anonymous: bool = False
    is_active: bool = True
    is_staff: bool = False
    is_superuser: bool = False

    @property
    def organisation(self):
        return self.token.organisation

    @property
    def pk(self) -> None:  # no account: services record no person
        return None

    def has_role(self, *roles) -> bool:
        return False

    def __str__(self) -> str:
        return f"API: {self.token.name}"


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Give the token after 'Bearer', with nothing else.")
        token = ApiToken.objects.usable(header[1].decode(errors="replace"))
        if token is None:
            raise exceptions.AuthenticationFailed("This token is not known, has expired or was revoked.")
        return (ApiClient(token), token)

    def authenticate_header(self, request) -> str:
        return self.keyword


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI document describes the token: HTTP bearer."""

    target_class = "compact_portal.api.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token a body's officer made at /account/api-tokens/.",
        }
