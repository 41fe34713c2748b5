import datetime

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout, Submit
from django import forms
from django.utils import timezone

from compact_portal.forms import DATE_INPUT, PlausibleDates, ValidatedByService, form_helper
from compact_portal.one_time import OneTimeKeyForm
from compact_portal.periods import Period, PeriodError

from .models import (
    ORGANISATION_DETAIL_FIELDS,
    ActionStatus,
    Commitment,
    Community,
    Objective,
    Organisation,
    PlanAction,
    Review,
    ReviewKind,
    Service,
    Side,
)
from .selectors import plans as plan_selectors
from .selectors.dashboard import TREND_STEPS
from .selectors.group import group_candidates, plan_actions_of
from .services import plans as plan_services
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


# --- The implementation group ----------------------------------------------------------------------------------


class GroupMemberForm(OneTimeKeyForm, PlausibleDates, forms.Form):
    """A champion adds a member to the implementation group: a person with an account, or a name as the group's
    papers give it; their organisation or side; whether they chair it (a champion of the compact only)."""

    user = forms.ModelChoiceField(
        label="Person",
        queryset=None,
        required=False,
        empty_label="Someone without an account: give their name",
        help_text="People of the organisations that have signed the compact, and its champions.",
    )
    name = forms.CharField(
        max_length=200, required=False, help_text="As the group's papers name them; the person's own name if blank."
    )
    organisation = forms.ModelChoiceField(label="Organisation", queryset=None, required=False)
    side = forms.ChoiceField(
        choices=[("", "The organisation's side"), *Side.choices],
        required=False,
        help_text="Needed only when no organisation is chosen.",
    )
    chair = forms.BooleanField(
        label="Chairs the group", required=False, help_text="The chair is a Compact champion of this compact."
    )
    joined_on = forms.DateField(label="Joined on", widget=DATE_INPUT)

    def __init__(self, *args, compact, today: datetime.date, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("joined_on", today)
        super().__init__(*args, **kwargs)
        people, organisations = group_candidates(compact=compact)
        self.fields["user"].queryset = people
        self.fields["user"].label_from_instance = lambda user: f"{user.get_full_name()} ({user.email})"
        self.fields["organisation"].queryset = organisations
        self.helper = form_helper("Add the member", "user", "name", "organisation", "side", "chair", "joined_on")

    def clean(self):
        data = super().clean()
        if not data.get("user") and not (data.get("name") or "").strip() and "name" not in self.errors:
            self.add_error("name", "Give the member's name, or choose the person.")
        if not data.get("organisation") and not data.get("side") and "side" not in self.errors:
            self.add_error("side", "Choose the member's organisation or side.")
        return data


class GroupMemberLeaveForm(PlausibleDates, forms.Form):
    """The day a member left the implementation group."""

    left_on = forms.DateField(label="Left on", widget=DATE_INPUT)


class GroupChairForm(forms.Form):
    """Who chairs the implementation group from today: one of its members who is a Compact champion of the compact,
    or nobody for now."""

    chair = forms.ModelChoiceField(
        label="Chair from today",
        queryset=None,
        required=False,
        empty_label="Nobody for now (the chair steps down and stays a member)",
        help_text="Members of the group who are Compact champions of this compact.",
    )

    def __init__(self, *args, compact, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["chair"].queryset = compact.group_members.filter(
            left_on__isnull=True, user__in=compact.champions.values("user")
        ).order_by("name")
        self.fields["chair"].label_from_instance = lambda member: (
            f"{member.name}, {member.organisation.name}" if member.organisation else member.name
        )


class MeetingForm(OneTimeKeyForm, PlausibleDates, forms.Form):
    """An implementation group meeting: its day, notes, decisions and the compact's actions it reviewed."""

    held_on = forms.DateField(
        label="Held on", widget=DATE_INPUT, help_text="A meeting still to come may be recorded with its day alone."
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), required=False, max_length=20000)
    decisions = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=10000)
    actions_reviewed = forms.ModelMultipleChoiceField(
        label="Actions it reviewed",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The actions of this compact's action plan the meeting looked at.",
    )

    def __init__(self, *args, compact, submit: str = "Record the meeting", **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["actions_reviewed"]
        field.queryset = plan_actions_of(compact=compact)
        field.label_from_instance = lambda action: f"{action.objective.number}. {action}"
        self.helper = form_helper(submit, "held_on", "notes", "decisions", "actions_reviewed")


# --- The action plan and its reviews ---------------------------------------------------------------------------


class ObjectiveForm(OneTimeKeyForm, ValidatedByService, forms.ModelForm):
    """An objective of a compact's action plan: its number as the plan gives it, its title and what it means."""

    class Meta:
        model = Objective
        fields = ["number", "title", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        error_messages = {
            "number": {"required": 'Give the objective\'s number in the plan, e.g. "1".'},
            "title": {"required": "Give the objective's title."},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper(
            "Save the objective" if self.instance.pk else "Add the objective", "number", "title", "description"
        )


def _status_clean(form, cleaned: dict) -> None:
    """The day done for a done action, the reason for a dropped one: said on their fields."""
    status = cleaned.get("status")
    if status == ActionStatus.DONE and not cleaned.get("done_on") and "done_on" not in form.errors:
        form.add_error("done_on", "Give the day it was done.")
    if status == ActionStatus.DROPPED and not (cleaned.get("dropped_reason") or "").strip():
        form.add_error("dropped_reason", "Say why the action is dropped.")


class PlanActionForm(OneTimeKeyForm, PlausibleDates, ValidatedByService, forms.ModelForm):
    """An action of the plan, whole: under which objective, what, who leads it, by when, where it stands, and the
    commitments it serves. For the compact's champions and administrators."""

    class Meta:
        model = PlanAction
        fields = [
            "objective",
            "what",
            "lead_organisation",
            "lead_person",
            "lead_group",
            "due_date",
            "timescale",
            "status",
            "done_on",
            "dropped_reason",
            "commitments",
        ]
        widgets = {
            "what": forms.Textarea(attrs={"rows": 3}),
            "due_date": DATE_INPUT,
            "done_on": DATE_INPUT,
            "dropped_reason": forms.Textarea(attrs={"rows": 2}),
            "commitments": forms.CheckboxSelectMultiple,
        }
        labels = {"lead_organisation": "Lead organisation", "lead_person": "Lead person"}
        help_texts = {
            "lead_person": "A person of an organisation that has signed the compact, or one of its champions.",
            "done_on": "When the status is Done.",
            "dropped_reason": "When the status is Dropped: why.",
            "commitments": "The compact's commitments this action serves, if any.",
        }
        error_messages = {"what": {"required": "Say what is to be done."}}

    def __init__(self, *args, compact, **kwargs):
        super().__init__(*args, **kwargs)
        self.compact = compact
        self.fields["objective"].queryset = Objective.objects.filter(compact=compact).order_by("position", "number")
        self.fields["objective"].empty_label = None
        self.fields["objective"].error_messages["required"] = "Choose the objective the action serves."
        self.fields["lead_organisation"].queryset = plan_selectors.lead_organisations(compact=compact)
        self.fields["lead_person"].queryset = plan_selectors.lead_people(compact=compact)
        self.fields["lead_person"].label_from_instance = lambda user: user.full_name or user.email
        self.fields["commitments"].queryset = Commitment.objects.filter(compact=compact).order_by("position")
        self.fields["commitments"].label_from_instance = lambda c: f"{c.code}: {c.summary[:90]}"
        self.helper = form_helper(
            "Save the action" if self.instance.pk else "Add the action",
            "objective",
            "what",
            Fieldset("Who leads it", "lead_organisation", "lead_person", "lead_group"),
            Fieldset("By when", "due_date", "timescale"),
            Fieldset("Where it stands", "status", "done_on", "dropped_reason"),
            "commitments",
        )

    def clean(self):
        cleaned = super().clean()
        _status_clean(self, cleaned)
        group = (cleaned.get("lead_group") or "").strip()
        named = cleaned.get("lead_organisation") or cleaned.get("lead_person") or group
        if not named and "lead_group" not in self.errors:
            self.add_error("lead_group", "Name who leads it: an organisation, a person or a group.")
        return cleaned

    def service_checks(self):
        data = self.cleaned_data
        return [
            lambda: plan_services.check_action(
                compact=self.compact,
                today=self.today,
                status=data.get("status") or "",
                done_on=data.get("done_on"),
                due_date=data.get("due_date"),
                timescale=data.get("timescale") or "",
                commitments=data.get("commitments") or (),
            )
        ]


class ActionStatusForm(PlausibleDates, forms.Form):
    """Where an action stands, for its lead: its status, the day it was done, or why it was dropped."""

    status = forms.ChoiceField(choices=ActionStatus.choices, label="Status")
    done_on = forms.DateField(label="Done on", required=False, widget=DATE_INPUT, help_text="When it is done.")
    dropped_reason = forms.CharField(
        label="Why it was dropped",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="When it is dropped.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper("Update the status", "status", "done_on", "dropped_reason")

    def clean(self):
        cleaned = super().clean()
        _status_clean(self, cleaned)
        done_on = cleaned.get("done_on")
        if cleaned.get("status") == ActionStatus.DONE and done_on and done_on > timezone.localdate():
            self.add_error("done_on", "An action cannot be done after today.")
        return cleaned


class ProgressNoteForm(OneTimeKeyForm, PlausibleDates, forms.Form):
    """A dated note of progress on an action."""

    noted_on = forms.DateField(label="On", required=False, widget=DATE_INPUT, help_text="Today, if left empty.")
    text = forms.CharField(
        label="What has happened",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        error_messages={"required": "Write what has happened."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper("Add the note", "noted_on", "text")

    def clean_noted_on(self):
        noted_on = self.cleaned_data.get("noted_on")
        if noted_on and noted_on > timezone.localdate():
            raise forms.ValidationError("A note cannot be dated after today.")
        return noted_on


class ReviewForm(OneTimeKeyForm, PlausibleDates, ValidatedByService, forms.ModelForm):
    """A review of the compact or of its action plan: when, who took part from each side, what was found, what
    changes, and when the next review is."""

    class Meta:
        model = Review
        fields = [
            "kind",
            "held_on",
            "public_participants",
            "vcs_participants",
            "findings",
            "changes",
            "next_review_on",
        ]
        widgets = {
            "kind": forms.RadioSelect,
            "held_on": DATE_INPUT,
            "next_review_on": DATE_INPUT,
            "public_participants": forms.Textarea(attrs={"rows": 2}),
            "vcs_participants": forms.Textarea(attrs={"rows": 2}),
            "findings": forms.Textarea(attrs={"rows": 4}),
            "changes": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "public_participants": "Names and roles, or the bodies represented.",
            "vcs_participants": "Names and roles, or the organisations represented.",
            "next_review_on": "The compact's next review date becomes this day.",
        }
        error_messages = {
            "kind": {"required": "Say whether the compact or its action plan was reviewed."},
            "held_on": {"required": "Give the day the review was held."},
            "public_participants": {"required": "Say who took part for the public bodies."},
            "vcs_participants": {"required": "Say who took part for the voluntary and community sector."},
            "findings": {"required": "Say what the review found."},
            "next_review_on": {"required": "Give the day of the next review."},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = ReviewKind.choices  # no empty choice
        self.helper = form_helper("Record the review", *self.Meta.fields)

    def service_checks(self):
        data = self.cleaned_data
        return [
            lambda: plan_services.check_review(
                today=self.today, held_on=data.get("held_on"), next_review_on=data.get("next_review_on")
            )
        ]


class PlanFilterForm(forms.Form):
    """The plan's filters: the actions of one status (or the late ones), led by one organisation (or by you)."""

    status = forms.ChoiceField(required=False, label="Status", widget=forms.Select(attrs={"class": "form-select"}))
    lead = forms.ChoiceField(required=False, label="Lead", widget=forms.Select(attrs={"class": "form-select"}))

    def __init__(self, *args, compact, signed_in: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            ("", "Any status"),
            (plan_selectors.LATE, "Late"),
            *ActionStatus.choices,
        ]
        leads = plan_selectors.lead_organisations(compact=compact).filter(plan_actions_led__objective__compact=compact)
        self.fields["lead"].choices = [
            ("", "Any lead"),
            *([(plan_selectors.MINE, "Actions I lead")] if signed_in else []),
            *((slug, name) for slug, name in leads.distinct().values_list("slug", "name")),
        ]

    def value(self, name: str) -> str:
        return self.cleaned_data.get(name, "") if self.is_bound and self.is_valid() else ""
