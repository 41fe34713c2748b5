"""Pieces the apps' list filters share (django-filter)."""

import django_filters
from django import forms
from django.db.models import F
from django_filters.constants import EMPTY_VALUES


class StableOrdering(django_filters.OrderingFilter):
    """Sort orders that put empty values last on every database and break ties on ``tie_break`` (a field,
    "-" for descending when the first order is), so the pages of a sorted list never repeat or skip a row."""

    tie_break = "pk"

    def filter(self, qs, value):
        params = [param for param in value or () if param not in EMPTY_VALUES]
        if not params:
            return qs
        ordering = []
        for param in params:
            name = self.get_ordering_value(param)
            field = F(name.removeprefix("-"))
            ordering.append(field.desc(nulls_last=True) if name.startswith("-") else field.asc(nulls_last=True))
        tie_break = f"-{self.tie_break}" if params[0].startswith("-") else self.tie_break
        return qs.order_by(*ordering, tie_break)


class PortalFilterSet(django_filters.FilterSet):
    """A list's filters with Bootstrap's classes on every field, so each control fits its column at any width
    (a bare <select> grows to its longest option and pushes the page sideways at 320 pixels)."""

    @property
    def form(self):
        styled = hasattr(self, "_form")
        form = super().form
        if not styled:
            for field in form.fields.values():
                if isinstance(field.widget, forms.CheckboxInput):
                    field.widget.attrs["class"] = "form-check-input"
                elif isinstance(field.widget, forms.Select):
                    field.widget.attrs["class"] = "form-select"
                else:
                    field.widget.attrs["class"] = "form-control"
        return form
