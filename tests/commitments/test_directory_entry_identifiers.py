"""Registration numbers change only with an administrator's approval, since the Org-ID is worked out from them: a
member asks (one request waiting at a time, saying why), an administrator approves (the organisation takes the
numbers, its Org-ID worked out again, in one transaction with its history) or refuses with a note (the numbers
stay), and the member sees what became of it. Administrators find the requests on their "Waiting for you" list."""

import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from commitments import waiting
from commitments.models import IdentifierChange, IdentifierChangeStatus, Organisation
from commitments.services.entries import identifier_change_decide, identifier_change_request
from compact_portal import worklist
from compact_portal.accounts.roles import Role
from compact_portal.selectors.audit import AuditFilters, audit_entries
from tests.accounts.factories import MembershipFactory
from tests.commitments.factories import OrganisationFactory

NUMBERS = {"charity_number": "", "scottish_charity_number": "", "company_number": ""}


@pytest.fixture
def registered(charity):
    """The food bank as registered: charity 1012345, company 04123456, Org-ID worked out from the charity number."""
    Organisation.objects.filter(pk=charity.pk).update(
        charity_number="1012345", company_number="04123456", org_id="GB-CHC-1012345"
    )
    charity.refresh_from_db()
    return charity


def _ask(organisation, actor, *, reason="We became a CIO.", **numbers):
    current = {name: getattr(organisation, name) for name in NUMBERS}
    return identifier_change_request(organisation=organisation, actor=actor, reason=reason, **{**current, **numbers})


def _request_url(organisation):
    return reverse("commitments:identifier_change_request", args=[organisation.slug])


def _decide_url(change):
    return reverse("commitments:identifier_change_decide", args=[change.pk])


# --- Asking ---------------------------------------------------------------------------------------------------------


def test_a_member_asks_and_the_numbers_wait_for_an_administrator(client, registered, vcs_member):
    client.force_login(vcs_member)
    data = {**NUMBERS, "charity_number": "1 187 654", "company_number": "04123456", "reason": "We became a CIO."}

    response = client.post(_request_url(registered), {**data, "submission_key": str(uuid.uuid4())}, follow=True)

    change = IdentifierChange.objects.get()
    assert (change.status, change.charity_number, change.requested_by) == ("pending", "1187654", vcs_member)
    assert change.history.latest().history_user == vcs_member
    registered.refresh_from_db()
    assert (registered.charity_number, registered.org_id) == ("1012345", "GB-CHC-1012345")  # not yet
    html = response.content.decode()
    assert "Your request is sent" in html
    assert "is waiting for an administrator" in html
    assert "Ask to change the registration numbers" not in html


def test_the_same_form_sent_twice_asks_once(client, registered, vcs_member):
    client.force_login(vcs_member)
    data = {**NUMBERS, "charity_number": "1187654", "reason": "New number.", "submission_key": str(uuid.uuid4())}
    client.post(_request_url(registered), data)
    response = client.post(_request_url(registered), data, follow=True)
    assert IdentifierChange.objects.count() == 1
    assert "nothing was added twice" in response.content.decode()


def test_one_request_waits_at_a_time(client, registered, vcs_member):
    first = _ask(registered, vcs_member, charity_number="1187654")
    with pytest.raises(ValidationError, match="already waiting for an administrator"):
        _ask(registered, vcs_member, charity_number="1187655")
    client.force_login(vcs_member)
    page = client.get(_request_url(registered)).content.decode()
    assert "is waiting for an administrator. You can ask again once it is decided." in page
    response = client.post(_request_url(registered), {**NUMBERS, "charity_number": "1187655", "reason": "Again."})
    assert "is already waiting for an administrator" in response.content.decode()
    assert list(IdentifierChange.objects.all()) == [first]
    identifier_change_decide(change=first, actor=None, approve=False, note="Not yet registered.")
    assert _ask(registered, vcs_member, charity_number="1187655").status == IdentifierChangeStatus.PENDING


@pytest.mark.parametrize(
    ("numbers", "reason", "field", "message"),
    [
        ({}, "No change really.", "__all__", "These are the numbers the directory already shows"),
        ({"charity_number": "1187654"}, "  ", "reason", "Say why the numbers change"),
        ({"charity_number": "12"}, "New number.", "charity_number", "6 or 7 digits"),
        ({"scottish_charity_number": "X1"}, "New number.", "scottish_charity_number", "SC followed by 6 digits"),
        ({"company_number": "ABC"}, "New number.", "company_number", "8 digits, or 2 letters and 6 digits"),
    ],
)
def test_what_cannot_be_asked(registered, vcs_member, numbers, reason, field, message):
    with pytest.raises(ValidationError) as refused:
        _ask(registered, vcs_member, reason=reason, **numbers)
    assert message in " ".join(refused.value.message_dict[field])
    assert not IdentifierChange.objects.exists()


def test_an_org_id_another_organisation_has_is_refused_when_asked(registered, vcs_member):
    OrganisationFactory(name="Another Charity", charity_number="1187654", org_id="GB-CHC-1187654")
    with pytest.raises(ValidationError, match="Another organisation in the directory has the Org-ID GB-CHC-1187654"):
        _ask(registered, vcs_member, charity_number="1187654")


def test_a_mistake_on_the_page_keeps_what_was_typed(client, registered, vcs_member):
    client.force_login(vcs_member)
    data = {**NUMBERS, "charity_number": "12", "company_number": "04123456", "reason": "We merged."}
    response = client.post(_request_url(registered), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "6 or 7 digits" in html
    assert "We merged." in html
    assert 'value="12"' in html
    assert not IdentifierChange.objects.exists()


@pytest.mark.parametrize(
    ("who", "status"), [("vcs_member", 200), ("administrator", 200), ("outsider", 404), ("officer", 404)]
)
def test_who_may_ask(client, request, registered, who, status):
    client.force_login(request.getfixturevalue(who))
    assert client.get(_request_url(registered)).status_code == status


def test_the_service_refuses_another_organisations_member(registered, outsider):
    with pytest.raises(PermissionDenied):
        _ask(registered, outsider, charity_number="1187654")


# --- Deciding -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("numbers", "org_id"),
    [
        ({"charity_number": "1187654"}, "GB-CHC-1187654"),  # the Org-ID follows the new number
        ({"charity_number": "", "company_number": "SC123456"}, "GB-COH-SC123456"),  # the strongest left: the company
        ({"charity_number": "", "scottish_charity_number": "SC012345"}, "GB-SC-SC012345"),
        ({"charity_number": "", "company_number": ""}, ""),  # no numbers: no Org-ID
    ],
)
def test_approving_applies_the_numbers_and_works_the_org_id_out_again(
    registered, vcs_member, administrator, numbers, org_id
):
    change = _ask(registered, vcs_member, **numbers)

    identifier_change_decide(change=change, actor=administrator, approve=True)

    registered.refresh_from_db()
    assert {name: getattr(registered, name) for name in numbers} == numbers
    assert registered.org_id == org_id
    latest = registered.history.latest()
    assert (latest.history_user, latest.org_id) == (administrator, org_id)
    change.refresh_from_db()
    assert (change.status, change.decided_by) == (IdentifierChangeStatus.APPROVED, administrator)
    assert change.decided_at is not None


def test_an_org_id_of_its_own_is_kept(council, administrator):
    Organisation.objects.filter(pk=council.pk).update(org_id="GB-LAE-POR")
    council.refresh_from_db()
    member = MembershipFactory(organisation=council, role=Role.OFFICER).user
    change = _ask(council, member, company_number="04123456")
    identifier_change_decide(change=change, actor=administrator, approve=True)
    council.refresh_from_db()
    assert (council.company_number, council.org_id) == ("04123456", "GB-LAE-POR")


def test_an_approval_that_cannot_be_saved_changes_nothing(registered, vcs_member, administrator):
    change = _ask(registered, vcs_member, charity_number="1187654")
    OrganisationFactory(name="Registered Since", org_id="GB-CHC-1187654")  # took the Org-ID meanwhile
    with pytest.raises(ValidationError, match="An organisation with this Org-ID is already registered"):
        identifier_change_decide(change=change, actor=administrator, approve=True)
    registered.refresh_from_db()
    change.refresh_from_db()
    assert (registered.charity_number, registered.org_id, change.status) == ("1012345", "GB-CHC-1012345", "pending")


def test_refusing_keeps_the_numbers_and_the_member_reads_the_note(client, registered, vcs_member, administrator):
    change = _ask(registered, vcs_member, charity_number="1187654")
    with pytest.raises(ValidationError, match="Say why the numbers are not changed"):
        identifier_change_decide(change=change, actor=administrator, approve=False, note=" ")

    identifier_change_decide(change=change, actor=administrator, approve=False, note="The register shows 1012345.")

    registered.refresh_from_db()
    assert (registered.charity_number, registered.org_id) == ("1012345", "GB-CHC-1012345")
    change.refresh_from_db()
    assert (change.status, change.decision_note) == (IdentifierChangeStatus.REFUSED, "The register shows 1012345.")
    client.force_login(vcs_member)
    page = client.get(reverse("commitments:signatory_edit", args=[registered.slug])).content.decode()
    assert "was refused on" in page
    assert "The administrator's note: The register shows 1012345." in page
    assert "Ask to change the registration numbers" in page


def test_a_request_is_decided_once_and_only_by_an_administrator(registered, vcs_member, administrator):
    change = _ask(registered, vcs_member, charity_number="1187654")
    with pytest.raises(PermissionDenied):
        identifier_change_decide(change=change, actor=vcs_member, approve=True)
    identifier_change_decide(change=change, actor=administrator, approve=True)
    with pytest.raises(ValidationError, match="already been decided: approved"):
        identifier_change_decide(change=change, actor=administrator, approve=False, note="No.")


def test_an_administrator_decides_on_the_page(client, registered, vcs_member, administrator):
    change = _ask(registered, vcs_member, charity_number="1187654")
    client.force_login(administrator)
    page = client.get(_decide_url(change)).content.decode()
    assert "We became a CIO." in page
    assert "GB-CHC-1187654" in page  # the Org-ID it will have

    refused = client.post(_decide_url(change), {"decision": "refuse", "note": ""})
    assert "Say why the numbers are not changed" in refused.content.decode()

    response = client.post(_decide_url(change), {"decision": "approve", "note": ""}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("commitments:identifier_changes")
    assert "approved: the directory shows the new numbers" in response.content.decode()
    registered.refresh_from_db()
    assert registered.org_id == "GB-CHC-1187654"
    assert "has already been decided" in client.get(_decide_url(change)).content.decode()


@pytest.mark.parametrize("who", ["vcs_member", "officer", "champion"])
def test_only_administrators_open_the_requests(client, request, registered, vcs_member, who):
    change = _ask(registered, vcs_member, charity_number="1187654")
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("commitments:identifier_changes")).status_code == 403
    assert client.post(_decide_url(change), {"decision": "approve"}).status_code == 403
    change.refresh_from_db()
    assert change.status == IdentifierChangeStatus.PENDING


def test_the_audit_trail_lists_the_request_and_its_decision(registered, vcs_member, administrator):
    change = _ask(registered, vcs_member, charity_number="1187654")
    identifier_change_decide(change=change, actor=administrator, approve=False, note="Not on the register.")
    found = audit_entries(filters=AuditFilters(kind="identifier_change"), viewer=administrator)[0]
    assert [(entry.action, entry.person, entry.record) for entry in found] == [
        ("changed", administrator, "Change of registration numbers for Southsea Community Food Bank"),
        ("created", vcs_member, "Change of registration numbers for Southsea Community Food Bank"),
    ]


# --- The administrator's "Waiting for you" ------------------------------------------------------------------------


def test_an_administrator_sees_each_request_and_its_link_opens(client, registered, vcs_member, administrator):
    change = _ask(registered, vcs_member, charity_number="1187654")
    items = [
        item
        for item in worklist.waiting_for(administrator, timezone.localdate()).get(Role.ADMINISTRATOR, [])
        if item.kind == "registration_numbers"
    ]
    assert [item.what for item in items] == [
        f"Registration numbers to approve: Southsea Community Food Bank asked on {timezone.localdate().day} "
        f"{timezone.localdate():%B %Y}"
    ]
    assert (items[0].url, items[0].due) == (_decide_url(change), None)
    client.force_login(administrator)
    assert client.get(items[0].url).status_code == 200
    identifier_change_decide(change=change, actor=administrator, approve=True)
    assert not [
        item
        for item in worklist.waiting_for(administrator, timezone.localdate()).get(Role.ADMINISTRATOR, [])
        if item.kind == "registration_numbers"
    ]


def test_the_requests_take_one_query_whatever_their_number(db, administrator):
    person = worklist.person_for(administrator, timezone.localdate())
    for n in range(4):
        organisation = OrganisationFactory(name=f"Group {n}")
        member = MembershipFactory(organisation=organisation).user
        _ask(organisation, member, charity_number=f"118765{n}")
    with CaptureQueriesContext(connection) as captured:
        items = list(waiting.registration_numbers_to_approve(person))
    assert len(items) == 4
    assert len(captured.captured_queries) == 1
