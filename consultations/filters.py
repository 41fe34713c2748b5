"""The consultation register's search, filters and sort orders (django-filter)."""

import django_filters
from django.db.models import Q

from commitments.models import Compact, Organisation, Side
from compact_portal.filters import PortalFilterSet

from .models import PolicyArea

PHASES = [("forthcoming", "Forthcoming"), ("open", "Open"), ("closed", "Closed")]


class RegisterFilter(PortalFilterSet):
    q = django_filters.CharFilter(method="search", label="Words")
    # Labelled here: "phase" is an annotation, not a model field, so django-filter has no name to derive.
    status = django_filters.ChoiceFilter(field_name="phase", choices=PHASES, empty_label="Any status", label="Status")
    body = django_filters.ModelChoiceFilter(
        queryset=Organisation.objects.filter(side=Side.PUBLIC, consultations__status="published").distinct(),
        to_field_name="slug",
        empty_label="Any body",
        label="Public body",
    )
    policy_area = django_filters.ModelChoiceFilter(
        queryset=PolicyArea.objects.all(), to_field_name="slug", empty_label="Any area", label="Policy area"
    )
    compact = django_filters.ModelChoiceFilter(
        queryset=Compact.objects.all(), to_field_name="slug", empty_label="Any compact", label="Compact"
    )
    sort = django_filters.OrderingFilter(
        fields=(("close_date", "closes"), ("open_date", "opens"), ("title", "title")),
        field_labels={"close_date": "Closing date", "open_date": "Opening date", "title": "Title"},
        label="Sort by",
        empty_label="Latest opening first",
    )

    def search(self, queryset, name, value):
        return queryset.filter(Q(title__icontains=value) | Q(summary__icontains=value))
