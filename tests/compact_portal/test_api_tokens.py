"""API tokens: an officer makes one for their body (its secret shown once, only its hash stored), lists and revokes
it; an expired or revoked token is refused (401), one without the scope cannot write (403)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from compact_portal.accounts.models import ApiToken
from compact_portal.accounts.roles import Role
from compact_portal.accounts.tokens import token_create, token_revoke
from compact_portal.api.writes import TokenRateThrottle
from tests.accounts.factories import MembershipFactory
from tests.commitments.factories import PublicBodyFactory

ONE = {"funding_reference": "GR-1", "invoice_number": "INV-1", "amount": "10", "received_date": "2026-01-05"}
PAID = {"funding_reference": "GR-1", "invoice_number": "INV-1", "amount": "10", "paid_date": "2026-01-05"}


def make(officer, council, **options):
    fields = {"name": "Finance system", "may_write_invoices": True, "may_write_payments": True, "expires_at": None}
    return token_create(organisation=council, actor=officer, **(fields | options))


def client_for(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_a_token_is_stored_only_as_its_hash_with_a_short_prefix_and_its_maker_in_history(officer, council):
    token, raw = make(officer, council)

    assert len(raw) >= 40
    assert token.digest == ApiToken.hash(raw) != raw
    assert raw.startswith(token.prefix)
    assert len(token.prefix) < 12
    assert not ApiToken.objects.filter(digest=raw).exists()
    assert ApiToken.objects.usable(raw) == token
    assert token.history.get().history_user == officer


def test_only_an_officer_of_the_body_makes_or_revokes_its_tokens(officer, council, vcs_member, charity):
    token, _raw = make(officer, council)

    with pytest.raises(PermissionDenied):
        make(vcs_member, council)
    with pytest.raises(PermissionDenied):
        make(officer, charity)
    with pytest.raises(PermissionDenied):
        token_revoke(token=token, actor=vcs_member)


def test_the_page_shows_the_secret_once_then_only_its_prefix(client, officer, council):
    client.force_login(officer)
    made = client.post(
        reverse("api_tokens"),
        {
            "organisation": council.pk,
            "name": "Agresso",
            "may_write_invoices": "on",
            "may_write_payments": "on",
            "expires_on": "",
        },
    )
    token = ApiToken.objects.get()
    secret = made.context["secret"]
    again = client.get(reverse("api_tokens"))

    assert made.status_code == 200
    assert made["Cache-Control"] == "no-store"
    assert ApiToken.hash(secret) == token.digest
    assert secret in made.content.decode()
    assert secret not in again.content.decode()
    assert f"{token.prefix}…" in again.content.decode()


def test_revoking_on_the_page_refuses_the_token_at_once(client, officer, council):
    token, raw = make(officer, council)
    api = client_for(raw)
    assert api.get("/api/v1/invoices/").status_code == 200
    client.force_login(officer)

    answer = client.post(reverse("api_token_revoke", args=[token.pk]))

    assert answer.status_code == 302
    refused = api.get("/api/v1/invoices/")
    assert refused.status_code == 401
    assert "revoked" in refused.json()["detail"]
    token.refresh_from_db()
    assert token.revoked_by == officer
    assert token.history.first().history_user == officer


def test_another_bodys_officer_cannot_revoke_the_token(client, officer, council):
    token, _raw = make(officer, council)
    other_officer = MembershipFactory(organisation=PublicBodyFactory(), role=Role.OFFICER).user
    client.force_login(other_officer)

    answer = client.post(reverse("api_token_revoke", args=[token.pk]))

    assert answer.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_an_expired_or_unknown_token_is_refused(officer, council):
    _token, raw = make(officer, council, expires_at=timezone.now() + datetime.timedelta(minutes=1))
    ApiToken.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))

    assert client_for(raw).get("/api/v1/invoices/").status_code == 401
    assert client_for("not-a-token").post("/api/v1/invoices/", ONE, format="json").status_code == 401
    assert APIClient().post("/api/v1/invoices/", ONE, format="json").status_code in (401, 403)


def test_a_token_without_the_scope_may_read_but_not_write_that_kind(officer, council):
    _token, raw = make(officer, council, may_write_payments=False)
    api = client_for(raw)

    refused = api.post("/api/v1/payments/", PAID, format="json")

    assert refused.status_code == 403
    assert "may not record payments" in refused.json()["detail"]
    assert api.get("/api/v1/invoices/").status_code == 200
    assert api.post("/api/v1/invoices/", ONE, format="json").status_code == 400  # allowed: the reference is unknown


def test_each_token_has_its_own_rate_limit(officer, council, monkeypatch):
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"user": "2/hour", "anon": "100/hour"})
    first = client_for(make(officer, council)[1])
    second = client_for(make(officer, council, name="Grants system")[1])

    answers = [first.get("/api/v1/invoices/").status_code for _ in range(3)]

    assert answers == [200, 200, 429]
    assert second.get("/api/v1/invoices/").status_code == 200
