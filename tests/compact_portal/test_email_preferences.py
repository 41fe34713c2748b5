"""Each person's e-mail choices on their account page: the digest (every day, every Monday, never), optional case
e-mails, a link to consultation alerts for those the alerts page opens for, and the e-mails they always get."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from compact_portal.accounts.emails import always_sent
from compact_portal.accounts.services import user_email_preferences_update

pytestmark = pytest.mark.django_db


def test_a_new_person_gets_the_daily_digest_and_optional_case_emails(vcs_member):
    assert (vcs_member.digest_frequency, vcs_member.case_emails) == ("daily", True)


@pytest.mark.parametrize("frequency", ["daily", "weekly", "off"])
@pytest.mark.parametrize("case_emails", [True, False])
def test_the_service_saves_each_choice(vcs_member, frequency, case_emails):
    user_email_preferences_update(user=vcs_member, digest_frequency=frequency, case_emails=case_emails)

    vcs_member.refresh_from_db()
    assert (vcs_member.digest_frequency, vcs_member.case_emails) == (frequency, case_emails)


def test_the_service_refuses_a_frequency_that_is_not_offered_and_saves_nothing(vcs_member):
    with pytest.raises(ValidationError) as refused:
        user_email_preferences_update(user=vcs_member, digest_frequency="hourly", case_emails=False)

    assert "digest_frequency" in refused.value.message_dict
    vcs_member.refresh_from_db()
    assert (vcs_member.digest_frequency, vcs_member.case_emails) == ("daily", True)


def checked(page: str, name: str) -> list[str]:
    """The values of the inputs called ``name`` that are ticked on the page."""
    tags = re.findall(rf'<input[^>]*name="{name}"[^>]*>', page)
    return [
        re.search(r'value="([^"]*)"', tag).group(1) if "value=" in tag else "on" for tag in tags if " checked" in tag
    ]


@pytest.mark.parametrize(("frequency", "case_emails"), [("weekly", False), ("off", True), ("daily", False)])
def test_the_account_page_shows_the_choices_as_they_are(client_for, vcs_member, frequency, case_emails):
    user_email_preferences_update(user=vcs_member, digest_frequency=frequency, case_emails=case_emails)

    page = client_for("vcs_member").get(reverse("account")).content.decode()

    assert 'id="emails">E-mails you get</h2>' in page
    for label in ("Every day", "Every Monday", "Never", "Optional e-mails about Compact concerns"):
        assert label in page
    assert checked(page, "digest_frequency") == [frequency]
    assert checked(page, "case_emails") == (["on"] if case_emails else [])


@pytest.mark.parametrize(
    ("posted", "frequency", "case_emails"),
    [
        ({"digest_frequency": "off"}, "off", False),  # an unticked box is not posted
        ({"digest_frequency": "weekly", "case_emails": "on"}, "weekly", True),
        ({"digest_frequency": "daily", "case_emails": "on"}, "daily", True),
    ],
)
def test_saving_the_form_changes_the_choices_and_says_so(client_for, vcs_member, posted, frequency, case_emails):
    response = client_for("vcs_member").post(reverse("account"), posted, follow=True)

    assert response.redirect_chain == [(reverse("account") + "#emails", 302)]
    assert "Your e-mail choices are saved." in response.content.decode()
    vcs_member.refresh_from_db()
    assert (vcs_member.digest_frequency, vcs_member.case_emails) == (frequency, case_emails)


@pytest.mark.parametrize("posted", [{}, {"digest_frequency": "hourly", "case_emails": "on"}])
def test_a_choice_not_offered_is_shown_on_the_form_and_nothing_changes(client_for, vcs_member, posted):
    response = client_for("vcs_member").post(reverse("account"), posted)

    assert response.status_code == 200
    assert response.context["email_form"].errors["digest_frequency"]
    vcs_member.refresh_from_db()
    assert (vcs_member.digest_frequency, vcs_member.case_emails) == ("daily", True)


def test_the_page_lists_the_emails_that_cannot_be_turned_off_and_why(client_for):
    page = client_for("vcs_member").get(reverse("account")).content.decode()

    assert always_sent(), "disputes registers the case e-mails its process requires"
    assert "E-mails you always get" in page
    for item in always_sent():
        assert f"{item.what}: {item.why}." in page.replace("&#x27;", "'")


@pytest.mark.parametrize(
    ("person", "offered"),
    [("vcs_member", True), ("officer", True), ("champion", True), ("panel_member", False), ("administrator", False)],
)
def test_consultation_alerts_are_linked_only_for_people_the_alerts_page_opens_for(client_for, person, offered):
    client = client_for(person)
    alerts = reverse("consultations:alerts")

    page = client.get(reverse("account")).content.decode()

    assert (f'href="{alerts}"' in page) is offered
    assert client.get(alerts).status_code == (200 if offered else 403)
