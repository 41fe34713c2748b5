"""The disputes world: an adopted compact signed by the council, an NHS trust and two charities, its
commitments, its champions and panel, and concerns raised by the food bank about the trust.

People (besides tests/conftest.py's): ``vcs_member`` raises for the charity; ``respondent_officer`` acts for
the trust; ``champion`` is appointed at the council, so is neutral in cases about the trust;
``respondent_champion`` is appointed at the trust (conflicted: follows the case as the trust's side);
``panel_member`` and ``second_panel_member`` sit on the panel through other_charity.
"""

import datetime

import pytest

from commitments.models import Champion, Commitment, OrganisationType, UndertakenBy
from compact_portal.accounts.roles import Role
from tests.accounts.factories import MembershipFactory
from tests.commitments.factories import (
    CommitmentFactory,
    CompactFactory,
    PublicBodyFactory,
    SectionFactory,
    SignatureFactory,
)
from tests.disputes.factories import Cast, ConcernFactory, take_to

ADOPTED = datetime.date(2026, 4, 1)

# Every person fixture of the role matrix, by the part they play in a case about the trust.
PEOPLE = {
    "raiser": "vcs_member",
    "respondent": "respondent_officer",
    "champion": "champion",
    "conflicted_champion": "respondent_champion",
    "panel": "panel_member",
    "unassigned_panel": "second_panel_member",
    "outsider": "outsider",
}


@pytest.fixture(autouse=True)
def case_emails_sent_in_process(tasks_run_in_process):
    """Every disputes test sees the e-mails a step sends (tests/conftest.py's ``tasks_run_in_process``); the real
    worker path is tested in tests/compact_portal/test_celery.py."""


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploads land in the test's own directory, never in the repository."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def trust(db):
    return PublicBodyFactory(name="Portsmouth Hospitals NHS Trust", organisation_type=OrganisationType.NHS_BODY)


def catalogue(compact) -> None:
    """Three commitments: 13.3 (public bodies), 2.1 (both sides) and 7.2 (the VCS's, which a body cannot break)."""
    funding = SectionFactory(compact=compact, number="13", title="Funding", side=UndertakenBy.PUBLIC, position=1)
    shared = SectionFactory(compact=compact, number="2", title="Shared values", side=UndertakenBy.BOTH, position=2)
    vcs = SectionFactory(compact=compact, number="7", title="The VCS undertakes", side=UndertakenBy.VCS, position=3)
    CommitmentFactory(
        compact=compact,
        section=funding,
        code="13.3",
        side=UndertakenBy.PUBLIC,
        summary="Three months' notice.",
        position=1,
    )
    CommitmentFactory(
        compact=compact, section=shared, code="2.1", side=UndertakenBy.BOTH, summary="Respect independence.", position=2
    )
    CommitmentFactory(
        compact=compact, section=vcs, code="7.2", side=UndertakenBy.VCS, summary="Account for public money.", position=3
    )


@pytest.fixture
def compact(council, trust, charity, other_charity):
    """The adopted Portsmouth Compact, signed by all four organisations, with its catalogue."""
    compact = CompactFactory(name="Portsmouth Compact", status="adopted", adopted_date=ADOPTED)
    for organisation in (council, trust, charity, other_charity):
        SignatureFactory(compact=compact, organisation=organisation)
    catalogue(compact)
    return compact


@pytest.fixture
def public_commitment(compact):
    return Commitment.objects.get(compact=compact, code="13.3")


@pytest.fixture
def shared_commitment(compact):
    return Commitment.objects.get(compact=compact, code="2.1")


@pytest.fixture
def vcs_commitment(compact):
    return Commitment.objects.get(compact=compact, code="7.2")


@pytest.fixture
def champion(champion, compact, council):
    """tests/conftest.py's champion (a member of the council), appointed the compact's champion there."""
    Champion.objects.create(compact=compact, organisation=council, user=champion)
    return champion


@pytest.fixture
def respondent_officer(trust):
    return MembershipFactory(organisation=trust, role=Role.OFFICER, user__full_name="Rhys Respondent").user


@pytest.fixture
def respondent_champion(compact, trust):
    """A champion appointed at the trust: in cases about the trust, on the trust's side."""
    user = MembershipFactory(organisation=trust, role=Role.CHAMPION, user__full_name="Tara Trustchampion").user
    Champion.objects.create(compact=compact, organisation=trust, user=user)
    return user


@pytest.fixture
def panel_member(panel_member, compact):
    """tests/conftest.py's panel member (through other_charity, which has signed the compact)."""
    return panel_member


@pytest.fixture
def second_panel_member(compact, other_charity):
    return MembershipFactory(organisation=other_charity, role=Role.PANEL_MEMBER, user__full_name="Quinn Panel").user


@pytest.fixture
def person(request):
    """The person fixture named by a key of PEOPLE (for ``indirect`` parametrisation)."""
    return request.getfixturevalue(PEOPLE[request.param])


@pytest.fixture
def cast(vcs_member, respondent_officer, champion, panel_member):
    return Cast(raiser=vcs_member, respondent=respondent_officer, champion=champion, panel=panel_member)


@pytest.fixture
def raise_concern(compact, charity, trust, vcs_member):
    """Raise a concern by the food bank about the trust (any service argument can be overridden)."""

    def make(**overrides):
        return ConcernFactory(
            **({"actor": vcs_member, "raiser": charity, "compact": compact, "respondent": trust} | overrides)
        )

    return make


@pytest.fixture
def concern(raise_concern):
    """Raised on Monday 2 November 2026, citing 13.3, identity not withheld."""
    return raise_concern()


@pytest.fixture
def case_at(raise_concern, cast):
    """A concern raised and taken to a state of factories.PATH (or "withdrawn") by the right people."""

    def make(state: str, **overrides):
        return take_to(raise_concern(**overrides), state, cast=cast)

    return make
