"""Which steps each person may take on a case, from one table: for every step, every person and every situation a
case can be in, the rules offer the step (``rules.available_steps``), the case page shows its form, and the
service takes it, or none of the three does, and the service refuses with the rules' words.

``TABLE`` is written out from the disputes process (as ``disputes/rules.py``'s docstring tells it), not copied from
the code. Everything else here is derived from it: who may take each step at all, the stages at which it exists,
and so whether a refusal is about the person's part (PermissionDenied) or the case's state (ValidationError).

The cases live in one world for the module (``world``; tests/worlds.py), built once in a transaction rolled back at
the end; each test's own changes are in its own savepoint (``db``), rolled back after it, so no test sees another's.
The world's dates are counted back from the day it is built, which is the day the pages and services are asked about.
"""

import datetime
import itertools
import re
from dataclasses import dataclass, field

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from commitments.models import Champion, OrganisationType
from commitments.services.live import _Batch
from compact_portal.accounts.models import User
from compact_portal.accounts.roles import Role
from disputes import rules, selectors, services
from disputes.models import CaseEmail, Concern, EventKind, Outcome, Stage
from disputes.rules import CaseStep
from disputes.views.cases import STEPS
from tests.accounts.factories import MembershipFactory, UserFactory
from tests.commitments.factories import CompactFactory, OrganisationFactory, PublicBodyFactory, SignatureFactory
from tests.disputes.conftest import catalogue
from tests.disputes.factories import PDF, ConcernFactory, case_snapshot, pdfs
from tests.worlds import shared_world

pytestmark = pytest.mark.django_db

DAYS = datetime.timedelta(days=1)

# --- The one table ------------------------------------------------------------------------------------------------

# The situations a case can be in, each with its stage. "formal": the body's response is awaited within its
# deadline; "formal_extended": the same, the deadline extended once already; "formal_overdue": the deadline has
# passed with no response; "responded": the body has responded; "decided": the formal outcome is given and the appeal
# window is open; "decided_unanswered": the same, the outcome given for want of a response; "window_passed": the
# outcome's appeal window has passed unused; "appeal": an appeal lodged in time, a panel member assigned, and the
# window it was lodged in since passed.
SITUATIONS = {
    "received": Stage.RECEIVED,
    "acknowledged": Stage.ACKNOWLEDGED,
    "informal": Stage.INFORMAL,
    "formal": Stage.FORMAL,
    "formal_extended": Stage.FORMAL,
    "formal_overdue": Stage.FORMAL,
    "responded": Stage.FORMAL,
    "decided": Stage.FORMAL,
    "decided_unanswered": Stage.FORMAL,
    "window_passed": Stage.FORMAL,
    "appeal": Stage.APPEAL,
    "closed": Stage.CLOSED,
    "withdrawn": Stage.WITHDRAWN,
}

# The people, by the part they play in a case the food bank raised about the trust: "raiser" acts for the food bank;
# "respondent" is an officer of the trust; "champion" is the compact's champion at the council (neutral);
# "conflicted_champion" is its champion at the trust (on the trust's side, so steers nothing); "panel" sits on the
# compact's panel and is assigned at the appeal; "unassigned_panel" sits on it and is not; "outsider" is a member of
# another charity that signed; "administrator" administers the council's account; "bystander_officer" is an officer
# of the council, a signatory but not a party; "no_roles" has an account and nothing else.
PEOPLE = (
    "raiser",
    "respondent",
    "champion",
    "conflicted_champion",
    "panel",
    "unassigned_panel",
    "outsider",
    "administrator",
    "bystander_officer",
    "no_roles",
)
SEES_CASE = {"raiser", "respondent", "champion", "conflicted_champion", "panel", "unassigned_panel"}
# Who the services are tried by: everyone but the bystander officer and the person with no roles, who have no part in
# the case as the outsider and the administrator have none (the pages, which tell them apart, are tried by everyone).
ACTORS = PEOPLE[:8]

PARTY_AND_PAPERS = {"note", "documents"}
RAISER_OPEN = {"withdraw", *PARTY_AND_PAPERS}
STEERING = {"meeting", *PARTY_AND_PAPERS}
AT_FORMAL = {"assign-panel", *STEERING}

# What each person may do in each situation; a person not named may do nothing there.
TABLE: dict[str, dict[str, set[str]]] = {
    "received": {
        "raiser": RAISER_OPEN,
        "respondent": PARTY_AND_PAPERS,
        "champion": {"acknowledge", *STEERING},
    },
    "acknowledged": {
        "raiser": RAISER_OPEN,
        "respondent": PARTY_AND_PAPERS,
        "champion": {"start-informal", *STEERING},
    },
    "informal": {
        "raiser": {"escalate", *RAISER_OPEN},
        "respondent": PARTY_AND_PAPERS,
        "champion": {"close", *STEERING},
    },
    "formal": {
        "raiser": RAISER_OPEN,
        "respondent": {"extend", "respond", *PARTY_AND_PAPERS},
        "champion": {"extend", *AT_FORMAL},
    },
    "formal_extended": {
        "raiser": RAISER_OPEN,
        "respondent": {"respond", *PARTY_AND_PAPERS},
        "champion": AT_FORMAL,
    },
    "formal_overdue": {
        "raiser": RAISER_OPEN,
        "respondent": {"respond", *PARTY_AND_PAPERS},
        "champion": {"formal-outcome", *AT_FORMAL},
    },
    "responded": {
        "raiser": RAISER_OPEN,
        "respondent": PARTY_AND_PAPERS,
        "champion": {"formal-outcome", *AT_FORMAL},
    },
    "decided": {
        "raiser": {"appeal", *RAISER_OPEN},
        "respondent": {"appeal", *PARTY_AND_PAPERS},
        "champion": AT_FORMAL,
    },
    "decided_unanswered": {
        "raiser": {"appeal", *RAISER_OPEN},
        "respondent": {"appeal", *PARTY_AND_PAPERS},
        "champion": AT_FORMAL,
    },
    "window_passed": {
        "raiser": RAISER_OPEN,
        "respondent": PARTY_AND_PAPERS,
        "champion": {"close", *AT_FORMAL},
    },
    "appeal": {
        "raiser": RAISER_OPEN,
        "respondent": PARTY_AND_PAPERS,
        "champion": AT_FORMAL,
        "panel": {"decide-appeal", *STEERING},
    },
    "closed": {"raiser": {"note"}, "respondent": {"note"}, "champion": {"note"}, "panel": {"note"}},
    "withdrawn": {"raiser": {"note"}, "respondent": {"note"}, "champion": {"note"}},
}

# The steps that refuse someone whose part never allows them before looking at the case's stage: assigning the panel,
# recording a meeting, adding a note or a document. (The others first refuse a case not at their stage, whoever asks.)
PART_FIRST = {"assign-panel", "meeting", "note", "documents"}


def offered(situation: str, person: str) -> set[str]:
    """The steps ``person`` may take in ``situation``."""
    return TABLE[situation].get(person, set())


def offered_to(step: str, situation: str) -> set[str]:
    """The people who may take ``step`` in ``situation``."""
    return {person for person, steps in TABLE[situation].items() if step in steps}


def parts(step: str) -> set[str]:
    """The people who may take ``step`` in some situation: those whose part allows it."""
    return {person for situation in TABLE for person in offered_to(step, situation)}


def stages(step: str) -> set[str]:
    """The stages at which ``step`` exists: someone may take it in some situation at that stage."""
    return {SITUATIONS[situation] for situation in TABLE if any(step in steps for steps in TABLE[situation].values())}


def expected_refusal(step: str, situation: str, person: str):
    """What the service raises when the table does not offer ``step`` to ``person`` in ``situation``: a step the
    person's part never allows is PermissionDenied, unless the step does not exist at the case's stage and is not
    one of PART_FIRST (then ValidationError, whoever asks); a step of theirs the case is not ready for (or no
    longer) is ValidationError."""
    theirs = person in TABLE[situation] and person in parts(step)
    if step in PART_FIRST and not theirs:
        return PermissionDenied
    if SITUATIONS[situation] not in stages(step):
        return ValidationError
    return ValidationError if theirs else PermissionDenied


# What a step taken leaves: the stage it moves the case to (None: the stage stays), the timeline event it writes,
# and whether it e-mails the parties.
@dataclass(frozen=True)
class Effect:
    to_stage: str | None
    kind: str
    emails: bool = True


EFFECTS = {
    "acknowledge": Effect(Stage.ACKNOWLEDGED, EventKind.STAGE),
    "start-informal": Effect(Stage.INFORMAL, EventKind.STAGE),
    "escalate": Effect(Stage.FORMAL, EventKind.STAGE),
    "extend": Effect(None, EventKind.EXTENSION),
    "respond": Effect(None, EventKind.RESPONSE),
    "formal-outcome": Effect(None, EventKind.OUTCOME),
    "appeal": Effect(Stage.APPEAL, EventKind.STAGE),
    "assign-panel": Effect(None, EventKind.PANEL),
    "decide-appeal": Effect(Stage.CLOSED, EventKind.STAGE),
    "close": Effect(Stage.CLOSED, EventKind.STAGE),
    "withdraw": Effect(Stage.WITHDRAWN, EventKind.STAGE),
    "meeting": Effect(None, EventKind.MEETING, emails=False),
    "note": Effect(None, EventKind.NOTE, emails=False),
    "documents": Effect(None, EventKind.DOCUMENT, emails=False),
}


def test_the_table_names_every_step_the_rules_and_the_page_know():
    in_the_table = {step for situation in TABLE.values() for steps in situation.values() for step in steps}
    assert in_the_table == set(CaseStep) == set(STEPS) == set(EFFECTS)
    assert list(TABLE) == list(SITUATIONS)
    assert {person for situation in TABLE.values() for person in situation} <= SEES_CASE <= set(PEOPLE)


# --- The world ----------------------------------------------------------------------------------------------------


@dataclass
class World:
    today: datetime.date
    compact: object
    charity: object
    trust: object
    people: dict[str, User]
    cases: dict[str, Concern] = field(default_factory=dict)
    # What the world holds once built, read once: no test changes it for the next.
    parties: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)  # by (situation, person)
    events: dict[str, int] = field(default_factory=dict)  # each case's timeline, by situation
    emails: int = 0  # the e-mails written

    def case(self, situation: str) -> Concern:
        """The situation's case as the database has it now (never an object an earlier test changed)."""
        return Concern.objects.select_related("compact").get(pk=self.cases[situation].pk)

    def take_stock(self) -> None:
        for situation, concern in self.cases.items():
            self.events[situation] = concern.events.count()
            for person, user in self.people.items():
                self.parties[(situation, person)] = selectors.case_access(user=user, concern=concern).parties
        self.emails = CaseEmail.objects.count()


def _people(compact, council, trust, charity, other_charity) -> dict[str, User]:
    """The people of PEOPLE, as tests/conftest.py and tests/disputes/conftest.py make them."""

    def member(organisation, role, name):
        return MembershipFactory(organisation=organisation, role=role, user__full_name=name).user

    champion = member(council, Role.CHAMPION, "Cara Champion")
    Champion.objects.create(compact=compact, organisation=council, user=champion)
    trust_champion = member(trust, Role.CHAMPION, "Tara Trustchampion")
    Champion.objects.create(compact=compact, organisation=trust, user=trust_champion)
    return {
        "raiser": member(charity, Role.VCS_MEMBER, "Val Member"),
        "respondent": member(trust, Role.OFFICER, "Rhys Respondent"),
        "champion": champion,
        "conflicted_champion": trust_champion,
        "panel": member(other_charity, Role.PANEL_MEMBER, "Pat Panel"),
        "unassigned_panel": member(other_charity, Role.PANEL_MEMBER, "Quinn Panel"),
        "outsider": member(other_charity, Role.VCS_MEMBER, "Oscar Outsider"),
        "administrator": member(council, Role.ADMINISTRATOR, "Ada Admin"),
        "bystander_officer": member(council, Role.OFFICER, "Olivia Officer"),
        "no_roles": UserFactory(full_name="Nadia Noroles"),
    }


def _build_cases(w: World) -> None:
    """One case per situation, each taken there through the services by the people whose steps they are, on days
    counted back from ``w.today``: far enough back (60 days: 20 working days and any holidays between) that a
    deadline counted from them has passed, and the day itself where it must not have."""
    t, p = w.today, w.people
    raised_on = t - 150 * DAYS
    long_ago, longer_ago = t - 60 * DAYS, t - 120 * DAYS

    def raised() -> Concern:
        return ConcernFactory(
            actor=p["raiser"],
            raiser=w.charity,
            compact=w.compact,
            respondent=w.trust,
            today=raised_on,
            happened_on=raised_on - 10 * DAYS,
        )

    def acknowledged() -> Concern:
        return services.concern_acknowledge(concern=raised(), actor=p["champion"], today=raised_on + DAYS)

    def informal() -> Concern:
        return services.informal_start(concern=acknowledged(), actor=p["champion"], today=raised_on + 2 * DAYS)

    def formal(escalated: datetime.date) -> Concern:
        return services.formal_escalate(concern=informal(), actor=p["raiser"], today=escalated, reasons="No agreement.")

    def responded(escalated: datetime.date) -> Concern:
        return services.formal_respond(
            concern=formal(escalated), actor=p["respondent"], today=escalated + 5 * DAYS, response="In June."
        )

    def decided(concern: Concern, on: datetime.date) -> Concern:
        return services.formal_outcome_record(
            concern=concern,
            actor=p["champion"],
            today=on,
            outcome=Outcome.UPHELD,
            reasons="Two weeks is not three months.",
            commitments_found_broken=list(concern.commitments.all()),
        )

    def appealed() -> Concern:
        concern = decided(responded(longer_ago), long_ago)
        concern = services.appeal_lodge(
            concern=concern, actor=p["respondent"], today=long_ago + DAYS, grounds="The letter was missed."
        )
        services.panel_assign(concern=concern, actor=p["champion"], member=p["panel"])
        return concern

    build = {
        "received": raised,
        "acknowledged": acknowledged,
        "informal": informal,
        "formal": lambda: formal(t),
        "formal_extended": lambda: services.formal_extend(
            concern=formal(t), actor=p["respondent"], today=t, days=5, reasons="Officer on leave."
        ),
        "formal_overdue": lambda: formal(long_ago),
        "responded": lambda: responded(long_ago),
        "decided": lambda: decided(responded(long_ago), t),
        "decided_unanswered": lambda: decided(formal(long_ago), t),
        "window_passed": lambda: decided(responded(longer_ago), long_ago),
        "appeal": appealed,
        "closed": lambda: services.appeal_decide(
            concern=appealed(),
            actor=p["panel"],
            today=long_ago + 10 * DAYS,
            outcome=Outcome.NOT_UPHELD,
            reasons="The letter was sent.",
        ),
        "withdrawn": lambda: services.concern_withdraw(concern=raised(), actor=p["raiser"], today=raised_on + DAYS),
    }
    for situation in SITUATIONS:
        w.cases[situation] = build[situation]()


@pytest.fixture(scope="module")
def module_media_root(tmp_path_factory):
    return tmp_path_factory.mktemp("test-steps-media")


@pytest.fixture
def media_root(settings, module_media_root):
    """tests/disputes/conftest.py's autouse fixture of this name, with one folder for the module's uploads rather
    than a folder made per test (each upload's name is its own)."""
    settings.MEDIA_ROOT = module_media_root
    return module_media_root


@pytest.fixture(scope="module")
def shared(django_db_setup, django_db_blocker, tmp_path_factory):
    """One world for the module (tests/worlds.py): built once, rolled back after the module's last test."""
    with shared_world(django_db_blocker, tmp_path_factory):
        council = PublicBodyFactory(name="Portsmouth City Council")
        trust = PublicBodyFactory(name="Portsmouth Hospitals NHS Trust", organisation_type=OrganisationType.NHS_BODY)
        charity = OrganisationFactory(name="Southsea Community Food Bank")
        other_charity = OrganisationFactory(name="Fratton Youth Network")
        compact = CompactFactory(name="Portsmouth Compact", status="adopted", adopted_date=datetime.date(2026, 4, 1))
        for organisation in (council, trust, charity, other_charity):
            SignatureFactory(compact=compact, organisation=organisation)
        catalogue(compact)
        built = World(
            today=timezone.localdate(),
            compact=compact,
            charity=charity,
            trust=trust,
            people=_people(compact, council, trust, charity, other_charity),
        )
        _build_cases(built)
        built.take_stock()
        # The world's re-checks never run (its transaction never commits): a test's steps ask for their own.
        for _savepoints, callback, *_rest in connection.run_on_commit:
            if isinstance(callback, _Batch):
                callback.sealed = True
        yield built


@pytest.fixture
def world(shared, db) -> World:
    """The module's world, each test's changes to it in the test's own transaction, nested in the world's."""
    return shared


# --- Offered, taken, or refused: the rules, the services ------------------------------------------------------------


def _take(step: str, concern: Concern, actor: User, world: World):
    """Take ``step`` through its service, with everything the step asks for given well."""
    today = world.today
    match step:
        case "acknowledge":
            return services.concern_acknowledge(concern=concern, actor=actor, today=today)
        case "start-informal":
            return services.informal_start(concern=concern, actor=actor, today=today)
        case "escalate":
            return services.formal_escalate(concern=concern, actor=actor, today=today, reasons="No agreement.")
        case "extend":
            return services.formal_extend(concern=concern, actor=actor, today=today, days=5, reasons="On leave.")
        case "respond":
            return services.formal_respond(concern=concern, actor=actor, today=today, response="Our reply.")
        case "formal-outcome":
            return services.formal_outcome_record(
                concern=concern, actor=actor, today=today, outcome=Outcome.NOT_UPHELD, reasons="Notice was given."
            )
        case "appeal":
            return services.appeal_lodge(concern=concern, actor=actor, today=today, grounds="Evidence missed.")
        case "assign-panel":
            return services.panel_assign(concern=concern, actor=actor, member=world.people["unassigned_panel"])
        case "decide-appeal":
            return services.appeal_decide(
                concern=concern, actor=actor, today=today, outcome=Outcome.NOT_UPHELD, reasons="Notice was given."
            )
        case "close":
            return services.concern_close(concern=concern, actor=actor, today=today, reasons="Agreed.")
        case "withdraw":
            return services.concern_withdraw(concern=concern, actor=actor, today=today, reasons="Done.")
        case "meeting":
            return services.meeting_record(
                concern=concern,
                actor=actor,
                kind="mediation",
                held_on=today,
                attendees="Both sides.",
                notes="",
                today=today,
            )
        case "note":
            return services.note_add(concern=concern, actor=actor, text="Papers sent to both sides.")
        case "documents":
            return services.document_add(concern=concern, actor=actor, files=pdfs(1, "minutes"))
    raise ValueError(step)


MATRIX = [
    pytest.param(step, situation, person, id=f"{step}-{situation}-{person}")
    for step, situation, person in itertools.product(CaseStep, SITUATIONS, ACTORS)
]


@pytest.mark.parametrize(("step", "situation", "person"), MATRIX)
def test_a_step_is_offered_exactly_when_its_service_takes_it(world, step, situation, person):
    """The rules offer the step as the table says; the service takes an offered step, and refuses any other with
    the rules' words (PermissionDenied or ValidationError, as ``expected_refusal``), changing nothing and sending
    nothing."""
    concern = world.case(situation)
    actor = world.people[person]
    expected = step in offered(situation, person)
    facts = selectors.case_facts(concern, today=world.today)
    parties = world.parties[(situation, person)]
    events, emails = world.events[situation], world.emails

    assert (step in rules.available_steps(facts, parties)) is expected

    if not expected:
        with pytest.raises(expected_refusal(step, situation, person)) as refused:
            _take(step, concern, actor, world)
        words = refused.value.messages if isinstance(refused.value, ValidationError) else [str(refused.value)]
        assert words == [rules.step_refusal(step, facts, parties).message]
        concern.refresh_from_db()
        assert concern.stage == SITUATIONS[situation]
        assert concern.events.count() == events
        assert CaseEmail.objects.count() == emails
        return

    _take(step, concern, actor, world)

    effect = EFFECTS[step]
    concern.refresh_from_db()
    assert concern.stage == (effect.to_stage or SITUATIONS[situation])
    event = concern.events.last()
    assert (event.kind, event.actor, event.side) == (effect.kind, actor, person)
    if event.kind == EventKind.STAGE:
        assert (event.from_stage, event.to_stage) == (SITUATIONS[situation], concern.stage)
    assert (CaseEmail.objects.count() > emails) is effect.emails


# --- The case page ------------------------------------------------------------------------------------------------


def _url(name, *args):
    return reverse(f"disputes:{name}", args=args)


def _page(response) -> str:
    return response.content.decode()


def _steps_offered(response) -> set[str]:
    return set(re.findall(r'id="step-([a-z-]+)"', _page(response)))


@pytest.mark.parametrize("person", sorted(SEES_CASE))
@pytest.mark.parametrize("situation", list(SITUATIONS))
def test_the_case_page_offers_exactly_the_steps_of_the_table(world, client, situation, person):
    concern = world.case(situation)
    client.force_login(world.people[person])

    response = client.get(concern.get_absolute_url())

    assert response.status_code == 200
    assert _steps_offered(response) == offered(situation, person)
    if person == "conflicted_champion" and concern.is_open:
        # Told why they cannot act instead (the world has a champion without a conflict: test_unassignable.py).
        assert "a party to this concern, so you cannot steer it. A champion of this compact without a conflict" in (
            _page(response)
        )
        assert "There is nothing for you to do" not in _page(response)
    elif not offered(situation, person):
        assert "There is nothing for you to do on this case now." in _page(response)


def _key_situation(step: str) -> str:
    """Where the page's step is tried: the first situation in which the most people may take it."""
    return max(SITUATIONS, key=lambda situation: len(offered_to(step, situation)))


def _step_data(step: str, concern: Concern, world: World) -> dict:
    """Valid form data for ``step`` on ``concern`` (fields prefixed with the step's key, as on the page)."""
    today = timezone.localdate()
    data = {
        "acknowledge": {"note": "Taking it on."},
        "start-informal": {"note": "First meeting next week."},
        "escalate": {"reasons": "Two meetings, no agreement."},
        "extend": {"days": "5", "reasons": "The chief executive is away."},
        "respond": {"response": "Notice was given in June."},
        "formal-outcome": {
            "outcome": Outcome.UPHELD,
            "commitments_found_broken": [concern.commitments.first().pk],
            "reasons": "Two weeks is not three months.",
        },
        "appeal": {"grounds": "The notice letter was missed."},
        "assign-panel": {"member": world.people["unassigned_panel"].pk},
        "decide-appeal": {"outcome": Outcome.NOT_UPHELD, "reasons": "The letter was sent.", "lessons_learned": ""},
        "close": {"reasons": "Agreed at the second meeting.", "lessons_learned": "Talk early."},
        "withdraw": {"reasons": "Sorted out between us."},
        "meeting": {"meeting_kind": "mediation", "meeting_date": today.isoformat(), "attendees": "Both sides."},
        "note": {"text": "Papers sent to both sides."},
        "documents": {"documents": [_pdf("minutes.pdf")], "description": "Minutes"},
    }[step]
    return {f"{step}-{name}": value for name, value in data.items()}


def _pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def _taken(step: str, concern: Concern) -> bool:
    concern = Concern.objects.get(pk=concern.pk)
    return {
        "acknowledge": lambda: concern.stage == Stage.ACKNOWLEDGED,
        "start-informal": lambda: concern.stage == Stage.INFORMAL,
        "escalate": lambda: concern.stage == Stage.FORMAL,
        "extend": lambda: concern.formal_extension_days == 5,
        "respond": lambda: concern.formal_response == "Notice was given in June.",
        "formal-outcome": lambda: concern.formal_outcome == Outcome.UPHELD and concern.appeal_lodge_by is not None,
        "appeal": lambda: concern.stage == Stage.APPEAL,
        "assign-panel": lambda: concern.panel_assignments.filter(member__full_name="Quinn Panel").exists(),
        "decide-appeal": lambda: concern.stage == Stage.CLOSED and concern.outcome == Outcome.NOT_UPHELD,
        "close": lambda: concern.stage == Stage.CLOSED and concern.outcome == Outcome.RESOLVED_BY_AGREEMENT,
        "withdraw": lambda: concern.stage == Stage.WITHDRAWN,
        "meeting": lambda: concern.events.filter(kind=EventKind.MEETING).exists(),
        "note": lambda: concern.events.filter(kind=EventKind.NOTE, text="Papers sent to both sides.").exists(),
        "documents": lambda: concern.documents.filter(original_name="minutes.pdf").exists(),
    }[step]()


def _is_sign_in_redirect(response) -> bool:
    return response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.parametrize("person", ["anonymous", *PEOPLE])
@pytest.mark.parametrize("step", list(CaseStep))
def test_each_step_can_be_taken_through_the_page_by_its_people_only(world, client, step, person):
    situation = _key_situation(step)
    concern = world.case(situation)
    before = case_snapshot(concern)
    if person != "anonymous":
        client.force_login(world.people[person])

    response = client.post(_url("case_action", concern.reference, step), _step_data(step, concern, world))

    if person == "anonymous":
        assert _is_sign_in_redirect(response)
    elif step in offered(situation, person):
        assert response.status_code == 302
        assert response.url == concern.get_absolute_url()
        assert _taken(step, concern)
        return
    else:
        assert response.status_code == (403 if person in SEES_CASE else 404)
    assert case_snapshot(concern) == before


@pytest.mark.parametrize("step", list(CaseStep))
def test_a_step_taken_shows_its_message_and_the_new_state(world, client, step):
    situation = _key_situation(step)
    concern = world.case(situation)
    client.force_login(world.people[sorted(offered_to(step, situation))[0]])

    response = client.post(_url("case_action", concern.reference, step), _step_data(step, concern, world), follow=True)

    assert response.redirect_chain == [(concern.get_absolute_url(), 302)]
    assert [str(message) for message in response.context["messages"]] == [STEPS[step].done]
    concern.refresh_from_db()
    assert f'<p class="lead">{concern.get_stage_display()}' in _page(response)
