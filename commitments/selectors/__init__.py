"""Reads about compacts, signatories and compliance flags, shared by the pages, the jobs and the exports."""

import datetime
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Case, Count, Exists, Min, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When

from compact_portal.accounts.models import Membership, User
from compact_portal.accounts.roles import Role

from ..models import (
    LIVE_STATUSES,
    Champion,
    Commitment,
    Compact,
    ComplianceRun,
    Flag,
    FlagEvent,
    FlagStatus,
    IdentifierChange,
    IdentifierChangeStatus,
    Organisation,
    RuleKey,
    Section,
    Side,
    Signature,
    SignatureStatus,
)
from ..rulebook import PORTAL_DEFAULT, PORTAL_DEFAULTS


def compact_list() -> QuerySet[Compact]:
    return Compact.objects.annotate(
        signatory_count=Count("signatures", filter=Q(signatures__status=SignatureStatus.APPROVED))
    ).order_by("name")


def compact_detail(*, slug: str) -> Compact:
    """The compact with its principles, sections (each with its commitments) and champions, in 5 queries."""
    return (
        Compact.objects.annotate(
            signatory_count=Count("signatures", filter=Q(signatures__status=SignatureStatus.APPROVED))
        )
        .prefetch_related(
            "principles",
            Prefetch(
                "sections",
                queryset=Section.objects.prefetch_related(
                    Prefetch("commitments", queryset=Commitment.objects.order_by("position"))
                ),
            ),
            Prefetch("champions", queryset=Champion.objects.select_related("organisation", "user")),
        )
        .get(slug=slug)
    )


def signatories() -> QuerySet[Organisation]:
    """Organisations that have signed at least one compact, with the date they first signed."""
    approved = Signature.objects.filter(organisation=OuterRef("pk"), status=SignatureStatus.APPROVED)
    return (
        Organisation.objects.filter(Exists(approved))
        .annotate(first_signed=Min("signatures__signed_date", filter=Q(signatures__status=SignatureStatus.APPROVED)))
        .prefetch_related("communities")
    )


def signatory_detail(*, slug: str) -> Organisation:
    return Organisation.objects.prefetch_related(
        "communities",
        "services",
        Prefetch("signatures", queryset=Signature.objects.select_related("compact").order_by("compact__name")),
        Prefetch("champions", queryset=Champion.objects.select_related("compact", "user")),
    ).get(slug=slug)


def compacts_decided_by(*, user: User) -> QuerySet[Compact]:
    """The compacts whose sign-up applications ``user`` may decide: all for administrators, else those
    where they are an appointed champion."""
    if user.has_role(Role.ADMINISTRATOR):
        return Compact.objects.all()
    return Compact.objects.filter(champions__user=user).distinct()


def applications_to_decide(*, user: User) -> QuerySet[Signature]:
    return (
        Signature.objects.filter(status=SignatureStatus.APPLIED, compact__in=compacts_decided_by(user=user))
        .select_related("compact", "organisation", "applied_by")
        .order_by("applied_at")
    )


def organisations_acting_for(*, user: User) -> QuerySet[Organisation]:
    """Organisations the person may act for on the compact: as an officer or a VCS member."""
    return Organisation.objects.filter(
        memberships__user=user, memberships__role__in=[Role.OFFICER, Role.VCS_MEMBER]
    ).distinct()


# --- Organisations' own directory entries ------------------------------------------------------------------------


def entries_editable_by(*, user: User) -> QuerySet[Organisation]:
    """The organisations whose directory entry ``user`` may edit: those in which they hold any role (a VCS member,
    an officer, a champion appointed there...), or every one for an administrator. None for a visitor."""
    if not user.is_authenticated or not user.is_active:
        return Organisation.objects.none()
    if user.has_role(Role.ADMINISTRATOR):
        return Organisation.objects.all()
    return Organisation.objects.filter(Exists(Membership.objects.filter(user=user, organisation=OuterRef("pk"))))


def may_edit_entry(*, user: User, organisation: Organisation) -> bool:
    return entries_editable_by(user=user).filter(pk=organisation.pk).exists()


def latest_identifier_change(*, organisation: Organisation) -> IdentifierChange | None:
    """The organisation's latest request to change its registration numbers, whatever became of it."""
    return organisation.identifier_changes.select_related("requested_by", "decided_by").first()


def identifier_changes_to_decide() -> QuerySet[IdentifierChange]:
    """Requests to change registration numbers waiting for an administrator, oldest first."""
    return (
        IdentifierChange.objects.filter(status=IdentifierChangeStatus.PENDING)
        .select_related("organisation", "requested_by")
        .order_by("requested_at", "pk")
    )


# What the history of an organisation tracks that is bookkeeping, not its entry.
_NOT_ENTRY_FIELDS = frozenset({"id", "created_at", "updated_at"})
_ENTRY_FIELD_NAMES = {"communities": "communities served", "services": "services offered"}


@dataclass(frozen=True)
class EntryChange:
    """What changed in one organisation's directory entry since a moment: the fields (their names, in the entry's
    order), when it was last changed and by whom ("" when no one signed in made it: an import, a command)."""

    organisation_id: int
    name: str
    slug: str
    fields: tuple[str, ...]
    at: datetime.datetime
    by: str
    history_id: int  # its latest version, so an item about it is new when it changes again


def entry_field_label(name: str) -> str:
    """A field of an organisation's entry in words, as the pages and lists of changes name it: "contact e-mail"."""
    return _ENTRY_FIELD_NAMES.get(name) or str(Organisation._meta.get_field(name).verbose_name)


def _entry_fields() -> list[tuple[str, str]]:
    """(attribute, name in words) of each field of an organisation's history that is part of its entry."""
    plain = [
        (field.attname, entry_field_label(field.name))
        for field in Organisation._meta.concrete_fields
        if field.name not in _NOT_ENTRY_FIELDS
    ]
    return plain + list(_ENTRY_FIELD_NAMES.items())


def entry_changes_since(*, organisations: QuerySet[Organisation], since: datetime.datetime) -> list[EntryChange]:
    """The entries of ``organisations`` changed since ``since``, from their history: each one's latest version
    compared with its last version before ``since``, so a change made and undone in between shows nothing (nor
    does an organisation new since then: there is nothing to compare). By name. At most four queries whatever the
    number of organisations and versions: the latest versions, the versions before, and the communities and
    services each of those versions held (one when nothing changed)."""
    historical = Organisation.history.model
    latest = historical.objects.filter(id=OuterRef("id")).order_by("-history_date", "-history_id")
    before = latest.filter(history_date__lt=since)
    changed = list(
        historical.objects.filter(id__in=organisations.values("pk"), history_date__gte=since)
        .filter(Exists(before), history_id=Subquery(latest.values("history_id")[:1]))
        .select_related("history_user")
        .order_by("name", "id")
    )
    if not changed:
        return []
    earlier = {
        version.id: version
        for version in historical.objects.filter(
            id__in=[version.id for version in changed], history_date__lt=since
        ).filter(history_id=Subquery(before.values("history_id")[:1]))
    }
    versions = [version.history_id for version in changed] + [version.history_id for version in earlier.values()]
    held: dict[tuple[str, int], set[int]] = {}
    for name, related in (("communities", "community_id"), ("services", "service_id")):
        through = historical._meta.get_field(f"historicalorganisation_{name}").related_model
        for history_id, pk in through.objects.filter(history_id__in=versions).values_list("history_id", related):
            held.setdefault((name, history_id), set()).add(pk)

    def value(version, attribute):
        if attribute in _ENTRY_FIELD_NAMES:
            return held.get((attribute, version.history_id), set())
        return getattr(version, attribute)

    found = []
    for version in changed:
        previous = earlier[version.id]
        fields = tuple(
            label for attribute, label in _entry_fields() if value(version, attribute) != value(previous, attribute)
        )
        if not fields:
            continue
        user = version.history_user
        found.append(
            EntryChange(
                organisation_id=version.id,
                name=version.name,
                slug=version.slug,
                fields=fields,
                at=version.history_date,
                by=(user.full_name or user.email) if user else "",
                history_id=version.history_id,
            )
        )
    return found


# --- Compliance flags ----------------------------------------------------------------------------


def flags_visible_to(*, user: User) -> QuerySet[Flag]:
    """Champions see their compacts' flags, officers their own bodies', administrators every flag."""
    if not user.is_authenticated:
        return Flag.objects.none()
    if user.has_role(Role.ADMINISTRATOR):
        return Flag.objects.all()
    return Flag.objects.filter(
        Exists(Champion.objects.filter(user=user, compact=OuterRef("compact_id")))
        | Exists(Membership.objects.filter(user=user, role=Role.OFFICER, organisation=OuterRef("organisation_id")))
    )


def may_decide_flag(*, user: User, flag: Flag) -> bool:
    """Only a champion of the flag's compact, holding the champion role, waives or reopens it."""
    return (
        user.is_authenticated
        and user.has_role(Role.CHAMPION)
        and Champion.objects.filter(user=user, compact_id=flag.compact_id).exists()
    )


def flag_list(*, user: User) -> QuerySet[Flag]:
    return flags_visible_to(user=user).select_related("compact", "organisation")


def flag_detail(*, user: User, pk: int) -> Flag:
    """One flag the person may see, with its history; raises ``Flag.DoesNotExist`` otherwise."""
    return (
        flags_visible_to(user=user)
        .select_related("compact", "organisation", "commitment", "status_changed_by")
        .prefetch_related(Prefetch("events", queryset=FlagEvent.objects.select_related("by")))
        .get(pk=pk)
    )


def flags_on_records(*, records: dict[str, Iterable[int]], user: User) -> QuerySet[Flag]:
    """The flags about some records ({record type: ids}), live ones first, for the records' pages (one query).

    Each is annotated ``openable``: whether ``user`` may open the flag's own page.
    """
    about = Q(pk__in=[])
    for record_type, ids in records.items():
        about |= Q(record_type=record_type, record_id__in=list(ids))
    live_first = Case(
        When(status=FlagStatus.OPEN, then=Value(0)),
        When(status=FlagStatus.AT_RISK, then=Value(1)),
        When(status=FlagStatus.WAIVED, then=Value(2)),
        default=Value(3),
    )
    return (
        Flag.objects.filter(about)
        .annotate(openable=Exists(flags_visible_to(user=user).filter(pk=OuterRef("pk"))))
        .select_related("organisation", "compact")
        .order_by(live_first, "due_date", "pk")
    )


def commitments_carrying_rules(
    *, compact: Compact | None = None, rule_key: str | None = None
) -> dict[tuple[int, str], tuple[str, int]]:
    """{(compact id, measurable rule): (clause, commitment id)}: the commitment each compact's catalogue carries
    for each rule, its first by position, which flags and figures cite. A pair missing is a promise the compact's
    document does not make (the portal's default applies). One query, for one compact or rule, or all."""
    commitments = Commitment.objects.exclude(rule_key="")
    if compact is not None:
        commitments = commitments.filter(compact=compact)
    if rule_key is not None:
        commitments = commitments.filter(rule_key=rule_key)
    carrying = {}
    for compact_id, rule, code, pk in commitments.order_by("-position", "-pk").values_list(
        "compact_id", "rule_key", "code", "pk"
    ):
        carrying[(compact_id, rule)] = (code, pk)  # the first by position is the last written, so it is kept
    return carrying


def clauses_of(*, compact: Compact) -> dict[str, str]:
    """{measurable rule: clause} of the commitments ``compact``'s catalogue carries (``commitments_carrying_rules``);
    a rule missing is a promise its document does not make. One query per compact object: the answer is kept on
    it, so a page citing several promises of one compact reads the catalogue once."""
    cached = getattr(compact, "_clauses_by_rule", None)
    if cached is None:
        carried = commitments_carrying_rules(compact=compact)
        cached = {rule: code for (_id, rule), (code, _pk) in carried.items()}
        compact._clauses_by_rule = cached
    return cached


def cite(*, compact: Compact, rule: str) -> str:
    """How a page names the promise ``rule`` of ``compact``, in a sentence: "commitment 13.3" (Portsmouth),
    "commitment PSA 18" (Leicestershire), or "the portal's default (this compact states no such rule)"."""
    clause = clauses_of(compact=compact).get(rule)
    return f"commitment {clause}" if clause else "the portal's default (this compact states no such rule)"


class Promise:
    """The promise of the measurable rule ``rule`` in each compact, in words, for lists that name the promise
    behind each of their records (the "Waiting for you" items): one query reads the clause every compact gives
    the rule, on first use, whatever the number of records or compacts."""

    def __init__(self, rule: str):
        self.rule = rule
        self._clauses: dict[int, str] | None = None

    def why(self, compact: Compact) -> str:
        """The commitment in plain words, in the compact's own settings: "Invoices paid within 10 working days"."""
        text = PORTAL_DEFAULTS[self.rule](compact)
        return text[:1].upper() + text[1:]

    def clause(self, compact: Compact) -> str:
        """The clause, "clause 11.2"; or where the compact's document makes no such promise, the portal's default,
        as a flag cites it (``rulebook.citation``): "portal default; this compact states no such rule"."""
        if self._clauses is None:
            carried = commitments_carrying_rules(rule_key=self.rule)
            self._clauses = {compact_id: code for (compact_id, _rule), (code, _pk) in carried.items()}
        code = self._clauses.get(compact.pk)
        return f"clause {code}" if code else f"{PORTAL_DEFAULT.lower()}; this compact states no such rule"

    def cited(self, compact: Compact) -> dict[str, str]:
        """A worklist item's fields that name the promise in ``compact``: why, its clause, the compact's name and
        the nation whose bank holidays count its working days."""
        return {
            "why": self.why(compact),
            "clause": self.clause(compact),
            "compact": compact.name,
            "nation": compact.nation,
        }


def flags_raised_in(*, run: ComplianceRun, earlier_runs: list[int] = ()) -> QuerySet[Flag]:
    """Flags the run raised, or made open or at risk again: what its digest reports; and those ``earlier_runs``
    (live re-checks since the last digest, runs that died before theirs) raised that are still open or at risk."""
    live_events = FlagEvent.objects.filter(flag=OuterRef("pk"), status__in=LIVE_STATUSES)
    raised = Exists(live_events.filter(run=run))
    if earlier_runs:
        raised = raised | (Exists(live_events.filter(run__in=earlier_runs)) & Q(status__in=LIVE_STATUSES))
    return Flag.objects.filter(raised)


def flags_for_export(*, compact: Compact | None = None, status: str | None = None) -> QuerySet[Flag]:
    flags = Flag.objects.select_related("compact", "organisation").order_by("compact__slug", "rule", "due_date", "pk")
    if compact is not None:
        flags = flags.filter(compact=compact)
    if status:
        flags = flags.filter(status=status)
    return flags


# --- Figures for the dashboards and reports ---------------------------------------------------------


SIGNED = (SignatureStatus.APPROVED, SignatureStatus.WITHDRAWN)  # signed, whether or not withdrawn since


def _in_force_on(on: datetime.date) -> Q:
    """Signed by ``on`` and not withdrawn by then."""
    return Q(signed_date__lte=on) & (Q(withdrawn_date__isnull=True) | Q(withdrawn_date__gt=on))


def signatories_by_side(*, compact: Compact, dates: Sequence[datetime.date]) -> list[dict[str, int]]:
    """For each date, how many organisations had signed ``compact`` by then and not withdrawn, by side; one
    query."""
    signed = Signature.objects.filter(compact=compact, status__in=SIGNED)
    columns = {
        f"{side}_{i}": Count("pk", filter=Q(organisation__side=side) & _in_force_on(on))
        for i, on in enumerate(dates)
        for side in Side.values
    }
    row = signed.aggregate(**columns)
    return [{side: row[f"{side}_{i}"] for side in Side.values} for i in range(len(dates))]


def signatures_on(
    *, compact: Compact, on: datetime.date, organisation: Organisation | None = None, side: str = ""
) -> QuerySet[Signature]:
    """The signatures in force on ``on`` (of ``organisation``, or of one side, if given): the records behind
    the signatories figure."""
    signatures = Signature.objects.filter(_in_force_on(on), compact=compact, status__in=SIGNED)
    if organisation is not None:
        signatures = signatures.filter(organisation=organisation)
    if side:
        signatures = signatures.filter(organisation__side=side)
    return signatures


@dataclass(frozen=True)
class FlagCount:
    key: str  # the rule key or the clause, for the drill-down to the flag list
    label: str
    count: int


def open_flags_by_rule_and_clause(
    *, compact: Compact, organisation: Organisation | None = None
) -> tuple[list[FlagCount], list[FlagCount]]:
    """The compact's open flags (against ``organisation``, if given) by rule and by clause, most first; one
    query."""
    flags = Flag.objects.filter(compact=compact, status=FlagStatus.OPEN)
    if organisation is not None:
        flags = flags.filter(organisation=organisation)
    by_rule, by_clause = Counter(), Counter()
    for rule, clause, n in flags.values_list("rule", "clause").annotate(n=Count("pk")).order_by():
        by_rule[rule] += n
        by_clause[clause] += n
    return (
        [FlagCount(rule, RuleKey(rule).label, n) for rule, n in sorted(by_rule.items(), key=lambda i: (-i[1], i[0]))],
        [
            FlagCount(clause, clause or PORTAL_DEFAULT, n)
            for clause, n in sorted(by_clause.items(), key=lambda i: (-i[1], i[0]))
        ],
    )
