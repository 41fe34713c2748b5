"""Findings 7 and 8 of the security review: the per-address password-reset limit counts an e-mail address
whatever its capitals and spaces, every response carries a Permissions-Policy, and both cookies are HttpOnly."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from compact_portal.middleware import NUL_REFUSED
from tests.accounts.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[2]

# --- 7. The per-e-mail reset limit ---------------------------------------------------------------------------------


def _spellings(email: str) -> list[str]:
    local, domain = email.split("@")
    return [email, local.capitalize() + "@" + domain, email.upper(), f"  {email}  ", f"{local.upper()}@{domain}"]


@pytest.mark.parametrize("last", ["same", "capitalised", "upper", "spaced", "upper local part"])
def test_the_reset_limit_per_email_counts_every_spelling_of_the_address(client, officer, last):
    spellings = _spellings(officer.email)
    for number, email in enumerate(spellings):  # five requests, each from another client address
        client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=f"203.0.113.{number}")
    assert len(mail.outbox) == 5  # each spelling is the officer's address: each sent a link

    sixth = spellings[["same", "capitalised", "upper", "spaced", "upper local part"].index(last)]
    response = client.post(reverse("password_reset"), {"email": sixth}, REMOTE_ADDR="198.51.100.9")

    assert response.status_code == 429
    assert "too many reset links" in response.content.decode()
    assert len(mail.outbox) == 5


def test_another_address_is_not_held_up_by_the_first(client, officer, vcs_member):
    for number, email in enumerate(_spellings(officer.email)):
        client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=f"203.0.113.{number}")

    response = client.post(reverse("password_reset"), {"email": vcs_member.email.upper()}, REMOTE_ADDR="198.51.100.9")

    assert response.status_code == 302


# --- 8. Permissions-Policy on every response, HttpOnly cookies -----------------------------------------------------

POLICY = {"camera": "()", "microphone": "()", "geolocation": "()", "payment": "()"}


def _policy(response) -> dict[str, str]:
    header = response.headers.get("Permissions-Policy", "")
    return dict(part.strip().split("=", 1) for part in header.split(",") if part.strip())


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/", 200),  # a page
        ("/account/sign-in/", 200),  # a form
        ("/healthz", 200),
        ("/no-such-page/", 404),
        ("/funding/", 302),  # to the sign-in page
        ("/concerns/%00/", 400),  # refused by the NUL-byte middleware
        ("/funding/awards.csv?compact=%00", 400),
    ],
)
def test_every_response_turns_off_camera_microphone_geolocation_and_payment(client, db, path, status):
    response = client.get(path)

    assert response.status_code == status
    assert _policy(response).items() >= POLICY.items()


def test_a_download_carries_the_policy_too(client_for, db):
    response = client_for("officer").get(reverse("funding:awards_csv"))

    assert response.status_code == 200
    assert _policy(response).items() >= POLICY.items()


def test_a_refusal_for_a_nul_byte_is_plain_text(client, db):
    response = client.get("/concerns/%00/")

    assert response.content.decode() == NUL_REFUSED
    assert response["Content-Type"].startswith("text/plain")


def test_both_cookies_are_http_only(client, officer):
    page = client.get(reverse("login"))  # sets the CSRF cookie
    signed_in = client.post(reverse("login"), {"username": officer.email, "password": PASSWORD})  # and the session's

    assert signed_in.status_code == 302
    assert page.cookies[settings.CSRF_COOKIE_NAME]["httponly"] is True
    assert signed_in.cookies[settings.SESSION_COOKIE_NAME]["httponly"] is True
    assert settings.CSRF_COOKIE_HTTPONLY
    assert settings.SESSION_COOKIE_HTTPONLY


def test_no_script_reads_the_cookies():
    """An HttpOnly cookie is hidden from scripts: the portal's scripts take the CSRF token from the page."""
    readers = [
        path.relative_to(ROOT).as_posix()
        for path in sorted((ROOT / "static").rglob("*.js"))
        if "vendor" not in path.parts and re.search(r"document\.cookie|csrftoken", path.read_text())
    ]
    assert readers == []
