"""The public API against its own OpenAPI document (schemathesis): for every public endpoint, generated requests
(good and bad query values, unknown records) never meet a server error, and every answer matches the document
(its status, its content type and its body). Like DRF, the API is lenient with a ``page_size`` it cannot read (it
gives the usual size), and a filter's slug the document types as a string is refused (400) when it names no
record: the checks that every schema-violating request is refused and every schema-valid one accepted are left
out; the rest (no server error, documented statuses, content types and bodies) run."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from compact_portal.wsgi import application
from tests.commitments.factories import SignatureFactory
from tests.consultations.factories import closed_consultation, open_consultation, publish_feedback

# The authenticated endpoints of finance systems (invoices and payments) have tests of their own.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application).exclude(
    path_regex=r"^/api/v1/(invoices|payments)/"
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
@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_public_endpoint_answers_as_documented(case, published):
    case.call_and_validate(excluded_checks=[negative_data_rejection, positive_data_acceptance])
