"""``relationship_log_with_decision``: funding logged with the decision already told, both or neither."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from funding import services
from funding.models import Decision, FundingRelationship, FundingStatus

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 1)


def details(compact, council, charity, **overrides):
    return {
        "compact": compact,
        "funder": council,
        "recipient": charity,
        "reference": "GR-2027-010",
        "title": "Lunch club",
        "mechanism": "grant",
        "amount": Decimal("12000.00"),
        "expected_start": datetime.date(2027, 4, 1),
        **overrides,
    }


def test_funding_and_its_decision_are_logged_together(compact, council, charity, officer):
    relationship = services.relationship_log_with_decision(
        actor=officer,
        today=TODAY,
        decision_kind="awarded",
        told_date=datetime.date(2026, 11, 20),
        rationale="Strong bid.",
        **details(compact, council, charity),
    )

    relationship.refresh_from_db()
    assert relationship.status == FundingStatus.AWARDED
    assert relationship.decisions.get().rationale == "Strong bid."


def test_without_a_decision_only_the_funding_is_logged(compact, council, charity, officer):
    relationship = services.relationship_log_with_decision(
        actor=officer, today=TODAY, **details(compact, council, charity)
    )

    assert relationship.status == FundingStatus.PENDING
    assert not Decision.objects.exists()


def test_a_refused_decision_leaves_no_funding_behind(compact, council, charity, officer):
    with pytest.raises(services.DecisionRefused) as refused:
        services.relationship_log_with_decision(
            actor=officer,
            today=TODAY,
            decision_kind="awarded",
            told_date=TODAY + datetime.timedelta(days=1),  # told after today: refused
            rationale="Strong bid.",
            **details(compact, council, charity),
        )

    assert "told_date" in refused.value.message_dict
    assert not FundingRelationship.objects.exists()
    assert not Decision.objects.exists()


def test_refused_funding_is_refused_as_it_is(compact, council, charity, officer):
    with pytest.raises(ValidationError) as error:
        services.relationship_log_with_decision(
            actor=officer,
            today=TODAY,
            decision_kind="awarded",
            told_date=datetime.date(2026, 11, 20),
            rationale="Strong bid.",
            **details(compact, council, charity, funder=charity),  # a charity funds no one here
        )

    assert not isinstance(error.value, services.DecisionRefused)
    assert not FundingRelationship.objects.exists()
