"""Funding is recorded only under a compact its funder has signed (an approved signature, not withdrawn from): the
service refuses any other with a plain message, so the form, the import and every other path do; the "Log funding"
form offers only the compacts the funder has signed. When it signed does not limit the funding's dates: a council
loads years of history after signing."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from commitments import services as commitments_services
from commitments.models import SignatureStatus
from compact_portal.csv_import import read_csv
from funding import services
from funding.models import FundingRelationship
from funding.services.imports import funding_import
from tests.commitments.factories import CompactFactory, PublicBodyFactory, SignatureFactory
from tests.funding.factories import FundingRelationshipFactory, sign_up

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 2)


def details(compact, funder, recipient, **overrides) -> dict:
    """A grant from a year before the funder signed (it signed on 1 April 2026)."""
    return {
        "compact": compact,
        "funder": funder,
        "recipient": recipient,
        "reference": "GR-2025-001",
        "title": "Meals",
        "mechanism": "grant",
        "amount": Decimal("1000"),
        "expected_start": datetime.date(2025, 4, 1),
    } | overrides


def never_signed(compact, funder):
    pass


def applied(compact, funder):
    SignatureFactory(compact=compact, organisation=funder, status=SignatureStatus.APPLIED, signed_date=None)


def declined(compact, funder):
    SignatureFactory(compact=compact, organisation=funder, status=SignatureStatus.DECLINED, signed_date=None)


def withdrawn(compact, funder):
    signature = SignatureFactory(compact=compact, organisation=funder)
    commitments_services.signature_withdraw(signature=signature, reason="Left the partnership.", today=TODAY)


def signed_elsewhere(compact, funder):
    sign_up(compact=CompactFactory(name="Another Compact"), funder=funder)


@pytest.mark.parametrize(
    ("signature", "why"),
    [
        pytest.param(never_signed, "Portsmouth City Council has not signed Southsea Compact", id="never-signed"),
        pytest.param(signed_elsewhere, "Portsmouth City Council has not signed Southsea Compact", id="another-compact"),
        pytest.param(
            applied,
            "Portsmouth City Council has applied to sign Southsea Compact but has not signed it yet",
            id="pending",
        ),
        pytest.param(declined, "Portsmouth City Council has not signed Southsea Compact", id="declined"),
        pytest.param(
            withdrawn, "Portsmouth City Council withdrew from Southsea Compact on 2 November 2026", id="withdrawn"
        ),
    ],
)
def test_funding_under_a_compact_the_funder_has_not_signed_is_refused(council, charity, signature, why):
    compact = CompactFactory(name="Southsea Compact")
    signature(compact, council)

    with pytest.raises(ValidationError) as refused:
        services.relationship_create(actor=None, **details(compact, council, charity))

    assert refused.value.message_dict == {
        "compact": [f"{why}; funding can only be recorded under a compact its funder has signed."]
    }
    assert not FundingRelationship.objects.exists()


def test_funding_under_a_signed_compact_is_recorded_whenever_it_started(council, charity):
    """Signed on 1 April 2026; funding from 2019 and from next year are both recorded."""
    compact = CompactFactory(name="Southsea Compact")
    sign_up(compact=compact, funder=council)

    old = services.relationship_create(
        actor=None, **details(compact, council, charity, reference="GR-2019", expected_start=datetime.date(2019, 4, 1))
    )
    new = services.relationship_create(
        actor=None, **details(compact, council, charity, reference="GR-2027", expected_start=datetime.date(2027, 4, 1))
    )

    assert {old.pk, new.pk} == set(FundingRelationship.objects.values_list("pk", flat=True))


def test_signing_again_after_withdrawing_allows_funding_again(council, charity):
    compact = CompactFactory(name="Southsea Compact")
    withdrawn(compact, council)
    commitments_services.signature_record_signed(compact=compact, organisation=council, signed_date=TODAY)

    assert services.relationship_create(actor=None, **details(compact, council, charity)).pk


def test_moving_funding_to_a_compact_its_funder_has_not_signed_is_refused(council, charity):
    funding = FundingRelationshipFactory(funder=council, recipient=charity)
    unsigned = CompactFactory(name="Unsigned Compact")

    with pytest.raises(ValidationError, match="has not signed Unsigned Compact"):
        services.relationship_update(relationship=funding, actor=None, compact=unsigned)

    funding.refresh_from_db()
    assert funding.compact != unsigned


def test_funding_recorded_before_its_funder_withdrew_can_still_be_corrected(council, charity):
    funding = FundingRelationshipFactory(funder=council, recipient=charity)
    signature = funding.compact.signatures.get(organisation=council)
    commitments_services.signature_withdraw(signature=signature, reason="Left the partnership.", today=TODAY)

    services.relationship_update(relationship=funding, actor=None, amount=Decimal("2000"))

    funding.refresh_from_db()
    assert funding.amount == Decimal("2000")


# --- The "Log funding" form -------------------------------------------------------------------------------------


def _compact_choices(page) -> list[str]:
    select = page.split('name="compact"', 1)[1].split("</select>", 1)[0]
    return [part.split(">", 1)[1].split("<", 1)[0] for part in select.split("<option")[1:]]


def test_log_funding_offers_only_the_compacts_the_funder_has_signed_and_preselects_the_only_one(client_for, council):
    signed = CompactFactory(name="Signed Compact")
    sign_up(compact=signed, funder=council)
    for name, signature in (("Never Compact", never_signed), ("Pending Compact", applied), ("Left Compact", withdrawn)):
        signature(CompactFactory(name=name), council)

    page = client_for("officer").get(reverse("funding:relationship_create")).content.decode()

    assert _compact_choices(page) == ["---------", "Signed Compact"]
    assert f'<option value="{signed.pk}" selected>Signed Compact</option>' in page


def test_log_funding_offers_every_compact_the_funder_signed_and_preselects_none(client_for, council):
    for name in ("Beta Compact", "Alpha Compact"):
        sign_up(compact=CompactFactory(name=name), funder=council)

    page = client_for("officer").get(reverse("funding:relationship_create")).content.decode()

    assert _compact_choices(page) == ["---------", "Alpha Compact", "Beta Compact"]
    assert '<option value="" selected>---------</option>' in page.split('name="compact"', 1)[1]


def test_log_funding_says_so_when_the_funder_has_signed_no_compact(client_for, council):
    CompactFactory(name="Never Compact")

    page = client_for("officer").get(reverse("funding:relationship_create")).content.decode()

    assert _compact_choices(page) == ["---------"]
    assert "Your organisation has not signed a compact" in page


def test_log_funding_refuses_a_compact_the_funder_has_not_signed_keeping_what_was_typed(client_for, council, charity):
    sign_up(compact=CompactFactory(name="Signed Compact"), funder=council)
    unsigned = CompactFactory(name="Unsigned Compact")
    data = {
        "compact": unsigned.pk, "funder": council.pk, "recipient": charity.pk, "reference": "GR-NEW",
        "title": "Holiday meals", "mechanism": "grant", "amount": "1000", "expected_start": "2027-04-01",
    }  # fmt: skip

    response = client_for("officer").post(reverse("funding:relationship_create"), data)

    page = response.content.decode()
    assert response.status_code == 200
    assert "error-summary" in page
    assert 'value="Holiday meals"' in page
    assert not FundingRelationship.objects.exists()


def test_the_edit_form_keeps_the_compact_the_funding_is_under_after_its_funder_withdrew(client_for, council, charity):
    funding = FundingRelationshipFactory(funder=council, recipient=charity)
    signature = funding.compact.signatures.get(organisation=council)
    commitments_services.signature_withdraw(signature=signature, reason="Left the partnership.", today=TODAY)

    page = client_for("officer").get(reverse("funding:relationship_edit", args=[funding.pk])).content.decode()

    assert _compact_choices(page) == ["---------", funding.compact.name]


# --- The import -------------------------------------------------------------------------------------------------

HEADER = (
    "reference,funder_org_id,recipient_org_id,compact,mechanism,title,amount,expected_start,start_date,end_date,"
    "end_date_defined_at_start,strategic,decision,decision_date,decision_justification,term_explanation,feedback\n"
)


def test_an_import_row_under_a_compact_its_funder_has_not_signed_gets_its_rows_error(council, charity):
    for organisation, org_id in ((council, "GB-LAE-POR"), (charity, "GB-CHC-1170001")):
        organisation.org_id = org_id
        organisation.save()
    sign_up(compact=CompactFactory(name="Signed Compact", slug="signed"), funder=council)
    CompactFactory(name="Unsigned Compact", slug="unsigned")
    other = PublicBodyFactory(name="Hampshire County Council", org_id="GB-LAE-HAM")
    text = HEADER + (
        "GR-1,GB-LAE-POR,GB-CHC-1170001,signed,grant,Meals,1000,2019-04-01,,,no,no,awarded,2019-01-02,,,\n"
        "GR-2,GB-LAE-POR,GB-CHC-1170001,unsigned,grant,Meals,1000,2025-04-01,,,no,no,,,,,\n"
        "GR-3,GB-LAE-HAM,GB-CHC-1170001,signed,grant,Meals,1000,2025-04-01,,,no,no,,,,,\n"
    )
    header, rows = read_csv(text.encode())

    result = funding_import(kind="relationships", header=header, rows=rows, actor=None, today=TODAY)

    assert [(error.row, error.message) for error in result.errors] == [
        (
            3,
            "compact: Portsmouth City Council has not signed Unsigned Compact; funding can only be recorded under a "
            "compact its funder has signed.",
        ),
        (
            4,
            f"compact: {other.name} has not signed Signed Compact; funding can only be recorded under a compact its "
            "funder has signed.",
        ),
    ]
    assert not FundingRelationship.objects.exists()
