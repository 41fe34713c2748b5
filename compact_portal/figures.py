"""Building blocks of the dashboards' and reports' figures, computed in the database.

A ``Measure`` names the records a figure counts, the date that places each in a period, and what keeping
the promise means; ``shares_by_window`` counts it for many periods in one query and ``percentiles_by_window``
ranks records inside the database, so no figure ever loads the records it counts.

Every promise reads in three words, the same on every page: *kept* (the rule was met), *explained* (not
met, but an explanation the compact allows is recorded, or a champion waived the flag with a reason) and
*broken* (neither). ``Measure.verdict`` gives the word for each record, in the database, from the same two
conditions the counts use.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import models
from django.db.models import Case, CharField, Count, F, IntegerField, Q, QuerySet, Sum, Value, When, Window
from django.db.models.functions import RowNumber

from compact_portal.periods import Period


class Verdict(models.TextChoices):
    """What became of one promise, in the words every page uses."""

    KEPT = "kept", "Kept"
    EXPLAINED = "explained", "Explained"
    BROKEN = "broken", "Broken"


@dataclass(frozen=True)
class Share:
    """Of ``total`` records, ``met`` kept the promise and ``explained`` did not but were explained; the rest
    broke it."""

    met: int
    total: int
    explained: int = 0

    @property
    def broken(self) -> int:
        return self.total - self.met - self.explained

    @property
    def percent(self) -> int | None:
        """The share kept as a whole percentage, rounded half up; None when there was nothing to count."""
        return _percent(self.met, self.total)

    @property
    def explained_percent(self) -> int | None:
        return _percent(self.explained, self.total)

    @property
    def broken_percent(self) -> int | None:
        """What is left of 100 once kept and explained are rounded, so the three always add up to 100."""
        if not self.total:
            return None
        return 100 - self.percent - self.explained_percent

    def __str__(self) -> str:
        return "none in the period" if self.percent is None else f"{self.percent}% ({self.met} of {self.total})"


def _percent(part: int, total: int) -> int | None:
    if not total:
        return None
    return math.floor(100 * part / total + 0.5)


def add_shares(shares: Iterable[Share]) -> Share:
    """Several windows' shares taken together: a quarter's share is the sum of its months'."""
    shares = list(shares)
    return Share(sum(s.met for s in shares), sum(s.total for s in shares), sum(s.explained for s in shares))


@dataclass(frozen=True)
class Measure:
    """One promise counted window by window: of the records ``counted``, each placed in a window by its
    ``date_field``, how many ``met`` the promise, and of the others how many are ``explained``; with
    ``amount``, also what they were worth. A measure whose ``met`` is empty counts records: nothing in it is
    kept or broken."""

    key: str
    date_field: str
    met: Q
    counted: Q = field(default_factory=Q)
    amount: str | None = None
    explained: Q | None = None

    @property
    def is_promise(self) -> bool:
        return bool(self.met)

    def in_window(self, window: Period) -> Q:
        """The records this measure counts in ``window``: what a drill-down lists."""
        return self.counted & Q(**{f"{self.date_field}__range": (window.start, window.end)})

    def kept(self) -> Q:
        return self.met

    def explained_not_kept(self) -> Q:
        """Not kept, but explained; matches nothing for a promise that allows no explanation."""
        return (~self.met & self.explained) if self.explained is not None else Q(pk__in=[])

    def broken(self) -> Q:
        return ~self.met & ~self.explained if self.explained is not None else ~self.met

    def of_verdict(self, verdict: str) -> Q:
        """The records of one ``Verdict``."""
        return {Verdict.KEPT: self.kept, Verdict.EXPLAINED: self.explained_not_kept, Verdict.BROKEN: self.broken}[
            verdict
        ]()

    def verdict(self) -> Case:
        """Each record's ``Verdict``, as an expression to annotate records with (None for a count)."""
        if not self.is_promise:
            return Value(None, output_field=CharField())
        return Case(
            When(self.met, then=Value(Verdict.KEPT.value)),
            When(self.explained_not_kept(), then=Value(Verdict.EXPLAINED.value)),
            default=Value(Verdict.BROKEN.value),
            output_field=CharField(),
        )


def shares_by_window(
    records: QuerySet, measures: Sequence[Measure], windows: Sequence[Period]
) -> dict[str, list[Share]]:
    """Each measure's share in each window, in the windows' order; one query for them all.
    ``shares_by_window_and_group`` explains."""
    return shares_by_window_and_group(records, measures, windows, {"": Q()})[""]


def shares_by_window_and_group(
    records: QuerySet, measures: Sequence[Measure], windows: Sequence[Period], groups: dict[str, Q]
) -> dict[str, dict[str, list[Share]]]:
    """Each measure's share in each window, in the windows' order, for each group of records (a record is in
    the first group whose condition it meets, and counted only there); one query for them all.

    A measure with an ``amount`` also gives ``"<key>_value"``: its share by value, in whole units (kept and
    broken only: an explanation is of a record, not of its pounds).

    The database puts each record in its window once (a CASE per date field) and groups by window, so the
    cost hardly grows with the number of windows. The windows must not overlap.
    """
    # total, met, value, met value, explained
    totals = {(name, m.key): [[0, 0, 0, 0, 0] for _ in windows] for name in groups for m in measures}
    if windows and measures and groups:
        fields = list(dict.fromkeys(measure.date_field for measure in measures))
        first, last = min(w.start for w in windows), max(w.end for w in windows)
        spans, buckets = Q(pk__in=[]), {}
        for j, date_field in enumerate(fields):
            spans |= Q(**{f"{date_field}__range": (first, last)})
            buckets[f"window_{j}"] = Case(
                *(When(Q(**{f"{date_field}__range": (w.start, w.end)}), then=Value(i)) for i, w in enumerate(windows)),
                output_field=IntegerField(),
            )
        columns = {}
        for k, measure in enumerate(measures):
            counted, met = measure.counted or None, (measure.counted & measure.met) or None
            columns[f"total_{k}"] = Count("pk", filter=counted)
            columns[f"met_{k}"] = Count("pk", filter=met)
            if measure.explained is not None:
                columns[f"explained_{k}"] = Count("pk", filter=measure.counted & measure.explained_not_kept())
            if measure.amount:
                columns[f"value_{k}"] = Sum(measure.amount, filter=counted, default=0)
                columns[f"met_value_{k}"] = Sum(measure.amount, filter=met, default=0)
        names = list(groups)
        in_group = Q(pk__in=[])
        for condition in groups.values():
            in_group |= condition
        buckets["figure_group"] = Case(
            *(When(condition, then=Value(i)) for i, condition in enumerate(groups.values()) if condition),
            default=Value(0),
            output_field=IntegerField(),
        )
        if all(groups.values()):
            records = records.filter(in_group)
        rows = records.filter(spans).annotate(**buckets).values(*buckets).annotate(**columns).order_by()
        for row in rows:
            for k, measure in enumerate(measures):
                window = row[f"window_{fields.index(measure.date_field)}"]
                if window is None:
                    continue
                counts = totals[names[row["figure_group"]], measure.key][window]
                counts[0] += row[f"total_{k}"]
                counts[1] += row[f"met_{k}"]
                counts[4] += row.get(f"explained_{k}", 0)
                if measure.amount:
                    counts[2] += row[f"value_{k}"]
                    counts[3] += row[f"met_value_{k}"]
    shares = {name: {} for name in groups}
    for (name, key), counted in totals.items():
        shares[name][key] = [Share(met, total, explained) for total, met, _, _, explained in counted]
    for measure in measures:
        if measure.amount:
            for name in groups:
                counted = totals[name, measure.key]
                shares[name][f"{measure.key}_value"] = [Share(int(met), int(value)) for _, _, value, met, _ in counted]
    return shares


def percentiles_by_window(
    records: QuerySet,
    *,
    field: str,
    date_field: str,
    windows: Sequence[Period],
    fractions: Sequence[tuple[int, int]],
) -> list[list]:
    """For each window, the nearest-rank percentile of ``field`` at each fraction, given as ``(numerator,
    denominator)`` (``(1, 2)`` is the median); None where the window holds no records. The windows must
    not overlap: a record is ranked in the first window it falls in. One query
    (``percentiles_by_windows`` explains)."""
    return percentiles_by_windows(
        records, field=field, date_field=date_field, window_sets=[windows], fractions=fractions
    )[0]


def percentiles_by_windows(
    records: QuerySet,
    *,
    field: str,
    date_field: str,
    window_sets: Sequence[Sequence[Period]],
    fractions: Sequence[tuple[int, int]],
) -> list[list[list]]:
    """``percentiles_by_window`` for each set of windows (say the two periods compared, and the months of one),
    in one query. The windows of one set must not overlap; those of different sets may.

    The database ranks the records within their window of each set (one ranking per set) and returns only the
    rows some percentile names. Fractions are whole-number ratios so the rank, ceil(n × a / b), is exact
    integer arithmetic in every database.
    """
    sets = [list(windows) for windows in window_sets]
    every = [window for windows in sets for window in windows]
    if not every:
        return [[] for _ in sets]
    in_any = Q(pk__in=[])
    ranks = {}
    for j, windows in enumerate(sets):
        buckets = []
        for i, window in enumerate(windows):
            in_window = Q(**{f"{date_field}__range": (window.start, window.end)})
            in_any |= in_window
            buckets.append(When(in_window, then=Value(i)))
        ranks[f"bucket_{j}"] = Case(*buckets, output_field=IntegerField()) if buckets else Value(None, IntegerField())
    first, last = min(w.start for w in every), max(w.end for w in every)
    ranked = records.filter(in_any, **{f"{date_field}__range": (first, last)}).annotate(**ranks)  # one range
    windows_of = {}
    for j in range(len(sets)):
        windows_of[f"rank_{j}"] = Window(
            RowNumber(), partition_by=[F(f"bucket_{j}")], order_by=[F(field).asc(), F("pk").asc()]
        )
        windows_of[f"size_{j}"] = Window(Count("pk"), partition_by=[F(f"bucket_{j}")])
    ranked = ranked.annotate(**windows_of)
    wanted = Q(pk__in=[])
    for j in range(len(sets)):
        for numerator, denominator in fractions:
            wanted |= Q(**{f"rank_{j}": (F(f"size_{j}") * numerator + denominator - 1) / denominator})
    columns = [name for j in range(len(sets)) for name in (f"bucket_{j}", f"rank_{j}", f"size_{j}")]
    found, sizes = {}, {}
    for row in ranked.filter(wanted).values_list(*columns, field):
        value = row[-1]
        for j in range(len(sets)):
            bucket, rank, size = row[3 * j : 3 * j + 3]
            if bucket is not None:
                found[j, bucket, rank], sizes[j, bucket] = value, size
    return [
        [
            [
                found.get((j, i, _nearest_rank(sizes[j, i], numerator, denominator))) if (j, i) in sizes else None
                for numerator, denominator in fractions
            ]
            for i in range(len(windows))
        ]
        for j, windows in enumerate(sets)
    ]


def _nearest_rank(size: int, numerator: int, denominator: int) -> int:
    return max(1, -(-size * numerator // denominator))
