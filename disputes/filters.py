"""The case list's filters and sort orders (django-filter)."""

import django_filters
from django import forms
from django.db.models import F, Q
from django_filters.constants import EMPTY_VALUES

from commitments.models import Compact

from .models import OPEN_STAGES, Stage

OPEN_FILTERS = (("open", "Open cases"), ("finished", "Closed or withdrawn"))


class CaseOrdering(django_filters.OrderingFilter):
    """Sort orders that put cases with no deadline last on every database and break ties by reference,
    so the pages of a sorted list never repeat or skip a case."""

    def filter(self, qs, value):
        params = [param for param in value or () if param not in EMPTY_VALUES]
        if not params:
            return qs
        ordering = []
        for param in params:
            name = self.get_ordering_value(param)
            field = F(name.removeprefix("-"))
            ordering.append(field.desc(nulls_last=True) if name.startswith("-") else field.asc(nulls_last=True))
        tie_break = "-reference" if params[0].startswith("-") else "reference"
        return qs.order_by(*ordering, tie_break)


class CaseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Reference contains")
    state = django_filters.ChoiceFilter(
        choices=OPEN_FILTERS, method="by_state", label="Open or finished", empty_label="All cases"
    )
    stage = django_filters.ChoiceFilter(choices=Stage.choices, empty_label="Any stage")
    compact = django_filters.ModelChoiceFilter(
        queryset=Compact.objects.all(), to_field_name="slug", empty_label="Any compact"
    )
    overdue = django_filters.BooleanFilter(
        field_name="overdue", label="Step overdue", widget=forms.CheckboxInput, method="only_if_ticked"
    )
    sort = CaseOrdering(
        fields=(("received_on", "received"), ("step_due_by", "due"), ("reference", "reference")),
        field_labels={"received_on": "Received", "step_due_by": "Next deadline", "reference": "Reference"},
        label="Sort by",
        empty_label="Newest first",
    )

    def search(self, queryset, name, value):
        return queryset.filter(Q(reference__icontains=value.strip()))

    def by_state(self, queryset, name, value):
        return queryset.filter(stage__in=OPEN_STAGES) if value == "open" else queryset.exclude(stage__in=OPEN_STAGES)

    def only_if_ticked(self, queryset, name, value):
        return queryset.filter(**{name: True}) if value else queryset
