"""Pieces every app's forms and form views share."""

import datetime

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout, Submit
from django import forms
from django.core.exceptions import ValidationError

# A native date picker; the value is ISO so the browser can fill it back in.
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

# The dates a form takes: deadline arithmetic on a mistyped year such as 0002 or 9999 runs off the calendar.
EARLIEST_DATE = datetime.date(1900, 1, 1)
LATEST_DATE = datetime.date(2199, 12, 31)


def plausible_date(value: datetime.date) -> None:
    if value and not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValidationError(
            "Enter a date between %(earliest)s and %(latest)s; check the year.",
            code="implausible_date",
            params={"earliest": EARLIEST_DATE.year, "latest": LATEST_DATE.year},
        )


class PlausibleDates:
    """Form mixin: every date field takes only dates from 1900 to 2199, so a mistyped year is a field error,
    not a failure in the deadline arithmetic behind it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.DateField):
                field.validators.append(plausible_date)


def form_helper(submit: str | None, *layout) -> FormHelper:
    """A crispy helper for a form inside the page's own <form> tag, with an optional submit button."""
    helper = FormHelper()
    helper.form_tag = False
    helper.layout = Layout(*layout)
    if submit:
        helper.add_input(Submit("submit", submit))
    return helper


def add_service_errors(form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on the field it names, or at the top."""
    if hasattr(error, "error_dict"):
        for field, field_errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, field_errors)
    else:
        form.add_error(None, error)
