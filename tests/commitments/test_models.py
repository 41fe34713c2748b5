import datetime

import pytest
from django.core.exceptions import ValidationError

from commitments.models import Compact, CompactStatus, Organisation, OrganisationType, Side


def make(**fields) -> Organisation:
    defaults = {"name": "Test Group", "slug": "test-group", "side": Side.VCS}
    return Organisation(**{**defaults, **fields})


def test_clean_normalises_identifiers_and_derives_the_org_id(db):
    organisation = make(charity_number="101 2345", company_number="4123456", postcode="po12al")
    organisation.full_clean()
    assert organisation.charity_number == "1012345"
    assert organisation.company_number == "04123456"
    assert organisation.postcode == "PO1 2AL"
    assert organisation.org_id == "GB-CHC-1012345"


def test_an_org_id_entered_by_a_public_body_is_kept(db):
    council = make(side=Side.PUBLIC, organisation_type=OrganisationType.LOCAL_AUTHORITY, org_id="GB-LAE-POR")
    council.full_clean()
    assert council.org_id == "GB-LAE-POR"


def test_every_bad_identifier_is_reported_at_once(db):
    with pytest.raises(ValidationError) as error:
        make(charity_number="12", company_number="X", postcode="nowhere").full_clean()
    assert {"charity_number", "company_number", "postcode"} <= set(error.value.message_dict)


@pytest.mark.parametrize(
    ("side", "organisation_type", "ok"),
    [
        (Side.PUBLIC, OrganisationType.NHS_BODY, True),
        (Side.VCS, OrganisationType.NHS_BODY, False),
        (Side.VCS, OrganisationType.FAITH_GROUP, True),
        (Side.PUBLIC, OrganisationType.REGISTERED_CHARITY, False),
    ],
)
def test_the_type_must_match_the_side(db, side, organisation_type, ok):
    organisation = make(side=side, organisation_type=organisation_type)
    if ok:
        organisation.full_clean()
    else:
        with pytest.raises(ValidationError, match="side"):
            organisation.full_clean()


@pytest.mark.parametrize(("paid_staff", "small"), [(0, True), (2, True), (3, False), (None, False)])
def test_a_small_group_has_at_most_two_paid_staff(paid_staff, small):
    assert make(paid_staff=paid_staff).is_small_group is small


def test_an_adopted_compact_needs_its_adoption_date_and_a_later_review(db):
    compact = Compact(name="X", slug="x", area="X", status=CompactStatus.ADOPTED)
    with pytest.raises(ValidationError, match="adopted"):
        compact.full_clean()
    compact.adopted_date = datetime.date(2026, 4, 1)
    compact.next_review_date = datetime.date(2026, 4, 1)
    with pytest.raises(ValidationError, match="review"):
        compact.full_clean()
    compact.next_review_date = datetime.date(2027, 4, 1)
    compact.full_clean()


def test_a_new_compact_has_the_seeds_rule_settings():
    compact = Compact()
    assert (compact.consultation_min_weeks, compact.feedback_due_weeks, compact.notice_months) == (12, 12, 3)
    assert (compact.decision_lead_months, compact.min_funding_years, compact.payment_working_days) == (3, 3, 10)
    assert (compact.dispute_acknowledge_days, compact.dispute_informal_days, compact.dispute_formal_days) == (5, 20, 20)
    assert (compact.dispute_appeal_lodge_days, compact.dispute_appeal_decision_days) == (20, 20)
