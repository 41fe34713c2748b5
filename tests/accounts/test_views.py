import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.accounts.factories import PASSWORD


def test_signing_in_with_email_and_password_works(client, officer):
    response = client.post(reverse("login"), {"username": officer.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("account")).context["user"] == officer


def test_sign_in_ignores_the_case_of_the_email_address(client, officer):
    response = client.post(reverse("login"), {"username": officer.email.upper(), "password": PASSWORD})
    assert response.status_code == 302


def test_sign_in_returns_to_the_page_asked_for(client, officer):
    response = client.post(
        reverse("login") + "?next=/funding/", {"username": officer.email, "password": PASSWORD, "next": "/funding/"}
    )
    assert response["Location"] == "/funding/"


def test_a_wrong_password_is_refused_with_a_plain_message_and_keeps_the_email(client, officer):
    response = client.post(reverse("login"), {"username": officer.email, "password": "not-the-password"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "The e-mail address or password is not right" in html
    assert f'value="{officer.email}"' in html
    assert "_auth_user_id" not in client.session


def test_an_account_that_is_switched_off_cannot_sign_in(client, officer):
    officer.is_active = False
    officer.save()
    response = client.post(reverse("login"), {"username": officer.email, "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_signing_out_ends_the_session(client, officer):
    client.force_login(officer)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_password_reset_by_email_lets_the_person_choose_a_new_password(client, officer):
    response = client.post(reverse("password_reset"), {"email": officer.email})
    assert response["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [officer.email]
    link = re.search(r"http://testserver(/account/password/reset/\S+)", mail.outbox[0].body).group(1)

    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"]
    new_password = "a-brand-new-passphrase"
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": new_password, "new_password2": new_password})
    assert done["Location"] == reverse("password_reset_complete")
    assert client.login(username=officer.email, password=new_password)


def test_password_reset_for_an_unknown_address_sends_nothing_and_reveals_nothing(client, db):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []


@pytest.mark.parametrize("new_password", ["short", "12345678901234", "password123"])
def test_weak_passwords_are_refused(client, officer, new_password):
    client.force_login(officer)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": new_password, "new_password2": new_password},
    )
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    officer.refresh_from_db()
    assert officer.check_password(PASSWORD)


def test_the_account_page_lists_the_roles_held(client, officer, charity):
    from compact_portal.accounts.roles import Role
    from compact_portal.accounts.services import membership_grant

    membership_grant(user=officer, organisation=charity, role=Role.CHAMPION)
    client.force_login(officer)
    html = client.get(reverse("account")).content.decode()
    assert "Public-body officer" in html
    assert "Portsmouth City Council" in html
    assert "Compact champion" in html
    assert "Southsea Community Food Bank" in html


def test_the_account_page_needs_sign_in(client, db):
    assert client.get(reverse("account"))["Location"].startswith(reverse("login"))
