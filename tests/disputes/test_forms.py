"""The concern form's own checks: how many files it still takes beside a draft's, and dates."""

import datetime

import pytest
from django.utils import timezone

from commitments.models import Organisation
from disputes import selectors
from disputes.forms import ConcernForm


@pytest.fixture
def options(compact, vcs_member):
    return {
        "raisers": selectors.raising_organisations(user=vcs_member),
        "respondents": selectors.respondents_for(compact=compact),
        "commitments": selectors.commitments_for_concern(compact=compact),
    }


@pytest.mark.parametrize(("kept", "room"), [(0, 5), (2, 3), (4, 1)])
def test_the_form_takes_only_the_files_a_draft_leaves_room_for(options, kept, room):
    form = ConcernForm(kept_documents=kept, **options)

    assert form.fields["documents"].max_files == room


def test_a_draft_holding_five_files_leaves_no_file_field(options):
    form = ConcernForm(kept_documents=5, **options)

    assert "documents" not in form.fields
    assert "documents" not in str(form.helper.layout)


def test_a_date_in_the_future_is_refused(options, charity, trust, public_commitment):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    form = ConcernForm(
        {
            "raiser": charity.pk,
            "respondent": trust.pk,
            "commitments": [public_commitment.pk],
            "what_happened": "Notice cut short.",
            "happened_on": tomorrow.isoformat(),
            "outcome_sought": "Three months' notice.",
            "consent": "on",
        },
        **options,
    )

    assert form.errors == {"happened_on": ["The date it happened cannot be in the future."]}


def test_one_raising_organisation_is_not_asked_for(options):
    form = ConcernForm(**options)

    assert form.fields["raiser"].widget.is_hidden
    assert form.fields["raiser"].initial == Organisation.objects.get(name="Southsea Community Food Bank").pk
