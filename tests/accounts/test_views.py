import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

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


# --- Sign-in lockout (django-axes) --------------------------------------------------------------------------


def fail_to_sign_in(client, email: str, times: int, **extra):
    response = None
    for _ in range(times):
        response = client.post(reverse("login"), {"username": email, "password": "not-the-password"}, **extra)
    return response


@pytest.mark.parametrize(("failures", "locked"), [(4, False), (5, True)])
def test_an_account_is_locked_after_five_failures_in_a_row(client, officer, failures, locked):
    fail_to_sign_in(client, officer.email, failures)

    response = client.post(reverse("login"), {"username": officer.email, "password": PASSWORD})

    assert (response.status_code == 429) is locked
    assert ("_auth_user_id" in client.session) is not locked
    if locked:
        html = response.content.decode()
        assert "Signing in is paused" in html
        assert "Wait 15 minutes" in html
        assert reverse("password_reset") in html


def test_the_lockout_names_the_account_whatever_the_case_and_the_address(client, officer):
    for number in range(5):
        client.post(
            reverse("login"),
            {"username": officer.email.upper() if number % 2 else officer.email, "password": "wrong"},
            REMOTE_ADDR=f"203.0.113.{number}",
        )

    response = client.post(
        reverse("login"), {"username": officer.email, "password": PASSWORD}, REMOTE_ADDR="198.51.100.9"
    )

    assert response.status_code == 429


def test_an_address_is_locked_after_five_failures_whatever_the_accounts(client, officer, vcs_member):
    for number in range(5):
        client.post(
            reverse("login"), {"username": f"guess{number}@example.org", "password": "x"}, REMOTE_ADDR="203.0.113.7"
        )

    from_there = client.post(
        reverse("login"), {"username": vcs_member.email, "password": PASSWORD}, REMOTE_ADDR="203.0.113.7"
    )
    from_elsewhere = client.post(
        reverse("login"), {"username": vcs_member.email, "password": PASSWORD}, REMOTE_ADDR="198.51.100.9"
    )

    assert from_there.status_code == 429
    assert from_elsewhere.status_code == 302


def test_a_successful_sign_in_clears_the_failures(client, officer):
    fail_to_sign_in(client, officer.email, 4)
    client.post(reverse("login"), {"username": officer.email, "password": PASSWORD})
    client.post(reverse("logout"))

    fail_to_sign_in(client, officer.email, 4)
    response = client.post(reverse("login"), {"username": officer.email, "password": PASSWORD})

    assert response.status_code == 302


def test_the_lockout_ends_after_the_cool_off(client, officer, settings):
    fail_to_sign_in(client, officer.email, 5)
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))

    response = client.post(reverse("login"), {"username": officer.email, "password": PASSWORD})

    assert response.status_code == 302


# --- Rate limits ----------------------------------------------------------------------------------------------


def test_password_reset_is_rate_limited_per_email_keeping_what_was_typed(client, officer):
    for number in range(5):
        client.post(reverse("password_reset"), {"email": officer.email}, REMOTE_ADDR=f"203.0.113.{number}")

    response = client.post(reverse("password_reset"), {"email": officer.email}, REMOTE_ADDR="198.51.100.9")

    assert response.status_code == 429
    html = response.content.decode()
    assert "too many reset links" in html
    assert f'value="{officer.email}"' in html
    assert len(mail.outbox) == 5


def test_password_reset_is_rate_limited_per_address(client, db):
    for number in range(5):
        client.post(reverse("password_reset"), {"email": f"someone{number}@example.org"})

    assert client.post(reverse("password_reset"), {"email": "another@example.org"}).status_code == 429
    assert (
        client.post(reverse("password_reset"), {"email": "another@example.org"}, REMOTE_ADDR="198.51.100.9").status_code
        == 302
    )


# --- Two-factor sign-in ---------------------------------------------------------------------------------------


def current_code(device, *, steps_ahead: int = 0) -> str:
    """The code the app shows now (or ``steps_ahead`` 30-second steps later: a code once used is not taken again)."""
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=steps_ahead)
    return f"{code:06d}"


def next_code(device) -> str:
    return current_code(device, steps_ahead=1)


def turn_on_two_factor(client, user) -> tuple:
    """Turn two-factor sign-in on through the pages; returns the device and the recovery codes shown."""
    client.force_login(user)
    client.get(reverse("two_factor"))
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    done = client.post(reverse("two_factor"), {"code": current_code(device)})
    client.logout()
    device.refresh_from_db()
    return device, done.context["codes"]


def test_a_champion_turns_on_two_factor_sign_in_with_the_app_code(client, champion, settings):
    client.force_login(champion)
    page = client.get(reverse("two_factor"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in html
    assert 'aria-label="QR code holding your two-factor key"' in html
    assert page.context["key"].replace(" ", "").isalnum()

    device = TOTPDevice.objects.get(user=champion, confirmed=False)
    wrong = client.post(reverse("two_factor"), {"code": "000000" if current_code(device) != "000000" else "111111"})
    assert "That code does not match" in wrong.content.decode()

    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # the app's next code at once, without the second's pause a guess earns
    done = client.post(reverse("two_factor"), {"code": current_code(device)})

    assert len(done.context["codes"]) == 10
    assert "They are shown only now" in done.content.decode()
    assert "Two-factor sign-in is <strong>on</strong>" in client.get(reverse("account")).content.decode()


@pytest.mark.parametrize("role", ["officer", "vcs_member", "panel_member"])
def test_two_factor_sign_in_is_for_champions_and_administrators(client_for, role):
    client = client_for(role)

    assert client.get(reverse("two_factor")).status_code == 403
    assert "two-factor" not in client.get(reverse("account")).content.decode().lower()


def test_with_two_factor_on_the_password_alone_does_not_sign_in(client, champion):
    device, _ = turn_on_two_factor(client, champion)

    response = client.post(
        reverse("login") + "?next=/flags/", {"username": champion.email, "password": PASSWORD, "next": "/flags/"}
    )

    assert response["Location"] == reverse("login_code")
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("account"))["Location"].startswith(reverse("login"))

    signed_in = client.post(reverse("login_code"), {"code": next_code(device)})

    assert signed_in["Location"] == "/flags/"
    assert client.session["_auth_user_id"] == str(champion.pk)


def test_a_recovery_code_signs_in_once(client, champion):
    _, codes = turn_on_two_factor(client, champion)

    client.post(reverse("login"), {"username": champion.email, "password": PASSWORD})
    assert client.post(reverse("login_code"), {"code": codes[0]}).status_code == 302
    client.post(reverse("logout"))

    client.post(reverse("login"), {"username": champion.email, "password": PASSWORD})
    again = client.post(reverse("login_code"), {"code": codes[0]})

    assert again.status_code == 200
    assert "That code is not right" in again.content.decode()
    assert "_auth_user_id" not in client.session


def test_wrong_codes_count_towards_the_lockout(client, champion):
    turn_on_two_factor(client, champion)
    client.post(reverse("login"), {"username": champion.email, "password": PASSWORD})

    for _ in range(5):
        response = client.post(reverse("login_code"), {"code": "123456"})

    assert response.status_code == 429
    assert "Signing in is paused" in response.content.decode()


def test_the_code_page_without_a_password_first_goes_back_to_sign_in(client, db):
    assert client.get(reverse("login_code"))["Location"] == reverse("login")


def test_turning_two_factor_off_needs_the_password(client, champion):
    device, _ = turn_on_two_factor(client, champion)
    client.post(reverse("login"), {"username": champion.email, "password": PASSWORD})
    client.post(reverse("login_code"), {"code": next_code(device)})

    refused = client.post(reverse("two_factor"), {"password": "not-it"})
    assert "That is not your password" in refused.content.decode()
    assert TOTPDevice.objects.filter(user=champion).exists()

    client.post(reverse("two_factor"), {"password": PASSWORD})
    assert not TOTPDevice.objects.filter(user=champion).exists()


def test_an_administrator_with_two_factor_on_needs_a_session_signed_in_with_it_for_the_admin(client, administrator):
    device, _ = turn_on_two_factor(client, administrator)

    client.force_login(administrator)  # a session that never gave the code
    assert client.get("/admin/").status_code == 403

    client.logout()
    client.post(reverse("login"), {"username": administrator.email, "password": PASSWORD})
    client.post(reverse("login_code"), {"code": next_code(device)})
    assert client.get("/admin/").status_code == 200


def test_administrators_can_remove_a_persons_two_factor_sign_in_but_never_see_its_key(client, champion, administrator):
    device, codes = turn_on_two_factor(client, champion)
    client.force_login(administrator)

    listing = client.get("/admin/otp_totp/totpdevice/").content.decode()
    page = client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/").content.decode()
    recovery = client.get("/admin/otp_static/staticdevice/").content.decode()

    assert champion.email in listing or str(champion) in listing
    for html in (listing, page, recovery):
        assert device.key not in html
        assert not any(code in html for code in codes)
    qr_code = client.get(f"/admin/otp_totp/totpdevice/{device.pk}/qrcode/", follow=True).content.decode()
    assert "otpauth://" not in qr_code
    assert device.key not in qr_code
    client.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"})
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
