import datetime

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout, Submit
from django import forms

from compact_portal.forms import DATE_INPUT, PlausibleDates, ValidatedByService, form_helper
from compact_portal.one_time import OneTimeKeyForm
from compact_portal.periods import Period, PeriodError

from .models import ORGANISATION_DETAIL_FIELDS, Community, Organisation, Service
from .selectors.dashboard import TREND_STEPS
from .services.entries import ENTRY_FIELDS

FIRST_YEAR = 1998  # the national Compact was agreed in 1998: no period before it is worth choosing

MAX_IMPORT_BYTES = 2 * 1024 * 1024


class SignUpForm(OneTimeKeyForm, ValidatedByService, forms.ModelForm):
    """An organisation applies to sign a compact: its details, and who is applying. The organisation is checked
    by ``organisation_sign_up``, after it looks for the same organisation's application already waiting."""

    applicant_name = forms.CharField(label="Your name", max_length=150)
    applicant_email = forms.EmailField(label="Your e-mail address", help_text="We will write to you with the decision.")
    website = forms.URLField(required=False, assume_scheme="https")
    communities = forms.ModelMultipleChoiceField(
        queryset=Community.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Communities you serve",
        help_text="The first nine are the protected characteristics of the Equality Act 2010.",
    )

    class Meta:
        model = Organisation
        fields = [*ORGANISATION_DETAIL_FIELDS, "communities"]
        labels = {"name": "Organisation name", "side": "Which side of the compact are you on?"}
        help_texts = {
            "charity_number": "6 or 7 digits, if you are registered with the Charity Commission.",
            "scottish_charity_number": "SC and 6 digits, if you are registered with OSCR.",
            "company_number": "8 characters, if you are registered with Companies House.",
            "org_id": "Public bodies: your Org-ID, e.g. GB-LAE-POR. Others: leave blank and we work it out.",
            "paid_staff": "A small group has two paid staff or fewer.",
        }
        error_messages = {"org_id": {"unique": "An organisation with this Org-ID is already registered."}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("organisation_type", "postcode", "email"):
            self.fields[name].required = True
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset("About you", "applicant_name", "applicant_email"),
            Fieldset("Your organisation", "name", "side", "organisation_type", "paid_staff", "communities"),
            Fieldset("Registered numbers", "charity_number", "scottish_charity_number", "company_number", "org_id"),
            Fieldset("Contact details", "address", "postcode", "email", "phone", "website"),
        )
        self.helper.add_input(Submit("submit", "Apply to sign"))


class EntryForm(ValidatedByService, forms.ModelForm):
    """An organisation's own directory entry, as its members keep it (``organisation_entry_update`` saves it)."""

    website = forms.URLField(required=False, assume_scheme="https", help_text="Its address, e.g. www.example.org.")
    services = forms.ModelMultipleChoiceField(
        queryset=Service.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Services you offer",
        help_text="Tick each kind of service; people looking in the directory can choose one.",
    )
    communities = forms.ModelMultipleChoiceField(
        queryset=Community.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Communities you serve",
        help_text="The first nine are the protected characteristics of the Equality Act 2010.",
    )

    class Meta:
        model = Organisation
        fields = [*ENTRY_FIELDS, "services", "communities"]
        widgets = {
            "address": forms.Textarea(attrs={"rows": 3}),
            "aims_and_services": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "paid_staff": "A small group has two paid staff or fewer.",
            "governing_document": "The document that sets up the organisation and its rules.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper(
            None,
            Fieldset("What you do", "aims_and_services", "services", "area_served", "communities"),
            Fieldset("Contact details", "email", "phone", "website", "address", "postcode"),
            Fieldset("About the organisation", "paid_staff", "governing_document"),
        )


class IdentifierChangeForm(OneTimeKeyForm, forms.Form):
    """A member asks an administrator to change the registration numbers (``identifier_change_request``)."""

    charity_number = forms.CharField(
        label="Charity number (England and Wales)",
        required=False,
        help_text="6 or 7 digits, if you are registered with the Charity Commission. Leave blank if not.",
    )
    scottish_charity_number = forms.CharField(
        label="Scottish charity number", required=False, help_text="SC and 6 digits, if you are registered with OSCR."
    )
    company_number = forms.CharField(
        label="Company number", required=False, help_text="8 characters, if you are registered with Companies House."
    )
    reason = forms.CharField(
        label="Why do the numbers change?",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": "Say why the numbers change, so the administrator can check them."},
        help_text="For example: we became a charitable incorporated organisation and have a new charity number.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper(
            "Ask to change the numbers", "charity_number", "scottish_charity_number", "company_number", "reason"
        )


class IdentifierDecisionForm(forms.Form):
    """An administrator's decision on a change of registration numbers (``identifier_change_decide``)."""

    decision = forms.ChoiceField(
        choices=[("approve", "Approve: the directory shows the new numbers"), ("refuse", "Refuse: keep the numbers")],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
        label="Note to the organisation",
        help_text="Required when you refuse; the organisation's members read it on their entry's page.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper("Record the decision", "decision", "note")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "refuse" and not cleaned.get("note", "").strip():
            self.add_error("note", "Say why the numbers are not changed; the organisation reads it.")
        return cleaned


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", "Approve: the organisation signs today"), ("decline", "Decline")],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="Reason",
        help_text="Required when you decline; the organisation sees it.",
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "decline" and not cleaned.get("reason", "").strip():
            self.add_error("reason", "Say why you are declining the application.")
        return cleaned


class WithdrawForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Why is the organisation withdrawing?")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.add_input(Submit("submit", "Withdraw", css_class="btn-danger"))


class ImportForm(forms.Form):
    file = forms.FileField(label="CSV file", help_text="UTF-8 CSV with a header row; at most 2 MB.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = ".csv,text/csv"
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.add_input(Submit("submit", "Import"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError("The file is larger than 2 MB. Split it into smaller files.")
        return upload


class FlagDecisionForm(forms.Form):
    """A champion's reason for waiving or reopening a compliance flag."""

    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": "Give the reason, so others can see why the flag changed."},
    )

    def __init__(self, *args, submit: str, help_text: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].help_text = help_text
        self.helper = form_helper(submit, "reason")


class PeriodForm(PlausibleDates, forms.Form):
    """The period a dashboard or report covers: a quarter (``year`` and ``quarter``), a year (``year``
    alone) or any dates (``start`` and ``end``). With nothing chosen, ``period`` is ``default``."""

    year = forms.TypedChoiceField(coerce=int, required=False, choices=())
    quarter = forms.TypedChoiceField(
        coerce=int, required=False, choices=[("", "The whole year")] + [(n, f"Q{n}") for n in range(1, 5)]
    )
    start = forms.DateField(label="From", required=False, widget=DATE_INPUT)
    end = forms.DateField(label="To", required=False, widget=DATE_INPUT)
    step = forms.ChoiceField(label="Trend", required=False, choices=[("", "Automatic"), *TREND_STEPS.items()])

    def __init__(self, *args, today: datetime.date, default: Period | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.default = default or Period.quarter_of(today)
        self.fields["year"].choices = [(y, str(y)) for y in range(today.year + 1, FIRST_YEAR - 1, -1)]
        self.period = self.default

    def clean(self):
        data = super().clean()
        start, end, year, quarter = data.get("start"), data.get("end"), data.get("year"), data.get("quarter")
        if self.errors:
            return data
        if start or end:
            if not (start and end):
                raise forms.ValidationError("Give both dates: the first and the last day of the period.")
            try:
                self.period = Period(start, end)
            except PeriodError as error:
                self.add_error("end", str(error))
        elif year:
            self.period = Period.quarter(year, quarter) if quarter else Period.year(year)
        return data


class ReportRequestForm(OneTimeKeyForm, PeriodForm):
    """A champion asks for a compliance report: the period, and the meeting it is for."""

    meeting = forms.CharField(
        label="For the meeting of",
        max_length=200,
        required=False,
        help_text="Printed on the cover, for example “the Local Strategic Partnership board, 14 January 2027”.",
    )
