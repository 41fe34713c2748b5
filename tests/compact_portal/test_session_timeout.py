"""Sessions end after 30 minutes idle and 12 hours at most (OWASP ASVS 3.3), and a form sent after its session
ended comes back, unsaved, once its author has signed in again (compact_portal/session_timeout.py)."""

import datetime
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from commitments.models import OrganisationType
from compact_portal import session_timeout
from compact_portal.session_timeout import KEPT, RESTORE_PARAMETER, RESTORED_MESSAGE, fill_forms
from disputes.models import Concern, ConcernDraft
from tests.accounts.factories import PASSWORD
from tests.commitments.factories import (
    CommitmentFactory,
    CompactFactory,
    PublicBodyFactory,
    SectionFactory,
    SignatureFactory,
)
from tests.compact_portal.test_settings import run_python

MINUTE = 60
START = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC).timestamp()


class Clock:
    """A frozen clock for the session timeout: stands still until the test moves it on."""

    def __init__(self):
        self.now = START

    def __call__(self) -> float:
        return self.now

    def advance(self, *, minutes: float = 0, hours: float = 0) -> None:
        self.now += minutes * MINUTE + hours * 60 * MINUTE


@pytest.fixture
def clock(monkeypatch):
    frozen = Clock()
    monkeypatch.setattr(session_timeout, "_now", frozen)
    return frozen


def signed_in(response) -> bool:
    return "_auth_user_id" in response.wsgi_request.session


def texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _html(response) -> str:
    return response.content.decode()


# --- The limits ----------------------------------------------------------------------------------------------------


def test_the_defaults_are_30_minutes_idle_and_12_hours_in_all(settings):
    assert settings.SESSION_IDLE_SECONDS == 30 * MINUTE
    assert settings.SESSION_MAX_SECONDS == 12 * 60 * MINUTE
    assert settings.SESSION_COOKIE_AGE == settings.SESSION_MAX_SECONDS  # no 14-day cookie outliving the session
    assert "compact_portal.session_timeout.SessionTimeoutMiddleware" in settings.MIDDLEWARE


def test_the_limits_come_from_the_environment():
    code = "import django; django.setup(); from django.conf import settings as s; "
    code += "print(s.SESSION_IDLE_SECONDS, s.SESSION_MAX_SECONDS, s.SESSION_COOKIE_AGE)"
    result = run_python(code, SESSION_IDLE_MINUTES="15", SESSION_MAX_HOURS="8")
    assert result.stdout.split() == ["900", "28800", "28800"], result.stderr

    refused = run_python(code, SESSION_IDLE_MINUTES="half an hour")
    assert refused.returncode != 0
    assert "SESSION_IDLE_MINUTES must be a whole number" in refused.stderr


@pytest.mark.parametrize(("idle_minutes", "still_signed_in"), [(29, True), (31, False)])
def test_a_session_ends_after_30_minutes_without_activity(client, clock, officer, idle_minutes, still_signed_in):
    client.force_login(officer)
    clock.advance(minutes=idle_minutes)

    response = client.get(reverse("account"))

    assert signed_in(response) is still_signed_in
    if still_signed_in:
        assert response.status_code == 200
    else:
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('login')}?next={reverse('account')}"
        assert texts(response) == ["You were signed out after 30 minutes without activity. Sign in again to carry on."]


def test_a_public_page_after_the_timeout_is_shown_to_a_visitor_saying_why(client, clock, officer):
    client.force_login(officer)
    clock.advance(minutes=31)

    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert not signed_in(response)
    assert "You were signed out after 30 minutes without activity" in _html(response)


def test_each_request_starts_the_30_minutes_again(client, clock, officer):
    client.force_login(officer)
    for _ in range(6):
        clock.advance(minutes=25)
        assert client.get(reverse("account")).status_code == 200

    clock.advance(minutes=30)
    assert not signed_in(client.get(reverse("account")))


def test_a_session_ends_12_hours_after_signing_in_however_busy(client, clock, officer):
    client.force_login(officer)
    for _ in range(35):  # a request every 20 minutes: 11 h 40 min
        clock.advance(minutes=20)
        assert signed_in(client.get(reverse("account")))

    clock.advance(minutes=20)  # 12 hours
    response = client.get(reverse("account"))

    assert not signed_in(response)
    assert texts(response) == ["You were signed out: a session lasts at most 12 hours. Sign in again to carry on."]


def test_the_limits_follow_the_settings(client, clock, officer, settings):
    settings.SESSION_IDLE_SECONDS = 10 * MINUTE
    settings.SESSION_MAX_SECONDS = 60 * MINUTE
    client.force_login(officer)
    clock.advance(minutes=9)
    assert signed_in(client.get(reverse("account")))
    clock.advance(minutes=11)
    assert not signed_in(client.get(reverse("account")))

    client.force_login(officer)
    for _ in range(6):
        clock.advance(minutes=9)
        assert signed_in(client.get(reverse("account")))
    clock.advance(minutes=9)  # 63 minutes
    assert not signed_in(client.get(reverse("account")))


def test_a_session_signed_in_before_sessions_were_timed_starts_its_clock_now(client, clock, officer):
    client.force_login(officer)
    session = client.session
    del session[session_timeout.STARTED], session[session_timeout.ACTIVE]
    session.save()
    clock.advance(hours=13)

    assert signed_in(client.get(reverse("account")))
    clock.advance(minutes=31)
    assert not signed_in(client.get(reverse("account")))


def test_signing_in_through_the_form_starts_both_clocks(client, clock, officer):
    client.post(reverse("login"), {"username": officer.email, "password": PASSWORD})
    assert client.session[session_timeout.STARTED] == client.session[session_timeout.ACTIVE] == START


def test_activity_is_written_to_the_session_at_most_once_a_minute(client, clock, officer):
    client.force_login(officer)
    clock.advance(minutes=0.5)
    client.get(reverse("account"))
    assert client.session[session_timeout.ACTIVE] == START
    clock.advance(minutes=0.5)
    client.get(reverse("account"))
    assert client.session[session_timeout.ACTIVE] == START + MINUTE


# --- The warning script and its status address ----------------------------------------------------------------------


def test_the_status_tells_the_script_how_long_is_left_without_counting_as_activity(client, clock, officer):
    client.force_login(officer)
    clock.advance(minutes=20)

    status = client.get(reverse("session_status")).json()
    assert status == {"signed_in": True, "seconds_left": 10 * MINUTE, "ends_at_limit": False}

    clock.advance(minutes=11)  # 31 minutes since the last real request
    assert client.get(reverse("session_status")).json() == {"signed_in": False}
    assert "_auth_user_id" not in client.session


def test_stay_signed_in_posts_to_the_status_and_counts_as_activity(client, clock, officer):
    client.force_login(officer)
    clock.advance(minutes=26)

    status = client.post(reverse("session_status")).json()

    assert status["seconds_left"] == 30 * MINUTE
    clock.advance(minutes=29)
    assert signed_in(client.get(reverse("account")))


def test_near_the_12_hours_the_status_says_the_end_cannot_be_put_off(client, clock, officer):
    client.force_login(officer)
    for _ in range(35):
        clock.advance(minutes=20)
        client.get(reverse("account"))
    clock.advance(minutes=5)  # 11 h 45 min

    assert client.post(reverse("session_status")).json() == {
        "signed_in": True,
        "seconds_left": 15 * MINUTE,
        "ends_at_limit": True,
    }


def test_a_visitor_gets_no_warning_script_and_the_status_says_so(client, db):
    assert "session-timeout.js" not in _html(client.get(reverse("home")))
    assert client.get(reverse("session_status")).json() == {"signed_in": False}


def test_signed_in_pages_load_the_warning_script_with_the_time_left(client, clock, officer):
    client.force_login(officer)
    clock.advance(minutes=10)

    html = _html(client.get(reverse("account")))

    script = re.search(r'<script src="[^"]*js/session-timeout\.js"[^>]*>', html)
    assert script, "the warning script is not on the page"
    assert f'data-status-url="{reverse("session_status")}"' in script[0]
    assert 'data-seconds-left="1800"' in script[0]  # this request was activity: 30 minutes from now
    assert 'data-warning-seconds="300"' in script[0]


def test_the_warning_script_is_a_static_file_without_a_cdn():
    from django.contrib.staticfiles import finders

    path = finders.find("js/session-timeout.js")
    with open(path, encoding="utf-8") as script:
        source = script.read()
    assert "http://" not in source
    assert "https://" not in source
    assert "Stay signed in" in source
    assert "X-CSRFToken" in source


# --- A form sent after its session ended comes back ---------------------------------------------------------------


@pytest.fixture
def concern_form(council, charity, vcs_member):
    """The concern form of an adopted compact signed by the food bank and two public bodies."""
    compact = CompactFactory(name="Portsmouth Compact", status="adopted", adopted_date=datetime.date(2026, 4, 1))
    trust = PublicBodyFactory(name="Portsmouth Hospitals NHS Trust", organisation_type=OrganisationType.NHS_BODY)
    for organisation in (council, trust, charity):
        SignatureFactory(compact=compact, organisation=organisation)
    section = SectionFactory(compact=compact, number="13", title="Funding", side="public", position=1)
    first = CommitmentFactory(compact=compact, section=section, code="13.3", side="public", position=1)
    second = CommitmentFactory(compact=compact, section=section, code="13.4", side="public", position=2)
    return {
        "url": reverse("disputes:raise_concern", args=[compact.slug]),
        "trust": trust,
        "council": council,
        "commitments": (first, second),
    }


WHAT_HAPPENED = 'The trust ended our grant with <two> weeks\' notice & said "no budget".\nSecond line.'


def _concern_post(form) -> dict:
    return {
        "csrfmiddlewaretoken": "kept-nowhere",
        "respondent": str(form["trust"].pk),
        "commitments": [str(form["commitments"][1].pk)],
        "what_happened": WHAT_HAPPENED,
        "happened_on": "2026-10-05",
        "outcome_sought": "Three months' notice.",
        "withhold_identity": "on",
        "consent": "on",
        "submission_key": "0b7a4a8e-2b9f-4f5e-9a53-56c1c8c8a111",
        "documents": SimpleUploadedFile("evidence.txt", b"Minutes of the meeting."),
    }


def _sign_in(client, user, location: str):
    """Sign in through the form, as the sign-in page the browser was sent to does."""
    assert client.get(location).status_code == 200  # the sign-in page, showing why
    login_url = urlsplit(location)
    next_page = parse_qs(login_url.query)["next"][0]
    return client.post(f"{login_url.path}?{login_url.query}", {"username": user.email, "password": PASSWORD,
                                                               "next": next_page})  # fmt: skip


def test_a_form_sent_after_the_timeout_comes_back_filled_in_after_signing_in(client, clock, vcs_member, concern_form):
    client.force_login(vcs_member)
    assert client.get(concern_form["url"]).status_code == 200
    clock.advance(minutes=31)

    sent = client.post(concern_form["url"], _concern_post(concern_form))

    # Not saved, not even as a draft: the view never saw it. The browser is sent to sign in.
    assert Concern.objects.count() == 0
    assert ConcernDraft.objects.count() == 0
    assert sent.status_code == 302
    login = urlsplit(sent["Location"])
    assert login.path == reverse("login")
    next_page = urlsplit(parse_qs(login.query)["next"][0])
    assert next_page.path == concern_form["url"]
    token = parse_qs(next_page.query)[RESTORE_PARAMETER][0]
    assert texts(sent) == [
        "You were signed out after 30 minutes without activity. What you were sending is kept: sign in again and "
        "the form comes back for you to check."
    ]
    kept = client.session[KEPT]
    assert kept["token"] == token
    assert "csrfmiddlewaretoken" not in kept["data"]
    assert "documents" not in kept["data"]

    back = _sign_in(client, vcs_member, sent["Location"])
    assert back.status_code == 302
    assert back["Location"] == f"{concern_form['url']}?{RESTORE_PARAMETER}={token}"
    page = client.get(back["Location"])

    html = _html(page)
    assert page.status_code == 200
    assert texts(page) == [f"{RESTORED_MESSAGE} Attach your files again: files are not kept."]
    assert "Your session ended; check and submit again." in html
    assert ">\nThe trust ended our grant with &lt;two&gt; weeks&#x27; notice &amp; said &quot;no budget&quot;." in html
    assert ">\nThree months&#x27; notice.</textarea>" in html
    assert re.search(rf'<option value="{concern_form["trust"].pk}"[^>]* selected>', html)
    assert not re.search(rf'<option value="{concern_form["council"].pk}"[^>]* selected>', html)
    assert re.search(rf'<input [^>]*value="{concern_form["commitments"][1].pk}"[^>]* checked', html)
    assert not re.search(rf'<input [^>]*value="{concern_form["commitments"][0].pk}"[^>]* checked', html)
    assert re.search(r'<input [^>]*name="happened_on"[^>]*value="2026-10-05"', html)
    assert re.search(r'<input [^>]*name="consent"[^>]* checked', html)
    assert "0b7a4a8e-2b9f-4f5e-9a53-56c1c8c8a111" not in html  # hidden fields are the page's own, fresh
    assert "no-store" in page["Cache-Control"]
    assert Concern.objects.count() == 0  # shown again, still not sent
    assert KEPT not in client.session

    # Once only: the same address shows the empty form.
    again = client.get(back["Location"])
    assert "The trust ended our grant" not in _html(again)
    assert RESTORED_MESSAGE not in _html(again)


def test_after_the_12_hours_the_form_comes_back_through_the_two_factor_sign_in_too(client, clock, champion):
    device = TOTPDevice.objects.create(user=champion, name="Phone", confirmed=True)
    client.force_login(champion)
    for _ in range(35):  # a request every 20 minutes for 11 hours 40 minutes
        clock.advance(minutes=20)
        client.get(reverse("account"))
    clock.advance(minutes=20)

    sent = client.post(reverse("account"), {"note": "Typed at the end of a long day."}, HTTP_REFERER="/account/")

    assert texts(sent) == [
        "You were signed out: a session lasts at most 12 hours. What you were sending is kept: sign in again and "
        "the form comes back for you to check."
    ]
    next_page = parse_qs(urlsplit(sent["Location"]).query)["next"][0]
    assert client.post(reverse("login"), {"username": champion.email, "password": PASSWORD, "next": next_page})[
        "Location"
    ] == reverse("login_code")
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    back = client.post(reverse("login_code"), {"code": code})

    assert back["Location"] == next_page
    assert RESTORED_MESSAGE in _html(client.get(back["Location"]))


def test_the_form_goes_back_to_the_page_it_was_on(client, clock, vcs_member, concern_form):
    client.force_login(vcs_member)
    clock.advance(minutes=31)
    page = f"http://testserver{concern_form['url']}?from=list"

    sent = client.post("/concerns/somewhere/else/", {"what_happened": "Typed."}, HTTP_REFERER=page)

    next_page = parse_qs(urlsplit(sent["Location"]).query)["next"][0]
    assert next_page.startswith(f"{concern_form['url']}?from=list&{RESTORE_PARAMETER}=")
    assert client.session[KEPT]["action"] == "/concerns/somewhere/else/"


def test_another_site_as_referer_is_ignored(client, clock, vcs_member):
    client.force_login(vcs_member)
    clock.advance(minutes=31)

    sent = client.post("/concerns/raise/", {"what_happened": "Typed."}, HTTP_REFERER="https://evil.example/x")

    assert parse_qs(urlsplit(sent["Location"]).query)["next"][0].startswith(f"/concerns/raise/?{RESTORE_PARAMETER}=")


def test_passwords_and_codes_are_never_kept(client, clock, officer):
    client.force_login(officer)
    clock.advance(minutes=31)

    sent = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "a-new-pass-phrase", "new_password2": "a-new-pass-phrase"},
    )

    assert KEPT not in client.session  # nothing else was typed: nothing kept
    assert texts(sent) == ["You were signed out after 30 minutes without activity. Sign in again to carry on."]
    assert parse_qs(urlsplit(sent["Location"]).query)["next"] == [reverse("password_change")]

    client.force_login(officer)
    clock.advance(minutes=31)
    client.post(reverse("two_factor"), {"code": "123456", "otp_token": "1", "note": "kept"})
    assert client.session[KEPT]["data"] == {"note": ["kept"]}


def test_a_forged_cross_site_post_is_not_kept(clock, vcs_member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(vcs_member)
    clock.advance(minutes=31)

    sent = client.post("/concerns/raise/", {"what_happened": "Planted text."})

    assert sent.status_code == 302
    assert KEPT not in client.session
    assert "_auth_user_id" not in client.session


def test_someone_else_signing_in_on_the_same_browser_never_sees_the_form(client, clock, vcs_member, outsider):
    client.force_login(vcs_member)
    clock.advance(minutes=31)
    sent = client.post("/concerns/raise/", {"what_happened": "Private words."})

    back = _sign_in(client, outsider, sent["Location"])
    page = client.get(back["Location"])

    assert "Private words." not in _html(page)
    assert RESTORED_MESSAGE not in _html(page)
    assert KEPT not in client.session


def test_a_wrong_or_stale_token_restores_nothing(client, clock, vcs_member, concern_form):
    client.force_login(vcs_member)
    clock.advance(minutes=31)
    sent = client.post(concern_form["url"], {"what_happened": "Words."})
    _sign_in(client, vcs_member, sent["Location"])

    wrong = client.get(f"{concern_form['url']}?{RESTORE_PARAMETER}=guess")

    assert "Words." not in _html(wrong)
    assert RESTORE_PARAMETER not in wrong.wsgi_request.GET  # the view never sees the parameter
    assert KEPT in client.session  # a wrong guess does not use it up


def test_signing_out_after_the_timeout_just_signs_out(client, clock, officer):
    client.force_login(officer)
    clock.advance(minutes=31)

    response = client.post(reverse("logout"))

    assert response["Location"] == reverse("home")
    assert KEPT not in client.session


# --- Filling in a page's form ---------------------------------------------------------------------------------------

PAGE = """<form method="post" action="/account/sign-out/"><input type="hidden" name="csrfmiddlewaretoken" value="t">
<button type="submit">Sign out</button></form>
<form method="get"><input type="search" name="q" value=""></form>
<form method="post" novalidate><input type="hidden" name="csrfmiddlewaretoken" value="fresh">
<input type="text" name="title" value="old" maxlength="20"><input type="text" name="title" value="">
<input type="password" name="secret" value="">
<input type="checkbox" name="tick" checked><input type="radio" name="pick" value="a" checked>
<input type="radio" name="pick" value="b"><textarea name="body" rows="3">
old text</textarea><select name="one"><option value="">---</option><option value="1" selected>One</option>
<option value="2">Two</option></select><select name="many" multiple><option value="x" selected>X</option>
<option value="y">Y</option></select><input type="file" name="file"></form>"""


def test_only_the_form_that_was_sent_is_filled_in():
    data = {"title": ["First", "Sec\"ond"], "pick": ["b"], "body": ["<new>"], "one": ["2"], "q": ["no"],
            "secret": ["never"], "csrfmiddlewaretoken": ["stale"]}  # fmt: skip

    html = fill_forms(PAGE, page="/funding/1/?tab=a", action="/funding/1/", data=data)

    assert 'name="q" value=""' in html  # a GET form
    assert 'value="t"' in html  # hidden: the page's own
    assert 'value="fresh"' in html
    assert "stale" not in html
    assert '<input type="text" name="title" value="First" maxlength="20">' not in html
    assert '<input type="text" name="title" maxlength="20" value="First">' in html
    assert '<input type="text" name="title" value="Sec&quot;ond">' in html
    assert "never" not in html
    assert '<input type="checkbox" name="tick">' in html  # not sent: not ticked
    assert '<input type="radio" name="pick" value="a">' in html
    assert '<input type="radio" name="pick" value="b" checked>' in html
    assert '<textarea name="body" rows="3">\n&lt;new&gt;</textarea>' in html
    assert '<option value="1">One</option>' in html
    assert '<option value="2" selected>Two</option>' in html
    assert '<option value="x">X</option>' in html  # a multiple select not sent: nothing chosen
    assert '<input type="file" name="file">' in html


def test_a_form_posting_elsewhere_is_left_as_it_was():
    assert fill_forms(PAGE, page="/funding/1/", action="/elsewhere/", data={"title": ["First"]}) == PAGE


def test_signing_in_again_over_an_ended_session_just_signs_in(client, clock, officer, vcs_member):
    client.force_login(officer)
    clock.advance(minutes=31)

    response = client.post(reverse("login"), {"username": vcs_member.email, "password": PASSWORD})

    assert response["Location"] == reverse("home")
    assert client.session["_auth_user_id"] == str(vcs_member.pk)
    assert KEPT not in client.session
