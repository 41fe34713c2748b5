"""The disputes pages as their users meet them: who may open what, raising a concern through the form (and
keeping a draft when it fails), attachments, identity withholding, the steps of a case, the case list, and the
public casework record.

Cases are built through the services (tests/disputes/factories.py) on their fixed dates. The pages take
"today" from ``timezone.localdate()``; the clock is never mocked, so where what a page offers depends on the
calendar (the formal response deadline, the appeal window) the last step is taken today.
"""

import datetime
import re
from contextlib import ExitStack
from dataclasses import dataclass

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from commitments.models import Champion, Commitment, Compact, OrganisationType
from commitments.services.live import _Batch
from compact_portal.accounts.models import User
from compact_portal.accounts.roles import Role
from disputes import services
from disputes.models import CaseDocument, CaseEvent, Concern, ConcernDraft, EventKind, Outcome, Stage
from disputes.views.cases import LIST_PAGE_SIZE
from tests.accounts.factories import MembershipFactory, UserFactory
from tests.commitments.factories import (
    CommitmentFactory,
    CompactFactory,
    OrganisationFactory,
    PublicBodyFactory,
    SignatureFactory,
)
from tests.disputes.conftest import ADOPTED, PEOPLE, catalogue
from tests.disputes.factories import PDF, Cast, ConcernFactory, case_snapshot, take_to, uploads

# Every test is in a transaction of its own (``db``), asked for after the autouse fixtures, so after ``world``
# (django_db's mark would open it before them).
pytestmark = pytest.mark.usefixtures("db")

# A Linux executable, to be sent under a PDF's name.
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 44
REFERENCE = re.compile(r"CC-\d{4}-\d{4}")

# Everyone the pages are checked for: the parts in a case about the trust (conftest.PEOPLE), and people with
# no part in it: an officer of the council (a signatory, not a party), an administrator and a person with no role.
VIEWERS = PEOPLE | {
    "bystander_officer": "officer",
    "administrator": "administrator",
    "no_roles": "person_without_roles",
}
# Those who may open a case about the trust (identity withheld or not); the rest are told it does not exist.
SEES_CASE = {"raiser", "respondent", "champion", "conflicted_champion", "panel", "unassigned_panel"}
BODY_SIDE = {"respondent", "conflicted_champion"}

RAISER_ORGANISATION = "Southsea Community Food Bank"
RAISER_PERSON = "Val Member"


def _url(name, *args):
    return reverse(f"disputes:{name}", args=args)


def _page(response) -> str:
    return response.content.decode()


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def _steps_offered(response) -> set[str]:
    return set(re.findall(r'id="step-([a-z-]+)"', _page(response)))


def _pdf(name="evidence.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def _elf(name="evidence.pdf"):
    return SimpleUploadedFile(name, ELF, content_type="application/pdf")


def _key(request) -> str:
    """The VIEWERS key a test is parametrised with."""
    return request.node.callspec.params["viewer"]


def _is_sign_in_redirect(response) -> bool:
    return response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.fixture
def today():
    return timezone.localdate()


# --- Shared worlds -----------------------------------------------------------------------------------------------
# Most tests here only read: they open pages about cases that are the same from test to test. Those are marked
# ``@shares(world)`` and find their cases, and the people in them, in one of a few worlds of records built once
# (BUILD, below) rather than per test; the tests that post steps, raise concerns or count records build their own
# through the fixtures, as before. The fixtures below that a shared test asks for (``case_in``, ``viewer``,
# ``everyone``, ``documented``, ``listed``, ... and the disputes conftest's people, ``compact`` and ``concern``)
# answer from its world, each object fetched afresh for the test, and otherwise as they always have.
#
# Only one world is in the database at a time: the worlds cannot share it (the case list and the casework record
# count every case), so when a test wants another world than the one built, or none, the one built is rolled back
# first. A world is opened as a test is set up, before the test's own transaction (``db``, here requested after
# the autouse ``world``; see ``pytestmark``), and stays open, its tests' transactions nesting inside it, until a
# test wants something else or the module ends. Tests sharing a world are kept together in this file so each
# world is built once. The world opens in the settings each test is set up with (tests/conftest.py's autouse
# fixtures, and ``media_root`` below), not in tests/worlds.py's ``shared_world``, whose settings would be undone
# out of turn with the tests' own (``settings`` changes are undone after each test, while a world outlives tests).


def shares(world: str):
    """Mark a test that only reads as finding its records in ``world`` (a key of BUILD)."""

    def mark(test):
        test.world = world
        return test

    return mark


class Builder:
    """Builds a world's records as the fixtures would (tests/conftest.py's and tests/disputes/conftest.py's):
    the people of VIEWERS, made before any case, and the cases made as the fixtures of this module make them."""

    def __init__(self):
        self.today = timezone.localdate()
        self.council = PublicBodyFactory(name="Portsmouth City Council")
        self.trust = PublicBodyFactory(
            name="Portsmouth Hospitals NHS Trust", organisation_type=OrganisationType.NHS_BODY
        )
        self.charity = OrganisationFactory(name="Southsea Community Food Bank")
        self.other_charity = OrganisationFactory(name="Fratton Youth Network")
        self.compact = CompactFactory(name="Portsmouth Compact", status="adopted", adopted_date=ADOPTED)
        for organisation in (self.council, self.trust, self.charity, self.other_charity):
            SignatureFactory(compact=self.compact, organisation=organisation)
        catalogue(self.compact)

        def member(organisation, role, name):
            return MembershipFactory(organisation=organisation, role=role, user__full_name=name).user

        self.people = {
            "vcs_member": member(self.charity, Role.VCS_MEMBER, "Val Member"),
            "respondent_officer": member(self.trust, Role.OFFICER, "Rhys Respondent"),
            "champion": member(self.council, Role.CHAMPION, "Cara Champion"),
            "panel_member": member(self.other_charity, Role.PANEL_MEMBER, "Pat Panel"),
            "respondent_champion": member(self.trust, Role.CHAMPION, "Tara Trustchampion"),
            "second_panel_member": member(self.other_charity, Role.PANEL_MEMBER, "Quinn Panel"),
            "outsider": member(self.other_charity, Role.VCS_MEMBER, "Oscar Outsider"),
            "officer": member(self.council, Role.OFFICER, "Olivia Officer"),
            "administrator": member(self.council, Role.ADMINISTRATOR, "Ada Admin"),
            "person_without_roles": UserFactory(full_name="Nadia Noroles"),
        }
        Champion.objects.create(compact=self.compact, organisation=self.council, user=self.people["champion"])
        Champion.objects.create(compact=self.compact, organisation=self.trust, user=self.people["respondent_champion"])
        self.cast = Cast(
            raiser=self.people["vcs_member"],
            respondent=self.people["respondent_officer"],
            champion=self.people["champion"],
            panel=self.people["panel_member"],
        )
        self.cases = {}  # what the fixtures look up, by key: a concern, or a dict or list of them

    def raise_concern(self, **overrides):
        defaults = {
            "actor": self.cast.raiser,
            "raiser": self.charity,
            "compact": self.compact,
            "respondent": self.trust,
        }
        return ConcernFactory(**(defaults | overrides))

    def case_at(self, state: str, **overrides):
        # case_in's "formal" and "decided" take their last step today: no world has them.
        assert state not in ("formal", "decided"), state
        return take_to(self.raise_concern(**overrides), state, cast=self.cast)

    def case_in(self, state: str, withhold_identity=False, files=()):
        """A case as ``case_in`` makes it, kept under the key ``case_in`` looks it up by."""
        concern = self.case_at(state, withhold_identity=withhold_identity, files=uploads(*files))
        self.cases[case_key(state, withhold_identity, files)] = concern
        return concern

    def documented(self, state="informal", withhold_identity=False):
        """A case as ``documented`` makes it."""
        concern = self.case_at(state, files=uploads("our-evidence.pdf"), withhold_identity=withhold_identity)
        services.document_add(concern=concern, actor=self.cast.respondent, files=uploads("trust-letter.pdf"))
        self.cases[("documented", state, withhold_identity)] = concern
        return concern

    def havant(self):
        return make_havant()


def case_key(state: str, withhold_identity: bool = False, files=()) -> tuple:
    """How ``case_in`` finds a world's case: by its state, whether identity is withheld, and its files' names."""
    return ("case_in", state, withhold_identity, tuple(getattr(file, "name", file) for file in files))


def build_cases(world: Builder) -> None:
    """The cases the tests of who may open what, of documents and of a named raiser look at."""
    world.case_in("informal")
    world.case_in("informal", withhold_identity=True)
    world.case_in("informal", files=("evidence.pdf",))
    world.case_in("received")
    world.case_in("appeal")
    world.case_in("closed")
    world.documented()
    world.documented(withhold_identity=True)
    world.cases["concern"] = world.cases[case_key("received")]  # the disputes conftest's ``concern``: raised


def build_withheld_case(world: Builder) -> None:
    """At appeal, identity withheld: the raiser escalated, wrote a note, and met the trust at a mediation."""
    concern = world.documented("appeal", withhold_identity=True)
    services.note_add(concern=concern, actor=world.cast.raiser, text="We can meet on any weekday evening.")
    services.meeting_record(
        concern=concern,
        actor=world.cast.champion,
        kind="mediation",
        held_on=datetime.date(2027, 1, 20),
        attendees=f"{RAISER_PERSON} ({RAISER_ORGANISATION}), Rhys Respondent",
        notes="Both sides spoke.",
        today=datetime.date(2027, 1, 20),
    )
    world.cases["withheld_case"] = concern


def build_listed(world: Builder) -> None:
    """Cases the food bank's member can follow, whose standing does not change with the calendar, by name.

    ``late`` was raised on 2 November 2026 and never acknowledged (overdue for good); ``fresh`` was raised today
    (5 working days to go), as was ``havant``, under the Havant Compact; ``responded`` is at the formal stage with
    nothing owed; and two finished cases.
    """
    elsewhere, body, promise = world.havant()
    world.cases["listed"] = {
        "late": world.case_at("received"),
        "fresh": world.raise_concern(today=world.today, respondent=world.council),
        "havant": world.raise_concern(today=world.today, compact=elsewhere, respondent=body, commitments=[promise]),
        "responded": world.case_at("responded"),
        "closed": world.case_at("closed"),
        "withdrawn": world.case_at("withdrawn"),
    }


def build_casework(world: Builder) -> None:
    """Under the Portsmouth Compact: a closed and a withdrawn case and one at the formal stage about the trust,
    and one received about the council citing both commitments; and a case under the Havant Compact."""
    elsewhere, body, promise = world.havant()
    public_commitment = Commitment.objects.get(compact=world.compact, code="13.3")
    shared_commitment = Commitment.objects.get(compact=world.compact, code="2.1")
    cases = [
        world.case_at("closed"),
        world.case_at("withdrawn"),
        world.case_at("responded"),
        world.raise_concern(respondent=world.council, commitments=[public_commitment, shared_commitment]),
    ]
    services.note_add(concern=cases[2], actor=world.cast.champion, text="Private note about the trust's finance team.")
    world.raise_concern(compact=elsewhere, respondent=body, commitments=[promise])
    world.cases["casework"] = cases


BUILD = {
    "cases": build_cases,
    "withheld": build_withheld_case,
    "listed": build_listed,
    "casework": build_casework,
}


@dataclass(frozen=True)
class World:
    """A world as its tests are handed it: the people and cases by key, each fetched from the database when asked
    for, so no test is handed an object another test changed."""

    name: str
    compact_pk: int
    people: dict  # fixture name → pk
    cases: dict  # key → pk, or a dict or list of pks

    def person(self, fixture: str):
        return User.objects.get(pk=self.people[fixture])

    def case(self, key):
        found = self.cases.get(key)
        assert found is not None, f"the {self.name!r} world has no case {key}: build it in BUILD[{self.name!r}]"
        if isinstance(found, dict):
            return {name: Concern.objects.get(pk=pk) for name, pk in found.items()}
        if isinstance(found, list):
            return [Concern.objects.get(pk=pk) for pk in found]
        return Concern.objects.get(pk=found)

    def compact(self):
        return Compact.objects.get(pk=self.compact_pk)


class Worlds:
    """The module's one world at a time: opened when a test wants it, rolled back when a test wants another or
    none, or when the module ends."""

    def __init__(self, django_db_blocker):
        self.django_db_blocker = django_db_blocker
        self.open = None  # the World in the database, if any
        self.closing = None

    def enter(self, name: str | None) -> World | None:
        if self.open is not None and self.open.name == name:
            return self.open
        self.leave()
        if name is None:
            return None
        with ExitStack() as stack:
            stack.enter_context(self.django_db_blocker.unblock())
            stack.enter_context(transaction.atomic())
            stack.callback(transaction.set_rollback, True)  # runs first, inside the atomic block
            built = Builder()
            BUILD[name](built)
            # The world's re-checks never run (its transaction never commits): a test's own writes ask for theirs.
            for _savepoints, callback, *_rest in connection.run_on_commit:
                if isinstance(callback, _Batch):
                    callback.sealed = True
            mail.outbox = []  # what building sent is no test's
            self.open = World(
                name=name,
                compact_pk=built.compact.pk,
                people={fixture: person.pk for fixture, person in built.people.items()},
                cases={key: pks(found) for key, found in built.cases.items()},
            )
            self.closing = stack.pop_all()
        return self.open

    def leave(self) -> None:
        if self.closing is not None:
            self.closing.close()
        self.open = self.closing = None


def pks(found):
    if isinstance(found, dict):
        return {name: concern.pk for name, concern in found.items()}
    if isinstance(found, list):
        return [concern.pk for concern in found]
    return found.pk


@pytest.fixture(scope="module")
def worlds(django_db_setup, django_db_blocker):
    worlds = Worlds(django_db_blocker)
    yield worlds
    worlds.leave()


@pytest.fixture(autouse=True)
def world(request, worlds) -> World | None:
    """The world the test shares (``@shares``), opened before the test's own transaction; None for a test that
    builds its own records, which finds the database empty."""
    return worlds.enter(getattr(request.function, "world", None))


@pytest.fixture(scope="module")
def module_media_root(tmp_path_factory):
    return tmp_path_factory.mktemp("test-views-media")


@pytest.fixture
def media_root(request, settings, tmp_path, module_media_root):
    """tests/disputes/conftest.py's autouse fixture of this name; a shared world's uploads are in one folder for
    the module, where its tests download them from."""
    root = module_media_root if getattr(request.function, "world", None) else tmp_path
    settings.MEDIA_ROOT = root
    return root


# The disputes conftest's fixtures a shared test asks for: from its world, or as the conftest makes them. (An
# overriding fixture asking for its own name gets the one it overrides.)


@pytest.fixture
def compact(request, world):
    return world.compact() if world else request.getfixturevalue("compact")


@pytest.fixture
def vcs_member(request, world):
    return world.person("vcs_member") if world else request.getfixturevalue("vcs_member")


@pytest.fixture
def champion(request, world):
    return world.person("champion") if world else request.getfixturevalue("champion")


@pytest.fixture
def respondent_officer(request, world):
    return world.person("respondent_officer") if world else request.getfixturevalue("respondent_officer")


@pytest.fixture
def concern(request, world):
    return world.case("concern") if world else request.getfixturevalue("concern")


@pytest.fixture
def viewer(request, world):
    """The person fixture named by a key of VIEWERS (for ``indirect`` parametrisation); None for "anonymous"."""
    if request.param == "anonymous":
        return None
    name = VIEWERS[request.param]
    return world.person(name) if world else request.getfixturevalue(name)


@pytest.fixture
def signed_in(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def everyone(request, world):
    """Every person of VIEWERS, made before any case, so each case is raised in the whole world (the trust's own
    champion appointed, both panel members in place) whichever person a test signs in as."""
    if world:
        return {key: world.person(name) for key, name in VIEWERS.items()}
    for name in ("cast", "respondent_champion", "second_panel_member", "outsider"):
        request.getfixturevalue(name)
    return {key: request.getfixturevalue(name) for key, name in VIEWERS.items()}


@pytest.fixture
def case_in(request, world, today):
    """Like ``case_at``, with the formal stage begun today ("formal") or its outcome given today ("decided"),
    so the extension and the appeal a page offers do not depend on when the tests run. In a shared world, the
    world's case made so."""
    if world:

        def find(state: str, withhold_identity=False, files=()):
            return world.case(case_key(state, withhold_identity, files))

        return find

    case_at = request.getfixturevalue("case_at")
    cast = request.getfixturevalue("cast")
    request.getfixturevalue("everyone")

    def make(state: str, **overrides):
        if state == "formal":
            concern = case_at("informal", **overrides)
            return services.formal_escalate(
                concern=concern, actor=cast.raiser, today=today, reasons="Two meetings, no agreement."
            )
        if state == "decided":
            concern = case_at("responded", **overrides)
            return services.formal_outcome_record(
                concern=concern,
                actor=cast.champion,
                today=today,
                outcome=Outcome.UPHELD,
                reasons="Two weeks is not three months.",
                commitments_found_broken=list(concern.commitments.all()),
            )
        return case_at(state, **overrides)

    return make


# --- Who may open what -------------------------------------------------------------------------------------------


@shares("cases")
@pytest.mark.parametrize("withhold", [False, True], ids=["named", "withheld"])
@pytest.mark.parametrize("viewer", list(VIEWERS), indirect=True)
def test_a_case_page_opens_for_its_parties_champions_and_panel_and_is_404_for_anyone_else(
    request, viewer, withhold, case_in, signed_in
):
    concern = case_in("informal", withhold_identity=withhold)
    key = _key(request)

    response = signed_in(viewer).get(concern.get_absolute_url())

    assert response.status_code == (200 if key in SEES_CASE else 404)
    if key in SEES_CASE:
        assert concern.reference in _page(response)


@shares("cases")
def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in_from_every_case_page(client, case_in):
    concern = case_in("informal", files=uploads("evidence.pdf"))
    document = concern.documents.get()
    urls = [
        _url("case_list"),
        concern.get_absolute_url(),
        _url("document_download", concern.reference, document.pk),
        _url("raise"),
        _url("raise_concern", concern.compact.slug),
        _url("panel"),
    ]
    for url in urls:
        assert _is_sign_in_redirect(client.get(url)), url
    posts = [(_url("case_action", concern.reference, "note"), {"note-text": "Hello"}), (_url("draft_discard"), {})]
    for url, data in posts:
        assert _is_sign_in_redirect(client.post(url, data)), url
    assert CaseEvent.objects.filter(kind=EventKind.NOTE).count() == 0


@shares("cases")
def test_an_unknown_reference_is_404_even_for_a_champion(signed_in, champion, concern):
    assert signed_in(champion).get(_url("case_detail", "CC-2026-9999")).status_code == 404


@shares("cases")
def test_an_unknown_step_is_404(signed_in, champion, concern):
    response = signed_in(champion).post(_url("case_action", concern.reference, "approve-everything"))
    assert response.status_code == 404


@shares("cases")
def test_a_step_cannot_be_taken_with_a_get(signed_in, champion, concern):
    response = signed_in(champion).get(_url("case_action", concern.reference, "acknowledge"))
    assert response.status_code == 405
    concern.refresh_from_db()
    assert concern.stage == Stage.RECEIVED


CASE_LIST_STATUS = {"administrator": 403, "no_roles": 403}
RAISE_ALLOWED = {"raiser", "respondent", "outsider", "bystander_officer"}


@shares("cases")
@pytest.mark.parametrize("viewer", list(VIEWERS), indirect=True)
def test_the_case_list_shows_each_person_only_the_cases_they_may_open(request, viewer, case_in, signed_in):
    concern = case_in("informal")
    key = _key(request)

    response = signed_in(viewer).get(_url("case_list"))

    assert response.status_code == CASE_LIST_STATUS.get(key, 200)
    if response.status_code == 200:
        assert (concern.reference in _page(response)) is (key in SEES_CASE)
        assert ("Raise a Compact concern" in _page(response)) is (key in RAISE_ALLOWED)


@shares("cases")
@pytest.mark.parametrize("viewer", list(VIEWERS), indirect=True)
def test_only_members_and_officers_may_raise_a_concern(request, viewer, compact, everyone, signed_in):
    key = _key(request)
    client = signed_in(viewer)

    choose = client.get(_url("raise"))
    form = client.get(_url("raise_concern", compact.slug))

    if key in RAISE_ALLOWED:
        assert choose.status_code == 302  # one compact to raise under, so straight to its form
        assert choose.url == _url("raise_concern", compact.slug)
        assert form.status_code == 200
    else:
        assert choose.status_code == 403
        assert form.status_code == 403
        assert client.post(_url("draft_discard")).status_code == 403


PANEL_PAGE = {"panel", "unassigned_panel"}


@shares("cases")
@pytest.mark.parametrize("viewer", list(VIEWERS), indirect=True)
def test_the_panel_page_is_for_panel_members_only(request, viewer, case_in, signed_in):
    case_in("appeal")
    key = _key(request)

    response = signed_in(viewer).get(_url("panel"))

    assert response.status_code == (200 if key in PANEL_PAGE else 403)


@shares("cases")
@pytest.mark.parametrize("viewer", ["anonymous", *VIEWERS], indirect=True)
def test_the_casework_record_is_public(viewer, client, case_in):
    case_in("closed")
    if viewer is not None:
        client.force_login(viewer)

    response = client.get(_url("casework_record", "portsmouth-compact"))

    assert response.status_code == 200


@shares("cases")
def test_the_casework_record_of_an_unknown_compact_is_404(client, db):
    assert client.get(_url("casework_record", "no-such-compact")).status_code == 404


# --- Documents ---------------------------------------------------------------------------------------------------


@pytest.fixture
def documented(world):
    """Find a case (raised with the raiser's evidence) to which the trust has added a document of its own, as
    Builder.documented makes it."""
    assert world, "documented's cases are in the shared world"

    def find(state="informal", withhold_identity=False):
        return world.case(("documented", state, withhold_identity))

    return find


@shares("cases")
@pytest.mark.parametrize("withhold", [False, True], ids=["named", "withheld"])
@pytest.mark.parametrize("viewer", list(VIEWERS), indirect=True)
def test_documents_download_only_for_those_allowed_and_a_withheld_raisers_not_for_the_body(
    request, viewer, withhold, documented, signed_in
):
    concern = documented(withhold_identity=withhold)
    key = _key(request)
    client = signed_in(viewer)
    raisers = concern.documents.get(original_name="our-evidence.pdf")
    trusts = concern.documents.get(original_name="trust-letter.pdf")

    raisers_response = client.get(_url("document_download", concern.reference, raisers.pk))
    trusts_response = client.get(_url("document_download", concern.reference, trusts.pk))

    sees_raisers = key in SEES_CASE and not (withhold and key in BODY_SIDE)
    assert raisers_response.status_code == (200 if sees_raisers else 404)
    assert trusts_response.status_code == (200 if key in SEES_CASE else 404)
    if sees_raisers:
        assert raisers_response["Content-Disposition"] == 'attachment; filename="our-evidence.pdf"'
        assert raisers_response["Content-Type"] == "application/pdf"
        assert raisers_response["X-Content-Type-Options"] == "nosniff"
        assert b"".join(raisers_response.streaming_content) == PDF


@shares("cases")
def test_a_document_is_not_served_under_another_cases_reference(documented, case_in, signed_in, champion):
    concern = documented()
    other = case_in("received")
    document = concern.documents.first()

    response = signed_in(champion).get(_url("document_download", other.reference, document.pk))

    assert response.status_code == 404


# --- Identity withholding ------------------------------------------------------------------------------------------


@shares("cases")
def test_without_withholding_the_body_sees_who_raised_the_concern(case_in, signed_in, respondent_officer):
    concern = case_in("informal")

    page = _page(signed_in(respondent_officer).get(concern.get_absolute_url()))

    assert RAISER_ORGANISATION in page
    assert RAISER_PERSON in page
    assert f"{RAISER_PERSON} (the organisation that raised the concern)" in page


@pytest.fixture
def withheld_case(world):
    """At appeal, identity withheld: the raiser escalated, wrote a note, and met the trust at a mediation
    (build_withheld_case)."""
    assert world, "withheld_case is in the shared world"
    return world.case("withheld_case")


@shares("withheld")
@pytest.mark.parametrize("viewer", sorted(SEES_CASE), indirect=True)
def test_a_withheld_raiser_is_named_nowhere_on_the_pages_the_body_sees(request, viewer, withheld_case, signed_in):
    key = _key(request)
    client = signed_in(viewer)

    case_page = _page(client.get(withheld_case.get_absolute_url()))
    list_page = _page(client.get(_url("case_list")))

    assert withheld_case.reference in case_page
    assert withheld_case.reference in list_page
    for name in (RAISER_ORGANISATION, RAISER_PERSON):
        assert (name in case_page) is (key not in BODY_SIDE), name
    assert (RAISER_ORGANISATION in list_page) is (key not in BODY_SIDE)  # the list names organisations only
    if key in BODY_SIDE:
        assert RAISER_PERSON not in list_page
        assert "Withheld at the raiser's request" in case_page
        assert "<em>Withheld</em>" in list_page
        assert "our-evidence.pdf" not in case_page
        assert "A document from the raiser (not shown)" in case_page
        assert "trust-letter.pdf" in case_page
        # the raiser's escalation and note are on the timeline, by "the organisation that raised the concern"
        assert "We can meet on any weekday evening." in case_page
        assert case_page.count("the organisation that raised the concern") >= 4  # raised, document, escalated, note
        assert "not shown, as the raiser's identity is withheld" in case_page
    else:
        assert "our-evidence.pdf" in case_page
        assert "Identity withheld from the body" in case_page


def test_an_appeal_by_a_withheld_raiser_does_not_name_them_to_the_body(case_in, cast, signed_in, respondent_officer):
    concern = case_in("decided", withhold_identity=True)
    services.appeal_lodge(concern=concern, actor=cast.raiser, today=timezone.localdate(), grounds="Not enough.")

    page = _page(signed_in(respondent_officer).get(concern.get_absolute_url()))

    assert "by the organisation that raised the concern" in page
    assert RAISER_ORGANISATION not in page
    assert RAISER_PERSON not in page


def test_the_panel_page_lists_the_members_appeals_and_appeals_waiting_for_a_panel(
    signed_in, case_in, panel_member, second_panel_member, cast
):
    assigned = case_in("appeal")  # panel_member sits on it
    waiting = case_in("decided")
    waiting = services.appeal_lodge(
        concern=waiting, actor=cast.raiser, today=timezone.localdate(), grounds="The outcome misses the point."
    )
    elsewhere = case_in("informal")

    mine = _page(signed_in(panel_member).get(_url("panel")))
    theirs = _page(signed_in(second_panel_member).get(_url("panel")))

    assert assigned.reference in mine
    assert waiting.reference in mine
    assert elsewhere.reference not in mine
    assert waiting.reference in theirs
    assert assigned.reference not in theirs


# --- Raising a concern through the form --------------------------------------------------------------------------


@pytest.fixture
def concern_form(charity, trust, public_commitment, today):
    """Make the concern form's fields as a browser sends them; a value of None leaves that field out."""

    def make(**overrides):
        data = {
            "raiser": charity.pk,
            "respondent": trust.pk,
            "commitments": [public_commitment.pk],
            "what_happened": "The trust ended our contract for meals with two weeks' notice.",
            "happened_on": (today - datetime.timedelta(days=20)).isoformat(),
            "outcome_sought": "Three months' notice, as the compact promises.",
            "consent": "on",
        }
        return {key: value for key, value in (data | overrides).items() if value is not None}

    return make


@pytest.fixture
def raise_url(compact):
    return _url("raise_concern", compact.slug)


def _stored_files(root) -> list:
    return [path for path in root.rglob("*") if path.is_file()]


def test_raising_a_concern_gives_a_reference_a_status_page_a_message_and_an_acknowledgement_email(
    signed_in, vcs_member, champion, raise_url, concern_form, today, mailoutbox, django_capture_on_commit_callbacks
):
    client = signed_in(vcs_member)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(raise_url, concern_form(documents=[_pdf("notice-letter.pdf")]))

    concern = Concern.objects.get()
    assert REFERENCE.fullmatch(concern.reference)
    assert concern.reference.startswith(f"CC-{today.year}-")
    assert response.status_code == 302
    assert response.url == concern.get_absolute_url()
    assert concern.stage == Stage.RECEIVED
    assert concern.raised_by == vcs_member
    assert [document.original_name for document in concern.documents.all()] == ["notice-letter.pdf"]
    page = client.get(response.url)
    assert page.status_code == 200
    (message,) = _messages(page)
    assert concern.reference in message
    assert "acknowledgement" in message
    assert "Concern " + concern.reference in _page(page)
    to_raiser = [email for email in mailoutbox if email.to == [vcs_member.email]]
    assert len(to_raiser) == 1
    assert concern.reference in to_raiser[0].subject
    assert "received" in to_raiser[0].subject
    assert any(email.to == [champion.email] for email in mailoutbox)  # the compact's champions are told too
    assert not ConcernDraft.objects.exists()


@pytest.mark.parametrize(
    ("missing", "error"),
    [
        ("what_happened", "Say what happened."),
        ("outcome_sought", "Say what outcome you are seeking."),
        ("commitments", "Choose at least one commitment you believe was broken."),
        ("respondent", "Choose the signatory the concern is about."),
        ("happened_on", "Give the date it happened."),
        ("consent", "Tick to agree to the process"),
    ],
)
def test_a_form_with_a_required_field_missing_keeps_what_was_typed_as_a_draft(
    missing, error, signed_in, vcs_member, raise_url, concern_form
):
    client = signed_in(vcs_member)
    data = concern_form(**{missing: None})

    response = client.post(raise_url, data)

    assert response.status_code == 200
    assert not Concern.objects.exists()
    page = _page(response)
    assert "There is a problem" in page
    assert error in page
    assert "<title>Error: " in page
    for field in ("what_happened", "outcome_sought"):
        if field != missing:
            assert data[field].replace("'", "&#x27;") in page  # the typed text is still in its box
    draft = ConcernDraft.objects.get(user=vcs_member)
    typed = {
        key: [str(item) for item in value] if isinstance(value, list) else [str(value)] for key, value in data.items()
    }
    assert draft.data == typed  # every value as sent, the missing one absent


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        pytest.param("happened_on", "2099-01-01", "The date it happened cannot be in the future.", id="future-date"),
        pytest.param("happened_on", "last spring", "Give the date as day, month, year.", id="not-a-date"),
        pytest.param("respondent", "charity", "Select a valid choice.", id="about-a-charity"),
        pytest.param("raiser", "other_charity", "Select a valid choice.", id="for-an-organisation-not-theirs"),
        pytest.param("commitments", "vcs_commitment", "Select a valid choice.", id="a-commitment-of-the-vcs"),
    ],
)
def test_a_form_with_a_wrong_value_is_refused_and_kept(
    request, field, value, error, signed_in, vcs_member, raise_url, concern_form
):
    if field in ("respondent", "raiser"):
        value = request.getfixturevalue(value).pk
    elif field == "commitments":
        value = [request.getfixturevalue(value).pk]

    response = signed_in(vcs_member).post(raise_url, concern_form(**{field: value}))

    assert response.status_code == 200
    assert error in _page(response)
    assert not Concern.objects.exists()
    assert ConcernDraft.objects.get(user=vcs_member).data["what_happened"]


def test_an_officer_raises_a_concern_about_another_public_body(
    signed_in, respondent_officer, raise_url, concern_form, trust, council
):
    response = signed_in(respondent_officer).post(raise_url, concern_form(raiser=trust.pk, respondent=council.pk))

    concern = Concern.objects.get()
    assert response.status_code == 302
    assert response.url == concern.get_absolute_url()
    assert (concern.raiser, concern.respondent, concern.raised_by) == (trust, council, respondent_officer)


def test_a_compact_no_concern_can_be_raised_under_is_404(signed_in, vcs_member, compact):
    CompactFactory(name="Gosport Compact", status="adopted")  # no public body has signed it

    assert signed_in(vcs_member).get(_url("raise_concern", "gosport-compact")).status_code == 404


def test_a_withheld_raiser_is_not_named_in_the_emails_to_the_body(
    signed_in,
    vcs_member,
    respondent_champion,
    champion,
    raise_url,
    concern_form,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        signed_in(vcs_member).post(raise_url, concern_form(withhold_identity="on"))

    concern = Concern.objects.get()
    assert concern.withhold_identity
    to = {email.to[0]: email for email in mailoutbox}
    assert set(to) == {vcs_member.email, champion.email, respondent_champion.email}
    body_side = to[respondent_champion.email]
    assert concern.reference in body_side.subject
    assert RAISER_ORGANISATION not in body_side.body
    assert RAISER_PERSON not in body_side.body
    assert RAISER_ORGANISATION in to[champion.email].body


def test_coming_back_to_the_form_shows_the_draft(signed_in, vcs_member, raise_url, concern_form, public_commitment):
    client = signed_in(vcs_member)
    data = concern_form(what_happened=None, outcome_sought="An apology & a proper notice period.")
    client.post(raise_url, data)

    response = client.get(raise_url)

    assert response.status_code == 200
    page = _page(response)
    assert "An apology &amp; a proper notice period." in page
    assert f'value="{data["happened_on"]}"' in page
    assert re.search(rf'<input[^>]*value="{public_commitment.pk}"[^>]*checked', page)
    assert re.search(r'<input[^>]*name="consent"[^>]*checked', page)
    assert "Discard the draft" in page
    (message,) = _messages(response)
    assert message.startswith("We kept the concern you started")
    # the choose-a-compact page offers to carry on with it rather than going straight to a new form
    choose = client.get(_url("raise"))
    assert choose.status_code == 200
    assert "Carry on with it" in _page(choose)


def test_files_of_a_failed_submission_are_kept_with_the_draft_and_end_up_on_the_case(
    signed_in, vcs_member, raise_url, concern_form, media_root
):
    client = signed_in(vcs_member)

    failed = client.post(raise_url, concern_form(what_happened=None, documents=[_pdf("notice-letter.pdf")]))

    assert failed.status_code == 200
    draft = ConcernDraft.objects.get(user=vcs_member)
    (kept,) = draft.documents.all()
    assert kept.original_name == "notice-letter.pdf"
    assert kept.concern is None
    assert "Files kept with your draft" in _page(failed)
    assert "notice-letter.pdf" in _page(failed)
    assert "notice-letter.pdf" in _page(client.get(raise_url))

    response = client.post(raise_url, concern_form(documents=[_pdf("minutes.pdf")]))

    concern = Concern.objects.get()
    assert response.status_code == 302
    assert response.url == concern.get_absolute_url()
    assert sorted(document.original_name for document in concern.documents.all()) == [
        "minutes.pdf",
        "notice-letter.pdf",
    ]
    assert not ConcernDraft.objects.exists()
    assert len(_stored_files(media_root)) == 2
    page = _page(client.get(concern.get_absolute_url()))
    assert "notice-letter.pdf" in page
    assert "minutes.pdf" in page


def test_a_draft_can_be_discarded_with_its_files(signed_in, vcs_member, raise_url, concern_form, media_root):
    client = signed_in(vcs_member)
    client.post(raise_url, concern_form(what_happened=None, documents=[_pdf("notice-letter.pdf")]))
    assert len(_stored_files(media_root)) == 1

    response = client.post(_url("draft_discard"), follow=True)

    assert response.redirect_chain[0] == (_url("raise"), 302)
    assert "Your draft concern is discarded." in _messages(response)
    assert not ConcernDraft.objects.exists()
    assert not CaseDocument.objects.exists()
    assert _stored_files(media_root) == []
    form = client.get(raise_url)
    assert "as the compact promises" not in _page(form)
    assert not any(message.startswith("We kept") for message in _messages(form))


def test_a_file_kept_with_the_draft_can_be_removed_but_not_someone_elses(
    signed_in, vcs_member, outsider, raise_url, concern_form, media_root, raise_concern
):
    on_a_case = raise_concern(files=uploads("on-a-case.pdf")).documents.get()  # one of their own cases
    client = signed_in(vcs_member)
    client.post(raise_url, concern_form(what_happened=None, documents=[_pdf("a.pdf"), _pdf("b.pdf")]))
    first, second = ConcernDraft.objects.get().documents.all()

    assert signed_in(outsider).post(_url("draft_document_remove", first.pk)).status_code == 404
    assert signed_in(vcs_member).post(_url("draft_document_remove", on_a_case.pk)).status_code == 404
    response = signed_in(vcs_member).post(_url("draft_document_remove", first.pk), follow=True)

    assert response.redirect_chain[0] == (raise_url, 302)
    assert "“a.pdf” is removed from your draft." in _messages(response)
    assert list(ConcernDraft.objects.get().documents.all()) == [second]
    assert len(_stored_files(media_root)) == 2  # b.pdf, and the case's own file


# --- Attachments ---------------------------------------------------------------------------------------------------


def test_a_renamed_executable_is_refused_and_nothing_is_saved(
    signed_in, vcs_member, raise_url, concern_form, media_root
):
    response = signed_in(vcs_member).post(raise_url, concern_form(documents=[_elf("evidence.pdf")]))

    assert response.status_code == 200
    assert "“evidence.pdf” is not a PDF, Word, OpenDocument, plain-text or image file" in _page(response)
    assert not Concern.objects.exists()
    assert not CaseDocument.objects.exists()
    assert _stored_files(media_root) == []


def test_a_good_file_sent_with_a_bad_one_is_kept_with_the_draft(signed_in, vcs_member, raise_url, concern_form):
    client = signed_in(vcs_member)

    response = client.post(raise_url, concern_form(documents=[_pdf("notice-letter.pdf"), _elf("minutes.pdf")]))

    assert response.status_code == 200
    assert "“minutes.pdf” is not a PDF" in _page(response)
    assert not Concern.objects.exists()
    draft = ConcernDraft.objects.get(user=vcs_member)
    assert [document.original_name for document in draft.documents.all()] == ["notice-letter.pdf"]

    client.post(raise_url, concern_form())

    assert [document.original_name for document in Concern.objects.get().documents.all()] == ["notice-letter.pdf"]


def test_an_oversized_file_is_refused(signed_in, vcs_member, raise_url, concern_form, media_root, settings):
    settings.UPLOAD_MAX_BYTES = 50

    response = signed_in(vcs_member).post(raise_url, concern_form(documents=[_pdf("big.pdf")]))

    assert response.status_code == 200
    assert "“big.pdf” is" in _page(response)
    assert "files can be at most 50 bytes" in _page(response)
    assert not Concern.objects.exists()
    assert not CaseDocument.objects.exists()
    assert _stored_files(media_root) == []


def test_more_than_five_files_are_refused(signed_in, vcs_member, raise_url, concern_form):
    files = [_pdf(f"evidence-{n}.pdf") for n in range(1, 7)]

    response = signed_in(vcs_member).post(raise_url, concern_form(documents=files))

    assert response.status_code == 200
    assert "You can attach at most 5 files." in _page(response)
    assert not Concern.objects.exists()
    # the first five are kept with the draft, and the page lists them, so the person sees which one was left out
    kept = [f"evidence-{n}.pdf" for n in range(1, 6)]
    assert list(ConcernDraft.objects.get().documents.values_list("original_name", flat=True)) == kept
    assert "evidence-6.pdf" not in _page(response).split("Files kept with your draft")[1]


def test_kept_files_count_towards_the_five(signed_in, vcs_member, raise_url, concern_form):
    client = signed_in(vcs_member)
    client.post(raise_url, concern_form(what_happened=None, documents=[_pdf(f"kept-{n}.pdf") for n in range(1, 5)]))

    response = client.post(raise_url, concern_form(documents=[_pdf("five.pdf"), _pdf("six.pdf")]))

    assert response.status_code == 200
    assert "You can attach at most 1 file." in _page(response)
    assert not Concern.objects.exists()


def test_a_renamed_executable_is_refused_as_a_case_document(case_in, signed_in, respondent_officer, media_root):
    concern = case_in("informal")
    files_before = len(_stored_files(media_root))

    response = signed_in(respondent_officer).post(
        _url("case_action", concern.reference, "documents"), {"documents-documents": [_elf("minutes.pdf")]}
    )

    assert response.status_code == 400
    assert "“minutes.pdf” is not a PDF" in _page(response)
    assert not concern.documents.filter(side="respondent").exists()
    assert len(_stored_files(media_root)) == files_before


def test_a_side_may_add_no_more_than_five_documents_to_a_case(case_in, signed_in, vcs_member):
    concern = case_in("informal", files=uploads("evidence.pdf"))
    client = signed_in(vcs_member)
    url = _url("case_action", concern.reference, "documents")

    too_many = client.post(url, {"documents-documents": [_pdf(f"more-{n}.pdf") for n in range(1, 7)]})
    over_the_limit = client.post(url, {"documents-documents": [_pdf(f"more-{n}.pdf") for n in range(1, 6)]})

    assert too_many.status_code == 400
    assert "You can attach at most 5 files." in _page(too_many)
    assert over_the_limit.status_code == 400
    assert "A concern can have at most 5 evidence documents; it has 1 already." in _page(over_the_limit)
    assert concern.documents.count() == 1


# --- The steps of a case -------------------------------------------------------------------------------------------

# Who is offered which step in which state, and who may take it through the page, are tests/disputes/test_steps.py's
# (one table for the rules, the page and the services).


def test_a_step_taken_through_the_page_emails_the_parties(
    case_in, signed_in, champion, vcs_member, mailoutbox, django_capture_on_commit_callbacks
):
    concern = case_in("received")
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        signed_in(champion).post(_url("case_action", concern.reference, "acknowledge"), {"acknowledge-note": ""})

    to_raiser = [email for email in mailoutbox if email.to == [vcs_member.email]]
    assert f"{concern.reference}: the concern is acknowledged" in [email.subject for email in to_raiser]


def test_a_refused_step_with_an_incomplete_form_says_it_is_not_open_and_changes_nothing(case_in, signed_in, champion):
    concern = case_in("informal")
    before = case_snapshot(concern)

    response = signed_in(champion).post(
        _url("case_action", concern.reference, "escalate"), {"escalate-reasons": ""}, follow=True
    )

    assert response.redirect_chain == [(concern.get_absolute_url(), 302)]
    assert _messages(response) == ["That step is not open to you on this case now."]
    assert case_snapshot(concern) == before


def test_a_step_someone_else_took_first_says_why_and_changes_nothing(case_in, signed_in, champion, cast):
    concern = case_in("received")
    page = signed_in(champion).get(concern.get_absolute_url())
    assert "acknowledge" in _steps_offered(page)
    services.concern_acknowledge(concern=concern, actor=cast.champion, today=timezone.localdate())
    before = case_snapshot(concern)

    response = signed_in(champion).post(_url("case_action", concern.reference, "acknowledge"), follow=True)

    assert response.redirect_chain == [(concern.get_absolute_url(), 302)]
    assert _messages(response) == ["This case is at the acknowledged stage, so you cannot acknowledge the concern now."]
    assert case_snapshot(concern) == before


@pytest.mark.parametrize(
    ("action", "state", "who", "data", "error"),
    [
        pytest.param("escalate", "informal", "raiser", {"reasons": ""}, "Give your reasons.", id="field-missing"),
        pytest.param(
            "extend",
            "formal",
            "respondent",
            {"days": "30", "reasons": "Staff away."},
            "An extension can be from 1 to 10 working days.",
            id="refused-by-the-rules",
        ),
        pytest.param(
            "meeting",
            "informal",
            "champion",
            {"meeting_kind": "mediation", "meeting_date": "2099-01-01", "attendees": "Both sides."},
            "Record a meeting once it has taken place.",
            id="meeting-in-the-future",
        ),
        pytest.param(
            "formal-outcome",
            "responded",
            "champion",
            {"outcome": Outcome.UPHELD, "reasons": "Short notice."},
            "Choose the commitments found broken.",
            id="upheld-without-commitments",
        ),
        pytest.param(
            "appeal", "decided", "respondent", {"grounds": " "}, "Give the grounds of the appeal.", id="blank-grounds"
        ),
    ],
)
def test_invalid_input_re_renders_the_case_with_the_error_and_a_400(
    request, action, state, who, data, error, case_in, signed_in
):
    concern = case_in(state)
    before = case_snapshot(concern)

    response = signed_in(request.getfixturevalue(PEOPLE[who])).post(
        _url("case_action", concern.reference, action), {f"{action}-{field}": value for field, value in data.items()}
    )

    assert response.status_code == 400
    page = _page(response)
    assert error in page
    assert "There is a problem" in page
    assert f'id="step-{action}"' in page  # the form is shown again, with what was typed
    for value in data.values():
        if value.strip():
            assert value in page
    assert case_snapshot(concern) == before


@pytest.fixture
def conflicted_panel_member(compact, other_charity, charity):
    """A panel member of the compact who is also a member of the food bank that raised the concern."""
    user = MembershipFactory(organisation=other_charity, role=Role.PANEL_MEMBER, user__full_name="Connie Conflict").user
    MembershipFactory(organisation=charity, role=Role.VCS_MEMBER, user=user)
    return user


def test_assigning_a_panel_member_with_a_conflict_of_interest_is_refused(
    case_in, signed_in, champion, conflicted_panel_member
):
    concern = case_in("formal")
    client = signed_in(champion)
    assert "Connie Conflict (conflict of interest)" in _page(client.get(concern.get_absolute_url()))

    response = client.post(
        _url("case_action", concern.reference, "assign-panel"), {"assign-panel-member": conflicted_panel_member.pk}
    )

    assert response.status_code == 400
    assert "belongs to an organisation in this case, a conflict of interest, so cannot sit on its panel." in _page(
        response
    )
    assert not concern.panel_assignments.exists()


def test_a_conflicted_panel_member_cannot_decide_the_appeal(case_in, signed_in, conflicted_panel_member):
    concern = case_in("appeal")
    client = signed_in(conflicted_panel_member)
    page = client.get(concern.get_absolute_url())
    assert "decide-appeal" not in _steps_offered(page)  # they follow the case as the raiser's side

    response = client.post(
        _url("case_action", concern.reference, "decide-appeal"),
        {"decide-appeal-outcome": Outcome.NOT_UPHELD, "decide-appeal-reasons": "No."},
    )

    assert response.status_code == 403
    concern.refresh_from_db()
    assert concern.stage == Stage.APPEAL


def make_havant():
    """A second compact a concern can be raised under: signed by Havant Borough Council, with one commitment."""
    elsewhere = CompactFactory(name="Havant Compact", status="adopted")
    body = PublicBodyFactory(name="Havant Borough Council", organisation_type=OrganisationType.LOCAL_AUTHORITY)
    SignatureFactory(compact=elsewhere, organisation=body)
    promise = CommitmentFactory(compact=elsewhere, code="9.9", summary="Havant's own promise.")
    return elsewhere, body, promise


@pytest.fixture
def havant(compact, charity):
    """make_havant's compact, after the Portsmouth Compact and its signatories."""
    return make_havant()


# --- The case list -----------------------------------------------------------------------------------------------


@pytest.fixture
def listed(world):
    """Cases the food bank's member can follow, whose standing does not change with the calendar, by name
    (build_listed)."""
    assert world, "listed is in the shared world"
    return world.case("listed")


def _references_in_order(response) -> list[str]:
    body = _page(response).split("<tbody>")[1].split("</tbody>")[0]
    return re.findall(r">(CC-\d{4}-\d{4})</a>", body)


ALL_LISTED = {"late", "fresh", "havant", "responded", "closed", "withdrawn"}


@shares("listed")
@pytest.mark.parametrize(
    ("params", "shown"),
    [
        pytest.param({}, ALL_LISTED, id="all"),
        pytest.param({"stage": "received"}, {"late", "fresh", "havant"}, id="stage-received"),
        pytest.param({"stage": "formal"}, {"responded"}, id="stage-formal"),
        pytest.param({"stage": "closed"}, {"closed"}, id="stage-closed"),
        pytest.param({"state": "open"}, {"late", "fresh", "havant", "responded"}, id="open"),
        pytest.param({"state": "finished"}, {"closed", "withdrawn"}, id="finished"),
        pytest.param({"overdue": "on"}, {"late"}, id="overdue"),
        pytest.param({"overdue": "on", "stage": "formal"}, set(), id="overdue-and-formal"),
        pytest.param({"compact": "havant-compact"}, {"havant"}, id="compact"),
        pytest.param({"compact": "portsmouth-compact", "state": "open"}, {"late", "fresh", "responded"}, id="both"),
    ],
)
def test_the_case_list_filters(params, shown, listed, signed_in, vcs_member):
    response = signed_in(vcs_member).get(_url("case_list"), params)

    assert response.status_code == 200
    assert set(_references_in_order(response)) == {listed[name].reference for name in shown}
    if not shown:
        assert "No concerns match. Try fewer filters." in _page(response)


@shares("listed")
@pytest.mark.parametrize(
    "typed", [str.upper, str.lower, lambda reference: reference[-4:]], ids=["upper", "lower", "number"]
)
def test_the_case_list_finds_a_reference(typed, listed, signed_in, vcs_member):
    reference = listed["responded"].reference

    response = signed_in(vcs_member).get(_url("case_list"), {"q": f" {typed(reference)} "})

    assert _references_in_order(response) == [reference]


@shares("listed")
def test_the_overdue_case_is_marked_in_the_list(listed, signed_in, vcs_member):
    page = _page(signed_in(vcs_member).get(_url("case_list")))

    rows = {REFERENCE.search(row).group(): row for row in page.split("<tr>") if REFERENCE.search(row)}
    assert "Overdue" in rows[listed["late"].reference]
    assert "Overdue" not in rows[listed["fresh"].reference]


@shares("listed")
@pytest.mark.parametrize(
    ("sort", "key", "newest_first"),
    [
        pytest.param(None, lambda case: (case.received_on, case.reference), True, id="newest-first"),
        pytest.param("received", lambda case: (case.received_on, case.reference), False, id="oldest-first"),
        pytest.param("-received", lambda case: (case.received_on, case.reference), True, id="newest-first-chosen"),
        pytest.param("reference", lambda case: case.reference, False, id="reference"),
        pytest.param("-reference", lambda case: case.reference, True, id="reference-descending"),
    ],
)
def test_the_case_list_sorts(sort, key, newest_first, listed, signed_in, vcs_member):
    response = signed_in(vcs_member).get(_url("case_list"), {"sort": sort} if sort else {})

    expected = [case.reference for case in sorted(listed.values(), key=key, reverse=newest_first)]
    assert _references_in_order(response) == expected


@shares("listed")
def test_the_case_list_sorts_by_next_deadline_with_the_cases_owing_nothing_last(listed, signed_in, vcs_member):
    response = signed_in(vcs_member).get(_url("case_list"), {"sort": "due", "state": "open"})

    # late: 9 November 2026; fresh and havant: 5 working days from today (ties by reference); responded: nothing owed
    expected = [listed[name].reference for name in ("late", "fresh", "havant", "responded")]
    assert _references_in_order(response) == expected


def test_pages_of_a_list_sorted_by_a_tied_field_neither_repeat_nor_skip_a_case(many_cases, signed_in, champion):
    cases = many_cases(LIST_PAGE_SIZE + 5)  # all received on the same day, all due on the same day
    client = signed_in(champion)

    for sort in ("received", "-received", "due", "-due"):
        first = _references_in_order(client.get(_url("case_list"), {"sort": sort}))
        second = _references_in_order(client.get(_url("case_list"), {"sort": sort, "page": 2}))

        assert sorted(first + second) == sorted(case.reference for case in cases), sort


@pytest.fixture
def many_cases(raise_concern):
    """Make ``n`` concerns, each with a few events and a document."""

    def make(n: int) -> list:
        return [raise_concern(files=uploads(f"evidence-{i}.pdf")) for i in range(n)]

    return make


def test_the_case_list_is_in_pages_of_25_keeping_the_filters(many_cases, signed_in, champion):
    cases = many_cases(LIST_PAGE_SIZE + 1)
    client = signed_in(champion)

    first = client.get(_url("case_list"), {"stage": "received"})
    second = client.get(_url("case_list"), {"stage": "received", "page": 2})

    assert len(_references_in_order(first)) == LIST_PAGE_SIZE
    assert len(_references_in_order(second)) == 1
    assert set(_references_in_order(first)) | set(_references_in_order(second)) == {c.reference for c in cases}
    assert "Page 1 of 2" in _page(first)
    assert "26 concerns" in _page(first)
    assert "?stage=received&amp;page=2" in _page(first)
    assert "?stage=received&amp;page=1" in _page(second)
    assert len(_references_in_order(client.get(_url("case_list"), {"page": "999"}))) == 1  # the last page


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("who", ["champion", "respondent_officer"])
def test_the_case_list_query_count_does_not_grow_with_the_cases(
    request, who, many_cases, signed_in, django_assert_max_num_queries
):
    client = signed_in(request.getfixturevalue(who))
    many_cases(1)
    one = _queries(client, _url("case_list"))

    many_cases(LIST_PAGE_SIZE + 5)

    with django_assert_max_num_queries(one):
        response = client.get(_url("case_list"))
    assert len(_references_in_order(response)) == LIST_PAGE_SIZE
    assert one <= 8


@pytest.mark.parametrize("who", ["champion", "respondent_officer", "vcs_member", "panel_member"])
def test_the_case_page_query_count_does_not_grow_with_the_timeline(
    request, who, case_in, cast, signed_in, django_assert_max_num_queries
):
    concern = case_in("appeal", withhold_identity=True)
    client = signed_in(request.getfixturevalue(who))
    few = _queries(client, concern.get_absolute_url())

    for n in range(15):
        actor = (cast.raiser, cast.respondent, cast.champion, cast.panel)[n % 4]
        services.note_add(concern=concern, actor=actor, text=f"Note {n}.")
    services.document_add(concern=concern, actor=cast.raiser, files=uploads("a.pdf", "b.pdf"))
    services.document_add(concern=concern, actor=cast.respondent, files=uploads("c.pdf", "d.pdf"))
    services.meeting_record(
        concern=concern,
        actor=cast.champion,
        kind="conciliation",
        held_on=datetime.date(2027, 1, 20),
        attendees="Both sides.",
        notes="",
        today=datetime.date(2027, 1, 20),
    )

    with django_assert_max_num_queries(few):
        response = client.get(concern.get_absolute_url())
    assert "Note 14." in _page(response)
    assert few <= 16


# --- The casework record -----------------------------------------------------------------------------------------


@pytest.fixture
def casework(world):
    """Under the Portsmouth Compact: a closed and a withdrawn case and one at the formal stage about the trust,
    and one received about the council citing both commitments; and a case under the Havant Compact
    (build_casework)."""
    assert world, "casework is in the shared world"
    return world.case("casework")


def _tally(page: str, label: str) -> int:
    match = re.search(rf"<tr><td>{re.escape(label)}</td><td class=\"text-end\">(\d+)</td></tr>", page)
    assert match, label
    return int(match.group(1))


@shares("casework")
def test_the_casework_record_counts_by_stage_commitment_kind_of_body_and_outcome(client, casework):
    response = client.get(_url("casework_record", "portsmouth-compact"))

    page = _page(response)
    assert "4 concerns so far." in page
    assert {stage: _tally(page, stage) for stage in ("Received", "Formal stage", "Closed", "Withdrawn")} == {
        "Received": 1,
        "Formal stage": 1,
        "Closed": 1,
        "Withdrawn": 1,
    }
    assert _tally(page, "Appeal") == 0
    assert _tally(page, "Partly upheld") == 1
    assert _tally(page, "Upheld") == 0
    assert _tally(page, "NHS body") == 3
    assert _tally(page, "Other public body") == 1
    row = re.search(r"<tr><td>13\.3</td><td>Three months&#x27; notice\.</td>(.*?)</tr>", page).group(1)
    assert re.findall(r">(\d+)<", row) == ["4", "1"]  # cited by four, found broken in the closed one
    row = re.search(r"<tr><td>2\.1</td><td>Respect independence\.</td>(.*?)</tr>", page).group(1)
    assert re.findall(r">(\d+)<", row) == ["1", "0"]
    assert "7.2" not in page  # never cited
    assert "9.9" not in page
    assert "Local authority" not in page


@shares("casework")
def test_the_casework_record_names_no_one_and_quotes_nothing(client, casework, everyone):
    page = _page(client.get(_url("casework_record", "portsmouth-compact")))

    assert not REFERENCE.search(page)
    organisations = {name for case in casework for name in (case.raiser.name, case.respondent.name)}
    people = {person.full_name for person in everyone.values()} | {person.email for person in everyone.values()}
    free_text = set()
    for case in Concern.objects.filter(pk__in=[case.pk for case in casework]):
        free_text |= {case.what_happened, case.outcome_sought, case.outcome_reasons, case.lessons_learned}
        free_text |= {case.formal_response, case.formal_outcome_reasons, case.appeal_grounds}
        free_text |= set(case.events.values_list("text", flat=True))
    free_text.discard("")
    for text in organisations | people | free_text:
        assert text not in page, text
        assert text.replace("'", "&#x27;") not in page, text


def test_raising_under_another_compact_leaves_the_draft_alone(
    signed_in, vcs_member, raise_url, concern_form, havant, today
):
    elsewhere, body, promise = havant
    client = signed_in(vcs_member)
    client.post(raise_url, concern_form(what_happened=None, documents=[_pdf("notice-letter.pdf")]))
    havant_url = _url("raise_concern", elsewhere.slug)
    assert "notice-letter.pdf" not in _page(client.get(havant_url))  # not this compact's draft

    response = client.post(havant_url, concern_form(respondent=body.pk, commitments=[promise.pk]))

    concern = Concern.objects.get()
    assert response.status_code == 302
    assert concern.compact == elsewhere
    assert not concern.documents.exists()  # nothing was attached to it
    draft = ConcernDraft.objects.get(user=vcs_member)  # the Portsmouth draft is still there
    assert draft.compact.slug == "portsmouth-compact"
    assert [document.original_name for document in draft.documents.all()] == ["notice-letter.pdf"]


def test_too_many_concern_posts_in_an_hour_are_refused_and_what_was_typed_is_kept(
    signed_in, vcs_member, raise_url, concern_form, settings
):
    settings.RATE_LIMIT_CONCERNS = "2/h"
    client = signed_in(vcs_member)
    client.post(raise_url, concern_form())
    client.post(raise_url, concern_form())

    refused = client.post(raise_url, concern_form(outcome_sought="A third, typed with care."))

    assert refused.status_code == 429
    assert "too many times in the last hour" in _page(refused)
    assert "A third, typed with care." in _page(refused)
    assert Concern.objects.count() == 2
    assert ConcernDraft.objects.get(user=vcs_member).data["outcome_sought"] == ["A third, typed with care."]


def test_the_concern_limit_counts_each_person_separately(
    signed_in, vcs_member, charity, raise_url, concern_form, settings
):
    settings.RATE_LIMIT_CONCERNS = "1/h"
    colleague = MembershipFactory(organisation=charity, role=Role.VCS_MEMBER).user
    signed_in(vcs_member).post(raise_url, concern_form())

    response = signed_in(colleague).post(raise_url, concern_form())

    assert response.status_code == 302


def test_the_form_carries_a_new_one_time_key_and_sending_it_twice_raises_one_concern(
    signed_in, vcs_member, raise_url, concern_form
):
    client = signed_in(vcs_member)
    first_form = client.get(raise_url)
    key = first_form.context["form"]["submission_key"].value()
    assert key != client.get(raise_url).context["form"]["submission_key"].value()  # a new key each time
    assert f'name="submission_key" value="{key}"' in _page(first_form)

    first = client.post(raise_url, concern_form(submission_key=key))
    again = client.post(raise_url, concern_form(submission_key=key))

    assert Concern.objects.count() == 1
    assert first.status_code == again.status_code == 302
    assert again.url == first.url == Concern.objects.get().get_absolute_url()


def test_a_form_sent_back_with_mistakes_keeps_its_key_so_the_corrected_one_raises_once(
    signed_in, vcs_member, raise_url, concern_form
):
    client = signed_in(vcs_member)
    key = str(client.get(raise_url).context["form"]["submission_key"].value())
    client.post(raise_url, concern_form(submission_key=key, what_happened=None))

    back = client.get(raise_url)  # the draft, as the person comes back to it
    assert str(back.context["form"]["submission_key"].value()) == key
    client.post(raise_url, concern_form(submission_key=key))
    client.post(raise_url, concern_form(submission_key=key))

    assert Concern.objects.count() == 1
