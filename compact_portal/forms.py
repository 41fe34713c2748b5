"""Pieces every app's forms and form views share."""

import copy
import datetime
import logging
from collections.abc import Callable

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Layout, Submit
from django import forms
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.forms.models import construct_instance
from django.utils import timezone
from django.utils.html import format_html

logger = logging.getLogger(__name__)

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


class ChecksWithItsService:
    """Form mixin: a form that has an error also reports what its service would refuse in the values typed, so
    one post shows every mistake instead of one layer of them at a time (the fields, then the record, then the
    service's own checks).

    A form lists the service's own checks of typed values in ``service_checks()``: functions of the service's
    module (the one source of each rule), each raising a ValidationError that names its fields. They run only once
    the form (or another form of its page, see ``all_valid``) has an error: on a clean form the service runs them
    itself, once. An error on a field that already has one is not added: the first says what to fix there.
    """

    def service_checks(self) -> list[Callable[[], None]]:
        """The service's checks of what was typed; read ``cleaned_data`` with ``.get()``, as fields may have failed."""
        return []

    @property
    def today(self) -> datetime.date:
        return timezone.localdate()  # the day the views give their services

    def report_service_checks(self) -> None:
        """Run ``service_checks()`` once and show what they refuse on the form (see ``add_unreported_errors``)."""
        if getattr(self, "_service_checked", False):
            return
        self._service_checked = True
        for check in self.service_checks():
            try:
                check()
            except ValidationError as error:
                add_unreported_errors(self, error)


def add_unreported_errors(form, error: ValidationError) -> None:
    """Add ``error`` to ``form`` on each field it names that the form has and that has no error yet; an error
    naming no field, or a field the form does not show, is left for the service to report once the form is clean
    (it may be about what the service itself sets)."""
    if not hasattr(error, "error_dict"):
        return
    for field, field_errors in error.error_dict.items():
        if field in form.fields and field not in form.errors:
            form.add_error(field, field_errors)


def all_valid(*forms_on_page) -> bool:
    """Validate every form of a page (no stopping at the first that fails) and, if any has an error, have each
    also report its service's checks (``ChecksWithItsService``): one post shows every mistake on the page."""
    valid = [form.is_valid() for form in forms_on_page]
    if not all(valid):
        for form in forms_on_page:
            if isinstance(form, ChecksWithItsService):
                form.report_service_checks()
    return all(valid)


class ValidatedByService(ChecksWithItsService):
    """ModelForm mixin for a form whose record a service makes or changes: the form checks what was typed, the
    service checks the record. Put it before ``forms.ModelForm`` in the bases.

    It guarantees that, once the form is cleaned:

    - ``is_valid()`` means each field cleaned and the form's own ``clean()`` passed, and nothing more: the model's
      ``clean()``, its unique checks and its constraints have not run;
    - ``form.instance`` is as the form was given it: the typed values are not copied onto it (read them from
      ``cleaned_data``; ``save()`` would store the instance unchanged, so the view calls the service instead);
    - a form with an error says everything else that is wrong too: the model's checks of the fields that did clean
      (on a copy of the instance) and the service's checks of what was typed (``service_checks()``), each on its
      field, so the person fixes every mistake in one go rather than meeting them one post at a time.

    Why: the service validates the whole record with ``full_clean()`` inside its own transaction, with what only it
    knows (the compact's settings, the record the new one belongs to, today's date), and the view shows what it
    refuses on the form (``add_service_errors``). Validating the model here as well would check a half-built record
    (its service sets the rest) and the same rules twice, in two places that could disagree. Only once the form
    has already failed, and so the service will not run, does the form ask the model and the service's own checks
    about what was typed, keeping their errors on the form's own fields.

    How: Django has no public switch for this. ``ModelForm`` copies the values onto the instance and validates it
    in ``_post_clean()``, the hook ``forms.Form`` leaves empty; this mixin replaces it, in this one place.
    """

    def _post_clean(self):
        if not self._errors:
            return  # the service validates the record (see the docstring)
        # The form has failed, so the service will not run: say now what the model would also refuse.
        record = copy.copy(self.instance)
        construct_instance(self, record, self._meta.fields, self._meta.exclude)
        try:
            record.full_clean(exclude=self._get_validation_exclusions())
        except ValidationError as error:
            add_unreported_errors(self, error)
        self.report_service_checks()


def form_helper(submit: str | None, *layout) -> FormHelper:
    """A crispy helper for a form inside the page's own <form> tag, with an optional submit button."""
    helper = FormHelper()
    helper.form_tag = False
    helper.layout = Layout(*layout)
    if submit:
        helper.add_input(Submit("submit", submit))
    return helper


# What a view catches from a service it calls, to show the form again with a message (``add_service_errors``):
# the service's own refusal, or the database's when two identical posts arrive at once and the second breaks a
# unique constraint the first has just filled (both passed the service's checks before either was saved).
SERVICE_ERRORS = (ValidationError, IntegrityError)
SAVED_AT_THE_SAME_TIME = (
    "This was not saved: the same record was saved a moment ago, by a second click or by someone else at the "
    "same time. Check whether it is there before saving it again."
)


def service_error_messages(error: ValidationError | IntegrityError) -> list[str]:
    """The messages of one of ``SERVICE_ERRORS``, for a page that shows them as messages rather than on a form."""
    if isinstance(error, IntegrityError):
        # The service's transaction has been rolled back: nothing of this post was saved.
        logger.warning("A post clashed with a record saved at the same time: %s", error)
        return [SAVED_AT_THE_SAME_TIME]
    return error.messages


def add_service_errors(form, error: ValidationError | IntegrityError) -> None:
    """Show a service's ValidationError on the form: on the field it names, or at the top; an IntegrityError
    (see ``SERVICE_ERRORS``) at the top, as ``SAVED_AT_THE_SAME_TIME``."""
    if isinstance(error, IntegrityError):
        form.add_error(None, service_error_messages(error))
    elif hasattr(error, "error_dict"):
        for field, field_errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, field_errors)
    else:
        form.add_error(None, error)


# --- Record the facts, flag the gap --------------------------------------------------------------------------------

SAVE_ANYWAY = "save_anyway"
SAVE_ANYWAY_LABEL = "Save anyway; this will be flagged until the explanation is added"
SAVE_ANYWAY_INTRO = (
    '<p class="mb-2">Add the explanation now, or save without it for now: you can add it later from the '
    "record's page.</p>"
)


class FlagsGaps:
    """Form mixin: a record that breaks a commitment allowing an explanation (Portsmouth 9.1, 9.2, 9.3, 3.7) is
    saved as it happened, not refused, and the compliance jobs flag it until the explanation is added. The form
    says so before saving, and lets the officer add the explanation now or save knowingly.

    A form names its gaps in ``compliance_gaps()``: {field that would close the gap: plain-English warning},
    worked out from ``cleaned_data`` with its app's ``rules.py`` (the verdicts the record pages use too). Once
    the form is cleaned, each warning shows under its field as a warning, not an error: the form stays valid.
    A view saves only when ``gaps_held(...)`` is false; while it is true the page is shown again, nothing
    saved and everything typed kept, with the box "Save anyway; ...". Ticking the box, or writing the
    explanations, lets the next post save.

    The box is one per page: its name has no form prefix, so the forms of a page (the "Log funding" page has
    two) read the same box. A form with its own submit button shows the box above it; a page that draws its
    own button draws the box there (``includes/gap_confirm.html``).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[SAVE_ANYWAY] = forms.BooleanField(label=SAVE_ANYWAY_LABEL, required=False)
        self._help_texts = {name: field.help_text for name, field in self.fields.items()}
        self.gap_warnings: dict[str, str] = {}

    def add_prefix(self, field_name):
        return SAVE_ANYWAY if field_name == SAVE_ANYWAY else super().add_prefix(field_name)

    def set_help_text(self, name: str, help_text: str) -> None:
        """Change a field's help text once the form is made (one naming its compact's own clause, say); a
        warning found when the form is cleaned is still added under it."""
        self.fields[name].help_text = help_text
        self._help_texts[name] = help_text

    def compliance_gaps(self) -> dict[str, str]:
        """{field name: warning} for each gap in ``cleaned_data``; read what you need with ``.get()``, as
        other fields may have failed to clean."""
        return {}

    def full_clean(self):
        super().full_clean()
        self.gap_warnings = self.compliance_gaps() if self.is_bound else {}
        for name, help_text in self._help_texts.items():
            if name in self.gap_warnings:
                help_text = format_html(
                    '{}<span class="gap-warning"><strong>Will be flagged:</strong> {}</span>',
                    help_text,
                    self.gap_warnings[name],
                )
            self.fields[name].help_text = help_text
            self[name].help_text = help_text  # the bound field copied it when the form was cleaned
        helper = getattr(self, "helper", None)
        if self.gap_warnings and helper is not None and helper.inputs:
            helper.layout.append(Div(HTML(SAVE_ANYWAY_INTRO), SAVE_ANYWAY, css_class="gap-confirm"))

    @property
    def gap_list(self) -> list[tuple[forms.BoundField, str]]:
        """The warnings with their fields, for the summary at the top of the page."""
        return [(self[name], warning) for name, warning in self.gap_warnings.items()]

    @property
    def saving_anyway(self) -> bool:
        return bool(getattr(self, "cleaned_data", {}).get(SAVE_ANYWAY))


def gaps_held(*forms_on_page: FlagsGaps) -> bool:
    """True while a form on the page has gaps and the officer has not ticked "Save anyway": show the page
    again, with the warnings, instead of saving. Call it once the forms are valid."""
    gaps = any(form.gap_warnings for form in forms_on_page)
    return gaps and not any(form.saving_anyway for form in forms_on_page)
