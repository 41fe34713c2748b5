"""A champion's decisions on a compliance flag (commitments/services/flags.py): waive an open or at-risk flag
with a reason, reopen a waived one; nobody else may, a blank reason is refused, and the database itself refuses a
waived flag with no reason recorded."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from commitments.models import Flag, FlagEvent, FlagStatus
from commitments.services.flags import flag_reopen, flag_waive
from compact_portal.accounts.roles import Role
from tests.accounts.factories import MembershipFactory
from tests.commitments.factories import ChampionFactory, CompactFactory, FlagFactory

pytestmark = pytest.mark.django_db

SERVICES = {"waive": flag_waive, "reopen": flag_reopen}
# The status each service acts on, and the one it leaves.
ACTS_ON = {"waive": (FlagStatus.OPEN, FlagStatus.AT_RISK), "reopen": (FlagStatus.WAIVED,)}
LEAVES = {"waive": FlagStatus.WAIVED, "reopen": FlagStatus.OPEN}


@pytest.fixture
def compact(db):
    return CompactFactory(name="Southsea Compact")


@pytest.fixture
def championed(compact, council, champion):
    return ChampionFactory(compact=compact, organisation=council, user=champion)


@pytest.fixture
def flag_in(compact, council):
    """A flag of the Southsea Compact, about the council, in the status asked for."""

    def make(status: str) -> Flag:
        reason = (
            "Paid by cheque; the bank was slow." if status == FlagStatus.WAIVED else "Found by the compliance scan."
        )
        return FlagFactory(compact=compact, organisation=council, status=status, status_reason=reason)

    return make


def _unchanged(flag: Flag) -> bool:
    stored = Flag.objects.get(pk=flag.pk)
    return (stored.status, stored.status_reason, stored.status_changed_by_id, stored.status_changed_at) == (
        flag.status,
        flag.status_reason,
        flag.status_changed_by_id,
        flag.status_changed_at,
    ) and not FlagEvent.objects.filter(flag=flag).exists()


@pytest.mark.parametrize(
    ("action", "status"),
    [("waive", FlagStatus.OPEN), ("waive", FlagStatus.AT_RISK), ("reopen", FlagStatus.WAIVED)],
)
def test_the_compacts_champion_changes_the_flag_and_the_change_is_recorded(
    championed, champion, flag_in, action, status
):
    flag = flag_in(status)

    changed = SERVICES[action](flag=flag, actor=champion, reason="  The council explained the delay.\n")

    stored = Flag.objects.get(pk=flag.pk)
    assert stored.status == changed.status == LEAVES[action]
    assert stored.status_reason == "The council explained the delay."  # trimmed
    assert stored.status_changed_by == champion
    assert stored.status_changed_at > flag.status_changed_at
    assert stored.changed_in_run is None
    event = FlagEvent.objects.get(flag=flag)
    assert (event.status, event.reason, event.by, event.run, event.at) == (
        LEAVES[action],
        "The council explained the delay.",
        champion,
        None,
        stored.status_changed_at,
    )


def test_a_waived_flag_reopened_and_waived_again_keeps_its_whole_history(championed, champion, flag_in):
    flag = flag_in(FlagStatus.OPEN)

    flag_waive(flag=flag, actor=champion, reason="Paid by cheque.")
    flag_reopen(flag=flag, actor=champion, reason="The cheque bounced.")
    flag_waive(flag=flag, actor=champion, reason="Paid by transfer.")

    assert list(FlagEvent.objects.filter(flag=flag).values_list("status", "reason")) == [
        (FlagStatus.WAIVED, "Paid by cheque."),
        (FlagStatus.OPEN, "The cheque bounced."),
        (FlagStatus.WAIVED, "Paid by transfer."),
    ]


@pytest.fixture
def champion_elsewhere(council):
    """Appointed a champion, with the role, but of another compact."""
    user = MembershipFactory(organisation=council, role=Role.CHAMPION).user
    ChampionFactory(compact=CompactFactory(name="Fareham Compact"), organisation=council, user=user)
    return user


@pytest.mark.parametrize(
    "person", ["officer", "administrator", "champion", "champion_elsewhere", "vcs_member", "anonymous"]
)
@pytest.mark.parametrize("action", ["waive", "reopen"])
def test_only_a_champion_of_the_flags_compact_may_change_it(request, flag_in, person, action):
    # "champion" here has the champion role but is not appointed to the flag's compact.
    actor = AnonymousUser() if person == "anonymous" else request.getfixturevalue(person)
    flag = flag_in(ACTS_ON[action][0])

    with pytest.raises(PermissionDenied):
        SERVICES[action](flag=flag, actor=actor, reason="I think it is fine.")

    assert _unchanged(flag)


@pytest.mark.parametrize("reason", ["", "   ", "\n\t ", None], ids=["empty", "spaces", "whitespace", "none"])
@pytest.mark.parametrize("action", ["waive", "reopen"])
def test_a_blank_reason_is_refused(championed, champion, flag_in, action, reason):
    flag = flag_in(ACTS_ON[action][0])

    with pytest.raises(ValidationError) as refused:
        SERVICES[action](flag=flag, actor=champion, reason=reason)

    assert refused.value.message_dict == {"reason": ["Give the reason, so others can see why the flag changed."]}
    assert _unchanged(flag)


@pytest.mark.parametrize(
    ("action", "status", "message"),
    [
        ("waive", FlagStatus.WAIVED, "Only an open or at-risk flag can be waived; this one is waived."),
        ("waive", FlagStatus.RESOLVED, "Only an open or at-risk flag can be waived; this one is resolved."),
        ("reopen", FlagStatus.OPEN, "Only a waived flag can be reopened; this one is open."),
        ("reopen", FlagStatus.AT_RISK, "Only a waived flag can be reopened; this one is at risk."),
        ("reopen", FlagStatus.RESOLVED, "Only a waived flag can be reopened; this one is resolved."),
    ],
)
def test_a_flag_in_the_wrong_status_is_refused(championed, champion, flag_in, action, status, message):
    flag = flag_in(status)

    with pytest.raises(ValidationError) as refused:
        SERVICES[action](flag=flag, actor=champion, reason="A second thought.")

    assert refused.value.messages == [message]
    assert _unchanged(flag)


def test_the_status_is_checked_as_stored_not_as_the_caller_last_saw_it(championed, champion, flag_in):
    # Two champions open the same flag; the first waives it, the second's copy still says "open".
    flag = flag_in(FlagStatus.OPEN)
    seen_by_second = Flag.objects.get(pk=flag.pk)
    flag_waive(flag=flag, actor=champion, reason="Paid by cheque.")

    with pytest.raises(ValidationError, match="this one is waived"):
        flag_waive(flag=seen_by_second, actor=champion, reason="Paid by transfer.")

    assert Flag.objects.get(pk=flag.pk).status_reason == "Paid by cheque."
    assert FlagEvent.objects.filter(flag=flag).count() == 1


def test_the_database_refuses_a_waived_flag_without_a_reason(flag_in):
    flag = flag_in(FlagStatus.OPEN)

    with pytest.raises(IntegrityError), transaction.atomic():
        Flag.objects.filter(pk=flag.pk).update(status=FlagStatus.WAIVED, status_reason="")

    assert Flag.objects.get(pk=flag.pk).status == FlagStatus.OPEN


@pytest.mark.parametrize("status", [FlagStatus.OPEN, FlagStatus.AT_RISK, FlagStatus.RESOLVED])
def test_only_a_waived_flag_must_carry_a_reason(compact, status):
    flag = FlagFactory(compact=compact, status=status, status_reason="")

    assert Flag.objects.get(pk=flag.pk).status == status


def test_a_waived_flag_cannot_even_be_created_without_a_reason(compact):
    with pytest.raises(IntegrityError), transaction.atomic():
        FlagFactory(compact=compact, status=FlagStatus.WAIVED, status_reason="")

    assert not Flag.objects.exists()
