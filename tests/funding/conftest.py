import pytest

from commitments.models import Champion
from tests.commitments.factories import CompactFactory
from tests.funding.factories import AwardedFundingFactory, FundingRelationshipFactory, sign_up


@pytest.fixture
def compact(council):
    """A compact the council (the officer's body) has signed, so its funding may be recorded under it."""
    compact = CompactFactory(name="Southsea Compact")
    sign_up(compact=compact, funder=council)
    return compact


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
    sign_up(compact=compact, funder=council)
    return Champion.objects.create(compact=compact, organisation=council, user=champion)
