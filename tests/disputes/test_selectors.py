"""Who sees which case and in what part, the raiser's anonymity, the panel, and the anonymised casework record.

The module shares one world (tests/worlds.py): the organisations, the compact and the people that tests/conftest.py's
and tests/disputes/conftest.py's fixtures make, built once; the fixtures of those names below hand each test fresh
copies of them. The cases a test reads and does not build for itself stand in a scene on top of the world
(``scene_of``): built when a test first asks for them, kept while the next tests ask for the same, and rolled back
before a test that asks for other cases or none, as most selectors here answer across every case there is. A test
gets the scene's case from ``raise_concern`` or ``case_at`` when it asks for one made just like it, and otherwise a
case of its own; its own changes are in its own transaction (``db``), rolled back after it.
"""

import datetime
import sys
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction
from django.db.models import Model

from commitments.models import Champion, Organisation, OrganisationType, SignatureStatus
from commitments.services.live import _Batch
from compact_portal.accounts.roles import Role
from compact_portal.periods import Period
from disputes import selectors, services
from disputes.models import Concern, Outcome
from disputes.selectors import Tally
from tests.accounts.factories import MembershipFactory, UserFactory
from tests.commitments.factories import CompactFactory, OrganisationFactory, PublicBodyFactory, SignatureFactory
from tests.disputes.conftest import ADOPTED, PEOPLE, catalogue
from tests.disputes.factories import (
    ACKNOWLEDGE_BY,
    LODGE_BY,
    RAISED_ON,
    Cast,
    ConcernFactory,
    pdfs,
    take_to,
    uploads,
)
from tests.worlds import shared_world

ONE_DAY = datetime.timedelta(days=1)

# Everyone the visibility rules are checked for: the parts in a case about the trust, and people with none.
VIEWERS = PEOPLE | {
    "bystander_officer": "officer",
    "administrator": "administrator",
    "no_roles": "person_without_roles",
}
SEES_CASE = {"raiser", "respondent", "champion", "conflicted_champion", "panel", "unassigned_panel"}


# --- The world ------------------------------------------------------------------------------------------------------

# The people of tests/conftest.py's and tests/disputes/conftest.py's fixtures, made as those make them: fixture name ->
# organisation, role, full name. The champions are also appointed the compact's champions at their organisations.
PEOPLE_MADE = {
    "officer": ("council", Role.OFFICER, "Olivia Officer"),
    "vcs_member": ("charity", Role.VCS_MEMBER, "Val Member"),
    "champion": ("council", Role.CHAMPION, "Cara Champion"),
    "panel_member": ("other_charity", Role.PANEL_MEMBER, "Pat Panel"),
    "administrator": ("council", Role.ADMINISTRATOR, "Ada Admin"),
    "outsider": ("other_charity", Role.VCS_MEMBER, "Oscar Outsider"),
    "respondent_officer": ("trust", Role.OFFICER, "Rhys Respondent"),
    "respondent_champion": ("trust", Role.CHAMPION, "Tara Trustchampion"),
    "second_panel_member": ("other_charity", Role.PANEL_MEMBER, "Quinn Panel"),
}


def build_world(people_made: dict = PEOPLE_MADE, *, without_roles: bool = True) -> dict[str, Model]:
    """The records of the conftests' fixtures, by fixture name: the four organisations, the adopted compact they all
    signed, with its catalogue, and the people; and tests/conftest.py's ``person_without_roles`` unless not
    ``without_roles``."""
    records = {
        "council": PublicBodyFactory(name="Portsmouth City Council"),
        "trust": PublicBodyFactory(name="Portsmouth Hospitals NHS Trust", organisation_type=OrganisationType.NHS_BODY),
        "charity": OrganisationFactory(name="Southsea Community Food Bank"),
        "other_charity": OrganisationFactory(name="Fratton Youth Network"),
    }
    compact = records["compact"] = CompactFactory(name="Portsmouth Compact", status="adopted", adopted_date=ADOPTED)
    for organisation in ("council", "trust", "charity", "other_charity"):
        SignatureFactory(compact=compact, organisation=records[organisation])
    catalogue(compact)
    for name, (organisation, role, full_name) in people_made.items():
        user = MembershipFactory(organisation=records[organisation], role=role, user__full_name=full_name).user
        if role == Role.CHAMPION:
            Champion.objects.create(compact=compact, organisation=records[organisation], user=user)
        records[name] = user
    if without_roles:
        records["person_without_roles"] = UserFactory(full_name="Nadia Noroles")
    return records


def seal_on_commit_batches() -> None:
    """What was built never commits, so its re-checks never run: a test's own writes ask for re-checks of their
    own rather than joining these (tests/conftest.py's ``django_capture_on_commit_callbacks``)."""
    for _savepoints, callback, *_rest in connection.run_on_commit:
        if isinstance(callback, _Batch):
            callback.sealed = True


class Scenes:
    """Layers of records on top of a world, each built by ``build`` (from its key) in a savepoint of its own.
    ``enter`` keeps the layers asked for that already stand, in the order asked, rolls back the others and builds
    the rest; what each layer's ``build`` returned is kept with it."""

    def __init__(self, build: Callable[[Hashable], object]) -> None:
        self.build = build
        self.layers: list[tuple[Hashable, object, transaction.Atomic]] = []

    def enter(self, wanted: tuple) -> dict:
        kept = 0
        while kept < min(len(wanted), len(self.layers)) and self.layers[kept][0] == wanted[kept]:
            kept += 1
        while len(self.layers) > kept:
            self._roll_back_top()
        for key in wanted[kept:]:
            atomic = transaction.atomic()
            atomic.__enter__()
            try:
                built = self.build(key)
            except BaseException:
                atomic.__exit__(*sys.exc_info())
                raise
            seal_on_commit_batches()
            self.layers.append((key, built, atomic))
        return {key: built for key, built, _atomic in self.layers}

    def leave(self) -> None:
        while self.layers:
            self._roll_back_top()

    def _roll_back_top(self) -> None:
        _key, _built, atomic = self.layers.pop()
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)


@dataclass
class World:
    records: dict[str, Model]
    scenes: Scenes | None = None
    cases: dict = field(default_factory=dict)  # the current test's scene: layer key -> the pk of its concern
    claimed: set = field(default_factory=set)  # the layers whose concern the current test has been handed

    def fresh(self, name: str) -> Model:
        """A copy of the world's record of fixture ``name``, the test's to change."""
        record = self.records[name]
        return type(record).objects.get(pk=record.pk)

    def cast(self) -> Cast:
        return Cast(
            raiser=self.fresh("vcs_member"),
            respondent=self.fresh("respondent_officer"),
            champion=self.fresh("champion"),
            panel=self.fresh("panel_member"),
        )

    def raise_concern(self, **overrides) -> Concern:
        """Raise a concern as tests/disputes/conftest.py's ``raise_concern`` does."""
        return ConcernFactory(
            **{
                "actor": self.fresh("vcs_member"),
                "raiser": self.fresh("charity"),
                "compact": self.fresh("compact"),
                "respondent": self.fresh("trust"),
            }
            | overrides
        )

    def case_at(self, state: str, **overrides) -> Concern:
        """Raise a concern and take it to ``state``, as tests/disputes/conftest.py's ``case_at`` does."""
        return take_to(self.raise_concern(**overrides), state, cast=self.cast())

    def claim(self, key) -> Concern | None:
        """The scene's concern of layer ``key``, the first time the test asks for it."""
        if key not in self.cases or key in self.claimed:
            return None
        self.claimed.add(key)
        return Concern.objects.get(pk=self.cases[key])


def case_key(state: str, overrides: dict) -> tuple | None:
    """The scene layer of a concern raised with ``overrides`` and taken to ``state``; None if the scenes make no
    case like it. The layer of a concern raised with files is known by their names (``pdfs`` makes them all alike)."""
    if not set(overrides) <= {"withhold_identity", "files"}:
        return None
    files = tuple(upload.name for upload in overrides.get("files", ()))
    return (state, overrides.get("withhold_identity", False), files)


CASES_IN_Q4 = "cases in Q4 2026"  # the scene layer of ``raise_cases_in_q4``


def build_layer(world: World, key) -> int | None:
    """Build scene layer ``key``: the cases of ``raise_cases_in_q4``, or the one concern ``case_key`` names (its
    pk)."""
    if key == CASES_IN_Q4:
        raise_cases_in_q4(world.raise_concern, world.case_at)
        return None
    state, withhold, files = key
    concern = world.raise_concern(withhold_identity=withhold, **({"files": uploads(*files)} if files else {}))
    return (concern if state == "received" else take_to(concern, state, cast=world.cast())).pk


def appealed(params: dict) -> tuple:
    return (("appeal", params.get("withhold", False), ()),)


def raised(params: dict) -> tuple:
    return (("received", params.get("withhold", False), ()),)


EVIDENCE = ("ours-1.pdf",)  # what test_the_raisers_documents_are_withheld_from_the_body_when_the_raiser_asks raises

# The cases each test reads, by the test's name, from its parameters. A test that takes ``concern`` reads the
# just-raised one, one that takes ``cases_in_q4`` those; any other test, cases of its own.
# Tests parametrized on ``withhold`` at module scope are so only to run those reading one scene one after another.
SCENES: dict[str, Callable[[dict], tuple]] = {
    "test_who_sees_a_case": appealed,
    "test_each_persons_part_in_a_case": appealed,
    "test_an_assigned_panel_member_who_is_conflicted_may_not_decide": appealed,
    "test_the_case_list_marks_a_withheld_raiser_for_the_body_side_only": raised,
    # Each reads only its own concern's documents, so the two stand together.
    "test_the_raisers_documents_are_withheld_from_the_body_when_the_raiser_asks": lambda params: (
        ("received", False, EVIDENCE),
        ("received", True, EVIDENCE),
    ),
    "test_a_case_waiting_for_a_step_is_overdue_once_its_day_has_passed": lambda params: ((params["state"], False, ()),),
}


def scene_of(request) -> tuple:
    callspec = getattr(request.node, "callspec", None)
    params = callspec.params if callspec else {}
    if request.node.originalname in SCENES:
        return SCENES[request.node.originalname](params)
    if "cases_in_q4" in request.fixturenames:
        return (CASES_IN_Q4,)
    return raised(params) if "concern" in request.fixturenames else ()


@pytest.fixture(scope="module")
def module_media_root(tmp_path_factory):
    return tmp_path_factory.mktemp("test-selectors-media")


@pytest.fixture
def media_root(settings, module_media_root):
    """tests/disputes/conftest.py's autouse fixture of this name, with one folder for the module, since a scene's
    uploads outlive the test they were built for (each upload's stored name is its own)."""
    settings.MEDIA_ROOT = module_media_root
    return module_media_root


@pytest.fixture(scope="module")
def shared(django_db_setup, django_db_blocker, tmp_path_factory):
    """One world for the module (tests/worlds.py): built once, rolled back after the module's last test."""
    with shared_world(django_db_blocker, tmp_path_factory):
        built = World(records=build_world())
        built.scenes = Scenes(lambda key: build_layer(built, key))
        seal_on_commit_batches()
        yield built
        built.scenes.leave()


@pytest.fixture
def scene(shared, request) -> World:
    """The module's world with the scene the test reads in place."""
    shared.cases = shared.scenes.enter(scene_of(request))
    shared.claimed = set()
    return shared


@pytest.fixture(autouse=True)
def world(scene, db) -> World:
    """The module's world and scene, and then the test's own transaction (``db``), nested in theirs. Every test here
    gets ``db`` from this fixture rather than from a ``django_db`` mark, which would open the test's transaction
    before the scene is set; ``scene`` is set first, as it comes first here."""
    return scene


def world_record(name: str):
    """The fixture ``name`` of tests/conftest.py or tests/disputes/conftest.py, handing out the world's record."""

    def fresh(world):
        return world.fresh(name)

    return pytest.fixture(fresh, name=name)


council, trust, charity, other_charity, compact = map(
    world_record, ("council", "trust", "charity", "other_charity", "compact")
)
officer, vcs_member, champion, panel_member, administrator, outsider, person_without_roles = map(
    world_record,
    ("officer", "vcs_member", "champion", "panel_member", "administrator", "outsider", "person_without_roles"),
)
respondent_officer, respondent_champion, second_panel_member = map(
    world_record, ("respondent_officer", "respondent_champion", "second_panel_member")
)


@pytest.fixture
def new_concern(compact, charity, trust, vcs_member):
    """Raise a concern by the food bank about the trust, as tests/disputes/conftest.py's ``raise_concern`` does."""

    def make(**overrides):
        return ConcernFactory(
            **({"actor": vcs_member, "raiser": charity, "compact": compact, "respondent": trust} | overrides)
        )

    return make


@pytest.fixture
def raise_concern(world, new_concern):
    """tests/disputes/conftest.py's, handing out the scene's concern when asked for one raised just like it."""

    def make(**overrides):
        claimed = world.claim(case_key("received", overrides))
        return claimed if claimed is not None else new_concern(**overrides)

    return make


@pytest.fixture
def case_at(world, new_concern, cast):
    """tests/disputes/conftest.py's, handing out the scene's case when asked for one made just like it."""

    def make(state: str, **overrides):
        claimed = world.claim(case_key(state, overrides))
        return claimed if claimed is not None else take_to(new_concern(**overrides), state, cast=cast)

    return make


# --- visibility ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("withhold", [False, True], ids=["named", "withheld"], scope="module")
@pytest.mark.parametrize("who", list(VIEWERS))
def test_who_sees_a_case(case_at, request, who, withhold):
    concern = case_at("appeal", withhold_identity=withhold)
    viewer = request.getfixturevalue(VIEWERS[who])

    visible = list(selectors.concerns_visible_to(user=viewer))

    assert visible == ([concern] if who in SEES_CASE else [])
    if who not in SEES_CASE:
        with pytest.raises(Concern.DoesNotExist):
            selectors.case_detail(user=viewer, reference=concern.reference)


def test_a_visitor_sees_no_case(concern):
    assert not selectors.concerns_visible_to(user=AnonymousUser()).exists()
    assert not selectors.concern_list(user=AnonymousUser(), today=RAISED_ON).exists()


def test_a_superuser_is_told_no_case_exists(concern):
    superuser = UserFactory(full_name="Sue Super", is_superuser=True)

    assert superuser.is_administrator
    assert not selectors.concerns_visible_to(user=superuser).exists()


def test_every_member_of_either_organisation_sees_the_case(concern, charity, trust):
    colleagues = [
        MembershipFactory(organisation=charity, role=Role.VCS_MEMBER).user,
        MembershipFactory(organisation=trust, role=Role.OFFICER).user,
    ]

    assert all(list(selectors.concerns_visible_to(user=person)) == [concern] for person in colleagues)


def test_champions_and_panel_members_see_only_their_compacts_cases(concern, trust, other_charity):
    elsewhere = CompactFactory(name="Havant Compact", status="adopted", adopted_date=datetime.date(2026, 1, 1))
    SignatureFactory(compact=elsewhere, organisation=trust)
    champion_elsewhere = UserFactory()
    Champion.objects.create(compact=elsewhere, organisation=trust, user=champion_elsewhere)
    stranger_body = PublicBodyFactory(name="Hampshire Constabulary")
    SignatureFactory(compact=elsewhere, organisation=stranger_body)
    panel_elsewhere = MembershipFactory(organisation=stranger_body, role=Role.PANEL_MEMBER).user

    assert not selectors.concerns_visible_to(user=champion_elsewhere).exists()
    assert not selectors.concerns_visible_to(user=panel_elsewhere).exists()


def test_a_panel_member_whose_organisations_signature_is_withdrawn_no_longer_sees_the_cases(
    concern, compact, other_charity, panel_member
):
    compact.signatures.filter(organisation=other_charity).update(status=SignatureStatus.WITHDRAWN)

    assert not selectors.concerns_visible_to(user=panel_member).exists()


def test_the_person_who_raised_it_still_sees_it_after_leaving_the_organisation(concern, vcs_member):
    vcs_member.memberships.all().delete()

    assert list(selectors.concerns_visible_to(user=vcs_member)) == [concern]


# --- each person's part in a case -----------------------------------------------------------------------------------

# parties, raiser_side, respondent_side, may_steer_as_champion, panel_member, assigned_to_panel
PARTS = {
    "raiser": ({"raiser"}, True, False, False, False, False),
    "respondent": ({"respondent"}, False, True, False, False, False),
    "champion": ({"champion"}, False, False, True, False, False),
    "conflicted_champion": (set(), False, True, False, False, False),
    "panel": ({"panel"}, False, False, False, True, True),
    "unassigned_panel": (set(), False, False, False, True, False),
    "outsider": (set(), False, False, False, False, False),
}
BODY_SIDE = {"respondent", "conflicted_champion"}


@pytest.mark.parametrize("withhold", [False, True], ids=["named", "withheld"], scope="module")
@pytest.mark.parametrize("who", list(PARTS))
def test_each_persons_part_in_a_case(case_at, request, who, withhold):
    concern = case_at("appeal", withhold_identity=withhold)
    viewer = request.getfixturevalue(PEOPLE[who])

    access = selectors.case_access(user=viewer, concern=concern)

    parties, raiser_side, respondent_side, steers, on_panel, assigned = PARTS[who]
    assert access.parties == parties
    assert (access.raiser_side, access.respondent_side) == (raiser_side, respondent_side)
    assert access.is_party == (raiser_side or respondent_side)
    assert (access.may_steer_as_champion, access.panel_member, access.assigned_to_panel) == (steers, on_panel, assigned)
    assert access.sees_raiser == (not (withhold and who in BODY_SIDE))


@pytest.mark.parametrize(
    ("conflict", "role"),
    [
        pytest.param("charity", Role.VCS_MEMBER, id="member-of-the-raiser"),
        pytest.param("trust", Role.PANEL_MEMBER, id="panel-seat-through-the-body"),
    ],
)
def test_an_assigned_panel_member_who_is_conflicted_may_not_decide(case_at, panel_member, request, conflict, role):
    concern = case_at("appeal")
    MembershipFactory(user=panel_member, organisation=request.getfixturevalue(conflict), role=role)

    access = selectors.case_access(user=panel_member, concern=concern)

    assert access.panel_member
    assert not access.assigned_to_panel
    assert "panel" not in access.parties


def test_an_officer_who_is_also_a_neutral_champion_steers_and_does_not_act_for_the_council(
    concern, compact, council, officer
):
    Champion.objects.create(compact=compact, organisation=council, user=officer)

    access = selectors.case_access(user=officer, concern=concern)

    assert access.parties == {"champion"}


def test_a_visitor_has_no_part_even_when_the_raisers_account_is_gone(concern, vcs_member):
    vcs_member.delete()
    concern.refresh_from_db()
    assert concern.raised_by is None

    access = selectors.case_access(user=AnonymousUser(), concern=concern)

    assert access.parties == frozenset()
    assert not access.raiser_side
    assert not access.is_party


# --- documents and the raiser's anonymity ---------------------------------------------------------------------------


@pytest.mark.parametrize("withhold", [False, True], ids=["named", "withheld"])
@pytest.mark.parametrize("who", list(PARTS))
def test_the_raisers_documents_are_withheld_from_the_body_when_the_raiser_asks(
    raise_concern, cast, request, who, withhold
):
    concern = raise_concern(withhold_identity=withhold, files=pdfs(1, prefix="ours"))
    services.concern_acknowledge(concern=concern, actor=cast.champion, today=RAISED_ON)
    services.document_add(concern=concern, actor=cast.respondent, files=pdfs(1, prefix="theirs"))
    viewer = request.getfixturevalue(PEOPLE[who])

    documents = selectors.documents_visible(concern=concern, access=selectors.case_access(user=viewer, concern=concern))

    names = [document.original_name for document in documents]
    assert names == (["theirs-1.pdf"] if withhold and who in BODY_SIDE else ["ours-1.pdf", "theirs-1.pdf"])


# --- the panel -----------------------------------------------------------------------------------------------------


def test_panel_candidates_are_the_compacts_active_panel_members_marked_when_conflicted(
    case_at, panel_member, second_panel_member, trust, charity, council
):
    conflicted = MembershipFactory(organisation=trust, role=Role.PANEL_MEMBER, user__full_name="Tim Trust").user
    MembershipFactory(user=second_panel_member, organisation=council, role=Role.PANEL_MEMBER)  # two seats, one person
    gone = MembershipFactory(organisation=council, role=Role.PANEL_MEMBER, user__full_name="Gil Gone").user
    gone.is_active = False
    gone.save()
    MembershipFactory(organisation=charity, role=Role.VCS_MEMBER, user=UserFactory(full_name="Not Panel"))
    concern = case_at("formal")

    candidates = [(user.full_name, user.conflicted) for user in selectors.panel_candidates(concern=concern)]

    assert candidates == [("Pat Panel", False), ("Quinn Panel", False), ("Tim Trust", True)]
    assert conflicted.full_name == "Tim Trust"


def test_a_panel_member_appointed_champion_at_a_party_is_marked_conflicted(
    case_at, second_panel_member, compact, trust
):
    Champion.objects.create(compact=compact, organisation=trust, user=second_panel_member)
    concern = case_at("formal")

    candidates = {user.full_name: user.conflicted for user in selectors.panel_candidates(concern=concern)}

    assert candidates == {"Pat Panel": False, "Quinn Panel": True}


def test_a_champion_at_the_body_under_another_compact_is_not_its_side_in_the_list(concern, champion, trust, vcs_member):
    concern.withhold_identity = True
    concern.save()
    other = CompactFactory(name="Hampshire Compact")
    Champion.objects.create(compact=other, organisation=trust, user=champion)

    listed = selectors.concern_list(user=champion, today=RAISED_ON).get(pk=concern.pk)

    assert listed.raiser_hidden is False  # champion of this compact at the council: neutral here
    assert selectors.case_access(user=champion, concern=concern).sees_raiser


def test_panel_cases_are_those_assigned_and_appeals_awaiting_a_panel(
    raise_concern, case_at, cast, panel_member, second_panel_member
):
    assigned = case_at("appeal")  # panel_member assigned
    awaiting = take_to(raise_concern(), "decided", cast=cast)
    awaiting = services.appeal_lodge(concern=awaiting, actor=cast.raiser, today=LODGE_BY, grounds="G.")
    formal = case_at("formal")

    assert set(selectors.panel_cases(user=panel_member)) == {assigned, awaiting}
    assert set(selectors.panel_cases(user=second_panel_member)) == {awaiting}
    assert formal not in selectors.panel_cases(user=panel_member)
    assert not selectors.panel_cases(user=cast.champion).exists()  # a champion, not on the panel


# --- what can be raised, about whom, by whom ------------------------------------------------------------------------


def test_respondents_are_the_public_bodies_that_have_signed(compact, council, trust):
    PublicBodyFactory(name="Hampshire Constabulary")  # has not signed
    withdrawn = PublicBodyFactory(name="Solent NHS Trust")
    SignatureFactory(compact=compact, organisation=withdrawn, status=SignatureStatus.WITHDRAWN)

    assert list(selectors.respondents_for(compact=compact)) == [council, trust]


def test_a_concern_cites_commitments_of_public_bodies_or_both_sides(compact, public_commitment, shared_commitment):
    assert list(selectors.commitments_for_concern(compact=compact)) == [public_commitment, shared_commitment]


def test_people_raise_for_the_organisations_they_act_for(compact, vcs_member, officer, champion, panel_member, charity):
    MembershipFactory(user=vcs_member, organisation=OrganisationFactory(name="Another Group"), role=Role.VCS_MEMBER)

    assert [o.name for o in selectors.raising_organisations(user=vcs_member)] == ["Another Group", charity.name]
    assert [o.name for o in selectors.raising_organisations(user=officer)] == ["Portsmouth City Council"]
    assert not selectors.raising_organisations(user=champion).exists()
    assert not selectors.raising_organisations(user=panel_member).exists()
    assert not selectors.raising_organisations(user=AnonymousUser()).exists()


def test_concerns_are_raised_under_compacts_in_force_with_a_public_body_signatory(compact, vcs_member, charity):
    withdrawn = CompactFactory(name="Old Compact", status="withdrawn")
    SignatureFactory(compact=withdrawn, organisation=PublicBodyFactory(name="Gosport Borough Council"))
    no_bodies = CompactFactory(name="Charities Compact", status="adopted", adopted_date=datetime.date(2026, 1, 1))
    SignatureFactory(compact=no_bodies, organisation=charity)

    raisable = list(selectors.compacts_for_raising())

    assert compact in raisable
    assert withdrawn not in raisable
    assert no_bodies not in raisable


# --- the case list ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("withhold", [False, True], ids=["named", "withheld"], scope="module")
@pytest.mark.parametrize("who", list(PARTS))
def test_the_case_list_marks_a_withheld_raiser_for_the_body_side_only(raise_concern, request, who, withhold):
    raise_concern(withhold_identity=withhold)
    viewer = request.getfixturevalue(PEOPLE[who])

    listed = list(selectors.concern_list(user=viewer, today=RAISED_ON))

    if who in ("outsider",):
        assert listed == []
        return
    (concern,) = listed
    assert concern.raiser_hidden == (withhold and who in BODY_SIDE)


@pytest.mark.parametrize(
    ("today", "overdue"),
    [pytest.param(ACKNOWLEDGE_BY, False, id="the-last-day"), pytest.param(ACKNOWLEDGE_BY + ONE_DAY, True, id="after")],
)
def test_the_case_list_marks_an_overdue_step(concern, champion, today, overdue):
    (listed,) = selectors.concern_list(user=champion, today=today)

    assert listed.overdue is overdue


# --- overdue steps ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "overdue"),
    [
        pytest.param(ACKNOWLEDGE_BY, False, id="the-last-day"),
        pytest.param(ACKNOWLEDGE_BY + ONE_DAY, True, id="the-day-after"),
    ],
)
def test_an_unacknowledged_concern_is_overdue_the_day_after_its_deadline(concern, today, overdue):
    assert list(selectors.overdue_steps(today=today)) == ([concern] if overdue else [])


@pytest.mark.parametrize("state", ["responded", "decided", "closed", "withdrawn"])
def test_a_case_owing_nothing_is_never_overdue(case_at, state):
    case_at(state)

    assert not selectors.overdue_steps(today=datetime.date(2030, 1, 1)).exists()


@pytest.mark.parametrize("state", ["received", "acknowledged", "informal", "formal", "appeal"])
def test_a_case_waiting_for_a_step_is_overdue_once_its_day_has_passed(case_at, state):
    concern = case_at(state)

    assert list(selectors.overdue_steps(today=concern.step_due_by + ONE_DAY)) == [concern]
    assert not selectors.overdue_steps(today=concern.step_due_by).exists()


# --- the anonymised casework record ---------------------------------------------------------------------------------


def test_the_casework_record_counts_and_never_names(compact, case_at, raise_concern, officer, council, charity):
    closed = case_at("closed")  # partly upheld on appeal, 13.3 found broken
    case_at("withdrawn", what_happened="Secret detail about the ward manager.")
    case_at("informal")
    raise_concern(respondent=council, withhold_identity=True)  # council: no organisation type given
    other = CompactFactory(name="Havant Compact", status="adopted", adopted_date=datetime.date(2026, 1, 1))
    catalogue(other)
    SignatureFactory(compact=other, organisation=council)
    raise_concern(compact=other, respondent=council, commitments=list(other.commitments.filter(code="13.3")))

    record = selectors.casework_record(compact=compact)

    assert record["total"] == 4
    assert Tally("Received", 1) in record["by_stage"]
    assert Tally("Informal stage", 1) in record["by_stage"]
    assert Tally("Closed", 1) in record["by_stage"]
    assert Tally("Withdrawn", 1) in record["by_stage"]
    assert Tally("Appeal", 0) in record["by_stage"]
    assert sum(tally.count for tally in record["by_stage"]) == 4
    assert [t for t in record["by_outcome"] if t.count] == [Tally("Partly upheld", 1), Tally("Withdrawn", 1)]
    assert record["by_kind"] == [Tally("NHS body", 3), Tally("Other public body", 1)]
    (cited,) = record["by_commitment"]
    assert (cited.code, cited.cited, cited.found_broken) == ("13.3", 4, 1)
    text = repr(record)
    for secret in (
        closed.reference,
        "CC-2026",
        charity.name,
        "Portsmouth Hospitals",
        council.name,
        "ward manager",
        closed.outcome_reasons,
        closed.lessons_learned,
    ):
        assert secret not in text
    assert Organisation.objects.filter(name=charity.name).exists()  # the names exist; the record leaves them out


def test_the_casework_record_of_a_compact_without_cases(compact):
    record = selectors.casework_record(compact=compact)

    assert record["total"] == 0
    assert all(tally.count == 0 for tally in record["by_stage"] + record["by_outcome"])
    assert record["by_kind"] == record["by_commitment"] == []
    assert Outcome.WITHDRAWN.label in [tally.label for tally in record["by_outcome"]]


# --- Cases by stage, for the dashboards ------------------------------------------------------------


Q3_2026, Q4_2026 = Period.quarter(2026, 3), Period.quarter(2026, 4)
OCTOBER, NOVEMBER, DECEMBER = Q4_2026.months()


def raise_cases_in_q4(raise_concern, case_at) -> None:
    """Received in Q4 2026: on 5 October and on 2 November (still received), and on 2 November (acknowledged).
    One more on 30 September, in the quarter before."""
    raise_concern()
    raise_concern(today=datetime.date(2026, 10, 5), happened_on=datetime.date(2026, 10, 1))
    case_at("acknowledged")
    raise_concern(today=datetime.date(2026, 9, 30), happened_on=datetime.date(2026, 9, 1))  # the quarter before


@pytest.fixture
def cases_in_q4(world):
    """The cases of ``raise_cases_in_q4``, which stand in the scene of every test that takes this fixture."""
    assert CASES_IN_Q4 in world.cases


def test_cases_by_stage_count_a_periods_cases_and_how_long_the_oldest_has_run(compact, cases_in_q4, other_charity):
    stages, received = selectors.cases_by_stage(
        compact=compact, period=Q4_2026, windows=[Q3_2026, OCTOBER, NOVEMBER, DECEMBER], today=RAISED_ON
    )

    by_stage = {s.stage: s for s in stages}
    assert (by_stage["received"].count, by_stage["received"].oldest_days) == (2, 28)
    assert (by_stage["acknowledged"].count, by_stage["acknowledged"].oldest_days) == (1, 0)
    assert (by_stage["formal"].count, by_stage["formal"].oldest_days) == (0, None)
    assert [s.stage for s in stages][:2] == ["received", "acknowledged"]
    assert received == [1, 1, 2, 0]
    about_someone_else, received_about_them = selectors.cases_by_stage(
        compact=compact, period=Q4_2026, windows=[Q3_2026, Q4_2026], today=RAISED_ON, organisation=other_charity
    )
    assert sum(s.count for s in about_someone_else) == 0
    assert received_about_them == [0, 0]


def test_cases_by_stage_for_the_organisations_in_the_cases(compact, cases_in_q4, charity, trust):
    for organisation in (charity, trust):
        stages, received = selectors.cases_by_stage(
            compact=compact, period=Q4_2026, windows=[Q3_2026, Q4_2026], today=RAISED_ON, organisation=organisation
        )

        assert [(s.stage, s.count) for s in stages if s.count] == [("received", 2), ("acknowledged", 1)]
        assert received == [1, 3]
        assert selectors.cases_of(compact=compact, organisation=organisation).count() == 4


def test_finished_cases_count_without_an_age(compact, case_at):
    case_at("withdrawn")

    stages, received = selectors.cases_by_stage(
        compact=compact, period=Q4_2026, windows=[Q4_2026], today=datetime.date(2027, 1, 4)
    )

    withdrawn = next(s for s in stages if s.stage == "withdrawn")
    assert (withdrawn.count, withdrawn.oldest_days) == (1, None)
    assert received == [1]


def test_cases_by_stage_without_windows_count_the_period_only(compact, cases_in_q4):
    stages, received = selectors.cases_by_stage(compact=compact, period=Q4_2026, windows=[], today=RAISED_ON)

    assert sum(s.count for s in stages) == 3
    assert received == []


def test_cases_by_stage_take_one_query_however_many_cases(
    compact, cases_in_q4, raise_concern, django_assert_num_queries
):
    windows = Q3_2026.months() + Q4_2026.months()
    for more in (1, 3):
        with django_assert_num_queries(1):
            selectors.cases_by_stage(compact=compact, period=Q4_2026, windows=windows, today=RAISED_ON)
        for _ in range(more):
            raise_concern(today=datetime.date(2026, 12, 1))
    with django_assert_num_queries(1):
        stages, received = selectors.cases_by_stage(compact=compact, period=Q4_2026, windows=windows, today=RAISED_ON)

    assert received == [0, 0, 1, 1, 2, 4]
    assert sum(s.count for s in stages) == 7
