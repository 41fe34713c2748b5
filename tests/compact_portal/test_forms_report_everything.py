"""A form with several mistakes says all of them in one response: its fields' errors, the record's (the model's
checks) and the service's own (a date after today), each on its field, instead of one layer per post."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from funding.models import FundingRelationship, Invoice, Notice
from tests.commitments.factories import CompactFactory
from tests.funding.factories import AwardedFundingFactory, sign_up

pytestmark = pytest.mark.django_db


def _later(days: int) -> str:
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


def _log_funding(compact, council, charity, funding):
    data = {
        "compact": compact.pk,
        "funder": council.pk,
        "recipient": charity.pk,
        "reference": "",  # 1. a required field left empty (the form's own check)
        "title": "Holiday hunger project",
        "mechanism": "grant",
        "amount": "45000.00",
        "expected_start": "2026-04-01",
        "start_date": "2026-04-01",
        "end_date": "2025-03-31",  # 2. ends before it starts (the model's check)
        "decision-kind": "awarded",
        "decision-told_date": _later(30),  # 3. told after today (the service's check)
        "decision-rationale": "Strong bid.",
    }
    expected = [
        "Reference: This field is required.",
        "End date: The end date must not be before the start date.",
        "Date the organisation was told: A decision cannot be told to the organisation after today",
    ]
    return reverse("funding:relationship_create"), data, expected, FundingRelationship.objects.count


def _add_invoice(compact, council, charity, funding):
    data = {
        "invoice_number": "",  # 1. empty
        "amount": "0",  # 2. no money owed (the amount's own check)
        "received_date": _later(3),  # 3. received after today (the service's check)
    }
    expected = [
        "Invoice number: This field is required.",
        "Amount (£): Ensure this value is greater than or equal to 0.01.",
        "Date received: An invoice cannot be received after today",
    ]
    return reverse("funding:invoice_create", args=[funding.pk]), data, expected, Invoice.objects.count


def _give_notice(compact, council, charity, funding):
    data = {
        "kind": "end",
        "notice_date": _later(20),  # 1. given after today (the service's check)
        "effective_date": _later(10),  # 2. takes effect before the notice (the model's check)
        "rationale": "",  # 3. empty
    }
    expected = [
        "Written notice given on: Notice cannot be given after today",
        "Takes effect on: The change cannot take effect before notice of it is given.",
        "Rationale: This field is required.",
    ]
    return reverse("funding:notice_create", args=[funding.pk]), data, expected, Notice.objects.count


@pytest.mark.parametrize("form", [_log_funding, _add_invoice, _give_notice], ids=["log_funding", "invoice", "notice"])
def test_three_independent_mistakes_are_all_reported_in_one_response(client_for, council, charity, form):
    compact = CompactFactory(name="Southsea Compact")
    sign_up(compact=compact, funder=council)
    funding = AwardedFundingFactory(compact=compact, funder=council, recipient=charity, reference="GR-2027-001")
    url, data, expected, count = form(compact, council, charity, funding)
    before = count()

    response = client_for("officer").post(url, data)

    assert response.status_code == 200
    page = response.content.decode()
    for message in expected:
        assert escape(message) in page
    assert count() == before  # nothing saved


def test_a_clean_form_leaves_the_service_to_check_it_once(client_for, council, charity):
    """With no mistake of its own the form does not run the service's checks: the service refuses the date."""
    compact = CompactFactory(name="Southsea Compact")
    sign_up(compact=compact, funder=council)
    funding = AwardedFundingFactory(compact=compact, funder=council, recipient=charity)

    response = client_for("officer").post(
        reverse("funding:invoice_create", args=[funding.pk]),
        {"invoice_number": "SCFB-1", "amount": "10.00", "received_date": _later(1)},
    )

    page = response.content.decode()
    assert page.count(escape("An invoice cannot be received after today")) == 2  # the summary and the field
    assert not Invoice.objects.exists()


def test_log_funding_shows_the_essentials_and_the_decision_before_the_terms(client_for, council):
    page = client_for("officer").get(reverse("funding:relationship_create")).content.decode()

    legends = [page.index(f"<legend>{legend}") if f"<legend>{legend}" in page else -1 for legend in LEGENDS]
    assert -1 not in legends, legends
    assert legends == sorted(legends)
    terms = page[page.index("<legend>Terms") :]
    assert 'name="amount"' not in terms
    assert 'name="decision-kind"' not in terms
    assert 'name="risk_notes"' in terms


LEGENDS = ["Who", "What", "When", "The decision", "Terms"]
