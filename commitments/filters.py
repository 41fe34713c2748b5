"""The directory's and the flag list's search, filters and sort orders (django-filter)."""

import datetime

import django_filters
from django.db.models import Exists, OuterRef, Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from compact_portal.filters import PortalFilterSet, StableOrdering

from .models import (
    LIVE_STATUSES,
    Community,
    Compact,
    FlagStatus,
    Organisation,
    OrganisationType,
    RuleKey,
    Service,
    Side,
    Signature,
    SignatureStatus,
)
from .rulebook import PORTAL_DEFAULT


class SignatoryFilter(PortalFilterSet):
    q = django_filters.CharFilter(method="search", label="Name contains")
    side = django_filters.ChoiceFilter(choices=Side.choices, empty_label="Both sides")
    organisation_type = django_filters.ChoiceFilter(
        choices=OrganisationType.choices, label="Type of organisation", empty_label="Any type"
    )
    community = django_filters.ModelChoiceFilter(
        queryset=Community.objects.all(),
        field_name="communities",
        label="Communities served",
        empty_label="Any",
        to_field_name="slug",
    )
    service = django_filters.ModelChoiceFilter(
        queryset=Service.objects.all(),
        field_name="services",
        label="Service offered",
        empty_label="Any service",
        to_field_name="slug",
    )
    area = django_filters.CharFilter(field_name="area_served", lookup_expr="icontains", label="Area served contains")
    compact = django_filters.ModelChoiceFilter(
        queryset=Compact.objects.all(),
        method="signed",
        label="Compact signed",
        empty_label="Any compact",
        to_field_name="slug",
    )
    sort = django_filters.OrderingFilter(
        fields=(("name", "name"), ("organisation_type", "type"), ("first_signed", "signed")),
        field_labels={"name": "Name", "organisation_type": "Type", "first_signed": "Date signed"},
        label="Sort by",
        empty_label="Name (A to Z)",
    )

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(org_id__iexact=value.strip()))

    @extend_schema_field(OpenApiTypes.STR)  # the API's document: the compact's slug
    def signed(self, queryset, name, value):
        approved = Signature.objects.filter(organisation=OuterRef("pk"), compact=value, status=SignatureStatus.APPROVED)
        return queryset.filter(Exists(approved))


STATUS_CHOICES = (("", "Open or at risk"), *FlagStatus.choices, ("any", "Any status"))
PORTAL_DEFAULT_VALUE = "portal-default"  # the clause filter's value for flags citing the portal's default
AGE_CHOICES = (("new", "Found in the last 7 days"), ("30", "Found over 30 days ago"), ("90", "Found over 90 days ago"))


class FlagFilter(PortalFilterSet):
    """The champion's flag list: by compact, rule, clause, organisation, status and age; open and at-risk
    flags unless another status is chosen. Give ``today`` so the ages count from the same day as the page."""

    compact = django_filters.ModelChoiceFilter(
        queryset=Compact.objects.none(), to_field_name="slug", empty_label="Any compact"
    )
    rule = django_filters.ChoiceFilter(choices=RuleKey.choices, empty_label="Any rule")
    clause = django_filters.ChoiceFilter(choices=(), empty_label="Any clause", method="by_clause")
    organisation = django_filters.ModelChoiceFilter(
        queryset=Organisation.objects.none(), to_field_name="slug", empty_label="Any organisation"
    )
    status = django_filters.ChoiceFilter(
        choices=STATUS_CHOICES[1:], empty_label=STATUS_CHOICES[0][1], method="by_status"
    )
    age = django_filters.ChoiceFilter(choices=AGE_CHOICES, method="by_age", label="Age", empty_label="Any age")
    sort = StableOrdering(
        fields=(
            ("due_date", "due"),
            ("first_detected", "found"),
            ("organisation__name", "organisation"),
            ("rule", "rule"),
        ),
        field_labels={
            "due_date": "Due date",
            "first_detected": "Date found",
            "organisation__name": "Organisation",
            "rule": "Rule",
        },
        label="Sort by",
        empty_label="Due date (oldest first)",
    )

    def __init__(self, *args, today: datetime.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        visible = self.queryset
        fields = self.form.fields
        fields["compact"].queryset = Compact.objects.filter(Exists(visible.filter(compact=OuterRef("pk"))))
        fields["organisation"].queryset = Organisation.objects.filter(
            Exists(visible.filter(organisation=OuterRef("pk")))
        ).order_by("name")
        clauses = sorted(set(visible.order_by().values_list("clause", flat=True).distinct()), key=_clause_order)
        fields["clause"].choices = [
            ("", "Any clause"),
            *((clause or PORTAL_DEFAULT_VALUE, clause or PORTAL_DEFAULT) for clause in clauses),
        ]
        fields["clause"].empty_label = None

    def filter_queryset(self, queryset):
        if not self.form.cleaned_data.get("status"):
            queryset = queryset.filter(status__in=LIVE_STATUSES)
        return super().filter_queryset(queryset)

    def by_clause(self, queryset, name, value):
        return queryset.filter(clause="" if value == PORTAL_DEFAULT_VALUE else value)

    def by_status(self, queryset, name, value):
        return queryset if value == "any" else queryset.filter(status=value)

    def by_age(self, queryset, name, value):
        if value == "new":
            return queryset.filter(first_detected__gt=self.today - datetime.timedelta(days=7))
        return queryset.filter(first_detected__lt=self.today - datetime.timedelta(days=int(value)))


def _clause_order(clause: str) -> tuple:
    """13.3 after 9.2, and 11.2 after both: clause numbers sorted as numbers where they are numbers; the
    portal's default (blank) last."""
    return (not clause, tuple(int(part) if part.isdigit() else 0 for part in clause.split(".")))
