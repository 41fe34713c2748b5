"""Reads about concerns, shared by the pages, the e-mails, the services' permission checks and later the jobs.

Who sees a case: members of the organisation that raised it; members of the body it is about (and the
champions appointed in that body), without the raiser's identity when it is withheld; the compact's
champions; and the compact's dispute panel members (people with the panel role in an organisation that
has signed the compact). Everyone else, administrators included, is told the case does not exist.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, Min, OuterRef, Prefetch, Q, QuerySet

from commitments.models import Champion, Commitment, Compact, Organisation, SignatureStatus, UndertakenBy
from compact_portal.accounts.models import Membership, User
from compact_portal.accounts.roles import Role
from compact_portal.periods import Period

from . import rules
from .models import FINISHED_STAGES, CaseDocument, CaseEvent, Concern, Outcome, Party, Stage

ACTING_MEMBER_ROLES = (Role.VCS_MEMBER, Role.OFFICER)  # the roles that act for an organisation


def _panel_memberships(user: User, compact):
    """``user``'s panel roles in organisations that have signed ``compact`` (an id or an OuterRef)."""
    return Membership.objects.filter(
        user=user,
        role=Role.PANEL_MEMBER,
        organisation__signatures__compact=compact,
        organisation__signatures__status=SignatureStatus.APPROVED,
    )


def concerns_visible_to(*, user: User) -> QuerySet[Concern]:
    """Every case ``user`` may open (none for a visitor who is not signed in)."""
    if not user.is_authenticated:
        return Concern.objects.none()
    return Concern.objects.filter(
        Q(raised_by=user)
        | Exists(Membership.objects.filter(user=user, organisation=OuterRef("raiser_id")))
        | Exists(Membership.objects.filter(user=user, organisation=OuterRef("respondent_id")))
        | Exists(Champion.objects.filter(user=user, compact=OuterRef("compact_id")))
        | Exists(_panel_memberships(user, OuterRef("compact_id")))
    )


@dataclass(frozen=True)
class CaseAccess:
    """What one person is in one case. ``parties`` are the parts they may act in (rules.available_steps)."""

    parties: frozenset[str]
    raiser_side: bool
    respondent_side: bool
    panel_member: bool
    sees_raiser: bool
    # For a champion of the case's compact who may not steer it, being on one of its sides (rules.has_conflict):
    # the organisation of the case that gives them the conflict (rules.party_sat_in); None for anyone else.
    champion_conflict_in: int | None = None

    @property
    def is_party(self) -> bool:
        return self.raiser_side or self.respondent_side

    @property
    def may_steer_as_champion(self) -> bool:
        return rules.CHAMPION in self.parties

    @property
    def assigned_to_panel(self) -> bool:
        return rules.PANEL in self.parties


# Someone on neither side: what case_access gives a visitor, who sees no case anyway.
NO_ACCESS = CaseAccess(
    parties=frozenset(), raiser_side=False, respondent_side=False, panel_member=False, sees_raiser=True
)


def case_access(*, user: User, concern: Concern) -> CaseAccess:
    """Work out ``user``'s part in ``concern`` (a handful of queries; the case page asks once).

    A champion or panel member with a membership in either organisation in the case has a conflict of
    interest: they may follow the case as a party would, but not steer or decide it. Champions appointed
    in the body concerned count as that body's side, so a withheld identity stays hidden from them.
    """
    if not user.is_authenticated:
        # A visitor's pk is None, as is ``raised_by`` once that account is deleted: never match them.
        return NO_ACCESS
    memberships = set(
        Membership.objects.filter(
            user=user, organisation_id__in=(concern.raiser_id, concern.respondent_id)
        ).values_list("organisation_id", "role")
    )
    member_of = {organisation_id for organisation_id, _ in memberships}
    acts_for = {organisation_id for organisation_id, role in memberships if role in ACTING_MEMBER_ROLES}
    appointments = set(
        Champion.objects.filter(user=user, compact_id=concern.compact_id).values_list("organisation_id", flat=True)
    )
    raised_it = concern.raised_by_id == user.pk
    ties = rules.Ties(member_of=frozenset(member_of), appointed_in=frozenset(appointments), raised_it=raised_it)
    raiser_side, respondent_side = rules.sides(ties, raiser_id=concern.raiser_id, respondent_id=concern.respondent_id)
    conflicted = raiser_side or respondent_side
    steers = bool(appointments) and not conflicted
    on_panel = _panel_memberships(user, concern.compact_id).exists()
    assigned = on_panel and not conflicted and concern.panel_assignments.filter(member=user).exists()
    parties = set()
    if raised_it or concern.raiser_id in acts_for:
        parties.add(rules.RAISER)
    if concern.respondent_id in acts_for:
        parties.add(rules.RESPONDENT)
    if steers:
        parties.add(rules.CHAMPION)
    if assigned:
        parties.add(rules.PANEL)
    return CaseAccess(
        parties=frozenset(parties),
        raiser_side=raiser_side,
        respondent_side=respondent_side,
        panel_member=on_panel,
        sees_raiser=rules.sees_raiser(
            ties, raiser_id=concern.raiser_id, respondent_id=concern.respondent_id, withheld=concern.withhold_identity
        ),
        champion_conflict_in=(
            rules.party_sat_in(ties, raiser_id=concern.raiser_id, respondent_id=concern.respondent_id)
            if appointments
            else None
        ),
    )


def cases_nobody_can_steer(concerns: Iterable[Concern]) -> set[int]:
    """The ids of those of ``concerns`` that no active champion of their compact may steer, each champion having a
    conflict of interest (``rules.nobody_to_steer``, the one decision the case page and the worklists share).
    Two queries whatever the number of cases (none for no cases); the cases' own fields are all it reads."""
    concerns = list(concerns)
    if not concerns:
        return set()
    appointments: dict[int, dict[int, set[int]]] = {}  # {compact: {champion: organisations appointed in}}
    for compact_id, user_id, organisation_id in Champion.objects.filter(
        compact_id__in={concern.compact_id for concern in concerns}, user__is_active=True
    ).values_list("compact_id", "user_id", "organisation_id"):
        appointments.setdefault(compact_id, {}).setdefault(user_id, set()).add(organisation_id)
    member_of: dict[int, set[int]] = {}
    champions = {user_id for by_user in appointments.values() for user_id in by_user}
    if champions:
        parties = {organisation for concern in concerns for organisation in (concern.raiser_id, concern.respondent_id)}
        for user_id, organisation_id in Membership.objects.filter(
            user_id__in=champions, organisation_id__in=parties
        ).values_list("user_id", "organisation_id"):
            member_of.setdefault(user_id, set()).add(organisation_id)
    stuck = set()
    for concern in concerns:
        ties = (
            rules.Ties(
                member_of=frozenset(member_of.get(user_id, ())),
                appointed_in=frozenset(organisations),
                raised_it=concern.raised_by_id == user_id,
            )
            for user_id, organisations in appointments.get(concern.compact_id, {}).items()
        )
        if rules.nobody_to_steer(ties, raiser_id=concern.raiser_id, respondent_id=concern.respondent_id):
            stuck.add(concern.pk)
    return stuck


def case_facts(concern: Concern, *, today: datetime.date) -> rules.CaseFacts:
    """What ``rules.available_steps`` and ``rules.step_refusal`` need to know of ``concern`` on ``today``.

    Reads only the case's own fields and its compact: no query when the compact is loaded with the case (as
    ``case_detail`` and the services' locked case load it).
    """
    return rules.CaseFacts(
        stage=concern.stage,
        today=today,
        formal_response_due=concern.formal_response_due,
        responded=concern.formal_responded_on is not None,
        decided=concern.formal_decided_on is not None,
        extended=concern.formal_extension_days is not None,
        most_extension_days=concern.compact.dispute_formal_extension_days,
        appeal_lodge_by=concern.appeal_lodge_by,
    )


def case_detail(*, user: User, reference: str) -> Concern:
    """One case the person may see, with what its page shows; raises Concern.DoesNotExist otherwise."""
    return (
        concerns_visible_to(user=user)
        .select_related("compact", "raiser", "respondent", "raised_by", "champion")
        .prefetch_related(
            Prefetch("commitments", queryset=Commitment.objects.order_by("position")),
            Prefetch("commitments_found_broken", queryset=Commitment.objects.order_by("position")),
            Prefetch("events", queryset=CaseEvent.objects.select_related("actor", "document")),
            Prefetch("documents", queryset=CaseDocument.objects.select_related("uploaded_by")),
            "panel_assignments__member",
        )
        .get(reference=reference)
    )


def documents_visible(*, concern: Concern, access: CaseAccess) -> list[CaseDocument]:
    """The raiser's documents are withheld from the body's side when the raiser asked for anonymity."""
    documents = list(concern.documents.all())
    if access.sees_raiser:
        return documents
    return [document for document in documents if document.side != Party.RAISER]


def concern_list(*, user: User, today: datetime.date) -> QuerySet[Concern]:
    """The cases ``user`` may see, each with ``raiser_hidden`` (withheld from them) and ``overdue``."""
    if not user.is_authenticated:  # the filters below need a real user
        return Concern.objects.none()
    on_body_side = Exists(Membership.objects.filter(user=user, organisation=OuterRef("respondent_id"))) | Exists(
        Champion.objects.filter(user=user, compact=OuterRef("compact_id"), organisation=OuterRef("respondent_id"))
    )
    on_raiser_side = Q(raised_by=user) | Exists(
        Membership.objects.filter(user=user, organisation=OuterRef("raiser_id"))
    )
    return (
        concerns_visible_to(user=user)
        .select_related("compact", "raiser", "respondent")
        .annotate(
            raiser_hidden=ExpressionWrapper(
                Q(withhold_identity=True) & on_body_side & ~on_raiser_side, output_field=BooleanField()
            ),
            overdue=ExpressionWrapper(Q(stage__in=rules.OPEN, step_due_by__lt=today), output_field=BooleanField()),
        )
    )


def panel_cases(*, user: User) -> QuerySet[Concern]:
    """Cases on which ``user`` sits on the panel, and open appeals of their compacts awaiting a panel."""
    return (
        concerns_visible_to(user=user)
        .filter(Q(panel_assignments__member=user) | Q(stage=Stage.APPEAL, panel_assignments__isnull=True))
        .filter(Exists(_panel_memberships(user, OuterRef("compact_id"))))
        .select_related("compact", "respondent")
        .distinct()
    )


def open_cases_of_panel(*, user: User) -> QuerySet[Concern]:
    """The open cases of every compact on whose dispute panel ``user`` sits (all of which they may open)."""
    return Concern.objects.filter(stage__in=rules.OPEN).filter(Exists(_panel_memberships(user, OuterRef("compact_id"))))


def compacts_for_raising() -> QuerySet[Compact]:
    """Compacts (not withdrawn) with a public-body signatory: those a concern can be raised under."""
    return (
        Compact.objects.exclude(status="withdrawn")
        .filter(
            Exists(
                Organisation.objects.filter(
                    side="public",
                    signatures__compact=OuterRef("pk"),
                    signatures__status=SignatureStatus.APPROVED,
                )
            )
        )
        .order_by("name")
    )


def raising_organisations(*, user: User) -> QuerySet[Organisation]:
    """The organisations ``user`` may raise a concern for: those they act for as a VCS member or officer."""
    if not user.is_authenticated:
        return Organisation.objects.none()
    return (
        Organisation.objects.filter(memberships__user=user, memberships__role__in=ACTING_MEMBER_ROLES)
        .distinct()
        .order_by("name")
    )


def respondents_for(*, compact: Compact) -> QuerySet[Organisation]:
    """The public bodies that have signed ``compact``: those a concern can be about."""
    return Organisation.objects.filter(
        side="public", signatures__compact=compact, signatures__status=SignatureStatus.APPROVED
    ).order_by("name")


def commitments_for_concern(*, compact: Compact) -> QuerySet[Commitment]:
    """The compact's commitments a public body can break: those undertaken by public bodies or both sides."""
    return (
        Commitment.objects.filter(compact=compact, side__in=(UndertakenBy.PUBLIC, UndertakenBy.BOTH))
        .select_related("section")
        .order_by("position")
    )


def panel_candidates(*, concern: Concern) -> QuerySet[User]:
    """The compact's panel members, each annotated ``conflicted`` when they belong to either party
    (a membership there, or a champion's appointment there in this compact)."""
    party_ids = (concern.raiser_id, concern.respondent_id)
    return (
        User.objects.filter(
            is_active=True,
            memberships__role=Role.PANEL_MEMBER,
            memberships__organisation__signatures__compact_id=concern.compact_id,
            memberships__organisation__signatures__status=SignatureStatus.APPROVED,
        )
        .annotate(
            conflicted=Exists(Membership.objects.filter(user=OuterRef("pk"), organisation_id__in=party_ids))
            | Exists(
                Champion.objects.filter(
                    user=OuterRef("pk"), compact_id=concern.compact_id, organisation_id__in=party_ids
                )
            )
        )
        .distinct()
        .order_by("full_name")
    )


@dataclass(frozen=True)
class Tally:
    label: str
    count: int


def casework_record(*, compact: Compact) -> dict[str, list[Tally] | int]:
    """The compact's anonymised casework: counts only, never a name, reference or free text.

    Cases by stage, by commitment cited (and found broken), by kind of body concerned, and by outcome.
    """
    concerns = Concern.objects.filter(compact=compact)
    by_stage = dict(concerns.values_list("stage").annotate(n=Count("pk")))
    by_outcome = dict(concerns.filter(stage__in=FINISHED_STAGES).values_list("outcome").annotate(n=Count("pk")))
    by_kind = dict(concerns.values_list("respondent__organisation_type").annotate(n=Count("pk")))
    kind_labels = dict(Organisation._meta.get_field("organisation_type").choices)
    commitments = (
        Commitment.objects.filter(compact=compact)
        .annotate(
            cited=Count("concerns", distinct=True),
            found_broken=Count("concerns_found_broken", distinct=True),
        )
        .filter(cited__gt=0)
        .order_by("-cited", "position")
    )
    return {
        "total": sum(by_stage.values()),
        "by_stage": [Tally(label, by_stage.get(value, 0)) for value, label in Stage.choices],
        "by_outcome": [Tally(label, by_outcome.get(value, 0)) for value, label in Outcome.choices],
        "by_kind": sorted(
            (Tally(kind_labels.get(kind, "Other public body"), n) for kind, n in by_kind.items()),
            key=lambda tally: (-tally.count, tally.label),
        ),
        "by_commitment": list(commitments),
    }


def overdue_steps(*, today: datetime.date) -> QuerySet[Concern]:
    """Open cases whose current step's last day has passed (for the compliance scan)."""
    return Concern.objects.filter(stage__in=rules.OPEN, step_due_by__lt=today).exclude(step="")


@dataclass(frozen=True)
class StageAge:
    """How many of a period's cases are at one stage now, and how many days the oldest has run."""

    stage: str
    label: str
    count: int
    oldest_days: int | None  # since it was received; None for finished stages, whose age has stopped


def cases_of(*, compact: Compact, organisation: Organisation | None = None) -> QuerySet[Concern]:
    """The compact's cases (those raised by or about ``organisation``, if given)."""
    concerns = Concern.objects.filter(compact=compact)
    if organisation is not None:
        concerns = concerns.filter(Q(raiser=organisation) | Q(respondent=organisation))
    return concerns


def cases_by_stage(
    *,
    compact: Compact,
    period: Period,
    windows: Sequence[Period],
    today: datetime.date,
    organisation: Organisation | None = None,
) -> tuple[list[StageAge], list[int]]:
    """The cases received during ``period`` (raised by or about ``organisation``, if given) by their stage
    today, in the order of the process; and how many cases were received in each of ``windows``. One query."""
    in_period = Q(received_on__range=(period.start, period.end))
    columns = {
        f"received_{i}": Count("pk", filter=Q(received_on__range=(w.start, w.end))) for i, w in enumerate(windows)
    }
    rows = (
        cases_of(compact=compact, organisation=organisation)
        .values("stage")
        .annotate(n=Count("pk", filter=in_period), oldest=Min("received_on", filter=in_period), **columns)
        .order_by()
    )
    found, received = {}, [0] * len(windows)
    for row in rows:
        found[row["stage"]] = (row["n"], row["oldest"])
        for i in range(len(windows)):
            received[i] += row[f"received_{i}"]
    stages = []
    for value, label in Stage.choices:
        count, oldest = found.get(value, (0, None))
        running = oldest is not None and value not in FINISHED_STAGES
        stages.append(StageAge(value, label, count, (today - oldest).days if running else None))
    return stages, received
