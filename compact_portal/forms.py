"""Pieces every app's forms and form views share."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout, Submit
from django import forms
from django.core.exceptions import ValidationError

# A native date picker; the value is ISO so the browser can fill it back in.
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


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
