"""Forms for raising a concern and for each step of a case (field checks only; the rules are in services)."""

from django import forms
from django.utils import timezone

from compact_portal.forms import DATE_INPUT, PlausibleDates, ValidatedByService, form_helper
from compact_portal.one_time import OneTimeKeyForm
from compact_portal.uploads import MAX_FILES_PER_ITEM, MultipleSniffedFileField

from .models import FINDINGS, Concern, MeetingKind

FILES_HELP = "PDF, Word, OpenDocument, plain text or images; up to 10 MB each."


class CommitmentChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, commitment):
        return f"{commitment.code} {commitment.summary}"


class ConcernForm(OneTimeKeyForm, PlausibleDates, ValidatedByService, forms.ModelForm):
    """The concern form, for one compact: its public-body signatories and its catalogue of commitments.

    Its one-time key (``OneTimeKeyForm``) is kept with a draft, so a concern finished from its draft is raised once.
    """

    raiser = forms.ModelChoiceField(queryset=None, label="Raising it for", empty_label=None)
    commitments = CommitmentChoices(
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        label="Commitments you believe were broken",
        help_text="Tick every commitment that applies. Search by clause number or words to narrow the list.",
        error_messages={"required": "Choose at least one commitment you believe was broken."},
    )
    documents = MultipleSniffedFileField(required=False, label="Evidence", help_text=FILES_HELP)
    consent = forms.BooleanField(
        label="I agree that the compact's champions handle this concern and, on appeal, its dispute panel",
        error_messages={"required": "Tick to agree to the process; without it the champions cannot handle it."},
    )

    class Meta:
        model = Concern
        fields = [
            "raiser",
            "respondent",
            "commitments",
            "what_happened",
            "happened_on",
            "outcome_sought",
            "documents",
            "withhold_identity",
            "consent",
        ]
        widgets = {
            "what_happened": forms.Textarea(attrs={"rows": 8}),
            "outcome_sought": forms.Textarea(attrs={"rows": 4}),
            "happened_on": DATE_INPUT,
        }
        labels = {"respondent": "The signatory concerned"}
        help_texts = {
            "what_happened": "Say what happened, who was involved and how it affected your organisation.",
            "happened_on": "If it went on over a time, the date it began.",
            "outcome_sought": "What would put things right for you?",
        }
        error_messages = {
            "respondent": {"required": "Choose the signatory the concern is about."},
            "what_happened": {"required": "Say what happened."},
            "happened_on": {"required": "Give the date it happened.", "invalid": "Give the date as day, month, year."},
            "outcome_sought": {"required": "Say what outcome you are seeking."},
        }

    def __init__(self, *args, raisers, respondents, commitments, kept_documents: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["raiser"].queryset = raisers
        if raisers.count() == 1:
            self.fields["raiser"].widget = forms.HiddenInput()
            self.fields["raiser"].initial = raisers.first().pk
        self.fields["respondent"].queryset = respondents
        self.fields["respondent"].empty_label = "Choose a public body"
        self.fields["commitments"].queryset = commitments
        self.fields["documents"].max_files = MAX_FILES_PER_ITEM - kept_documents
        if kept_documents >= MAX_FILES_PER_ITEM:
            del self.fields["documents"]  # the draft holds all the files a concern can have
        elif kept_documents:
            self.fields["documents"].help_text = (
                f"{FILES_HELP} {kept_documents} file{'s are' if kept_documents > 1 else ' is'} kept with your draft; "
                f"you can add {MAX_FILES_PER_ITEM - kept_documents} more."
            )
        self.helper = form_helper(None, *self.fields)

    def clean_happened_on(self):
        happened_on = self.cleaned_data["happened_on"]
        if happened_on and happened_on > timezone.localdate():
            raise forms.ValidationError("The date it happened cannot be in the future.")
        return happened_on

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("raiser") and cleaned.get("raiser") == cleaned.get("respondent"):
            self.add_error("respondent", "An organisation cannot raise a concern about itself.")
        return cleaned


# The forms of the steps on a case page. Each is shown with a prefix (the step's key), so many fit one page.


class NoteForm(forms.Form):
    note = forms.CharField(
        label="Note for the timeline (optional)", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReasonsForm(forms.Form):
    reasons = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), error_messages={"required": "Give your reasons."}
    )


class OptionalReasonsForm(forms.Form):
    reasons = forms.CharField(label="Reasons (optional)", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ExtendForm(forms.Form):
    days = forms.IntegerField(
        label="Extra working days", min_value=1, error_messages={"required": "Give the number of working days."}
    )
    reasons = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), error_messages={"required": "Give the reasons for the extension."}
    )


class RespondForm(forms.Form):
    response = forms.CharField(
        label="The body's written response",
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={"required": "Write the body's response."},
    )


class AppealForm(forms.Form):
    grounds = forms.CharField(
        label="Grounds of the appeal",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Give the grounds of the appeal."},
    )


class FindingForm(forms.Form):
    """A formal outcome or the panel's decision."""

    outcome = forms.ChoiceField(
        choices=[(value.value, value.label) for value in FINDINGS],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the outcome."},
    )
    commitments_found_broken = CommitmentChoices(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple, label="Commitments found broken"
    )
    reasons = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), error_messages={"required": "Give reasons."})
    lessons_learned = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, commitments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commitments_found_broken"].queryset = commitments


class OutcomeForm(FindingForm):
    """The formal outcome: lessons are recorded when the case closes."""

    lessons_learned = None


class CloseForm(forms.Form):
    reasons = forms.CharField(
        label="How the case ended",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say how the case ended."},
    )
    lessons_learned = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))


class PanelMemberChoice(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return f"{user.full_name} (conflict of interest)" if getattr(user, "conflicted", False) else user.full_name


class AssignPanelForm(forms.Form):
    member = PanelMemberChoice(
        queryset=None,
        label="Panel member",
        empty_label="Choose a panel member",
        error_messages={"required": "Choose a panel member."},
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = candidates


class MeetingForm(OneTimeKeyForm, PlausibleDates, forms.Form):
    meeting_kind = forms.ChoiceField(label="Kind of meeting", choices=MeetingKind.choices)
    meeting_date = forms.DateField(
        label="Held on", widget=DATE_INPUT, error_messages={"required": "Give the date of the meeting."}
    )
    attendees = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), error_messages={"required": "List who attended."}
    )
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))


class NoteOnlyForm(OneTimeKeyForm, forms.Form):
    text = forms.CharField(
        label="Note", widget=forms.Textarea(attrs={"rows": 3}), error_messages={"required": "Write the note."}
    )


class DocumentForm(forms.Form):
    documents = MultipleSniffedFileField(label="Documents", help_text=FILES_HELP)
    description = forms.CharField(required=False, max_length=300)
