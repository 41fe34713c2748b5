"""The directory's search, filters and sort orders (django-filter)."""

import django_filters
from django.db.models import Exists, OuterRef, Q

from .models import Community, Compact, OrganisationType, Side, Signature, SignatureStatus


class SignatoryFilter(django_filters.FilterSet):
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

    def signed(self, queryset, name, value):
        approved = Signature.objects.filter(organisation=OuterRef("pk"), compact=value, status=SignatureStatus.APPROVED)
        return queryset.filter(Exists(approved))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.form.fields.items():
            field.widget.attrs["class"] = "form-control" if name == "q" else "form-select"
