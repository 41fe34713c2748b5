"""A VCS member's "Waiting for you": the applications to sign a compact their organisation made that no champion
has decided yet (commitments/waiting.py, ``applications_waiting``)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from commitments.models import SignatureStatus
from compact_portal import worklist
from compact_portal.accounts.roles import Role
from tests.commitments.factories import CompactFactory, SignatureFactory

TODAY = datetime.date(2026, 12, 7)


def applications(user) -> list[worklist.Waiting]:
    return [
        item for item in worklist.waiting_for(user, TODAY).get(Role.VCS_MEMBER, []) if item.kind == "application_made"
    ]


def apply(compact, organisation, status=SignatureStatus.APPLIED):
    signed = TODAY if status != SignatureStatus.APPLIED else None
    return SignatureFactory(compact=compact, organisation=organisation, status=status, signed_date=signed)


def test_an_undecided_application_waits_for_a_champion_with_no_date(charity, vcs_member, client):
    compact = CompactFactory(name="Gosport Compact")
    signature = apply(compact, charity)

    (item,) = applications(vcs_member)
    assert item.what == "Southsea Community Food Bank's application to sign Gosport Compact is waiting for a champion"
    assert item.key == str(signature.pk)
    assert item.due is None
    assert item.blocked == "A champion of the compact decides it."
    assert item.action == "Read the compact"
    client.force_login(vcs_member)
    assert client.get(item.url).status_code == 200


@pytest.mark.parametrize("status", [SignatureStatus.APPROVED, SignatureStatus.DECLINED, SignatureStatus.WITHDRAWN])
def test_a_decided_application_is_not_waiting(charity, vcs_member, status):
    apply(CompactFactory(), charity, status)

    assert applications(vcs_member) == []


def test_another_organisations_application_is_not_listed(other_charity, vcs_member):
    apply(CompactFactory(), other_charity)

    assert applications(vcs_member) == []


def test_the_queries_do_not_grow_with_the_applications(charity, vcs_member):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            worklist.waiting_for(vcs_member, TODAY)
        return len(queries)

    apply(CompactFactory(), charity)
    count()  # what is kept on the user after the first call (its roles) is read
    before = count()
    for _ in range(3):
        apply(CompactFactory(), charity)

    assert len(applications(vcs_member)) == 4
    assert count() == before
