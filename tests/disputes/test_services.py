"""The disputes services on fixed dates: what each step stores (deadlines in working days), what is refused and how
(who may take which step in which state is tests/disputes/test_steps.py's), the timeline, documents and drafts, and
the e-mails written to the outbox."""

import datetime
import threading
import uuid
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import connection, transaction

from commitments.models import Champion, Compact, OrganisationType
from commitments.services.live import _Batch
from compact_portal.accounts.roles import Role
from compact_portal.celery import app as celery_app
from disputes import rules, services
from disputes.models import (
    CaseDocument,
    CaseEmail,
    Concern,
    ConcernDraft,
    ConcernSequence,
    EventKind,
    MeetingKind,
    Outcome,
    PanelAssignment,
    Step,
)
from tests.accounts.factories import MembershipFactory, UserFactory
from tests.commitments.factories import CompactFactory, OrganisationFactory, PublicBodyFactory, SignatureFactory
from tests.disputes.conftest import ADOPTED, PEOPLE, catalogue
from tests.disputes.factories import (
    ACKNOWLEDGE_BY,
    ACKNOWLEDGED_ON,
    APPEAL_DECIDED_ON,
    APPEAL_DECISION_DUE,
    APPEALED_ON,
    DECIDED_ON,
    ESCALATED_ON,
    FORMAL_RESPONSE_DUE,
    INFORMAL_DUE,
    INFORMAL_ON,
    LODGE_BY,
    PATH,
    RAISED_ON,
    RESPONDED_ON,
    STAGE_OF,
    Cast,
    ConcernFactory,
    pdfs,
    step_to,
    take_to,
)
from tests.worlds import shared_world

pytestmark = pytest.mark.django_db

ONE_DAY = datetime.timedelta(days=1)
OPEN_STATES = PATH[:-1]


def _people(request, *keys):
    return [request.getfixturevalue(PEOPLE[key]) for key in keys]


# --- The module's worlds -----------------------------------------------------------------------------------------
# Building the compact, its people and a case in each state for every test cost most of this module's time. They
# are built once (tests/worlds.py's pattern) and held in a transaction between the tests; each test's own writes
# are in its savepoint, rolled back after it. A test sees one of three databases, chosen by what it asks for before
# its savepoint opens (``_django_db_helper`` below):
#   - the compact and its people, and a case in each state of PATH and a withdrawn one (the default: ``case_at``
#     hands out those cases, re-fetched, where nothing they were built from has changed);
#   - the compact and its people only, for tests marked ``@alone`` (they count every concern, e-mail or reference);
#   - nothing shared, for transactional tests (``transaction=True`` commits and flushes): they build their own.
# The cases sit in a savepoint of their own, so an ``@alone`` test rolls them back and the next test that needs
# them builds them again.

CASE_STATES = (*PATH, "withdrawn")

alone = pytest.mark.usefixtures("no_prebuilt_cases")


@dataclass
class Base:
    """The records tests/conftest.py's and tests/disputes/conftest.py's fixtures make, by fixture name."""

    records: dict[str, object]
    compact_as_built: dict[str, object]


def _build_base() -> Base:
    """What those fixtures would make, made as they make it."""
    council = PublicBodyFactory(name="Portsmouth City Council")
    trust = PublicBodyFactory(name="Portsmouth Hospitals NHS Trust", organisation_type=OrganisationType.NHS_BODY)
    charity = OrganisationFactory(name="Southsea Community Food Bank")
    other_charity = OrganisationFactory(name="Fratton Youth Network")
    compact = CompactFactory(name="Portsmouth Compact", status="adopted", adopted_date=ADOPTED)
    for organisation in (council, trust, charity, other_charity):
        SignatureFactory(compact=compact, organisation=organisation)
    catalogue(compact)

    def member(organisation, role, name):
        return MembershipFactory(organisation=organisation, role=role, user__full_name=name).user

    champion = member(council, Role.CHAMPION, "Cara Champion")
    Champion.objects.create(compact=compact, organisation=council, user=champion)
    respondent_champion = member(trust, Role.CHAMPION, "Tara Trustchampion")
    Champion.objects.create(compact=compact, organisation=trust, user=respondent_champion)
    records = {
        "council": council,
        "trust": trust,
        "charity": charity,
        "other_charity": other_charity,
        "compact": compact,
        "officer": member(council, Role.OFFICER, "Olivia Officer"),
        "vcs_member": member(charity, Role.VCS_MEMBER, "Val Member"),
        "champion": champion,
        "panel_member": member(other_charity, Role.PANEL_MEMBER, "Pat Panel"),
        "administrator": member(council, Role.ADMINISTRATOR, "Ada Admin"),
        "outsider": member(other_charity, Role.VCS_MEMBER, "Oscar Outsider"),
        "person_without_roles": UserFactory(full_name="Nadia Noroles"),
        "respondent_officer": member(trust, Role.OFFICER, "Rhys Respondent"),
        "respondent_champion": respondent_champion,
        "second_panel_member": member(other_charity, Role.PANEL_MEMBER, "Quinn Panel"),
    }
    return Base(records=records, compact_as_built=_settings_of(compact))


def _settings_of(compact: Compact) -> dict[str, object]:
    return {field.attname: getattr(compact, field.attname) for field in Compact._meta.concrete_fields}


def _cast_of(records: dict[str, object]) -> Cast:
    return Cast(
        raiser=records["vcs_member"],
        respondent=records["respondent_officer"],
        champion=records["champion"],
        panel=records["panel_member"],
    )


def _seal_batches() -> None:
    """The world's compliance re-checks never run (its transaction never commits): a test's steps ask for their
    own (as tests/conftest.py's django_capture_on_commit_callbacks does for a test's set-up)."""
    for _savepoints, callback, *_rest in connection.run_on_commit:
        if isinstance(callback, _Batch):
            callback.sealed = True


class Worlds:
    """The module's shared records, opened, extended and rolled back between tests as each test needs."""

    def __init__(self, django_db_blocker, tmp_path_factory):
        self.django_db_blocker, self.tmp_path_factory = django_db_blocker, tmp_path_factory
        self.opened: ExitStack | None = None
        self.base: Base | None = None
        self.cases: dict[str, int] | None = None  # each state's case, by pk
        self.cases_savepoint = None

    def prepare(self, need: str) -> None:
        """``need``: "none", "base" or "cases"."""
        if need == "none":
            self.close()
            return
        if self.opened is None:
            self.opened = ExitStack()
            self.opened.enter_context(
                shared_world(
                    self.django_db_blocker, self.tmp_path_factory, MEDIA_ROOT=self.tmp_path_factory.mktemp("media")
                )
            )
            with self.tasks_in_process():
                self.base = _build_base()
            _seal_batches()
        if need == "cases" and self.cases is None:
            self.cases_savepoint = transaction.savepoint()
            cast = _cast_of(self.base.records)
            records = self.base.records
            with self.tasks_in_process():
                self.cases = {
                    state: take_to(
                        ConcernFactory(
                            actor=records["vcs_member"],
                            raiser=records["charity"],
                            compact=records["compact"],
                            respondent=records["trust"],
                        ),
                        state,
                        cast=cast,
                    ).pk
                    for state in CASE_STATES
                }
            _seal_batches()
        elif need == "base" and self.cases is not None:
            transaction.savepoint_rollback(self.cases_savepoint)
            self.cases = self.cases_savepoint = None

    @staticmethod
    @contextmanager
    def tasks_in_process():
        """As every test's set-up has it (tests/disputes/conftest.py's case_emails_sent_in_process)."""
        previous = celery_app.conf.task_always_eager
        celery_app.conf.task_always_eager = True
        try:
            yield
        finally:
            celery_app.conf.task_always_eager = previous

    def close(self) -> None:
        if self.opened is not None:
            self.opened.close()
        self.opened = self.base = self.cases = self.cases_savepoint = None


@pytest.fixture(scope="module")
def worlds(django_db_setup, django_db_blocker, tmp_path_factory):
    built = Worlds(django_db_blocker, tmp_path_factory)
    yield built
    built.close()


@pytest.fixture
def world_ready(request, worlds) -> Worlds:
    """The world this test needs, ready before the test's own transaction opens (see ``_django_db_helper``)."""
    marker = request.node.get_closest_marker("django_db")
    if (marker and marker.kwargs.get("transaction")) or "transactional_db" in request.fixturenames:
        worlds.prepare("none")
    elif "no_prebuilt_cases" in request.fixturenames:
        worlds.prepare("base")
    else:
        worlds.prepare("cases")
    return worlds


@pytest.fixture
def _django_db_helper(world_ready, _django_db_helper):
    """pytest-django's, which opens the test's own transaction (through the django_db mark or ``db``), once the
    world is ready: a fixture of the test's own would run only after that transaction had opened, too late to roll
    back or build the world's records, which it nests in."""
    return _django_db_helper


@pytest.fixture
def no_prebuilt_cases():
    """Asked for by ``@alone`` tests: see ``_django_db_helper``."""


@pytest.fixture
def base(world_ready, db) -> dict[str, object]:
    """The shared records; a transactional test builds its own, as the fixtures of these names elsewhere would."""
    return world_ready.base.records if world_ready.base else _build_base().records


def _record(name: str):
    """A fixture of the name that hands the test its own copy of the record (a test may change and save it)."""

    @pytest.fixture(name=name)
    def fixture(base):
        record = base[name]
        return type(record).objects.get(pk=record.pk)

    return fixture


council = _record("council")
trust = _record("trust")
charity = _record("charity")
other_charity = _record("other_charity")
compact = _record("compact")
officer = _record("officer")
vcs_member = _record("vcs_member")
champion = _record("champion")
panel_member = _record("panel_member")
administrator = _record("administrator")
outsider = _record("outsider")
person_without_roles = _record("person_without_roles")
respondent_officer = _record("respondent_officer")
respondent_champion = _record("respondent_champion")
second_panel_member = _record("second_panel_member")


@pytest.fixture
def case_at(world_ready, raise_concern, cast, compact):
    """tests/disputes/conftest.py's: a concern raised and taken to ``state``; the world's case in that state where
    the test asks for no changes to it and its compact is as the world's case was built under (a test may change
    the compact's deadlines first), else one built now."""
    worlds = world_ready

    def make(state: str, **overrides):
        if (
            overrides
            or worlds.cases is None
            or _settings_of(Compact.objects.get(pk=compact.pk)) != worlds.base.compact_as_built
        ):
            return take_to(raise_concern(**overrides), state, cast=cast)
        return Concern.objects.get(pk=worlds.cases[state])

    return make


# Which steps each person may take in each state, and what a refused step leaves, are tests/disputes/test_steps.py's.


def test_a_stale_copy_of_the_case_does_not_let_a_step_repeat(concern, champion):
    stale = Concern.objects.get(pk=concern.pk)
    services.concern_acknowledge(concern=concern, actor=champion, today=ACKNOWLEDGED_ON)

    with pytest.raises(ValidationError, match="acknowledged stage"):
        services.concern_acknowledge(concern=stale, actor=champion, today=ACKNOWLEDGED_ON)

    assert concern.events.filter(kind=EventKind.STAGE).count() == 1


def test_the_usual_path_is_recorded_step_by_step_on_the_timeline(case_at, cast):
    concern = case_at("closed")

    timeline = [(e.kind, e.actor, e.side, e.from_stage, e.to_stage) for e in concern.events.all()]

    assert timeline == [
        (EventKind.RAISED, cast.raiser, "raiser", "", "received"),
        (EventKind.STAGE, cast.champion, "champion", "received", "acknowledged"),
        (EventKind.STAGE, cast.champion, "champion", "acknowledged", "informal"),
        (EventKind.STAGE, cast.raiser, "raiser", "informal", "formal"),
        (EventKind.RESPONSE, cast.respondent, "respondent", "", ""),
        (EventKind.OUTCOME, cast.champion, "champion", "", ""),
        (EventKind.STAGE, cast.respondent, "respondent", "formal", "appeal"),
        (EventKind.PANEL, cast.champion, "champion", "", ""),
        (EventKind.STAGE, cast.panel, "panel", "appeal", "closed"),
    ]
    assert concern.events.get(kind=EventKind.PANEL).text == cast.panel.full_name
    assert concern.events.get(kind=EventKind.RESPONSE).text == "Notice was given in June."
    assert concern.events.get(kind=EventKind.OUTCOME).text == "Upheld. Two weeks is not three months."


def test_each_step_is_credited_to_its_actor_in_the_history(case_at, cast):
    concern = case_at("formal")

    users = [record.history_user for record in concern.history.order_by("history_date", "history_id")]

    assert users == [cast.raiser, cast.champion, cast.champion, cast.raiser]


# --- raising a concern -----------------------------------------------------------------------------------------------


@alone
def test_a_raised_concern_is_received_and_waits_for_acknowledgement(concern, vcs_member, charity, trust):
    concern.refresh_from_db()

    assert concern.reference == "CC-2026-0001"
    assert (concern.raiser, concern.raised_by, concern.respondent) == (charity, vcs_member, trust)
    assert concern.stage == "received"
    assert (concern.step, concern.step_due_by) == (Step.ACKNOWLEDGE, ACKNOWLEDGE_BY)
    assert concern.received_on == RAISED_ON
    assert [c.code for c in concern.commitments.all()] == ["13.3"]
    assert concern.outcome == ""
    event = concern.events.get()
    assert (event.kind, event.actor, event.side, event.to_stage) == (EventKind.RAISED, vcs_member, "raiser", "received")


@alone
def test_text_is_stored_trimmed(raise_concern):
    concern = raise_concern(what_happened="  Short notice.\n", outcome_sought="\tNotice. ")

    assert (concern.what_happened, concern.outcome_sought) == ("Short notice.", "Notice.")


@alone
def test_references_run_on_within_a_year_and_restart_each_year(raise_concern):
    def raised_on(*ymd):
        return raise_concern(today=datetime.date(*ymd), happened_on=datetime.date(2025, 12, 1)).reference

    references = [
        raised_on(2026, 1, 5),
        raised_on(2026, 12, 31),
        raised_on(2027, 1, 4),
        raised_on(2026, 12, 31),
        raised_on(2027, 2, 1),
    ]

    assert references == ["CC-2026-0001", "CC-2026-0002", "CC-2027-0001", "CC-2026-0003", "CC-2027-0002"]
    assert dict(ConcernSequence.objects.values_list("year", "last_number")) == {2026: 3, 2027: 2}


@alone
def test_a_refused_concern_uses_no_reference(raise_concern):
    with pytest.raises(ValidationError):
        raise_concern(consent=False)

    assert raise_concern().reference == "CC-2026-0001"


@alone
@pytest.mark.parametrize(
    ("received", "nation", "due"),
    [
        pytest.param(datetime.date(2026, 12, 24), "england_wales", datetime.date(2027, 1, 5), id="christmas-eng"),
        pytest.param(datetime.date(2026, 12, 24), "scotland", datetime.date(2027, 1, 6), id="christmas-sct"),
        pytest.param(datetime.date(2025, 12, 24), "england_wales", datetime.date(2026, 1, 5), id="2025-eng"),
        pytest.param(datetime.date(2025, 12, 24), "scotland", datetime.date(2026, 1, 6), id="2025-sct-2-january"),
    ],
)
def test_the_acknowledgement_deadline_counts_the_compacts_working_days(compact, raise_concern, received, nation, due):
    compact.nation = nation
    compact.save()

    concern = raise_concern(today=received, happened_on=received)

    assert concern.step_due_by == due


@alone
def test_the_acknowledgement_deadline_follows_the_compacts_setting(compact, raise_concern):
    compact.dispute_acknowledge_days = 2
    compact.save()

    assert raise_concern(today=datetime.date(2026, 12, 24)).step_due_by == datetime.date(2026, 12, 30)


@alone
def test_a_public_body_may_raise_a_concern_about_another(raise_concern, officer, council, trust):
    concern = raise_concern(actor=officer, raiser=council, respondent=trust)

    assert concern.raiser == council


@alone
def test_a_concern_may_cite_commitments_of_public_bodies_and_of_both_sides(
    raise_concern, public_commitment, shared_commitment
):
    concern = raise_concern(commitments=[public_commitment, shared_commitment])

    assert set(concern.commitments.all()) == {public_commitment, shared_commitment}


@alone
def test_it_may_have_happened_today(raise_concern):
    assert raise_concern(happened_on=RAISED_ON).happened_on == RAISED_ON


@alone
@pytest.mark.parametrize(
    ("who", "for_whom"),
    [
        pytest.param("outsider", "charity", id="a-member-of-another-organisation"),
        pytest.param("champion", "council", id="a-champion-not-acting-for-the-council"),
        pytest.param("panel_member", "other_charity", id="a-panel-member"),
        pytest.param("administrator", "council", id="an-administrator"),
        pytest.param("person_without_roles", "charity", id="no-roles"),
    ],
)
def test_only_someone_who_acts_for_an_organisation_raises_for_it(raise_concern, request, who, for_whom):
    with pytest.raises(PermissionDenied):
        raise_concern(actor=request.getfixturevalue(who), raiser=request.getfixturevalue(for_whom))

    assert not Concern.objects.exists()


@pytest.fixture
def unsigned_body(db):
    return PublicBodyFactory(name="Hampshire Constabulary")


@pytest.fixture
def other_compacts_commitment(db):
    other = CompactFactory(name="Havant Compact", status="adopted", adopted_date=datetime.date(2026, 1, 1))
    catalogue(other)
    return other.commitments.get(code="13.3")


@alone
@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        pytest.param({"respondent": "unsigned_body"}, "respondent", "signed this compact", id="not-a-signatory"),
        pytest.param({"respondent": "other_charity"}, "respondent", "signed this compact", id="a-vcs-respondent"),
        pytest.param(
            {"actor": "officer", "raiser": "council", "respondent": "council"},
            "respondent",
            "about itself",
            id="about-itself",
        ),
        pytest.param({"commitments": []}, "commitments", "at least one", id="no-commitments"),
        pytest.param({"commitments": ["vcs_commitment"]}, "commitments", "catalogue", id="the-vcs-side-commitment"),
        pytest.param(
            {"commitments": ["public_commitment", "other_compacts_commitment"]},
            "commitments",
            "catalogue",
            id="another-compacts-commitment",
        ),
        pytest.param({"happened_on": RAISED_ON + ONE_DAY}, "happened_on", "future", id="tomorrow"),
        pytest.param({"consent": False}, "consent", "agree", id="no-consent"),
        pytest.param({"what_happened": "  "}, "what_happened", "blank", id="nothing-said"),
        pytest.param({"outcome_sought": ""}, "outcome_sought", "blank", id="no-outcome-sought"),
    ],
)
def test_a_concern_is_refused_with_the_field_at_fault(raise_concern, request, overrides, field, message):
    def resolve(value):
        if isinstance(value, list):
            return [resolve(item) for item in value]
        return request.getfixturevalue(value) if isinstance(value, str) and value.isidentifier() else value

    with pytest.raises(ValidationError) as error:
        raise_concern(**{key: resolve(value) for key, value in overrides.items()})

    assert message in " ".join(error.value.message_dict[field])
    assert not Concern.objects.exists()
    assert not CaseEmail.objects.exists()


# --- documents and drafts ------------------------------------------------------------------------------------------


@alone
def test_documents_raised_with_the_concern_are_the_raisers_and_on_the_timeline(raise_concern, vcs_member, media_root):
    concern = raise_concern(files=pdfs(2))

    documents = list(concern.documents.all())
    assert [d.original_name for d in documents] == ["evidence-1.pdf", "evidence-2.pdf"]
    assert {(d.side, d.uploaded_by, d.content_type, d.draft) for d in documents} == {
        ("raiser", vcs_member, "application/pdf", None)
    }
    assert all(Path(d.file.path).is_file() and Path(d.file.path).is_relative_to(media_root) for d in documents)
    assert [e.document for e in concern.events.filter(kind=EventKind.DOCUMENT)] == documents


@alone
def test_a_concern_with_more_than_five_documents_is_refused(raise_concern):
    with pytest.raises(ValidationError) as error:
        raise_concern(files=pdfs(6))

    assert "at most 5" in error.value.message_dict["documents"][0]
    assert not Concern.objects.exists()
    assert not CaseDocument.objects.exists()


@alone
def test_a_draft_keeps_what_was_typed_and_the_files_that_passed(compact, vcs_member):
    draft = services.draft_save(
        actor=vcs_member,
        compact=compact,
        data={"what_happened": "Short notice.", "commitments": ["1"], "csrfmiddlewaretoken": "secret"},
        files=pdfs(2),
    )

    assert draft.data == {"what_happened": "Short notice.", "commitments": ["1"]}
    assert [(d.original_name, d.side, d.concern) for d in draft.documents.all()] == [
        ("evidence-1.pdf", "raiser", None),
        ("evidence-2.pdf", "raiser", None),
    ]

    again = services.draft_save(actor=vcs_member, compact=compact, data={"what_happened": "Very short."}, files=pdfs(4))

    assert again.pk == draft.pk
    assert again.data == {"what_happened": "Very short."}
    assert again.documents.count() == 5  # the files beyond the limit are not kept


@alone
def test_raising_moves_the_drafts_files_to_the_concern_and_discards_the_draft(compact, vcs_member, raise_concern):
    draft = services.draft_save(actor=vcs_member, compact=compact, data={}, files=pdfs(2, prefix="kept"))
    kept = list(draft.documents.all())

    concern = raise_concern(files=pdfs(1))

    documents = list(concern.documents.all())
    assert [d.original_name for d in documents] == ["kept-1.pdf", "kept-2.pdf", "evidence-1.pdf"]
    assert documents[:2] == kept
    assert all(d.draft_id is None and Path(d.file.path).is_file() for d in documents)
    assert not ConcernDraft.objects.exists()
    assert {e.document for e in concern.events.filter(kind=EventKind.DOCUMENT)} == set(documents)
    assert {(e.actor, e.side) for e in concern.events.filter(kind=EventKind.DOCUMENT)} == {(vcs_member, "raiser")}


@alone
def test_kept_files_and_new_ones_together_are_at_most_five(compact, vcs_member, raise_concern):
    services.draft_save(actor=vcs_member, compact=compact, data={}, files=pdfs(4))

    with pytest.raises(ValidationError, match="at most 5"):
        raise_concern(files=pdfs(2))

    assert ConcernDraft.objects.get().documents.count() == 4  # nothing lost


@alone
def test_someone_elses_draft_stays_theirs(compact, vcs_member, raise_concern, charity):
    colleague = MembershipFactory(organisation=charity, role=Role.VCS_MEMBER).user
    services.draft_save(actor=colleague, compact=compact, data={}, files=pdfs(1))

    concern = raise_concern()

    assert not concern.documents.exists()
    assert ConcernDraft.objects.get().user == colleague


@alone
def test_discarding_a_draft_deletes_its_files(compact, vcs_member):
    draft = services.draft_save(actor=vcs_member, compact=compact, data={}, files=pdfs(2))
    paths = [Path(d.file.path) for d in draft.documents.all()]

    services.draft_discard(actor=vcs_member)

    assert not ConcernDraft.objects.exists()
    assert not CaseDocument.objects.exists()
    assert not any(path.exists() for path in paths)


@alone
def test_a_file_is_removed_only_from_ones_own_draft(compact, vcs_member, outsider):
    document = services.draft_save(actor=vcs_member, compact=compact, data={}, files=pdfs(2)).documents.first()
    path = Path(document.file.path)

    with pytest.raises(CaseDocument.DoesNotExist):
        services.draft_document_remove(actor=outsider, document_id=document.pk)
    assert path.exists()

    assert services.draft_document_remove(actor=vcs_member, document_id=document.pk) == "evidence-1.pdf"
    assert not path.exists()
    assert ConcernDraft.objects.get().documents.count() == 1


@alone
def test_a_document_on_a_case_is_not_removed_as_a_draft_file(raise_concern, vcs_member):
    document = raise_concern(files=pdfs(1)).documents.get()

    with pytest.raises(CaseDocument.DoesNotExist):
        services.draft_document_remove(actor=vcs_member, document_id=document.pk)


@pytest.mark.parametrize(
    ("who", "side"),
    [
        pytest.param("raiser", "raiser", id="raiser"),
        pytest.param("respondent", "respondent", id="respondent"),
        pytest.param("champion", "champion", id="champion"),
    ],
)
def test_each_side_adds_up_to_five_documents_of_its_own(case_at, request, who, side):
    concern = case_at("informal", files=pdfs(3))
    (actor,) = _people(request, who)
    already = 3 if side == "raiser" else 0

    added = services.document_add(concern=concern, actor=actor, files=pdfs(5 - already), description="Letters.")

    assert {(d.side, d.uploaded_by) for d in added} == {(side, actor)}
    events = concern.events.filter(kind=EventKind.DOCUMENT, side=side)
    assert [e.document for e in events][-len(added) :] == added
    assert {(e.actor, e.text) for e in events[already:]} == {(actor, "Letters.")}
    with pytest.raises(ValidationError, match="at most 5"):
        services.document_add(concern=concern, actor=actor, files=pdfs(1))
    assert concern.documents.filter(side=side).count() == 5


def test_the_assigned_panel_member_adds_documents_as_the_panel(case_at, panel_member):
    concern = case_at("appeal")

    (document,) = services.document_add(concern=concern, actor=panel_member, files=pdfs(1))

    assert document.side == "panel"


@pytest.mark.parametrize("who", ["conflicted_champion", "unassigned_panel", "outsider"])
def test_people_with_no_part_in_the_case_add_no_documents(case_at, request, who):
    concern = case_at("appeal")
    (actor,) = _people(request, who)

    with pytest.raises(PermissionDenied):
        services.document_add(concern=concern, actor=actor, files=pdfs(1))

    assert not concern.documents.exists()


def test_a_document_needs_a_file(concern, vcs_member):
    with pytest.raises(ValidationError, match="at least one file"):
        services.document_add(concern=concern, actor=vcs_member, files=[])


@pytest.mark.parametrize("state", ["closed", "withdrawn"])
def test_no_documents_once_the_case_is_finished(case_at, vcs_member, state):
    concern = case_at(state)

    with pytest.raises(ValidationError, match="finished"):
        services.document_add(concern=concern, actor=vcs_member, files=pdfs(1))


# --- notes and meetings -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "side"),
    [
        pytest.param("raiser", "raiser", id="raiser"),
        pytest.param("respondent", "respondent", id="respondent"),
        pytest.param("champion", "champion", id="champion"),
        pytest.param("panel", "panel", id="assigned-panel"),
    ],
)
def test_everyone_in_the_case_adds_notes_on_their_side(case_at, request, who, side):
    concern = case_at("appeal")
    (actor,) = _people(request, who)

    note = services.note_add(concern=concern, actor=actor, text="  Spoke on the phone.\n")

    assert (note.kind, note.actor, note.side, note.text) == (EventKind.NOTE, actor, side, "Spoke on the phone.")
    assert concern.events.last() == note


@pytest.mark.parametrize("who", ["conflicted_champion", "unassigned_panel", "outsider", "administrator"])
def test_people_with_no_part_in_the_case_add_no_notes(case_at, request, who):
    concern = case_at("appeal")
    actor = request.getfixturevalue(PEOPLE.get(who, who))

    with pytest.raises(PermissionDenied):
        services.note_add(concern=concern, actor=actor, text="Hello.")


def test_a_note_needs_text(concern, vcs_member):
    with pytest.raises(ValidationError) as error:
        services.note_add(concern=concern, actor=vcs_member, text=" \n")

    assert "text" in error.value.message_dict


@pytest.mark.parametrize(
    ("who", "side"),
    [pytest.param("champion", "champion", id="champion"), pytest.param("panel", "panel", id="assigned-panel")],
)
def test_the_champion_or_the_panel_records_a_meeting(case_at, request, who, side):
    concern = case_at("appeal")
    (actor,) = _people(request, who)

    meeting = services.meeting_record(
        concern=concern,
        actor=actor,
        kind=MeetingKind.MEDIATION,
        held_on=APPEALED_ON,
        attendees=" Val, Rhys, Cara ",
        notes=" Agreed to talk again. ",
        today=APPEALED_ON,  # on the day itself
    )

    assert (meeting.kind, meeting.actor, meeting.side) == (EventKind.MEETING, actor, side)
    assert (meeting.meeting_kind, meeting.meeting_date) == (MeetingKind.MEDIATION, APPEALED_ON)
    assert (meeting.attendees, meeting.text) == ("Val, Rhys, Cara", "Agreed to talk again.")


def test_a_meeting_or_a_note_sent_twice_with_its_forms_key_is_recorded_once(case_at, champion):
    concern = case_at("informal")
    key, note_key = uuid.uuid4(), uuid.uuid4()
    meeting = {
        "kind": MeetingKind.MEDIATION,
        "held_on": INFORMAL_ON,
        "attendees": "All",
        "notes": "",
        "today": INFORMAL_ON,
    }

    first = services.meeting_record(concern=concern, actor=champion, submission_key=key, **meeting)
    again = services.meeting_record(concern=concern, actor=champion, submission_key=key, **meeting)
    note = services.note_add(concern=concern, actor=champion, text="Called them.", submission_key=note_key)
    note_again = services.note_add(concern=concern, actor=champion, text="Called them.", submission_key=note_key)

    assert (again, again.already_recorded, note_again, note_again.already_recorded) == (first, True, note, True)
    assert concern.events.filter(kind=EventKind.MEETING).count() == 1
    assert concern.events.filter(kind=EventKind.NOTE).count() == 1


@pytest.mark.parametrize("who", ["raiser", "respondent", "conflicted_champion", "unassigned_panel", "outsider"])
def test_the_parties_do_not_record_meetings(case_at, request, who):
    concern = case_at("appeal")
    (actor,) = _people(request, who)

    with pytest.raises(PermissionDenied):
        services.meeting_record(
            concern=concern,
            actor=actor,
            kind="other",
            held_on=APPEALED_ON,
            attendees="All",
            notes="",
            today=APPEALED_ON,
        )


@pytest.mark.parametrize(
    ("kind", "held_on", "attendees", "field"),
    [
        pytest.param("picnic", INFORMAL_ON, "All", "meeting_kind", id="unknown-kind"),
        pytest.param("", INFORMAL_ON, "All", "meeting_kind", id="no-kind"),
        pytest.param("conciliation", INFORMAL_ON + ONE_DAY, "All", "meeting_date", id="tomorrow"),
        pytest.param("conciliation", INFORMAL_ON, "  ", "attendees", id="no-attendees"),
    ],
)
def test_a_meeting_is_refused_with_the_field_at_fault(case_at, champion, kind, held_on, attendees, field):
    concern = case_at("informal")

    with pytest.raises(ValidationError) as error:
        services.meeting_record(
            concern=concern,
            actor=champion,
            kind=kind,
            held_on=held_on,
            attendees=attendees,
            notes="",
            today=INFORMAL_ON,
        )

    assert field in error.value.message_dict


def test_no_meetings_are_recorded_on_a_finished_case(case_at, panel_member):
    concern = case_at("closed")

    with pytest.raises(ValidationError, match="finished"):
        services.meeting_record(
            concern=concern,
            actor=panel_member,
            kind="other",
            held_on=LODGE_BY,
            attendees="All",
            notes="",
            today=LODGE_BY,
        )


# --- acknowledgement and the informal stage ------------------------------------------------------------------------


def test_acknowledging_makes_the_champion_the_cases_and_starts_the_informal_clock(case_at, champion):
    concern = case_at("acknowledged")

    assert (concern.stage, concern.champion, concern.acknowledged_on) == ("acknowledged", champion, ACKNOWLEDGED_ON)
    assert (concern.step, concern.step_due_by) == (Step.INFORMAL, INFORMAL_DUE)


def test_opening_the_informal_stage_keeps_the_clock_started_at_acknowledgement(case_at):
    concern = case_at("informal")

    assert (concern.stage, concern.informal_started_on) == ("informal", INFORMAL_ON)
    assert (concern.step, concern.step_due_by) == (Step.INFORMAL, INFORMAL_DUE)


def test_an_acknowledgement_note_goes_on_the_timeline(concern, champion):
    services.concern_acknowledge(concern=concern, actor=champion, today=ACKNOWLEDGED_ON, note="  Called the trust. ")

    assert concern.events.last().text == "Called the trust."


def test_a_second_neutral_champion_may_acknowledge_too(concern, compact, other_charity):
    another = UserFactory(full_name="Carl Champion")
    Champion.objects.create(compact=compact, organisation=other_charity, user=another)

    concern = services.concern_acknowledge(concern=concern, actor=another, today=ACKNOWLEDGED_ON)

    assert concern.champion == another


def test_a_champion_of_another_compact_cannot_steer(concern, trust):
    elsewhere = CompactFactory(name="Havant Compact", status="adopted", adopted_date=datetime.date(2026, 1, 1))
    SignatureFactory(compact=elsewhere, organisation=trust)
    stranger = UserFactory(full_name="Hal Havant")
    Champion.objects.create(compact=elsewhere, organisation=trust, user=stranger)

    with pytest.raises(PermissionDenied):
        services.concern_acknowledge(concern=concern, actor=stranger, today=ACKNOWLEDGED_ON)


def test_a_champion_who_belongs_to_the_raiser_cannot_steer(concern, compact, charity):
    colleague = MembershipFactory(organisation=charity, role=Role.CHAMPION, user__full_name="Cath Charity").user
    Champion.objects.create(compact=compact, organisation=charity, user=colleague)

    with pytest.raises(PermissionDenied):
        services.concern_acknowledge(concern=concern, actor=colleague, today=ACKNOWLEDGED_ON)


def test_closing_an_informal_case_records_agreement(case_at, champion, public_commitment):
    concern = case_at("informal")

    concern = services.concern_close(
        concern=concern,
        actor=champion,
        today=INFORMAL_DUE,
        reasons=" The trust restored the grant. ",
        outcome=Outcome.NOT_UPHELD,  # ignored: an informal case ends in agreement
        commitments_found_broken=[public_commitment],
        lessons_learned=" Talk early. ",
    )

    concern.refresh_from_db()
    assert (concern.stage, concern.outcome, concern.closed_on) == (
        "closed",
        Outcome.RESOLVED_BY_AGREEMENT,
        INFORMAL_DUE,
    )
    assert (concern.outcome_reasons, concern.lessons_learned) == ("The trust restored the grant.", "Talk early.")
    assert list(concern.commitments_found_broken.all()) == [public_commitment]
    assert (concern.step, concern.step_due_by) == (Step.NONE, None)


def test_an_agreement_records_only_the_compacts_commitments_as_broken(case_at, champion, other_compacts_commitment):
    concern = case_at("informal")

    with pytest.raises(ValidationError) as error:
        services.concern_close(
            concern=concern,
            actor=champion,
            today=INFORMAL_DUE,
            reasons="Agreed.",
            commitments_found_broken=[other_compacts_commitment],
        )

    assert "of this compact" in error.value.message_dict["commitments_found_broken"][0]
    concern.refresh_from_db()
    assert concern.stage == "informal"


def test_closing_needs_reasons(case_at, champion):
    concern = case_at("informal")

    with pytest.raises(ValidationError) as error:
        services.concern_close(concern=concern, actor=champion, today=INFORMAL_DUE, reasons=" ")

    assert "reasons" in error.value.message_dict
    concern.refresh_from_db()
    assert concern.stage == "informal"


# --- the formal stage ----------------------------------------------------------------------------------------------


def test_escalating_asks_the_body_for_a_written_response_in_20_working_days(case_at, vcs_member):
    concern = case_at("formal")

    assert (concern.stage, concern.formal_started_on) == ("formal", ESCALATED_ON)
    assert concern.formal_response_due == FORMAL_RESPONSE_DUE
    assert (concern.step, concern.step_due_by) == (Step.FORMAL_RESPONSE, FORMAL_RESPONSE_DUE)
    assert concern.events.last().text == "Two meetings, no agreement."


def test_escalating_needs_reasons(case_at, vcs_member):
    concern = case_at("informal")

    with pytest.raises(ValidationError) as error:
        services.formal_escalate(concern=concern, actor=vcs_member, today=ESCALATED_ON, reasons="\n")

    assert "reasons" in error.value.message_dict
    concern.refresh_from_db()
    assert concern.stage == "informal"


def test_another_member_of_the_raising_organisation_may_escalate(case_at, charity):
    colleague = MembershipFactory(organisation=charity, role=Role.VCS_MEMBER, user__full_name="Col League").user
    concern = case_at("informal")

    services.formal_escalate(concern=concern, actor=colleague, today=ESCALATED_ON, reasons="No progress.")

    assert concern.events.last().actor == colleague


@pytest.mark.parametrize(
    ("days", "due"),
    [
        pytest.param(1, datetime.date(2026, 12, 22), id="one-day"),
        pytest.param(10, datetime.date(2027, 1, 7), id="ten-days-over-christmas"),
    ],
)
@pytest.mark.parametrize("who", ["respondent", "champion"])
def test_the_formal_response_is_extended_once_with_reasons(case_at, request, who, days, due):
    concern = case_at("formal")
    (actor,) = _people(request, who)

    concern = services.formal_extend(concern=concern, actor=actor, today=RESPONDED_ON, days=days, reasons=" Leave. ")

    concern.refresh_from_db()
    assert (concern.formal_extension_days, concern.formal_extension_reason) == (days, "Leave.")
    assert concern.formal_response_due == concern.step_due_by == due
    assert concern.step == Step.FORMAL_RESPONSE
    event = concern.events.last()
    assert (event.kind, event.actor, event.side, event.text) == (EventKind.EXTENSION, actor, who, "Leave.")

    with pytest.raises(ValidationError, match="already been extended"):
        services.formal_extend(concern=concern, actor=actor, today=RESPONDED_ON, days=1, reasons="More leave.")
    concern.refresh_from_db()
    assert concern.formal_response_due == due


@pytest.mark.parametrize(
    ("days", "reasons", "most", "field", "message"),
    [
        pytest.param(11, "Leave.", 10, "days", "from 1 to 10", id="over-the-limit"),
        pytest.param(0, "Leave.", 10, "days", "from 1 to 10", id="zero"),
        pytest.param(4, "Leave.", 3, "days", "from 1 to 3", id="over-a-compacts-lower-limit"),
        pytest.param(1, "Leave.", 0, NON_FIELD_ERRORS, "does not allow", id="a-compact-allowing-none"),
        pytest.param(5, "  ", 10, "reasons", "Give the reasons", id="no-reasons"),
    ],
)
def test_an_extension_beyond_the_compacts_limit_or_without_reasons_is_refused(
    case_at, compact, respondent_officer, days, reasons, most, field, message
):
    compact.dispute_formal_extension_days = most
    compact.save()
    concern = case_at("formal")

    with pytest.raises(ValidationError) as error:
        services.formal_extend(
            concern=concern, actor=respondent_officer, today=RESPONDED_ON, days=days, reasons=reasons
        )

    by_field = {
        name: [m for e in errors for m in e.messages] for name, errors in error.value.update_error_dict({}).items()
    }
    assert message in by_field[field][0]
    concern.refresh_from_db()
    assert (concern.formal_extension_days, concern.formal_response_due) == (None, FORMAL_RESPONSE_DUE)


def test_a_compact_may_allow_a_longer_extension(case_at, compact, champion):
    compact.dispute_formal_extension_days = 15
    compact.save()
    concern = case_at("formal")

    concern = services.formal_extend(concern=concern, actor=champion, today=RESPONDED_ON, days=15, reasons="Audit.")

    assert concern.formal_response_due == datetime.date(2027, 1, 14)


def test_nothing_is_extended_after_the_body_has_responded(case_at, respondent_officer):
    concern = case_at("responded")

    with pytest.raises(ValidationError, match="already responded"):
        services.formal_extend(concern=concern, actor=respondent_officer, today=RESPONDED_ON, days=2, reasons="Late.")


def test_nothing_is_extended_after_an_outcome_given_for_want_of_a_response(case_at, champion, respondent_officer):
    concern = case_at("formal")
    services.formal_outcome_record(
        concern=concern,
        actor=champion,
        today=FORMAL_RESPONSE_DUE + ONE_DAY,
        outcome=Outcome.NOT_UPHELD,
        reasons="No response, no evidence either way.",
    )

    with pytest.raises(ValidationError, match="outcome has been given"):
        services.formal_extend(concern=concern, actor=respondent_officer, today=LODGE_BY, days=2, reasons="Late.")

    concern.refresh_from_db()
    assert (concern.step, concern.step_due_by, concern.formal_extension_days) == (Step.NONE, None, None)


def test_drafts_are_kept_per_compact_and_discarded_one_at_a_time(compact, vcs_member):
    other = CompactFactory(name="Havant Compact")
    services.draft_save(actor=vcs_member, compact=compact, data={"what_happened": ["Portsmouth notice."]})
    services.draft_save(actor=vcs_member, compact=other, data={"what_happened": ["Havant notice."]})

    services.draft_discard(actor=vcs_member, compact=other)

    assert [(d.compact, d.data["what_happened"]) for d in ConcernDraft.objects.all()] == [
        (compact, ["Portsmouth notice."])
    ]


def test_the_body_cannot_respond_once_the_outcome_is_given_for_want_of_a_response(
    case_at, champion, respondent_officer
):
    concern = case_at("formal")
    services.formal_outcome_record(
        concern=concern,
        actor=champion,
        today=FORMAL_RESPONSE_DUE + ONE_DAY,
        outcome=Outcome.NOT_UPHELD,
        reasons="No response.",
    )

    with pytest.raises(ValidationError, match="can no longer respond"):
        services.formal_respond(concern=concern, actor=respondent_officer, today=LODGE_BY, response="Sorry, late.")

    concern.refresh_from_db()
    assert (concern.formal_response, concern.formal_responded_on) == ("", None)


def test_the_bodys_response_ends_the_wait(case_at, respondent_officer):
    concern = case_at("responded")

    assert (concern.formal_response, concern.formal_responded_on) == ("Notice was given in June.", RESPONDED_ON)
    assert (concern.step, concern.step_due_by) == (Step.NONE, None)
    assert concern.formal_response_due == FORMAL_RESPONSE_DUE


def test_the_body_responds_once_and_in_words(case_at, respondent_officer):
    concern = case_at("formal")
    with pytest.raises(ValidationError) as error:
        services.formal_respond(concern=concern, actor=respondent_officer, today=RESPONDED_ON, response="  ")
    assert "response" in error.value.message_dict

    services.formal_respond(concern=concern, actor=respondent_officer, today=RESPONDED_ON, response="Reply.")
    with pytest.raises(ValidationError, match="already given"):
        services.formal_respond(concern=concern, actor=respondent_officer, today=RESPONDED_ON, response="Again.")


@pytest.mark.parametrize(
    ("today", "allowed"),
    [
        pytest.param(RESPONDED_ON, False, id="before-the-deadline"),
        pytest.param(FORMAL_RESPONSE_DUE, False, id="on-the-deadline"),
        pytest.param(FORMAL_RESPONSE_DUE + ONE_DAY, True, id="the-day-after-the-deadline"),
    ],
)
def test_without_a_response_the_outcome_waits_for_the_deadline(case_at, champion, today, allowed):
    concern = case_at("formal")

    def record():
        return services.formal_outcome_record(
            concern=concern, actor=champion, today=today, outcome=Outcome.NOT_UPHELD, reasons="No response."
        )

    if allowed:
        assert record().formal_decided_on == today
    else:
        with pytest.raises(ValidationError, match="21 December 2026"):
            record()


def test_after_an_extension_the_outcome_waits_for_the_extended_deadline(case_at, champion, respondent_officer):
    concern = case_at("formal")
    services.formal_extend(concern=concern, actor=respondent_officer, today=RESPONDED_ON, days=10, reasons="Leave.")

    with pytest.raises(ValidationError, match="7 January 2027"):
        services.formal_outcome_record(
            concern=concern, actor=champion, today=FORMAL_RESPONSE_DUE + ONE_DAY, outcome="not_upheld", reasons="R."
        )

    concern = services.formal_outcome_record(
        concern=concern, actor=champion, today=datetime.date(2027, 1, 8), outcome="not_upheld", reasons="R."
    )
    assert concern.formal_decided_on == datetime.date(2027, 1, 8)


def test_the_formal_outcome_opens_the_appeal_window(case_at, public_commitment):
    concern = case_at("decided")

    assert (concern.formal_outcome, concern.formal_decided_on) == (Outcome.UPHELD, DECIDED_ON)
    assert concern.formal_outcome_reasons == "Two weeks is not three months."
    assert concern.appeal_lodge_by == LODGE_BY
    assert (concern.stage, concern.step, concern.step_due_by, concern.outcome) == ("formal", Step.NONE, None, "")
    assert list(concern.commitments_found_broken.all()) == [public_commitment]


@pytest.mark.parametrize(
    ("outcome", "broken", "field", "message"),
    [
        pytest.param(Outcome.RESOLVED_BY_AGREEMENT, [], "outcome", "upheld", id="agreement-is-not-a-finding"),
        pytest.param(Outcome.WITHDRAWN, [], "outcome", "upheld", id="withdrawn-is-not-a-finding"),
        pytest.param("", [], "outcome", "upheld", id="no-outcome"),
        pytest.param(Outcome.UPHELD, [], "commitments_found_broken", "Choose the commitments", id="upheld-none-broken"),
        pytest.param(
            Outcome.PARTLY_UPHELD, [], "commitments_found_broken", "Choose the commitments", id="partly-none-broken"
        ),
        pytest.param(
            Outcome.NOT_UPHELD,
            ["public_commitment"],
            "commitments_found_broken",
            "no commitment",
            id="not-upheld-broken",
        ),
        pytest.param(
            Outcome.UPHELD,
            ["other_compacts_commitment"],
            "commitments_found_broken",
            "of this compact",
            id="another-compacts-commitment",
        ),
    ],
)
@pytest.mark.parametrize("step", ["formal_outcome", "appeal_decision"])
def test_a_finding_names_the_commitments_broken(case_at, request, cast, step, outcome, broken, field, message):
    concern = case_at("responded" if step == "formal_outcome" else "appeal")
    commitments = [request.getfixturevalue(name) for name in broken]
    service, actor, today = (
        (services.formal_outcome_record, cast.champion, DECIDED_ON)
        if step == "formal_outcome"
        else (services.appeal_decide, cast.panel, APPEAL_DECIDED_ON)
    )

    with pytest.raises(ValidationError) as error:
        service(
            concern=concern,
            actor=actor,
            today=today,
            outcome=outcome,
            reasons="R.",
            commitments_found_broken=commitments,
        )

    assert message in error.value.message_dict[field][0]
    concern.refresh_from_db()
    assert concern.stage == STAGE_OF["responded" if step == "formal_outcome" else "appeal"]


def test_the_formal_outcome_needs_reasons_and_is_given_once(case_at, champion):
    concern = case_at("responded")
    with pytest.raises(ValidationError) as error:
        services.formal_outcome_record(
            concern=concern, actor=champion, today=DECIDED_ON, outcome=Outcome.NOT_UPHELD, reasons=""
        )
    assert "reasons" in error.value.message_dict

    services.formal_outcome_record(
        concern=concern, actor=champion, today=DECIDED_ON, outcome=Outcome.NOT_UPHELD, reasons="None broken."
    )
    with pytest.raises(ValidationError, match="already been given"):
        services.formal_outcome_record(
            concern=concern, actor=champion, today=DECIDED_ON, outcome=Outcome.NOT_UPHELD, reasons="Again."
        )


# --- appeal window and closing a formal case ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "allowed"),
    [
        pytest.param(DECIDED_ON, True, id="the-day-of-the-outcome"),
        pytest.param(LODGE_BY, True, id="the-last-day"),
        pytest.param(LODGE_BY + ONE_DAY, False, id="the-day-after"),
    ],
)
@pytest.mark.parametrize("who", ["raiser", "respondent"])
def test_either_party_appeals_only_within_the_window(case_at, request, who, today, allowed):
    concern = case_at("decided")
    (actor,) = _people(request, who)

    if not allowed:
        with pytest.raises(ValidationError, match="up to 18 January 2027"):
            services.appeal_lodge(concern=concern, actor=actor, today=today, grounds="Missed evidence.")
        concern.refresh_from_db()
        assert (concern.stage, concern.appealed_on) == ("formal", None)
        return

    concern = services.appeal_lodge(concern=concern, actor=actor, today=today, grounds=" Missed evidence. ")

    concern.refresh_from_db()
    assert (concern.stage, concern.appealed_on, concern.appealed_by) == ("appeal", today, who)
    assert concern.appeal_grounds == "Missed evidence."
    assert concern.step == Step.APPEAL_DECISION
    assert concern.step_due_by == rules.appeal_decision_due_by(today, nation="england_wales")


def test_the_panels_clock_starts_at_the_appeal(case_at):
    concern = case_at("appeal")

    assert (concern.appealed_on, concern.step_due_by) == (APPEALED_ON, APPEAL_DECISION_DUE)


def test_no_appeal_before_the_formal_outcome(case_at, vcs_member):
    concern = case_at("responded")

    with pytest.raises(ValidationError, match="only after the formal outcome"):
        services.appeal_lodge(concern=concern, actor=vcs_member, today=RESPONDED_ON, grounds="Too slow.")


def test_an_appeal_needs_grounds(case_at, vcs_member):
    concern = case_at("decided")

    with pytest.raises(ValidationError) as error:
        services.appeal_lodge(concern=concern, actor=vcs_member, today=LODGE_BY, grounds="")

    assert "grounds" in error.value.message_dict


@pytest.mark.parametrize(
    ("today", "allowed"),
    [
        pytest.param(DECIDED_ON, False, id="the-day-of-the-outcome"),
        pytest.param(LODGE_BY, False, id="the-last-day-to-appeal"),
        pytest.param(LODGE_BY + ONE_DAY, True, id="the-day-after"),
    ],
)
def test_a_formal_case_closes_on_its_outcome_only_after_the_appeal_window(
    case_at, champion, public_commitment, today, allowed
):
    concern = case_at("decided")

    if not allowed:
        with pytest.raises(ValidationError, match="may still appeal until 18 January 2027"):
            services.concern_close(concern=concern, actor=champion, today=today, reasons="No appeal.")
        concern.refresh_from_db()
        assert concern.stage == "formal"
        return

    services.concern_close(
        concern=concern,
        actor=champion,
        today=today,
        reasons="No appeal.",
        outcome=Outcome.NOT_UPHELD,
        lessons_learned="L.",
    )

    concern.refresh_from_db()
    assert (concern.stage, concern.outcome, concern.closed_on) == ("closed", Outcome.UPHELD, today)  # the formal one
    assert list(concern.commitments_found_broken.all()) == [public_commitment]
    assert (concern.outcome_reasons, concern.lessons_learned) == ("No appeal.", "L.")


@pytest.mark.parametrize("state", ["formal", "responded"])
def test_a_formal_case_without_an_outcome_does_not_close(case_at, champion, state):
    concern = case_at(state)

    with pytest.raises(ValidationError, match="Give the formal outcome first"):
        services.concern_close(concern=concern, actor=champion, today=datetime.date(2027, 6, 1), reasons="Stale.")


# --- the panel -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["formal", "decided", "appeal"])
def test_a_champion_assigns_a_panel_member_once(case_at, champion, second_panel_member, state):
    concern = case_at(state)
    before = concern.events.filter(kind=EventKind.PANEL).count()

    first = services.panel_assign(concern=concern, actor=champion, member=second_panel_member)
    again = services.panel_assign(concern=concern, actor=champion, member=second_panel_member)

    assert first == again
    assert (first.member, first.assigned_by) == (second_panel_member, champion)
    assert concern.panel_assignments.filter(member=second_panel_member).count() == 1
    assert concern.events.filter(kind=EventKind.PANEL).count() == before + 1


@pytest.mark.parametrize(
    "conflict",
    [
        pytest.param(("charity", Role.VCS_MEMBER), id="a-member-of-the-raiser"),
        pytest.param(("charity", Role.PANEL_MEMBER), id="on-the-panel-through-the-raiser"),
        pytest.param(("trust", Role.OFFICER), id="an-officer-of-the-body"),
        pytest.param(("trust", Role.PANEL_MEMBER), id="on-the-panel-through-the-body"),
    ],
)
def test_a_panel_member_with_a_conflict_of_interest_is_refused(
    case_at, champion, second_panel_member, request, conflict
):
    organisation, role = conflict
    MembershipFactory(user=second_panel_member, organisation=request.getfixturevalue(organisation), role=role)
    concern = case_at("appeal")

    with pytest.raises(ValidationError, match="conflict of interest"):
        services.panel_assign(concern=concern, actor=champion, member=second_panel_member)

    assert not concern.panel_assignments.filter(member=second_panel_member).exists()


def test_a_panel_member_whose_only_panel_seat_is_through_the_body_is_refused(case_at, champion, trust):
    trust_panel = MembershipFactory(organisation=trust, role=Role.PANEL_MEMBER, user__full_name="Tim Trustpanel").user
    concern = case_at("appeal")

    with pytest.raises(ValidationError, match="conflict of interest"):
        services.panel_assign(concern=concern, actor=champion, member=trust_panel)


@pytest.mark.parametrize("who", ["outsider", "respondent_officer", "person_without_roles"])
def test_only_the_compacts_panel_members_sit_on_its_panel(case_at, champion, request, who):
    concern = case_at("appeal")

    with pytest.raises(ValidationError, match="not a dispute panel member of this compact"):
        services.panel_assign(concern=concern, actor=champion, member=request.getfixturevalue(who))


def test_a_panel_member_through_an_organisation_that_has_not_signed_is_refused(case_at, champion):
    unsigned = PublicBodyFactory(name="Hampshire Constabulary")
    stranger = MembershipFactory(organisation=unsigned, role=Role.PANEL_MEMBER).user
    concern = case_at("appeal")

    with pytest.raises(ValidationError, match="not a dispute panel member"):
        services.panel_assign(concern=concern, actor=champion, member=stranger)


def test_a_deactivated_panel_member_is_not_assigned(case_at, champion, second_panel_member):
    second_panel_member.is_active = False
    second_panel_member.save()
    concern = case_at("appeal")

    with pytest.raises(ValidationError, match="not a dispute panel member"):
        services.panel_assign(concern=concern, actor=champion, member=second_panel_member)


def test_the_assigned_panel_member_decides_the_appeal_and_closes_the_case(case_at, cast, public_commitment):
    concern = case_at("closed")

    assert (concern.stage, concern.outcome, concern.closed_on) == ("closed", Outcome.PARTLY_UPHELD, APPEAL_DECIDED_ON)
    assert concern.appeal_decided_on == APPEAL_DECIDED_ON
    assert concern.outcome_reasons == "Notice was short, though not as short as said."
    assert concern.lessons_learned == "Send notices by recorded post."
    assert list(concern.commitments_found_broken.all()) == [public_commitment]
    assert (concern.step, concern.step_due_by) == (Step.NONE, None)
    assert concern.formal_outcome == Outcome.UPHELD  # the formal finding stays on record


def test_two_assigned_panel_members_either_may_decide(case_at, champion, second_panel_member):
    concern = case_at("appeal")
    services.panel_assign(concern=concern, actor=champion, member=second_panel_member)

    services.appeal_decide(
        concern=concern, actor=second_panel_member, today=APPEAL_DECIDED_ON, outcome=Outcome.NOT_UPHELD, reasons="R."
    )

    concern.refresh_from_db()
    assert concern.stage == "closed"


def test_a_panel_member_who_joins_a_party_after_assignment_cannot_decide(case_at, panel_member, charity):
    concern = case_at("appeal")
    MembershipFactory(user=panel_member, organisation=charity, role=Role.VCS_MEMBER)

    with pytest.raises(PermissionDenied):
        services.appeal_decide(
            concern=concern, actor=panel_member, today=APPEAL_DECIDED_ON, outcome=Outcome.NOT_UPHELD, reasons="R."
        )


def test_an_appeal_decision_needs_reasons(case_at, panel_member):
    concern = case_at("appeal")

    with pytest.raises(ValidationError) as error:
        services.appeal_decide(
            concern=concern, actor=panel_member, today=APPEAL_DECIDED_ON, outcome=Outcome.NOT_UPHELD, reasons=" "
        )

    assert "reasons" in error.value.message_dict


# --- withdrawal ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", OPEN_STATES)
def test_the_raiser_withdraws_at_every_open_stage(case_at, vcs_member, state):
    concern = case_at(state)

    services.concern_withdraw(concern=concern, actor=vcs_member, today=LODGE_BY, reasons=" Settled elsewhere. ")

    concern.refresh_from_db()
    assert (concern.stage, concern.outcome, concern.closed_on) == ("withdrawn", Outcome.WITHDRAWN, LODGE_BY)
    assert (concern.outcome_reasons, concern.step, concern.step_due_by) == ("Settled elsewhere.", Step.NONE, None)
    assert not concern.commitments_found_broken.exists() or state in ("decided", "appeal")
    event = concern.events.last()
    assert (event.actor, event.side, event.from_stage, event.to_stage) == (
        vcs_member,
        "raiser",
        STAGE_OF[state],
        "withdrawn",
    )


def test_withdrawing_needs_no_reasons(concern, vcs_member):
    services.concern_withdraw(concern=concern, actor=vcs_member, today=RAISED_ON)

    concern.refresh_from_db()
    assert (concern.stage, concern.outcome_reasons) == ("withdrawn", "")


def test_the_person_who_raised_it_may_withdraw_after_leaving_the_organisation(concern, vcs_member):
    vcs_member.memberships.all().delete()

    services.concern_withdraw(concern=concern, actor=vcs_member, today=RAISED_ON)

    concern.refresh_from_db()
    assert concern.stage == "withdrawn"


def test_a_non_acting_member_of_the_raiser_cannot_withdraw(concern, charity):
    panellist = MembershipFactory(organisation=charity, role=Role.PANEL_MEMBER).user

    with pytest.raises(PermissionDenied):
        services.concern_withdraw(concern=concern, actor=panellist, today=RAISED_ON)


# --- deadlines follow the compact's settings and nation ------------------------------------------------------------


def test_every_stored_deadline_follows_the_compacts_settings(compact, case_at):
    compact.dispute_acknowledge_days = 3
    compact.dispute_informal_days = 10
    compact.dispute_formal_days = 15
    compact.dispute_formal_extension_days = 5
    compact.dispute_appeal_lodge_days = 15
    compact.dispute_appeal_decision_days = 15
    compact.save()

    raised = case_at("received")
    acknowledged = case_at("acknowledged")
    formal = case_at("formal")
    decided = case_at("decided")
    appealed = case_at("appeal")

    assert raised.step_due_by == datetime.date(2026, 11, 5)
    assert acknowledged.step_due_by == datetime.date(2026, 11, 18)
    assert formal.formal_response_due == formal.step_due_by == datetime.date(2026, 12, 14)
    assert decided.appeal_lodge_by == APPEALED_ON  # 15 working days over Christmas: the appeal's last day
    assert appealed.step_due_by == datetime.date(2027, 2, 1)


def test_a_scottish_case_over_new_year(compact, raise_concern, cast):
    compact.nation = "scotland"
    compact.save()
    concern = raise_concern(today=datetime.date(2026, 12, 21), happened_on=datetime.date(2026, 12, 1))
    services.concern_acknowledge(concern=concern, actor=cast.champion, today=datetime.date(2026, 12, 22))
    services.informal_start(concern=concern, actor=cast.champion, today=datetime.date(2026, 12, 22))

    concern = services.formal_escalate(
        concern=concern, actor=cast.raiser, today=datetime.date(2026, 12, 23), reasons="Stuck."
    )

    # Not 25 or 28 December, 1 January, nor Monday 4 January (for Saturday 2 January, Scotland only).
    assert concern.formal_response_due == concern.step_due_by == datetime.date(2027, 1, 26)
    assert rules.formal_response_due_by(datetime.date(2026, 12, 23), nation="england_wales") == datetime.date(
        2027, 1, 25
    )


# --- the e-mail outbox ---------------------------------------------------------------------------------------------


def _step(step: str, concern: Concern, cast) -> Concern:
    if step == "withdrawn":
        return services.concern_withdraw(concern=concern, actor=cast.raiser, today=RAISED_ON, reasons="Sorted.")
    if step == "extension":
        return services.formal_extend(
            concern=concern, actor=cast.respondent, today=RESPONDED_ON, days=3, reasons="Leave."
        )
    return step_to(concern, step, cast=cast)


# Each step that e-mails, and the state the case is in just before it.
EMAIL_STEPS = {"raised": None, **{state: PATH[i] for i, state in enumerate(PATH[1:])}, "extension": "formal"}
EMAIL_STEPS["withdrawn"] = "acknowledged"


@alone
@pytest.mark.parametrize("withhold", [True, False], ids=["withheld", "not-withheld"])
@pytest.mark.parametrize("step", list(EMAIL_STEPS))
def test_each_step_emails_the_raiser_the_bodys_champions_and_the_cases_champion(
    raise_concern, cast, respondent_champion, charity, step, withhold
):
    """With the identity withheld, the raiser's organisation and name are in none of the body's copies."""
    if step == "raised":
        concern, already = None, set()
        raise_concern(withhold_identity=withhold)
    else:
        concern = take_to(raise_concern(withhold_identity=withhold), EMAIL_STEPS[step], cast=cast)
        already = set(CaseEmail.objects.values_list("pk", flat=True))
        _step(step, concern, cast)

    emails = list(CaseEmail.objects.exclude(pk__in=already))
    readers = {cast.raiser.email, respondent_champion.email, cast.champion.email}
    assert {email.to for email in emails} == readers
    assert len(emails) % len(readers) == 0  # each reader gets a copy of each e-mail ("appeal" also assigns the panel)
    assert all(email.subject.startswith("CC-2026-0001: ") for email in emails)
    assert all(email.sent_at is None and email.attempts == 0 for email in emails)
    for email in emails:
        if email.to != respondent_champion.email:
            assert f"Raised by: {charity.name}" in email.body
        elif withhold:
            assert "Raised by: withheld at the raiser's request" in email.body
            for secret in (charity.name, cast.raiser.full_name, cast.raiser.email):
                assert secret not in email.body
                assert secret not in email.subject
        else:
            assert f"Raised by: {charity.name}" in email.body


@alone
def test_a_new_concern_also_goes_to_the_compacts_other_neutral_champions(
    compact, raise_concern, cast, other_charity, charity, respondent_champion
):
    neutral = UserFactory(full_name="Nell Neutral")
    Champion.objects.create(compact=compact, organisation=other_charity, user=neutral)
    at_the_raiser = MembershipFactory(organisation=charity, role=Role.CHAMPION).user
    Champion.objects.create(compact=compact, organisation=charity, user=at_the_raiser)

    concern = raise_concern()
    services.concern_acknowledge(concern=concern, actor=cast.champion, today=ACKNOWLEDGED_ON)

    new_case = set(CaseEmail.objects.filter(subject__contains="received").values_list("to", flat=True))
    assert new_case == {cast.raiser.email, cast.champion.email, neutral.email, respondent_champion.email}
    later = set(CaseEmail.objects.filter(subject__contains="acknowledged").values_list("to", flat=True))
    assert later == {cast.raiser.email, cast.champion.email, respondent_champion.email}


@alone
def test_a_concern_withdrawn_before_acknowledgement_is_told_to_the_champions_who_could_have_taken_it(
    concern, vcs_member, respondent_champion, champion
):
    already = set(CaseEmail.objects.values_list("pk", flat=True))

    services.concern_withdraw(concern=concern, actor=vcs_member, today=RAISED_ON)

    emails = CaseEmail.objects.exclude(pk__in=already)
    assert {email.to for email in emails} == {vcs_member.email, respondent_champion.email, champion.email}


@alone
def test_a_new_concern_detail_gives_the_acknowledgement_deadline(concern, vcs_member):
    email = CaseEmail.objects.get(to=vcs_member.email)

    assert email.subject == "CC-2026-0001: a Compact concern has been received"
    assert "acknowledge it by 9 November 2026" in email.body
    assert f"{settings.PORTAL_BASE_URL}/concerns/CC-2026-0001/" in email.body


@alone
def test_people_whose_accounts_are_closed_get_no_email(raise_concern, vcs_member, respondent_champion, champion):
    vcs_member.is_active = False
    vcs_member.save()
    respondent_champion.is_active = False
    respondent_champion.save()

    raise_concern()

    assert set(CaseEmail.objects.values_list("to", flat=True)) == {champion.email}


@alone
def test_a_rolled_back_step_leaves_no_email_and_queues_no_sending(
    concern, champion, django_capture_on_commit_callbacks
):
    before = CaseEmail.objects.count()

    def step_then_failure():
        with transaction.atomic():
            services.concern_acknowledge(concern=concern, actor=champion, today=ACKNOWLEDGED_ON)
            raise RuntimeError("the request failed after the step")

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError):
        step_then_failure()

    assert callbacks == []
    assert CaseEmail.objects.count() == before
    concern.refresh_from_db()
    assert concern.stage == "received"


@alone
def test_the_emails_are_sent_once_the_step_commits(concern, champion, django_capture_on_commit_callbacks, mailoutbox):
    CaseEmail.objects.update(sent_at=datetime.datetime(2026, 11, 2, tzinfo=datetime.UTC))  # the raising's, already sent

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.concern_acknowledge(concern=concern, actor=champion, today=ACKNOWLEDGED_ON)
    assert mailoutbox == []
    assert len(callbacks) == 2  # the case's compliance re-check, then the e-mails

    for callback in callbacks:
        callback()

    assert sorted(message.to[0] for message in mailoutbox) == sorted(
        CaseEmail.objects.filter(subject__contains="acknowledged").values_list("to", flat=True)
    )
    assert all(message.subject == "CC-2026-0001: the concern is acknowledged" for message in mailoutbox)
    assert not CaseEmail.objects.filter(sent_at=None).exists()


def test_a_refused_step_writes_no_email(case_at, champion):
    concern = case_at("informal")
    before = CaseEmail.objects.count()

    with pytest.raises(PermissionDenied):
        services.formal_escalate(concern=concern, actor=champion, today=ESCALATED_ON, reasons="R.")

    assert CaseEmail.objects.count() == before


def test_assigning_the_same_panel_member_twice_emails_once(case_at, champion, second_panel_member):
    concern = case_at("appeal")
    before = CaseEmail.objects.count()

    services.panel_assign(concern=concern, actor=champion, member=second_panel_member)
    once = CaseEmail.objects.count()
    services.panel_assign(concern=concern, actor=champion, member=second_panel_member)

    assert once > before
    assert CaseEmail.objects.count() == once
    assert PanelAssignment.objects.filter(concern=concern).count() == 2


# --- history (the audit trail) ---------------------------------------------------------------------------------


def test_a_panel_assignment_is_kept_in_history_with_who_made_it(case_at, champion, second_panel_member):
    assignment = services.panel_assign(concern=case_at("appeal"), actor=champion, member=second_panel_member)

    record = assignment.history.get()
    assert (record.history_type, record.member, record.history_user) == ("+", second_panel_member, champion)


@alone
def test_the_history_of_a_drafts_file_shows_its_move_to_the_concern(compact, vcs_member, raise_concern):
    draft = services.draft_save(actor=vcs_member, compact=compact, data={}, files=pdfs(1, prefix="kept"))
    document = draft.documents.get()

    concern = raise_concern()

    kept, moved = document.history.order_by("history_date", "history_id")
    assert (kept.history_type, kept.draft_id, kept.concern_id) == ("+", draft.pk, None)
    assert (moved.history_type, moved.draft_id, moved.concern_id, moved.history_user) == (
        "~",
        None,
        concern.pk,
        vcs_member,
    )


# --- The same form sent twice ----------------------------------------------------------------------------------


@alone
def test_the_same_form_sent_twice_raises_one_concern_and_sends_its_emails_once(raise_concern, mailoutbox):
    key = uuid.uuid4()

    first = raise_concern(submission_key=key)
    emails = CaseEmail.objects.count()
    again = raise_concern(submission_key=key, what_happened="Typed again.")

    assert again.pk == first.pk
    assert Concern.objects.count() == 1
    assert Concern.objects.get().what_happened == first.what_happened
    assert CaseEmail.objects.count() == emails
    assert ConcernSequence.objects.get().last_number == 1  # no reference used up by the repeat


@alone
def test_two_forms_raise_two_concerns(raise_concern):
    raise_concern(submission_key=uuid.uuid4())
    raise_concern(submission_key=uuid.uuid4())

    assert Concern.objects.count() == 2


@alone
def test_someone_else_cannot_send_a_form_key_already_used(raise_concern, charity):
    key = uuid.uuid4()
    raise_concern(submission_key=key)
    colleague = MembershipFactory(organisation=charity, role=Role.VCS_MEMBER).user

    with pytest.raises(PermissionDenied):
        raise_concern(submission_key=key, actor=colleague)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: two sessions at the same moment")
@pytest.mark.django_db(transaction=True)
def test_a_double_click_raises_one_concern_even_when_both_posts_arrive_together(raise_concern):
    key = uuid.uuid4()
    both_ready = threading.Barrier(2)
    raised, failures = [], []

    def post():
        try:
            both_ready.wait(timeout=10)
            raised.append(raise_concern(submission_key=key))
        except Exception as error:  # reported below, with the other thread's outcome
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert failures == []
    assert len({concern.pk for concern in raised}) == 1
    assert Concern.objects.count() == 1
