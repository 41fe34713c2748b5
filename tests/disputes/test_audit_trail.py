"""Compact concerns in the admin's audit trail (/admin/audit/): listed only to an administrator who may open the
case (the case page's own rule, disputes.selectors.concerns_visible_to), and, when the raiser asked for their
identity to be withheld, never naming the raising organisation, the person who raised it, the uploader of the
raiser's documents, or who on the raising side made a change; a filter by e-mail cannot find those either."""

import datetime

import pytest
from django.urls import reverse

from commitments.models import Champion
from compact_portal.accounts.roles import Role
from compact_portal.selectors.audit import WHO_WITHHELD, WITHHELD, AuditFilters, audit_entries
from disputes import services
from tests.accounts.factories import MembershipFactory
from tests.disputes.factories import RAISED_ON, uploads

AUDIT = reverse("admin:audit_trail")
CASE_KINDS = ("concern", "case_document", "panel_assignment")
RAISER_ORGANISATION = "Southsea Community Food Bank"
RAISER_PERSON = "Val Member"
LATER = RAISED_ON + datetime.timedelta(days=3)


@pytest.fixture
def trust_administrator(trust):
    """An administrator who belongs to the body concerned: the case page opens, without the raiser's identity."""
    return MembershipFactory(organisation=trust, role=Role.ADMINISTRATOR, user__full_name="Tom Trustadmin").user


@pytest.fixture
def champion_administrator(compact, council):
    """An administrator who is also a champion of the compact (at the council, neutral in cases about the trust)."""
    user = MembershipFactory(organisation=council, role=Role.ADMINISTRATOR, user__full_name="Abe Championadmin").user
    Champion.objects.create(compact=compact, organisation=council, user=user)
    return user


@pytest.fixture
def withheld(compact, case_at, vcs_member, respondent_officer):
    """A withheld concern taken to its appeal (a panel member assigned), with a document from each side added
    later; the raiser's first file was kept on their draft before the concern was sent."""
    services.draft_save(actor=vcs_member, compact=compact, data={}, files=uploads("kept-on-draft.pdf"))
    concern = case_at("appeal", withhold_identity=True, files=uploads("withheld-evidence.pdf"))
    services.document_add(concern=concern, actor=vcs_member, files=uploads("raiser-later.pdf"))
    services.document_add(concern=concern, actor=respondent_officer, files=uploads("trust-reply.pdf"))
    return concern


@pytest.fixture
def named(raise_concern):
    """A concern whose raiser did not ask to be withheld."""
    return raise_concern(files=uploads("named-evidence.pdf"))


def trail(client, **query) -> str:
    response = client.get(AUDIT, {"per_page": 50, **query})
    assert response.status_code == 200
    return response.content.decode()


def entries(viewer, **filters) -> list:
    return audit_entries(filters=AuditFilters(**filters), viewer=viewer, limit=50)[0]


def rows_of(viewer, concern, kind: str) -> list:
    """The viewer's trail entries of ``kind`` that belong to ``concern``."""
    return [entry for entry in entries(viewer, kind=kind) if concern.reference in entry.record]


# --- Only the cases the administrator may open ---------------------------------------------------------------


@pytest.mark.parametrize("kind", [*CASE_KINDS, ""])
@pytest.mark.parametrize("viewer", ["administrator", "trust_administrator", "champion_administrator"])
def test_a_case_is_in_the_trail_only_for_an_administrator_whose_case_page_opens(
    client, request, withheld, named, kind, viewer
):
    person = request.getfixturevalue(viewer)
    client.force_login(person)

    html = trail(client, kind=kind) if kind else trail(client)

    with_rows = (withheld,) if kind == "panel_assignment" else (withheld, named)  # the named case has no panel
    for concern in with_rows:
        case_page = client.get(reverse("disputes:case_detail", args=[concern.reference])).status_code
        assert case_page in (200, 404)
        listed = concern.reference in html
        assert listed == (case_page == 200), f"{concern.reference} listed: {listed}, case page: {case_page}"
        if kind == "concern":  # a concern has rows of its own from the start; its documents and panel too
            assert bool(rows_of(person, concern, kind)) == (case_page == 200)


def test_an_administrator_in_no_case_sees_no_rows_of_any_case(administrator, withheld, named):
    assert not {entry.kind for entry in entries(administrator)} & set(CASE_KINDS)


# --- A withheld identity stays withheld ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", CASE_KINDS)
@pytest.mark.parametrize("viewer", ["trust_administrator", "champion_administrator"])
def test_the_trail_never_names_the_raising_side_of_a_withheld_concern(
    client, request, withheld, vcs_member, kind, viewer
):
    client.force_login(request.getfixturevalue(viewer))

    html = trail(client, kind=kind)

    assert withheld.reference in html  # its changes are listed ...
    for secret in (RAISER_ORGANISATION, RAISER_PERSON, vcs_member.email):  # ... without the raising side
        assert secret not in html, f"{secret!r} shown in the trail of {kind}"


def test_a_withheld_concerns_raising_fields_and_its_raisers_changes_are_withheld(
    champion_administrator, withheld, vcs_member, champion, respondent_officer
):
    rows = rows_of(champion_administrator, withheld, "concern")

    raised = rows[-1]
    changes = {change.field: change for change in raised.changes}
    assert (raised.action, raised.person, raised.via) == ("created", None, WHO_WITHHELD)
    assert changes["Raised by (organisation)"].after == WITHHELD
    assert changes["Raised by (person)"].after == WITHHELD
    assert changes["Signatory concerned"].after == "Portsmouth Hospitals NHS Trust"  # the body is not withheld
    people = [row.person for row in rows]
    assert vcs_member not in people
    assert champion in people  # the champion's steps keep their name
    assert respondent_officer in people  # and so do the body's
    assert any(row.via == WHO_WITHHELD for row in rows[:-1])  # the raiser's escalation


def test_the_raisers_documents_are_withheld_and_the_bodys_are_not(champion_administrator, withheld, respondent_officer):
    rows = rows_of(champion_administrator, withheld, "case_document")
    drafts = [row for row in entries(champion_administrator, kind="case_document") if "draft" in row.record]

    by_raiser = [row for row in rows if row.via == WHO_WITHHELD]
    by_body = [row for row in rows if row.person == respondent_officer]
    assert len(by_raiser) == 3  # the file kept on the draft (moved to the case), the first evidence, a later one
    assert len(by_body) == 1
    for row in by_raiser + drafts:  # the file's life on the draft, before the concern was sent, too
        assert row.person is None
        changes = {change.field: change for change in row.changes}
        if "Uploaded by" in changes:
            assert WITHHELD in (changes["Uploaded by"].before, changes["Uploaded by"].after)
    assert drafts, "the draft's file is listed once the concern it joined is open to the viewer"
    uploader = {change.field: change for change in by_body[0].changes}["Uploaded by"]
    assert uploader.after == "Rhys Respondent"


def test_a_named_concern_still_names_its_raiser(champion_administrator, named, vcs_member):
    raised = rows_of(champion_administrator, named, "concern")[-1]

    changes = {change.field: change for change in raised.changes}
    assert raised.person == vcs_member
    assert changes["Raised by (organisation)"].after == RAISER_ORGANISATION
    assert changes["Raised by (person)"].after == RAISER_PERSON


@pytest.mark.parametrize("kind", CASE_KINDS)
def test_filtering_by_the_raisers_email_does_not_find_a_withheld_concern(
    client, champion_administrator, withheld, named, vcs_member, kind
):
    client.force_login(champion_administrator)

    html = trail(client, kind=kind, person=vcs_member.email)

    assert withheld.reference not in html
    if kind != "panel_assignment":  # the raiser of the named concern is found by their e-mail
        assert named.reference in html


def test_a_discarded_drafts_files_are_in_no_ones_trail(
    compact, vcs_member, champion_administrator, trust_administrator
):
    services.draft_save(actor=vcs_member, compact=compact, data={}, files=uploads("never-sent.pdf"))
    services.draft_discard(actor=vcs_member, compact=compact)

    for viewer in (champion_administrator, trust_administrator):
        assert entries(viewer, kind="case_document") == []
