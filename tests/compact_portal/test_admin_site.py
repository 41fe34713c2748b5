import pytest
from django.urls import reverse

from tests.conftest import ROLE_FIXTURES


def test_administrators_can_manage_people_and_organisations(client_for):
    client = client_for("administrator")
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 200
    assert client.get(reverse("admin:commitments_organisation_changelist")).status_code == 200


@pytest.mark.parametrize("role_fixture", [r for r in ROLE_FIXTURES if r != "administrator"])
def test_other_roles_are_refused_rather_than_shown_the_admin_sign_in(client_for, role_fixture):
    client = client_for(role_fixture)
    assert client.get(reverse("admin:accounts_user_changelist"), follow=True).status_code == 403


def test_anonymous_visitors_go_to_the_portal_sign_in(client, db):
    response = client.get(reverse("admin:index"), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("login"))
    assert response.status_code == 200
