"""The audit trail: every recorded change to the portal's records, newest first (administrators only).

It reads django-simple-history's tables (one per tracked model: who, when, created/changed/deleted and the
record's values after the change, ``history_change_reason`` naming an import, command or job, see
``compact_portal/audit.py``) and the compliance flags' ``FlagEvent`` rows (each a change of a flag's status,
by a person or by a compliance run).

A page costs the same number of queries however many changes are stored:

1. one ``UNION ALL`` over the sources (kind, id, date), filtered, newest first, ``LIMIT``/``OFFSET``;
2. for each kind of record on the page, its rows (with the id of each one's previous version, found by a
   correlated subquery) and, for changes, those previous versions;
3. for each kind of record they name (people, organisations, compacts, funding...), the names;
4. for organisations, the communities they served before and after (a many-to-many field).

Two rules keep private what the case pages keep private:

- what a record says is never shown, only that it changed: the private fields of ``PRIVATE_FIELDS``
  (``compact_portal/history_privacy.py``), which the admin's History pages honour too;
- a Compact concern's rows (the concern's, its panel assignments' and its documents') are listed only to an
  administrator who may open the case (``disputes.selectors.concerns_visible_to``, the case page's rule), and
  for a concern whose raiser asked to be withheld, the raising organisation, the person who raised it, the
  uploader of the raiser's documents and "who" of each change made by the raising side are shown as withheld
  (nor does filtering by a person's e-mail find those changes).
"""

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.apps import apps
from django.contrib import admin
from django.db import connection, models
from django.db.models import BooleanField, Exists, ExpressionWrapper, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import HistoricalRecords

from commitments.models import FlagEvent, FlagStatus
from compact_portal.accounts.models import Membership, User
from compact_portal.history_privacy import NOT_SHOWN, private_fields
from consultations.rules import consultation_reference
from disputes.models import Concern, Party
from disputes.selectors import concerns_visible_to

CREATED, CHANGED, DELETED = "+", "~", "-"
ACTIONS = {CREATED: "created", CHANGED: "changed", DELETED: "deleted"}
ACTION_CHOICES = [("created", "Created"), ("changed", "Changed"), ("deleted", "Deleted")]
_TYPE_OF_ACTION = {action: code for code, action in ACTIONS.items()}
FLAG = "flag"
FLAG_LABEL = "Compliance flag"
EMPTY = "—"
WITHHELD = "(withheld)"
WHO_WITHHELD = "The organisation that raised the concern (identity withheld)"


def _choice(row, name: str) -> str:
    field = row.instance_type._meta.get_field(name)
    return str(dict(field.flatchoices).get(getattr(row, name), getattr(row, name)))


def _day(value: datetime.date | None) -> str:
    return date_format(value) if value else EMPTY


Ref = Callable[[str], str]


@dataclass(frozen=True)
class Kind:
    """A kind of record with a history: its key in the filter, its name, and how a row of it is named."""

    key: str
    label: str
    model_path: str
    describe: Callable[[Any, Ref], str]
    link: str | None = "self"  # "self": the record's admin page; a field name: that record's; None: no link
    field_labels: tuple[tuple[str, str], ...] = ()  # (field, label) where the field's own name is ambiguous
    # A Compact concern's records: the field naming the concern ("self" for the concern itself) and the fields
    # naming its raising side, withheld when the raiser asked (always for the concern; for a record with
    # ``raisers_record``, only when it holds: a document of the raiser's side, whose saving is withheld too).
    case: str | None = None
    raising_fields: tuple[str, ...] = ()
    raisers_record: Q | None = None

    @cached_property
    def hidden(self) -> frozenset[str]:
        """The fields whose values are never shown, only that they changed (compact_portal/history_privacy.py)."""
        return private_fields(self.model)

    @cached_property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.model_path)

    @cached_property
    def history_model(self) -> type[models.Model]:
        return self.model.history.model  # (the manager is built afresh at each access: keep the model)

    @cached_property
    def shown_fields(self) -> list[models.Field]:
        """The fields whose values the trail shows: not the id, the automatic timestamps or stored file paths."""
        return [
            field
            for field in self.history_model.tracked_fields
            if not field.primary_key
            and not getattr(field, "auto_now", False)
            and not getattr(field, "auto_now_add", False)
            and not isinstance(field, models.FileField)
        ]

    @cached_property
    def m2m_fields(self) -> list[models.ManyToManyField]:
        return list(getattr(self.history_model, "_history_m2m_fields", []))


KINDS = (
    Kind("compact", "Compact", "commitments.Compact", lambda r, ref: r.name),
    Kind("organisation", "Organisation", "commitments.Organisation", lambda r, ref: r.name),
    Kind(
        "signature", "Signature", "commitments.Signature",
        lambda r, ref: f"{ref('organisation')} – {ref('compact')}",
    ),
    Kind(
        "champion", "Champion", "commitments.Champion",
        lambda r, ref: f"{ref('user')}, champion of {ref('compact')} at {ref('organisation')}"
        + (f" ({r.service_team})" if r.service_team else ""),
    ),
    Kind(
        "membership", "Membership", "accounts.Membership",
        lambda r, ref: f"{ref('user')} – {_choice(r, 'role')} at {ref('organisation')}",
    ),
    Kind("funding_relationship", "Funding relationship", "funding.FundingRelationship",
         lambda r, ref: f"{r.reference}: {r.title}"),
    Kind(
        "decision", "Funding decision", "funding.Decision",
        lambda r, ref: f"{_choice(r, 'kind')} (told {_day(r.told_date)}) on {ref('relationship')}",
    ),
    Kind(
        "invoice", "Invoice", "funding.Invoice",
        lambda r, ref: f"Invoice {r.invoice_number} on {ref('relationship')}",
    ),
    Kind(
        "payment", "Payment", "funding.Payment",
        lambda r, ref: f"£{r.amount:,} paid {_day(r.paid_date)} against {ref('invoice')}",
    ),
    Kind(
        "notice", "Notice", "funding.Notice",
        lambda r, ref: f"{_choice(r, 'kind')} notice of {_day(r.notice_date)} on {ref('relationship')}",
    ),
    Kind(
        "consultation", "Consultation", "consultations.Consultation",
        lambda r, ref: f"{consultation_reference(r.id)}: {r.title}",
    ),
    Kind(
        "consultation_document", "Consultation document", "consultations.ConsultationDocument",
        lambda r, ref: f"{r.title} ({ref('consultation')})", link="consultation",
    ),
    Kind(
        "response", "Consultation response", "consultations.Response",
        lambda r, ref: f"{ref('organisation')} on {ref('consultation')}",
    ),
    Kind(
        "response_attachment", "Response attachment", "consultations.ResponseAttachment",
        lambda r, ref: f"Attachment to the response of {ref('response')}", link="response",
    ),
    Kind(
        "feedback", "Consultation feedback", "consultations.Feedback",
        lambda r, ref: f"Feedback on {ref('consultation')}", link="consultation",
    ),
    Kind("policy_area", "Policy area", "consultations.PolicyArea", lambda r, ref: r.name),
    # A case opens only on its own page, to the people in it (README, "Who sees a case"): no links to them.
    Kind(
        "concern", "Compact concern", "disputes.Concern", lambda r, ref: r.reference, link=None,
        field_labels=(("raiser", "Raised by (organisation)"), ("raised_by", "Raised by (person)")),
        case="self", raising_fields=("raiser", "raised_by"),
    ),
    Kind(
        "panel_assignment", "Panel assignment", "disputes.PanelAssignment",
        lambda r, ref: f"{ref('member')} on the panel of {ref('concern')}", link=None, case="concern",
    ),
    Kind(
        "case_document", "Case document", "disputes.CaseDocument",
        lambda r, ref: f"Document on {ref('concern')}" if r.concern_id else "Document on a draft concern",
        link=None, case="concern", raising_fields=("uploaded_by",), raisers_record=Q(side=Party.RAISER),
    ),
)  # fmt: skip
KINDS_BY_KEY = {kind.key: kind for kind in KINDS}
KIND_CHOICES = [*((kind.key, kind.label) for kind in KINDS), (FLAG, "Compliance flag (status)")]

# How a record named by another is labelled: related rows to fetch with it, and the label.
_TARGET_LABELS: dict[str, tuple[tuple[str, ...], Callable[[Any], str]]] = {
    "accounts.User": ((), lambda user: user.full_name or user.email),
    "funding.FundingRelationship": ((), lambda funding: funding.reference),
    "funding.Invoice": ((), lambda invoice: f"invoice {invoice.invoice_number}"),
    "consultations.Consultation": ((), lambda consultation: consultation.title),
    "consultations.Response": (("organisation", "consultation"), lambda r: f"{r.organisation} on {r.consultation}"),
}
# Named without a query: a concern's draft is its raiser's, and is gone once the concern is sent.
_FIXED_LABELS = {"disputes.ConcernDraft": "the raiser's draft"}


@dataclass(frozen=True)
class AuditFilters:
    kind: str = ""
    person: str = ""  # part of the e-mail address of the person who made the change
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None  # inclusive
    action: str = ""  # "created", "changed" or "deleted"


@dataclass(frozen=True)
class Change:
    field: str
    before: str | None  # None: a creation (only the value after) or nothing before
    after: str | None  # None: a deletion (only the last value)


@dataclass(frozen=True)
class AuditEntry:
    kind: str
    kind_label: str
    at: datetime.datetime
    action: str  # created, changed, deleted
    person: User | None
    via: str  # the import, command, job or compliance run that made the change, if any
    record: str
    url: str | None
    changes: tuple[Change, ...]
    note: str = ""


# --- The list of changes (one query) -------------------------------------------------------------------


def _aware(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _people(part_of_email: str):
    return User.objects.filter(email__icontains=part_of_email).values("pk")


# --- Compact concerns: whose rows an administrator sees, and what is withheld -----------------------------


def _case_of(kind: Kind):
    """The concern a history row of ``kind`` belongs to. A document kept on a draft belongs to none until the
    concern is sent; then to the concern that any version of it joined."""
    pk = kind.model._meta.pk.attname
    if kind.case == "self":
        return F(pk)
    column = kind.model._meta.get_field(kind.case).attname
    joined = kind.history_model._default_manager.filter(**{pk: OuterRef(pk), f"{column}__isnull": False})
    return Coalesce(F(column), Subquery(joined.order_by().values(column)[:1]), output_field=models.BigIntegerField())


def _withheld_case():
    """The row's concern (``a_case``), if its raiser asked for their identity to be withheld."""
    return Concern.objects.filter(pk=OuterRef("a_case"), withhold_identity=True)


def _who_withheld(kind: Kind):
    """Whether the row's change was made by the raising side of a withheld concern: the person who raised it or
    a member of the raising organisation (or, for a raiser's document, whoever saved it)."""
    on_raising_side = Q(raised_by_id=OuterRef("history_user_id")) | Exists(
        Membership.objects.filter(organisation_id=OuterRef("raiser_id"), user_id=OuterRef(OuterRef("history_user_id")))
    )
    withheld = Exists(_withheld_case().filter(on_raising_side))
    if kind.raisers_record is not None:
        withheld = withheld | (Exists(_withheld_case()) & kind.raisers_record)
    return withheld


def _cases_only(rows, kind: Kind, viewer: User):
    """A concern's rows for a viewer who may open its case (the case page's rule), each with its ``a_case``."""
    return rows.alias(a_case=_case_of(kind)).filter(a_case__in=concerns_visible_to(user=viewer).values("pk"))


def _history_branch(kind: Kind, filters: AuditFilters, viewer: User):
    rows = kind.history_model._default_manager.order_by()
    if kind.case:
        if not viewer.is_authenticated:
            return None
        rows = _cases_only(rows, kind, viewer)
    if filters.person:
        rows = rows.filter(history_user__in=_people(filters.person))
        if kind.case:  # a withheld "who" is not found by its e-mail either
            rows = rows.exclude(_who_withheld(kind))
    if filters.date_from:
        rows = rows.filter(history_date__gte=_aware(filters.date_from))
    if filters.date_to:
        rows = rows.filter(history_date__lt=_aware(filters.date_to + datetime.timedelta(days=1)))
    if filters.action:
        rows = rows.filter(history_type=_TYPE_OF_ACTION[filters.action])
    return rows.annotate(
        a_kind=Value(kind.key, output_field=models.CharField()), a_id=F("history_id"), a_date=F("history_date")
    ).values_list("a_kind", "a_id", "a_date")


def _earlier_events():
    """The same flag's events before this one (ordered by time, then id)."""
    return FlagEvent.objects.filter(flag_id=OuterRef("flag_id")).filter(
        Q(at__lt=OuterRef("at")) | Q(at=OuterRef("at"), pk__lt=OuterRef("pk"))
    )


def _flag_branch(filters: AuditFilters):
    events = FlagEvent.objects.order_by()
    if filters.person:
        events = events.filter(by__in=_people(filters.person))
    if filters.date_from:
        events = events.filter(at__gte=_aware(filters.date_from))
    if filters.date_to:
        events = events.filter(at__lt=_aware(filters.date_to + datetime.timedelta(days=1)))
    if filters.action == "deleted":
        return None  # flags are never deleted, only resolved or waived
    if filters.action:  # a flag's first event raised it (created); the others changed its status
        earlier = Exists(_earlier_events())
        events = events.filter(earlier if filters.action == "changed" else ~earlier)
    return events.annotate(
        a_kind=Value(FLAG, output_field=models.CharField()), a_id=F("pk"), a_date=F("at")
    ).values_list("a_kind", "a_id", "a_date")


def _page_keys(
    filters: AuditFilters, viewer: User, offset: int, limit: int
) -> list[tuple[str, int, datetime.datetime]]:
    """(kind, id, date) of the changes from ``offset``, newest first: one query.

    Where the database allows it (PostgreSQL), each source is cut to its own newest ``offset + limit`` rows first,
    read backwards along its date index, so a page never sorts every change ever recorded.
    """
    if filters.kind and filters.kind != FLAG and filters.kind not in KINDS_BY_KEY:
        return []
    branches = [
        (_history_branch(kind, filters, viewer), ("-history_date", "-history_id"))
        for kind in KINDS
        if not filters.kind or filters.kind == kind.key
    ]
    if not filters.kind or filters.kind == FLAG:
        branches.append((_flag_branch(filters), ("-at", "-pk")))
    branches = [(branch, order) for branch, order in branches if branch is not None]
    if not branches:
        return []
    if len(branches) > 1 and connection.features.supports_slicing_ordering_in_compound:
        queries = [branch.order_by(*order)[: offset + limit] for branch, order in branches]
    else:
        queries = [branch for branch, _order in branches]
    first, *rest = queries
    combined = first.union(*rest, all=True) if rest else first
    return list(combined.order_by("-a_date", "-a_id", "a_kind")[offset : offset + limit])


# --- The rows of one page ------------------------------------------------------------------------------


def _load_history(kind: Kind, ids: list[int]) -> tuple[dict[int, Any], dict[int, Any]]:
    """The page's rows of ``kind`` by history id, and the previous versions of the changed ones (2 queries).

    A concern's rows say whether their concern is withheld (``a_withheld``), whether the record is the raising
    side's (``a_raisers``) and whether who made the change is withheld (``a_who_withheld``)."""
    manager = kind.history_model._default_manager
    pk = kind.model._meta.pk.attname
    previous = (
        manager.filter(**{pk: OuterRef(pk)})
        .filter(
            Q(history_date__lt=OuterRef("history_date"))
            | Q(history_date=OuterRef("history_date"), history_id__lt=OuterRef("history_id"))
        )
        .order_by("-history_date", "-history_id")
        .values("history_id")[:1]
    )
    loaded = manager.filter(history_id__in=ids).select_related("history_user").annotate(previous_id=previous)
    if kind.case:
        loaded = loaded.alias(a_case=_case_of(kind)).annotate(
            a_withheld=Exists(_withheld_case()),
            a_raisers=(
                ExpressionWrapper(kind.raisers_record, output_field=BooleanField())
                if kind.raisers_record is not None
                else Value(True, output_field=BooleanField())
            ),
            a_who_withheld=ExpressionWrapper(_who_withheld(kind), output_field=BooleanField()),
        )
    rows = {row.history_id: row for row in loaded}
    wanted = [row.previous_id for row in rows.values() if row.history_type == CHANGED and row.previous_id]
    earlier = {row.history_id: row for row in manager.filter(history_id__in=wanted)} if wanted else {}
    return rows, earlier


def _load_m2m(kind: Kind, history_ids: Iterable[int]) -> dict[tuple[str, int], set[int]]:
    """For each many-to-many field of ``kind``: (field, history id) -> the related ids then (1 query a field)."""
    values: dict[tuple[str, int], set[int]] = defaultdict(set)
    history_ids = list(history_ids)
    for field in kind.m2m_fields:
        through = HistoricalRecords.m2m_models[field]
        target = field.m2m_reverse_field_name()
        for history_id, target_id in through.objects.filter(history_id__in=history_ids).values_list(
            "history_id", f"{target}_id"
        ):
            values[(field.name, history_id)].add(target_id)
    return values


class _Labels:
    """The names of the records the page's rows point to, fetched with one query per kind of record."""

    def __init__(self):
        self.wanted: dict[type[models.Model], set] = defaultdict(set)
        self.names: dict[tuple[type[models.Model], Any], str] = {}

    def want(self, model: type[models.Model], value) -> None:
        if value is not None and model._meta.label not in _FIXED_LABELS:
            self.wanted[model].add(value)

    def fetch(self) -> None:
        for model, ids in self.wanted.items():
            related, label = _TARGET_LABELS.get(model._meta.label, ((), str))
            for record in model._default_manager.filter(pk__in=ids).select_related(*related).order_by():
                self.names[(model, record.pk)] = label(record)

    def name(self, model: type[models.Model], value) -> str:
        if value is None:
            return EMPTY
        if model._meta.label in _FIXED_LABELS:
            return _FIXED_LABELS[model._meta.label]
        return self.names.get((model, value), f"{model._meta.verbose_name} #{value} (deleted)")


def _value(field: models.Field, value, labels: _Labels) -> str:
    if value is None or value == "":
        return EMPTY
    if field.is_relation:
        return labels.name(field.related_model, value)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime.datetime):
        return date_format(timezone.localtime(value), "DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return date_format(value)
    if isinstance(value, Decimal):
        return f"{value:,}"
    return str(value)


def _field_label(kind: Kind, field: models.Field) -> str:
    return dict(kind.field_labels).get(field.name) or capfirst(str(field.verbose_name))


def _url(kind: Kind, row) -> str | None:
    if kind.link is None:
        return None
    site = admin.site
    if kind.link == "self":
        model, pk, deleted = kind.model, getattr(row, kind.model._meta.pk.attname), row.history_type == DELETED
    else:
        field = kind.model._meta.get_field(kind.link)
        model, pk, deleted = field.related_model, getattr(row, field.attname), False
    if pk is None or not site.is_registered(model):
        return None
    info = f"{site.name}:{model._meta.app_label}_{model._meta.model_name}"
    if deleted:  # a deleted record has no page of its own; its history page still shows every version
        has_history = isinstance(site.get_model_admin(model), SimpleHistoryAdmin)
        return reverse(f"{info}_history", args=[pk]) if has_history else None
    return reverse(f"{info}_change", args=[pk])


def _history_entry(kind: Kind, row, before, m2m: dict, labels: _Labels) -> AuditEntry:
    fields = kind.shown_fields
    withheld = set(kind.raising_fields) if getattr(row, "a_withheld", False) and row.a_raisers else set()
    who_withheld = getattr(row, "a_who_withheld", False)

    def shown(field, record) -> str:
        if field.name in kind.hidden:
            return NOT_SHOWN
        if field.name in withheld:
            return WITHHELD
        return _value(field, getattr(record, field.attname), labels)

    def related(field, record) -> str:
        names = sorted(labels.name(field.related_model, pk) for pk in m2m.get((field.name, record.history_id), ()))
        return ", ".join(names) or EMPTY

    changes: list[Change] = []
    note = ""
    if row.history_type == CHANGED and before is not None:
        for field in fields:
            if getattr(before, field.attname) != getattr(row, field.attname):
                changes.append(Change(_field_label(kind, field), shown(field, before), shown(field, row)))
        for field in kind.m2m_fields:
            if m2m.get((field.name, before.history_id), set()) != m2m.get((field.name, row.history_id), set()):
                changes.append(Change(_field_label(kind, field), related(field, before), related(field, row)))
        if not changes:
            note = "Saved with no change to the details shown."
    else:  # a creation shows the values it was given, a deletion the last ones
        if row.history_type == CHANGED:
            note = "The values before this change were not recorded; these are the values after it."

        def value_of(field: models.Field, text: str) -> Change:
            if row.history_type == DELETED:
                return Change(_field_label(kind, field), text, None)
            return Change(_field_label(kind, field), None, text)

        for field in fields:
            if getattr(row, field.attname) not in (None, ""):
                changes.append(value_of(field, shown(field, row)))
        for field in kind.m2m_fields:
            if m2m.get((field.name, row.history_id)):
                changes.append(value_of(field, related(field, row)))

    def ref(name: str) -> str:
        field = kind.model._meta.get_field(name)
        return labels.name(field.related_model, getattr(row, field.attname))

    return AuditEntry(
        kind=kind.key,
        kind_label=kind.label,
        at=row.history_date,
        action=ACTIONS.get(row.history_type, row.history_type),
        person=None if who_withheld else row.history_user,
        via=WHO_WITHHELD if who_withheld else row.history_change_reason or "",
        record=kind.describe(row, ref),
        url=_url(kind, row),
        changes=tuple(changes),
        note=note,
    )


def _flag_entry(event) -> AuditEntry:
    statuses = dict(FlagStatus.choices)
    before = statuses.get(event.previous_status, event.previous_status) if event.previous_status else None
    run = f"Compliance check (run {event.run_id})" if event.run_id else "Compliance check"
    return AuditEntry(
        kind=FLAG,
        kind_label=FLAG_LABEL,
        at=event.at,
        action="changed" if event.previous_status else "created",
        person=event.by,
        via="" if event.by_id else run,
        record=str(event.flag),
        url=reverse("commitments:flag_detail", args=[event.flag_id]),
        changes=(Change("Status", before, statuses.get(event.status, event.status)),),
        note=f"Reason: {event.reason}" if event.reason else "",
    )


def audit_entries(
    *, filters: AuditFilters, viewer: User, offset: int = 0, limit: int = 25
) -> tuple[list[AuditEntry], bool]:
    """One page of the trail for ``viewer`` (an administrator), newest first, and whether there are older
    changes after it. A concern's rows are listed only if ``viewer`` may open its case."""
    keys = _page_keys(filters, viewer, offset, limit + 1)
    more = len(keys) > limit
    keys = keys[:limit]
    ids_by_kind: dict[str, list[int]] = defaultdict(list)
    for kind_key, pk, _ in keys:
        ids_by_kind[kind_key].append(pk)

    labels = _Labels()
    loaded: dict[str, tuple[dict, dict, dict]] = {}
    for key, ids in ids_by_kind.items():
        if key == FLAG:
            continue
        kind = KINDS_BY_KEY[key]
        rows, earlier = _load_history(kind, ids)
        m2m = _load_m2m(kind, [*rows, *earlier]) if kind.m2m_fields else {}
        loaded[key] = (rows, earlier, m2m)
        for record in [*rows.values(), *earlier.values()]:
            for field in kind.history_model.tracked_fields:
                if field.is_relation and field.name not in kind.hidden:
                    labels.want(field.related_model, getattr(record, field.attname))
        for field in kind.m2m_fields:
            for (name, _history_id), targets in m2m.items():
                if name == field.name:
                    for target in targets:
                        labels.want(field.related_model, target)
    events = {}
    if ids_by_kind.get(FLAG):
        previous_status = _earlier_events().order_by("-at", "-pk").values("status")[:1]
        events = {
            event.pk: event
            for event in FlagEvent.objects.filter(pk__in=ids_by_kind[FLAG])
            .select_related("flag", "by")
            .annotate(previous_status=Subquery(previous_status))
        }
    labels.fetch()

    entries = []
    for key, pk, _ in keys:
        if key == FLAG:
            if pk in events:
                entries.append(_flag_entry(events[pk]))
            continue
        rows, earlier, m2m = loaded[key]
        if pk in rows:
            row = rows[pk]
            entries.append(_history_entry(KINDS_BY_KEY[key], row, earlier.get(row.previous_id), m2m, labels))
    return entries, more
