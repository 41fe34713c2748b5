import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from compact_portal.accounts.models import Membership, User
from compact_portal.accounts.roles import Role
from tests.accounts.factories import UserFactory


@pytest.mark.parametrize(
    ("role", "organisation_fixture", "allowed"),
    [
        (Role.OFFICER, "council", True),
        (Role.OFFICER, "charity", False),
        (Role.VCS_MEMBER, "charity", True),
        (Role.VCS_MEMBER, "council", False),
        (Role.CHAMPION, "council", True),
        (Role.CHAMPION, "charity", True),
        (Role.PANEL_MEMBER, "charity", True),
        (Role.ADMINISTRATOR, "council", True),
    ],
)
def test_a_role_must_suit_the_side_of_the_organisation(db, request, role, organisation_fixture, allowed):
    membership = Membership(user=UserFactory(), organisation=request.getfixturevalue(organisation_fixture), role=role)
    if allowed:
        membership.full_clean()
    else:
        with pytest.raises(ValidationError) as error:
            membership.full_clean()
        assert "role" in error.value.message_dict


def test_email_addresses_are_unique_whatever_their_case(db):
    UserFactory(email="grace@example.org")
    with pytest.raises(IntegrityError):
        User.objects.create(email="Grace@Example.org", full_name="Another Grace")


def test_create_user_stores_the_email_in_lower_case(db):
    user = User.objects.create_user("Grace.Okafor@Example.ORG", "long-enough-password", full_name="Grace Okafor")
    assert user.email == "grace.okafor@example.org"


def test_roles_are_those_held_in_any_organisation(officer, charity):
    Membership.objects.create(user=officer, organisation=charity, role=Role.CHAMPION)
    fresh = User.objects.get(pk=officer.pk)
    assert fresh.roles == {Role.OFFICER, Role.CHAMPION}
    assert fresh.has_role(Role.CHAMPION, Role.PANEL_MEMBER)
    assert not fresh.has_role(Role.PANEL_MEMBER)


def test_a_switched_off_account_holds_no_roles(officer):
    officer.is_active = False
    assert User.objects.get(pk=officer.pk).roles
    assert not officer.roles


def test_superusers_count_as_administrators(db):
    assert User.objects.create_superuser("root@example.org", "long-enough-password", full_name="Root").is_administrator
