import pytest

from commitments.models import Champion
from tests.commitments.factories import CompactFactory, SignatureFactory
from tests.funding.factories import AwardedFundingFactory, FundingRelationshipFactory


@pytest.fixture
def compact(db):
    return CompactFactory(name="Southsea Compact")


@pytest.fixture
def funding(compact, council, charity):
    """An award from the council (the officer's body) to the charity (the VCS member's organisation)."""
    return AwardedFundingFactory(compact=compact, funder=council, recipient=charity, reference="GR-2027-001")


@pytest.fixture
def draft_funding(compact, council, charity):
    """Logged by the council but not yet decided: the charity does not see it."""
    return FundingRelationshipFactory(compact=compact, funder=council, recipient=charity, reference="GR-2027-002")


@pytest.fixture
def championed(compact, council, champion):
    """The champion fixture appointed as the compact's champion at the council."""
    SignatureFactory(compact=compact, organisation=council)
    return Champion.objects.create(compact=compact, organisation=council, user=champion)
