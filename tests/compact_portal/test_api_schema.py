"""The API against its own OpenAPI document (schemathesis): for every endpoint, generated requests (good and bad
query values and bodies, unknown records) never meet a server error, and every answer matches the document (its
status, its content type and its body). The public endpoints are called with no sign-in; those of a body's finance
system (invoices and payments) with a token of a body that has funding and an invoice on it, and then without a
usable token and outside the token's scope, to see them refused as documented.

Like DRF, the API is lenient with a ``page_size`` it cannot read (it gives the usual size), and a filter's slug the
document types as a string is refused (400) when it names no record: the checks that every schema-violating request
is refused and every schema-valid one accepted are left out; the rest (no server error, documented statuses,
content types and bodies) run."""

import datetime
from decimal import Decimal

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from compact_portal.accounts.models import ApiToken
from compact_portal.accounts.tokens import token_create, token_revoke
from compact_portal.api.writes import IDEMPOTENCY_KEY_MAX_LENGTH, TokenRateThrottle
from compact_portal.wsgi import application
from tests.commitments.factories import CompactFactory, SignatureFactory
from tests.consultations.factories import closed_consultation, open_consultation, publish_feedback
from tests.funding.factories import AwardedFundingFactory, InvoiceFactory, sign_up

document = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
FINANCE_PATHS = r"^/api/v1/(invoices|payments)/"
schema = document.exclude(path_regex=FINANCE_PATHS)  # no sign-in
finance = document.include(path_regex=FINANCE_PATHS)  # with a body's token
SETTINGS = settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.fixture(autouse=True)
def _connection_kept_across_requests():
    """schemathesis calls the WSGI application itself, whose request signals close the database connection after
    each request (in production, a fresh one per request); the test's transaction lives on that connection, so they
    are held off as Django's test client holds them off."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def published(portsmouth, council, charity):
    """Records behind every public endpoint: two signatories, an open consultation and a closed one with feedback."""
    today = timezone.localdate()
    SignatureFactory(compact=portsmouth, organisation=council)
    SignatureFactory(compact=portsmouth, organisation=charity)
    open_consultation(today=today, compact=portsmouth, body=council)
    publish_feedback(closed_consultation(today=today, compact=portsmouth, body=council), today=today)


@pytest.mark.django_db
@schema.parametrize()
@SETTINGS
def test_every_public_endpoint_answers_as_documented(case, published):
    case.call_and_validate(excluded_checks=[negative_data_rejection, positive_data_acceptance])


# --- A body's finance system: invoices and payments with its token ---------------------------------------------

# The document's examples: an invoice of this funding (as the fixture below records it) and its payment in full, so
# the examples are answered "unchanged" and "created" rather than refused.
REFERENCE = "GR-2027-001"
INVOICE_NUMBER = "INV-0042"
INVOICE_AMOUNT = "1250.00"
RECEIVED = datetime.date(2026, 5, 3)
OWING = "INV-0043"  # what generated items name: the examples may pay the example invoice in full
# What the document says about an answer, and no more: the writes refuse valid-looking items their rules refuse
# (an unknown reference, a date after today) and, like the import, read any JSON value as text (an amount given
# as a number is recorded), so a schema-valid item is not always accepted nor a schema-invalid one refused.
AS_DOCUMENTED = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _token(council, officer, **options) -> tuple[ApiToken, str]:
    fields = {"name": "Finance system", "may_write_invoices": True, "may_write_payments": True, "expires_at": None}
    return token_create(organisation=council, actor=officer, **(fields | options))


@pytest.fixture
def finance_token(council, charity, officer):
    """The secret of a token that may write both, of a council with an award (``REFERENCE``) and two unpaid
    invoices on it: the document's example invoice and ``OWING``."""
    compact = CompactFactory(name="Southsea Compact")
    sign_up(compact=compact, funder=council)
    funding = AwardedFundingFactory(compact=compact, funder=council, recipient=charity, reference=REFERENCE)
    InvoiceFactory(
        relationship=funding, invoice_number=INVOICE_NUMBER, amount=Decimal(INVOICE_AMOUNT), received_date=RECEIVED
    )
    InvoiceFactory(relationship=funding, invoice_number=OWING, amount=Decimal("2500.00"), received_date=RECEIVED)
    return _token(council, officer)[1]


@finance.hook
def flatmap_body(context, body):
    """Now and then a generated item names the real funding and invoice (``OWING``), dated today (and sometimes for
    a small amount, which that invoice still owes), so generated batches are recorded as well as refused."""
    if not isinstance(body, list) or context.operation is None:
        return st.just(body)
    date_field = "paid_date" if context.operation.path.endswith("/payments/") else "received_date"
    real = {
        "funding_reference": REFERENCE,
        "invoice_number": OWING,
        date_field: timezone.localdate().isoformat(),
    }

    def item(generated):
        if not isinstance(generated, dict):
            return st.just(generated)
        return st.sampled_from([generated, generated | real, generated | real | {"amount": "10.00"}])

    return st.tuples(*(item(generated) for generated in body)).map(list)


@pytest.mark.django_db
@finance.parametrize()
@SETTINGS
def test_the_finance_endpoints_answer_a_token_as_documented(case, finance_token):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {finance_token}"},
        excluded_checks=[negative_data_rejection, positive_data_acceptance],
    )


def _example_case(method: str, path: str):
    """The operation called with the document's own example, the one a finance system would copy."""
    operation = finance[path][method]
    if method == "GET":
        return operation.Case()
    example = operation.definition.raw["requestBody"]["content"]["application/json"]["examples"]
    return operation.Case(body=next(iter(example.values()))["value"], media_type="application/json")


def _write_case(kind: str, item: dict):
    return finance[f"/api/v1/{kind}/"]["POST"].Case(body=[item], media_type="application/json")


OPERATIONS = [("GET", "/api/v1/invoices/"), ("POST", "/api/v1/invoices/"), ("POST", "/api/v1/payments/")]


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_without_a_usable_token_each_finance_endpoint_is_refused_as_documented(
    method, path, finance_token, council, officer
):
    expired, expired_secret = _token(
        council, officer, name="Expired", expires_at=timezone.now() + datetime.timedelta(hours=1)
    )
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    revoked, revoked_secret = _token(council, officer, name="Revoked")
    token_revoke(token=revoked, actor=officer)
    case = _example_case(method, path)

    for authorization in (None, f"Bearer {expired_secret}", f"Bearer {revoked_secret}", "Bearer not-a-token"):
        response = case.call(headers={"Authorization": authorization} if authorization else {})
        case.validate_response(response, checks=AS_DOCUMENTED)
        assert response.status_code == 401, authorization
        assert response.headers.get("www-authenticate") == ["Bearer"], response.headers
    assert case.call(headers={"Authorization": f"Bearer {finance_token}"}).status_code not in (401, 403)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["invoices", "payments"])
def test_each_refusal_a_write_documents_is_given_as_documented(
    kind, finance_token, council, officer, settings, monkeypatch
):
    other = "payments" if kind == "invoices" else "invoices"
    _scoped, other_only = _token(
        council, officer, name=f"{other} only", **{f"may_write_{other}": True, f"may_write_{kind}": False}
    )
    example = _example_case("POST", f"/api/v1/{kind}/")
    changed = _write_case(kind, example.body[0] | {"amount": "1.00"})
    token = {"Authorization": f"Bearer {finance_token}"}

    def answer(case, headers):
        response = case.call(headers=headers)
        case.validate_response(response, checks=AS_DOCUMENTED)
        return response

    outside_scope = answer(example, {"Authorization": f"Bearer {other_only}"})
    read = answer(_example_case("GET", "/api/v1/invoices/"), {"Authorization": f"Bearer {other_only}"})
    long_key = answer(example, token | {"Idempotency-Key": "k" * (IDEMPOTENCY_KEY_MAX_LENGTH + 1)})
    answer(example, token | {"Idempotency-Key": "batch-1"})
    key_reused = answer(changed, token | {"Idempotency-Key": "batch-1"})
    with_nul = answer(_write_case(kind, example.body[0] | {"invoice_number": f"{OWING}\x00"}), token)
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"user": "1/hour", "anon": "100/hour"})
    over_the_rate = answer(example, token)
    settings.UPLOAD_MAX_REQUEST_BYTES = 10  # refused before the view is reached, so before the rate is counted
    too_large = answer(example, token)

    assert outside_scope.status_code == 403
    assert f"may not record {kind}" in outside_scope.json()["detail"]
    assert read.status_code == 200  # reading needs only a token
    assert (long_key.status_code, key_reused.status_code) == (400, 422)
    assert with_nul.status_code == 400  # not PostgreSQL's error: it cannot compare text holding NUL
    assert "NUL" in with_nul.json()["errors"][0]["reason"]
    assert over_the_rate.status_code == 429
    assert too_large.status_code == 413
