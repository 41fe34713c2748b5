"""The audit trail: every recorded change to the portal's records, newest first (administrators only).

It reads django-simple-history's tables (one per tracked model: who, when, created/changed/deleted and the
record's values after the change, ``history_change_reason`` naming an import, command or job, see
``compact_portal/audit.py``) and the changes kept as rows of their own: the compliance flags' events (each a
change of a flag's status, by a person or by a compliance run).

A page costs the same number of queries however many changes are stored:

1. one ``UNION ALL`` over the sources (kind, id, date), filtered, newest first, ``LIMIT``/``OFFSET``;
2. for each kind of record on the page, its rows (with the id of each one's previous version, found by a
   correlated subquery) and, for changes, those previous versions;
3. for each kind of record they name (people, organisations, compacts, funding...), the names;
4. for organisations, the communities they served before and after (a many-to-many field).

Two rules keep private what the case pages keep private:

- what a record says is never shown, only that it changed: the private fields of ``PRIVATE_FIELDS``
  (``compact_portal/history_privacy.py``), which the admin's History pages honour too;
- a case's rows (a Compact concern's, its panel assignments' and its documents') are listed only to an
  administrator who may open the case (the case page's rule, which the case's app gives as ``Cases.visible_to``),
  and for a case whose raiser asked to be withheld, the raising organisation, the person who raised it, the
  uploader of the raiser's documents and "who" of each change made by the raising side are shown as withheld
  (nor does filtering by a person's e-mail find those changes).

This module names no app: each app registers its sources in its own ``audit.py`` (``register``), imported when
the apps are ready (``CompactPortalConfig.ready``), as it registers its compliance rules and figures with
``commitments``: its ``Kind``s (a tracked model, its name in the filter, how a row of it is described and
linked, and for a case's records their ``Cases``), changes kept as rows of their own (``Events``: a compliance
flag's changes of status), and how the records its rows point to are named (``register_label``).
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

from compact_portal.accounts.models import Membership, User
from compact_portal.history_privacy import NOT_SHOWN, private_fields

CREATED, CHANGED, DELETED = "+", "~", "-"
ACTIONS = {CREATED: "created", CHANGED: "changed", DELETED: "deleted"}
ACTION_CHOICES = [("created", "Created"), ("changed", "Changed"), ("deleted", "Deleted")]
_TYPE_OF_ACTION = {action: code for code, action in ACTIONS.items()}
EMPTY = "—"
WITHHELD = "(withheld)"
WHO_WITHHELD = "The organisation that raised the concern (identity withheld)"


def shown_choice(row, name: str) -> str:
    """The label of the choice a history row's field ``name`` holds (its stored value if it is no choice)."""
    field = row.instance_type._meta.get_field(name)
    return str(dict(field.flatchoices).get(getattr(row, name), getattr(row, name)))


def shown_day(value: datetime.date | None) -> str:
    """A date as the trail shows it, or a dash for none."""
    return date_format(value) if value else EMPTY


Ref = Callable[[str], str]


@dataclass(frozen=True)
class Cases:
    """Records private to a case (a Compact concern): who may see a case and whose identity may be withheld.

    ``visible_to(user=viewer)`` gives the cases ``viewer`` may open (the case page's rule); ``withheld`` is true of
    a case whose raiser asked to be withheld; ``raiser`` and ``raised_by`` are the case's fields naming the raising
    organisation and the person who raised it: a change by that person or by a member of that organisation is
    the raising side's.
    """

    model_path: str
    visible_to: Callable[..., models.QuerySet]
    withheld: Q
    raiser: str
    raised_by: str

    @cached_property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.model_path)


@dataclass(frozen=True)
class Kind:
    """A kind of record with a history: its key in the filter, its name, and how a row of it is named."""

    key: str
    label: str
    model_path: str
    describe: Callable[[Any, Ref], str]
    link: str | None = "self"  # "self": the record's admin page; a field name: that record's; None: no link
    field_labels: tuple[tuple[str, str], ...] = ()  # (field, label) where the field's own name is ambiguous
    # A case's records: the field naming the case ("self" for the case itself), the rules of its cases, and the
    # fields naming its raising side, withheld when the raiser asked (always for the case; for a record with
    # ``raisers_record``, only when it holds: a document of the raiser's side, whose saving is withheld too).
    case: str | None = None
    cases: Cases | None = None
    raising_fields: tuple[str, ...] = ()
    raisers_record: Q | None = None

    def __post_init__(self):
        if (self.case is None) != (self.cases is None):
            raise ValueError(f"the audit trail's kind {self.key!r} needs both ``case`` and ``cases``, or neither")

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


@dataclass(frozen=True)
class Events:
    """Changes kept as rows of their own, not in a history table (a compliance flag's changes of status).

    ``person`` and ``date`` name the rows' fields for who made the change and when (the filters by e-mail and by
    date use them). ``of_action(rows, action)`` narrows the rows to those of an action ("created", "changed" or
    "deleted"), or gives None where there can be none. ``entries(ids)`` gives the entries of the rows with those
    ids, by id, in a fixed number of queries.
    """

    key: str
    label: str  # in the filter of kinds
    model_path: str
    person: str
    date: str
    of_action: Callable[[models.QuerySet, str], models.QuerySet | None]
    entries: Callable[[list[int]], dict[int, "AuditEntry"]]

    @cached_property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.model_path)


_KINDS: dict[str, Kind] = {}
_EVENTS: dict[str, Events] = {}
# How a record named by another is labelled: related rows to fetch with it, and the label.
_TARGET_LABELS: dict[str, tuple[tuple[str, ...], Callable[[Any], str]]] = {
    "accounts.User": ((), lambda user: user.full_name or user.email),
}
# Records named without a query, by a fixed phrase.
_FIXED_LABELS: dict[str, str] = {}


def register(*sources: Kind | Events) -> None:
    """Add an app's sources of changes to the trail, listed in the filter in the order registered (the apps' order
    in ``INSTALLED_APPS``), kinds of record before ``Events``; a key registered twice is refused."""
    for source in sources:
        if source.key in _KINDS or source.key in _EVENTS:
            raise ValueError(f"the audit trail's kind {source.key!r} is registered twice")
        if isinstance(source, Events):
            _EVENTS[source.key] = source
        else:
            _KINDS[source.key] = source


def register_label(model_path: str, label: Callable[[Any], str], *, related: tuple[str, ...] = ()) -> None:
    """Name a record of ``model_path`` that a row points to by ``label(record)`` (fetched with ``related``),
    rather than by ``str(record)``."""
    _TARGET_LABELS[model_path] = (related, label)


def register_fixed_label(model_path: str, text: str) -> None:
    """Name every record of ``model_path`` that a row points to by ``text``, without a query."""
    _FIXED_LABELS[model_path] = text


def kinds() -> list[Kind]:
    """Every registered kind of record with a history, in the order registered."""
    return list(_KINDS.values())


def kind_choices() -> list[tuple[str, str]]:
    """The filter's kinds as (key, label): the kinds of record, then the ``Events``."""
    return [(source.key, source.label) for source in [*_KINDS.values(), *_EVENTS.values()]]


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


def _made_by_and_when(rows, filters: AuditFilters, *, person: str, date: str):
    """``rows`` made by a person whose e-mail contains the filter's text, on or between its dates."""
    if filters.person:
        rows = rows.filter(**{f"{person}__in": _people(filters.person)})
    if filters.date_from:
        rows = rows.filter(**{f"{date}__gte": _aware(filters.date_from)})
    if filters.date_to:
        rows = rows.filter(**{f"{date}__lt": _aware(filters.date_to + datetime.timedelta(days=1))})
    return rows


# --- Cases: whose rows an administrator sees, and what is withheld --------------------------------------


def _case_of(kind: Kind):
    """The case a history row of ``kind`` belongs to. A document kept on a draft belongs to none until the
    concern is sent; then to the concern that any version of it joined."""
    pk = kind.model._meta.pk.attname
    if kind.case == "self":
        return F(pk)
    column = kind.model._meta.get_field(kind.case).attname
    joined = kind.history_model._default_manager.filter(**{pk: OuterRef(pk), f"{column}__isnull": False})
    return Coalesce(F(column), Subquery(joined.order_by().values(column)[:1]), output_field=models.BigIntegerField())


def _withheld_case(cases: Cases):
    """The row's case (``a_case``), if its raiser asked for their identity to be withheld."""
    return cases.model._default_manager.filter(cases.withheld, pk=OuterRef("a_case"))


def _who_withheld(kind: Kind):
    """Whether the row's change was made by the raising side of a withheld case: the person who raised it or
    a member of the raising organisation (or, for a raiser's document, whoever saved it)."""
    cases = kind.cases
    raised_by = cases.model._meta.get_field(cases.raised_by).attname
    raiser = cases.model._meta.get_field(cases.raiser).attname
    on_raising_side = Q(**{raised_by: OuterRef("history_user_id")}) | Exists(
        Membership.objects.filter(organisation_id=OuterRef(raiser), user_id=OuterRef(OuterRef("history_user_id")))
    )
    withheld = Exists(_withheld_case(cases).filter(on_raising_side))
    if kind.raisers_record is not None:
        withheld = withheld | (Exists(_withheld_case(cases)) & kind.raisers_record)
    return withheld


def _cases_only(rows, kind: Kind, viewer: User):
    """A case's rows for a viewer who may open the case (the case page's rule), each with its ``a_case``."""
    return rows.alias(a_case=_case_of(kind)).filter(a_case__in=kind.cases.visible_to(user=viewer).values("pk"))


def _history_branch(kind: Kind, filters: AuditFilters, viewer: User):
    rows = kind.history_model._default_manager.order_by()
    if kind.case:
        if not viewer.is_authenticated:
            return None
        rows = _cases_only(rows, kind, viewer)
    rows = _made_by_and_when(rows, filters, person="history_user", date="history_date")
    if filters.person and kind.case:  # a withheld "who" is not found by its e-mail either
        rows = rows.exclude(_who_withheld(kind))
    if filters.action:
        rows = rows.filter(history_type=_TYPE_OF_ACTION[filters.action])
    return rows.annotate(
        a_kind=Value(kind.key, output_field=models.CharField()), a_id=F("history_id"), a_date=F("history_date")
    ).values_list("a_kind", "a_id", "a_date")


def _events_branch(source: Events, filters: AuditFilters):
    events = _made_by_and_when(
        source.model._default_manager.order_by(), filters, person=source.person, date=source.date
    )
    if filters.action:
        events = source.of_action(events, filters.action)
        if events is None:
            return None
    return events.annotate(
        a_kind=Value(source.key, output_field=models.CharField()), a_id=F("pk"), a_date=F(source.date)
    ).values_list("a_kind", "a_id", "a_date")


def _page_keys(
    filters: AuditFilters, viewer: User, offset: int, limit: int
) -> list[tuple[str, int, datetime.datetime]]:
    """(kind, id, date) of the changes from ``offset``, newest first: one query.

    Where the database allows it (PostgreSQL), each source is cut to its own newest ``offset + limit`` rows first,
    read backwards along its date index, so a page never sorts every change ever recorded.
    """
    if filters.kind and filters.kind not in _KINDS and filters.kind not in _EVENTS:
        return []
    branches = [
        (_history_branch(kind, filters, viewer), ("-history_date", "-history_id"))
        for kind in _KINDS.values()
        if not filters.kind or filters.kind == kind.key
    ]
    branches += [
        (_events_branch(source, filters), (f"-{source.date}", "-pk"))
        for source in _EVENTS.values()
        if not filters.kind or filters.kind == source.key
    ]
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

    A case's rows say whether their case is withheld (``a_withheld``), whether the record is the raising
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
            a_withheld=Exists(_withheld_case(kind.cases)),
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


def audit_entries(
    *, filters: AuditFilters, viewer: User, offset: int = 0, limit: int = 25
) -> tuple[list[AuditEntry], bool]:
    """One page of the trail for ``viewer`` (an administrator), newest first, and whether there are older
    changes after it. A case's rows are listed only if ``viewer`` may open the case."""
    keys = _page_keys(filters, viewer, offset, limit + 1)
    more = len(keys) > limit
    keys = keys[:limit]
    ids_by_kind: dict[str, list[int]] = defaultdict(list)
    for kind_key, pk, _ in keys:
        ids_by_kind[kind_key].append(pk)

    labels = _Labels()
    loaded: dict[str, tuple[dict, dict, dict]] = {}
    events: dict[str, dict[int, AuditEntry]] = {}
    for key, ids in ids_by_kind.items():
        if key in _EVENTS:
            events[key] = _EVENTS[key].entries(ids)
            continue
        kind = _KINDS[key]
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
    labels.fetch()

    entries = []
    for key, pk, _ in keys:
        if key in events:
            if pk in events[key]:
                entries.append(events[key][pk])
            continue
        rows, earlier, m2m = loaded[key]
        if pk in rows:
            row = rows[pk]
            entries.append(_history_entry(_KINDS[key], row, earlier.get(row.previous_id), m2m, labels))
    return entries, more
