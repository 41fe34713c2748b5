"""Forms for running consultations and responding to them. The rules' messages come from the services; the
warning of a missing explanation (3.7) from ``consultations/gaps.py``. Help texts name a promise in the
compact's own words (``commitments.selectors.cite``) once the consultation has a compact."""

from crispy_forms.layout import HTML, Fieldset
from django import forms
from django.utils.text import capfirst

from commitments.models import Compact, MeasurableRule
from commitments.selectors import cite
from compact_portal.forms import DATE_INPUT, FlagsGaps, PlausibleDates, ValidatedByService, form_helper
from compact_portal.one_time import OneTimeKeyForm
from compact_portal.uploads import MultipleSniffedFileField, SniffedFileField

from . import gaps
from .models import CONSULTATION_DETAIL_FIELDS, AlertPreference, Consultation, PolicyArea, Represents, Response

DATE = DATE_INPUT

CONSULTATION_FORM_FIELDS = list(CONSULTATION_DETAIL_FIELDS)


class ConsultationForm(OneTimeKeyForm, FlagsGaps, PlausibleDates, ValidatedByService, forms.ModelForm):
    """A consultation's details. A formal consultation shorter than the compact's minimum without an explanation
    (3.7) is warned of, then saved if the officer says so."""

    document_link = forms.URLField(
        required=False, assume_scheme="https", label="Link to the consultation documents", max_length=200
    )

    class Meta:
        model = Consultation
        fields = CONSULTATION_FORM_FIELDS
        widgets = dict.fromkeys(("announced_date", "open_date", "close_date"), DATE) | {
            name: forms.Textarea(attrs={"rows": 3})
            for name in (
                "summary",
                "shorter_explanation",
                "methods",
                "open_to_change",
                "not_open_to_change",
                "formats_and_languages",
                "foi_statement",
            )
        }

    def __init__(self, *args, bodies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].queryset = bodies
        self.fields["body"].label = "Consulting body"
        if bodies.count() == 1:
            self.fields["body"].initial = bodies.first()
        self.fields["compact"].queryset = Compact.objects.all()
        self.fields["policy_area"].queryset = PolicyArea.objects.all()
        compact = self.instance.compact if self.instance.compact_id else None
        if compact is not None:  # the compact's own clauses (one query for its catalogue)
            for name, rule, text in (
                (
                    "formal",
                    MeasurableRule.CONSULTATION_LENGTH,
                    f"formal consultations last at least {compact.consultation_min_weeks} weeks.",
                ),
                ("announced_date", MeasurableRule.CONSULTATION_ANNOUNCED, "announce it before it opens."),
                (
                    "shorter_explanation",
                    MeasurableRule.CONSULTATION_LENGTH,
                    "shown publicly when a formal consultation is shorter than the compact asks.",
                ),
            ):
                self.set_help_text(name, f"{capfirst(cite(compact=compact, rule=rule))}: {text}")
        self.helper = form_helper(
            "Save",
            Fieldset("What and who", "compact", "body", "title", "summary", "policy_area"),
            Fieldset(
                "Dates",
                "formal",
                "announced_date",
                "open_date",
                "close_date",
                HTML(
                    '<p class="form-text">A formal consultation lasts at least the compact\'s minimum (12 weeks '
                    "in most compacts); the open and close days both count.</p>"
                ),
                "shorter_explanation",
            ),
            Fieldset(
                "How people can take part",
                "methods",
                "open_to_change",
                "not_open_to_change",
                "formats_and_languages",
                "foi_statement",
                "document_link",
                "contact_name",
                "contact_email",
            ),
        )

    def compliance_gaps(self) -> dict[str, str]:
        data = self.cleaned_data
        return gaps.length_warnings(
            compact=data.get("compact"),
            formal=bool(data.get("formal")),
            opens=data.get("open_date"),
            closes=data.get("close_date"),
            explanation=data.get("shorter_explanation"),
        )


class ExtendForm(PlausibleDates, forms.Form):
    new_close = forms.DateField(label="New close date", widget=DATE)
    reason = forms.CharField(label="Why", widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper("Change the close date", "new_close", "reason")


class DocumentForm(forms.Form):
    title = forms.CharField(max_length=200)
    file = SniffedFileField(required=False, label="Upload a file")
    link = forms.URLField(required=False, assume_scheme="https", label="Or give a link")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper("Add the document", "title", "file", "link")

    def clean(self):
        cleaned = super().clean()
        if bool(cleaned.get("file")) == bool(cleaned.get("link")):
            raise forms.ValidationError("Upload a file or give a link (one of the two).")
        return cleaned


class ResponseForm(ValidatedByService, forms.ModelForm):
    attachments = MultipleSniffedFileField(
        required=False,
        label="Attach files",
        help_text="PDF, Word, OpenDocument, plain text or images; up to 5 files of 10 MB each.",
    )

    class Meta:
        model = Response
        fields = ["text", "represents", "how_gathered", "may_publish"]
        widgets = {
            "text": forms.Textarea(attrs={"rows": 10}),
            "represents": forms.RadioSelect,
            "how_gathered": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["represents"].choices = Represents.choices
        self.helper = form_helper(
            None,
            "text",
            "represents",
            "how_gathered",
            "may_publish",
            "attachments",
        )  # the page adds "Save as draft" and "Submit" while the consultation is open


class FeedbackForm(forms.Form):
    summary_of_responses = forms.CharField(label="What people told us", widget=forms.Textarea(attrs={"rows": 5}))
    what_changed = forms.CharField(
        label="What changed because of the responses", widget=forms.Textarea(attrs={"rows": 5})
    )
    what_did_not_change = forms.CharField(
        label="What did not change, and why", widget=forms.Textarea(attrs={"rows": 5})
    )
    publish_responses = forms.ModelMultipleChoiceField(
        queryset=Response.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Publish these responses with the feedback",
        help_text="Only responses whose organisations allowed publication are listed.",
    )

    def __init__(self, *args, publishable, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["publish_responses"].queryset = publishable
        self.fields["publish_responses"].label_from_instance = lambda response: response.organisation.name
        self.helper = form_helper(
            "Publish the feedback", "summary_of_responses", "what_changed", "what_did_not_change", "publish_responses"
        )


class AlertPreferenceForm(forms.ModelForm):
    class Meta:
        model = AlertPreference
        fields = ["policy_areas", "opening_alerts", "closing_reminders"]
        widgets = {"policy_areas": forms.CheckboxSelectMultiple}
        labels = {"policy_areas": "Policy areas you want to hear about"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper("Save my choices", "policy_areas", "opening_alerts", "closing_reminders")
