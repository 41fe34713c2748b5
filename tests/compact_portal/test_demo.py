import pytest
from django.core.management import call_command

from commitments.models import Organisation
from compact_portal.accounts.models import Membership, User
from compact_portal.accounts.roles import Role
from compact_portal.demo import DEMO_PASSWORD


def counts() -> tuple[int, int, int]:
    return Organisation.objects.count(), User.objects.count(), Membership.objects.count()


@pytest.mark.django_db
def test_seed_demo_twice_changes_nothing(capsys):
    call_command("seed_demo")
    first = counts()
    hashes = dict(User.objects.values_list("email", "password"))
    call_command("seed_demo")
    assert counts() == first
    assert dict(User.objects.values_list("email", "password")) == hashes
    assert first[0] >= 6  # a council, an NHS body and several charities and groups


@pytest.mark.django_db
def test_seed_demo_gives_one_person_per_role_who_can_sign_in(client, capsys):
    call_command("seed_demo")
    printed = capsys.readouterr().out
    assert DEMO_PASSWORD in printed
    for role in Role:
        holder = User.objects.filter(memberships__role=role).distinct().get()
        assert holder.email in printed
        assert client.login(username=holder.email, password=DEMO_PASSWORD)
