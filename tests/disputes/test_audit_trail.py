"""Compact concerns in the admin's audit trail (/admin/audit/): listed only to an administrator who may open the
case (the case page's own rule, disputes.selectors.concerns_visible_to), and, when the raiser asked for their
identity to be withheld, never naming the raising organisation, the person who raised it, the uploader of the
raiser's documents, or who on the raising side made a change; a filter by e-mail cannot find those either.

The module shares one world, as tests/disputes/test_selectors.py does (its ``World`` and ``Scenes``): the compact and
the people, built once; and the concerns a test reads, ``withheld`` and ``named``, each built once in a savepoint of
its own while the tests that read them run, and rolled back before a test that reads neither (the trail lists every
case it may, so a test sees only the concerns it takes). Each test's own changes are in its own transaction (``db``).
"""

import datetime

import pytest
from django.urls import reverse

from commitments.models import Champion
from compact_portal.accounts.roles import Role
from compact_portal.selectors.audit import WHO_WITHHELD, WITHHELD, AuditFilters, audit_entries
from disputes import services
from disputes.models import Concern
from tests.disputes.factories import RAISED_ON, uploads
from tests.disputes.test_selectors import PEOPLE_MADE as PEOPLE_MADE_BY_CONFTESTS
from tests.disputes.test_selectors import Scenes, World, build_world, seal_on_commit_batches, world_record
from tests.worlds import shared_world

AUDIT = reverse("admin:audit_trail")
CASE_KINDS = ("concern", "case_document", "panel_assignment")
RAISER_ORGANISATION = "Southsea Community Food Bank"
RAISER_PERSON = "Val Member"
LATER = RAISED_ON + datetime.timedelta(days=3)

# The people the tests here take, made as the conftests make them (tests/disputes/test_selectors.py's PEOPLE_MADE),
# and the two administrators of this module: ``trust_administrator``, who belongs to the body concerned (the case
# page opens, without the raiser's identity), and ``champion_administrator``, also a champion of the compact (at the
# council, neutral in cases about the trust).
PEOPLE_MADE = {
    name: PEOPLE_MADE_BY_CONFTESTS[name]
    for name in ("vcs_member", "champion", "panel_member", "administrator", "respondent_officer")
} | {
    "trust_administrator": ("trust", Role.ADMINISTRATOR, "Tom Trustadmin"),
    "champion_administrator": ("council", Role.ADMINISTRATOR, "Abe Championadmin"),
}
CASES = ("withheld", "named")  # the scene layers, in the order they are built


def raise_withheld(world: World) -> Concern:
    """A withheld concern taken to its appeal (a panel member assigned), with a document from each side added
    later; the raiser's first file was kept on their draft before the concern was sent."""
    vcs_member = world.fresh("vcs_member")
    services.draft_save(actor=vcs_member, compact=world.fresh("compact"), data={}, files=uploads("kept-on-draft.pdf"))
    concern = world.case_at("appeal", withhold_identity=True, files=uploads("withheld-evidence.pdf"))
    services.document_add(concern=concern, actor=vcs_member, files=uploads("raiser-later.pdf"))
    services.document_add(concern=concern, actor=world.fresh("respondent_officer"), files=uploads("trust-reply.pdf"))
    return concern


def raise_named(world: World) -> Concern:
    """A concern whose raiser did not ask to be withheld."""
    return world.raise_concern(files=uploads("named-evidence.pdf"))


@pytest.fixture(scope="module")
def module_media_root(tmp_path_factory):
    return tmp_path_factory.mktemp("test-audit-trail-media")


@pytest.fixture
def media_root(settings, module_media_root):
    """tests/disputes/conftest.py's autouse fixture of this name, with one folder for the module, since the scene's
    uploads outlive the test they were built for (each upload's stored name is its own)."""
    settings.MEDIA_ROOT = module_media_root
    return module_media_root


@pytest.fixture(scope="module")
def shared(django_db_setup, django_db_blocker, tmp_path_factory):
    """One world for the module (tests/worlds.py): built once, rolled back after the module's last test."""
    with shared_world(django_db_blocker, tmp_path_factory):
        built = World(records=build_world(PEOPLE_MADE, without_roles=False))
        Champion.objects.create(
            compact=built.records["compact"],
            organisation=built.records["council"],
            user=built.records["champion_administrator"],
        )
        layers = {"withheld": raise_withheld, "named": raise_named}
        built.scenes = Scenes(lambda key: layers[key](built).pk)
        seal_on_commit_batches()
        yield built
        built.scenes.leave()


@pytest.fixture
def scene(shared, request) -> World:
    """The module's world with the concerns the test takes standing, and no other."""
    shared.cases = shared.scenes.enter(tuple(name for name in CASES if name in request.fixturenames))
    return shared


@pytest.fixture(autouse=True)
def world(scene, db) -> World:
    """The module's world and scene, and then the test's own transaction (``db``), nested in theirs. Every test here
    gets ``db`` from this fixture rather than from a ``django_db`` mark, which would open the test's transaction
    before the scene is set; ``scene`` is set first, as it comes first here."""
    return scene


council, trust, charity, other_charity, compact = map(
    world_record, ("council", "trust", "charity", "other_charity", "compact")
)
vcs_member, champion, panel_member, administrator, respondent_officer = map(
    world_record, ("vcs_member", "champion", "panel_member", "administrator", "respondent_officer")
)
trust_administrator, champion_administrator = map(world_record, ("trust_administrator", "champion_administrator"))


@pytest.fixture
def withheld(world):
    """``raise_withheld``'s concern."""
    return Concern.objects.get(pk=world.cases["withheld"])


@pytest.fixture
def named(world):
    """``raise_named``'s concern."""
    return Concern.objects.get(pk=world.cases["named"])


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
