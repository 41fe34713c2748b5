"""The case list's filters and sort orders (django-filter)."""

import django_filters
from django import forms
from django.db.models import Q

from commitments.models import Compact
from compact_portal.filters import PortalFilterSet, StableOrdering

from .models import OPEN_STAGES, Stage

OPEN_FILTERS = (("open", "Open cases"), ("finished", "Closed or withdrawn"))


class CaseOrdering(StableOrdering):
    """Cases with no deadline last; ties broken by reference."""

    tie_break = "reference"


class CaseFilter(PortalFilterSet):
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
