"""The funding list's and the monitoring returns list's filters and sort orders (django-filter)."""

import django_filters
from django import forms
from django.db.models import Q

from commitments.models import Organisation, Side
from compact_portal.filters import PortalFilterSet, StableOrdering

from .models import FundingStatus, Mechanism, ReturnStatus


class FundingFilter(PortalFilterSet):
    q = django_filters.CharFilter(method="search", label="Reference or title contains")
    funder = django_filters.ModelChoiceFilter(
        queryset=Organisation.objects.filter(side=Side.PUBLIC), to_field_name="slug", empty_label="Any funder"
    )
    recipient = django_filters.ModelChoiceFilter(
        queryset=Organisation.objects.filter(side=Side.VCS), to_field_name="slug", empty_label="Any recipient"
    )
    mechanism = django_filters.ChoiceFilter(choices=Mechanism.choices, empty_label="Any mechanism")
    status = django_filters.ChoiceFilter(choices=FundingStatus.choices, empty_label="Any status")
    starts_from = django_filters.DateFilter(
        field_name="expected_start",
        lookup_expr="gte",
        label="Starting on or after",
        widget=forms.DateInput({"type": "date"}),
    )
    starts_to = django_filters.DateFilter(
        field_name="expected_start",
        lookup_expr="lte",
        label="Starting on or before",
        widget=forms.DateInput({"type": "date"}),
    )
    late_payments = django_filters.BooleanFilter(
        field_name="has_late_payment",
        label="Late payments",
        widget=forms.CheckboxInput,
        method="only_if_ticked",
    )
    short_notice = django_filters.BooleanFilter(
        field_name="has_short_notice",
        label="Notice below the compact's period",
        widget=forms.CheckboxInput,
        method="only_if_ticked",
    )
    sort = django_filters.OrderingFilter(
        fields=(
            ("expected_start", "start"),
            ("reference", "reference"),
            ("amount", "amount"),
            ("recipient__name", "recipient"),
            ("funder__name", "funder"),
        ),
        field_labels={
            "expected_start": "Expected start",
            "reference": "Reference",
            "amount": "Amount",
            "recipient__name": "Recipient",
            "funder__name": "Funder",
        },
        label="Sort by",
        empty_label="Latest start first",
    )

    def search(self, queryset, name, value):
        return queryset.filter(Q(reference__icontains=value) | Q(title__icontains=value))

    def only_if_ticked(self, queryset, name, value):
        # An unticked box means "don't filter", not "only records without".
        return queryset.filter(**{name: True}) if value else queryset

    def __init__(self, *args, funders=None, recipients=None, **kwargs):
        super().__init__(*args, **kwargs)
        if funders is not None:
            self.filters["funder"].queryset = funders
            self.form.fields["funder"].queryset = funders
        if recipients is not None:
            self.filters["recipient"].queryset = recipients
            self.form.fields["recipient"].queryset = recipients


class ReturnFilter(PortalFilterSet):
    """The monitoring returns list: by status, or only those waiting for the person (to make, or to review); by
    due date, soonest first unless the latest are asked for. Give ``waiting``: the returns waiting for them."""

    status = django_filters.ChoiceFilter(choices=ReturnStatus.choices, empty_label="Any status")
    waiting = django_filters.BooleanFilter(
        label="Only those waiting for you", widget=forms.CheckboxInput, method="only_waiting"
    )
    sort = StableOrdering(
        fields=(("due_date", "due"),),
        field_labels={"due_date": "Due date"},
        label="Sort by",
        empty_label="Due date (soonest first)",
    )

    def __init__(self, *args, waiting, **kwargs):
        super().__init__(*args, **kwargs)
        self.waiting = waiting

    def only_waiting(self, queryset, name, value):
        return queryset.filter(pk__in=self.waiting.values("pk")) if value else queryset
