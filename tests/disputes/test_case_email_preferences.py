"""A reader who turns optional case e-mails off (``User.case_emails``) still gets every e-mail the disputes process
requires (disputes.services.emails.is_required), and no optional copy."""

import pytest

from commitments.models import Champion
from compact_portal.accounts.services import user_email_preferences_update
from disputes import services
from disputes.models import CaseEmail
from disputes.services.emails import Notice, Reader, is_required
from tests.accounts.factories import MembershipFactory
from tests.disputes.factories import ACKNOWLEDGED_ON

pytestmark = pytest.mark.django_db

PARTIES = [Reader.RAISER, Reader.BODY, Reader.CASE_CHAMPION]
STEPS = [notice for notice in Notice if notice not in (Notice.RECEIVED, Notice.PANEL_ASSIGNED)]


@pytest.mark.parametrize("reader", PARTIES)
@pytest.mark.parametrize("notice", STEPS)
def test_every_step_that_moves_a_case_on_is_required_for_the_parties_and_the_cases_champion(notice, reader):
    assert is_required(notice, reader)


@pytest.mark.parametrize("notice", STEPS)
def test_a_later_steps_copy_to_a_champion_not_on_the_case_is_optional(notice):
    assert not is_required(notice, Reader.COMPACT_CHAMPION)


@pytest.mark.parametrize("reader", list(Reader))
def test_a_new_concern_is_required_for_everyone_told_and_a_panel_appointment_for_no_one(reader):
    assert is_required(Notice.RECEIVED, reader)
    assert not is_required(Notice.PANEL_ASSIGNED, reader)


def opt_out(*people):
    for person in people:
        user_email_preferences_update(user=person, digest_frequency=person.digest_frequency, case_emails=False)


def sent_to(**filters) -> set[str]:
    return set(CaseEmail.objects.filter(**filters).values_list("to", flat=True))


@pytest.fixture
def bystander(compact, other_charity):
    """Another champion of the compact, appointed at the other charity: told of a concern until it is taken on."""
    user = MembershipFactory(organisation=other_charity, role="champion", user__full_name="Bea Bystander").user
    Champion.objects.create(compact=compact, organisation=other_charity, user=user)
    return user


@pytest.mark.parametrize("opted_out", [False, True])
def test_a_new_concern_reaches_every_champion_who_could_acknowledge_it_whatever_they_chose(
    raise_concern, vcs_member, champion, respondent_champion, bystander, opted_out
):
    if opted_out:
        opt_out(vcs_member, champion, respondent_champion, bystander)

    raise_concern()

    assert sent_to(subject__contains="received") == {
        vcs_member.email,
        champion.email,
        respondent_champion.email,
        bystander.email,
    }


@pytest.mark.parametrize("opted_out", [False, True])
def test_a_withdrawal_before_a_champion_takes_the_case_on_is_optional_for_the_bystanders_only(
    raise_concern, vcs_member, champion, respondent_champion, bystander, opted_out
):
    concern = raise_concern()
    if opted_out:
        opt_out(vcs_member, champion, respondent_champion, bystander)

    services.concern_withdraw(concern=concern, actor=vcs_member, today=ACKNOWLEDGED_ON, reasons="Sorted.")

    parties = {vcs_member.email, respondent_champion.email}
    bystanders = {champion.email, bystander.email}
    assert sent_to(subject__contains="withdrawn") == (parties if opted_out else parties | bystanders)


@pytest.mark.parametrize("opted_out", [False, True])
def test_the_acknowledgement_reaches_the_parties_whatever_they_chose(
    raise_concern, vcs_member, champion, respondent_champion, opted_out
):
    concern = raise_concern()
    if opted_out:
        opt_out(vcs_member, champion, respondent_champion)

    services.concern_acknowledge(concern=concern, actor=champion, today=ACKNOWLEDGED_ON)

    assert sent_to(subject__contains="acknowledged") == {vcs_member.email, champion.email, respondent_champion.email}


def test_a_panel_appointment_goes_only_to_those_who_keep_optional_case_emails(
    case_at, vcs_member, champion, respondent_champion, second_panel_member
):
    concern = case_at("appeal")
    opt_out(vcs_member, respondent_champion)
    before = set(CaseEmail.objects.values_list("pk", flat=True))

    services.panel_assign(concern=concern, actor=champion, member=second_panel_member)

    assert set(CaseEmail.objects.exclude(pk__in=before).values_list("to", flat=True)) == {champion.email}


def test_every_case_email_says_where_to_choose_which_emails_come(raise_concern, settings):
    raise_concern()

    bodies = list(CaseEmail.objects.values_list("body", flat=True))
    assert bodies
    assert all(
        f"Choose which e-mails you get on your account page: {settings.PORTAL_BASE_URL}/account/" in b for b in bodies
    )
