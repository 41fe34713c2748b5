"""Role fixtures shared by every test: one signed-in person per role, and an outsider."""

import pytest

from compact_portal.accounts.roles import Role
from tests.accounts.factories import MembershipFactory, UserFactory
from tests.commitments.factories import OrganisationFactory, PublicBodyFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Real hashing costs ~0.3 s a password; tests check behaviour, not hash strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def council(db):
    return PublicBodyFactory(name="Portsmouth City Council")


@pytest.fixture
def charity(db):
    return OrganisationFactory(name="Southsea Community Food Bank")


@pytest.fixture
def other_charity(db):
    return OrganisationFactory(name="Fratton Youth Network")


@pytest.fixture
def officer(council):
    return MembershipFactory(organisation=council, role=Role.OFFICER, user__full_name="Olivia Officer").user


@pytest.fixture
def vcs_member(charity):
    return MembershipFactory(organisation=charity, role=Role.VCS_MEMBER, user__full_name="Val Member").user


@pytest.fixture
def champion(council):
    return MembershipFactory(organisation=council, role=Role.CHAMPION, user__full_name="Cara Champion").user


@pytest.fixture
def panel_member(other_charity):
    return MembershipFactory(organisation=other_charity, role=Role.PANEL_MEMBER, user__full_name="Pat Panel").user


@pytest.fixture
def administrator(council):
    return MembershipFactory(organisation=council, role=Role.ADMINISTRATOR, user__full_name="Ada Admin").user


@pytest.fixture
def outsider(other_charity):
    """A signed-in member of another organisation, with no role on the pages under test."""
    return MembershipFactory(organisation=other_charity, role=Role.VCS_MEMBER, user__full_name="Oscar Outsider").user


@pytest.fixture
def person_without_roles(db):
    return UserFactory(full_name="Nadia Noroles")


ROLE_FIXTURES = ("officer", "vcs_member", "champion", "panel_member", "administrator")


@pytest.fixture
def client_for(client, request):
    """Return a test client signed in as the person of the named role fixture."""

    def sign_in(fixture_name: str):
        client.force_login(request.getfixturevalue(fixture_name))
        return client

    return sign_in
