"""The monitoring forms: a compact's templates (12.5), a relationship's plan (12.1–12.4), a return made and reviewed
(17.3), a significant change told to funders (17.4) and an improvement timetable (12.7)."""

from crispy_forms.layout import Fieldset
from django import forms

from commitments.models import MeasurableRule
from compact_portal.formatting import money
from compact_portal.forms import (
    FlagsGaps,
    PlausibleDates,
    ValidatedByService,
    form_helper,
)
from compact_portal.gaps import plural
from compact_portal.one_time import OneTimeKeyForm
from compact_portal.uploads import MAX_FILES_PER_ITEM, MultipleSniffedFileField

from .. import gaps
from ..models import (
    ChangeKind,
    FundingRelationship,
    ImprovementTimetable,
    MonitoringPlan,
    MonitoringTemplate,
    ReturnsPerYear,
    SignificantChange,
)
from ..services.monitoring import returns_allowed
from . import DATE, citing


class MonitoringTemplateForm(OneTimeKeyForm, ValidatedByService, forms.ModelForm):
    """A compact's standard monitoring template (12.5): what each return asks and why, for officers to start their
    plans from. ``compacts`` are those the person may keep templates for."""

    class Meta:
        model = MonitoringTemplate
        fields = ["compact", "name", "questions", "purpose", "service_user_views"]
        widgets = {
            "questions": forms.Textarea(attrs={"rows": 6}),
            "purpose": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, compacts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["compact"].queryset = compacts
        if self.instance.pk:
            del self.fields["compact"]  # a template stays with its compact
        elif compacts.count() == 1:
            self.fields["compact"].initial = compacts.first()
        self.fields["questions"].error_messages["required"] = "Give at least one question, one per line."
        self.fields["purpose"].error_messages["required"] = (
            "Say why the questions are asked and how the answers are used."
        )
        self.helper = form_helper(
            "Save the template" if self.instance.pk else "Add the template",
            *[
                name
                for name in ("compact", "name", "questions", "purpose", "service_user_views")
                if name in self.fields
            ],
        )


class MonitoringPlanForm(FlagsGaps, PlausibleDates, ValidatedByService, forms.ModelForm):
    """A relationship's monitoring plan (12.1–12.4): what is asked and why, how often, whether service users' views
    are part of it, and the day it was agreed with the organisation. A plan asking more often than the compact's
    band for the funding's value, without the reason, is warned of and saved if the officer says so (12.3)."""

    agreed_on = forms.DateField(
        label="Agreed with the organisation on",
        required=False,
        widget=DATE,
        help_text="Leave empty until the organisation has agreed the plan; monitoring is agreed before the "
        "agreement is signed.",
    )

    class Meta:
        model = MonitoringPlan
        fields = ["template", "questions", "purpose", "returns_per_year", "service_user_views", "disproportion_reason"]
        widgets = {
            "template": forms.HiddenInput,
            "questions": forms.Textarea(attrs={"rows": 6}),
            "purpose": forms.Textarea(attrs={"rows": 3}),
            "returns_per_year": forms.RadioSelect,
            "disproportion_reason": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, relationship: FundingRelationship, **kwargs):
        self.relationship = relationship
        super().__init__(*args, **kwargs)
        compact = relationship.compact
        self.fields["template"].queryset = MonitoringTemplate.objects.filter(compact=compact)
        self.fields["returns_per_year"].choices = ReturnsPerYear.choices  # no empty choice: the band proposes one
        self.fields["questions"].error_messages["required"] = "Give at least one question the returns will answer."
        self.fields["purpose"].error_messages["required"] = (
            "Say why the questions are asked and how the answers will be used."
        )
        self.allowed = returns_allowed(relationship)
        for name, rule in (
            ("purpose", MeasurableRule.MONITORING_PROPORTIONATE),
            ("returns_per_year", MeasurableRule.MONITORING_PROPORTIONATE),
            ("disproportion_reason", MeasurableRule.MONITORING_PROPORTIONATE),
            ("agreed_on", MeasurableRule.MONITORING_AGREED),
        ):
            self.set_help_text(name, citing(compact, rule, self.fields[name].help_text or ""))
        self.set_help_text(
            "returns_per_year",
            f"{self.fields['returns_per_year'].help_text} For {money(relationship.amount)} this compact's band "
            f"allows at most {plural(self.allowed, 'return')} a year.",
        )
        self.helper = form_helper(
            "Save the plan",
            "template",
            Fieldset("What the returns ask", "questions", "purpose", "service_user_views"),
            Fieldset("How often", "returns_per_year", "disproportion_reason"),
            Fieldset("Agreement", "agreed_on"),
        )

    def compliance_gaps(self) -> dict[str, str]:
        data = self.cleaned_data
        return gaps.monitoring_plan_warnings(
            relationship=self.relationship,
            returns_per_year=data.get("returns_per_year"),
            reason=data.get("disproportion_reason"),
        )


class ReturnForm(forms.Form):
    """A monitoring return as the organisation fills it in: an answer to each of the plan's questions, files, and,
    when the funder has asked questions, the reply. Answers may be left empty in a draft, not in a return sent."""

    files = MultipleSniffedFileField(
        label="Files", required=False, help_text=f"Up to {MAX_FILES_PER_ITEM} files: PDF, Word, OpenDocument or images."
    )
    reply = forms.CharField(
        label="Your reply to the funder's questions", required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, questions: list[str], answers: list[str] = (), replying: bool = False, **kwargs):
        self.questions = list(questions)
        self.sending = False
        super().__init__(*args, **kwargs)
        answers = list(answers)
        for number, question in enumerate(self.questions):
            self.fields[f"answer_{number}"] = forms.CharField(
                label=question,
                required=False,
                initial=answers[number] if number < len(answers) else "",
                widget=forms.Textarea(attrs={"rows": 4}),
            )
        if not replying:
            del self.fields["reply"]
        self.order_fields([*self.answer_names, "reply", "files"])

    @property
    def answer_names(self) -> list[str]:
        return [f"answer_{number}" for number in range(len(self.questions))]

    def is_sent(self, sending: bool) -> bool:
        """Validate as a return being sent (``sending``: every answer given, and the reply) or saved as a draft."""
        self.sending = sending
        return self.is_valid()

    def clean(self):
        cleaned = super().clean()
        if self.sending:
            for name in self.answer_names:
                if name in cleaned and not cleaned[name].strip():
                    self.add_error(name, "Answer this question before sending, or save a draft for now.")
            if "reply" in self.fields and "reply" in cleaned and not cleaned["reply"].strip():
                self.add_error("reply", "Write your reply to the funder's questions.")
        return cleaned

    @property
    def answers(self) -> list[str]:
        return [self.cleaned_data.get(name, "").strip() for name in self.answer_names]


class ReturnReviewForm(forms.Form):
    """The funder's review of a return sent: accepted (with an optional note), or questions for the organisation."""

    ACCEPT, QUESTIONS = "accept", "questions"

    text = forms.CharField(
        label="Your questions, or a note with the acceptance",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The organisation sees it with the return. Questions are needed to ask questions; a note is optional "
        "when accepting.",
    )

    def __init__(self, *args, action: str = "", questions_open: bool = True, **kwargs):
        self.action = action
        super().__init__(*args, **kwargs)
        if not questions_open:  # questions already wait for the organisation's reply: only accepting is left
            self.fields["text"].label = "A note with the acceptance"
            self.fields["text"].help_text = "Optional. The organisation sees it with the return."

    def clean(self):
        cleaned = super().clean()
        if self.action == self.QUESTIONS and not (cleaned.get("text") or "").strip():
            self.add_error("text", "Write the questions you would like the organisation to answer.")
        return cleaned


class SignificantChangeForm(OneTimeKeyForm, ValidatedByService, forms.ModelForm):
    """Early notice of a significant change to the organisation's funders (17.4): what kind, what has changed, and
    which of its current funding relationships to tell."""

    class Meta:
        model = SignificantChange
        fields = ["kind", "description", "relationships"]
        widgets = {
            "kind": forms.RadioSelect,
            "description": forms.Textarea(attrs={"rows": 5}),
            "relationships": forms.CheckboxSelectMultiple,
        }
        labels = {"relationships": "Which funders to tell"}
        help_texts = {"relationships": "Each funding relationship you tick gets the notice on its story."}

    def __init__(self, *args, relationships, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = ChangeKind.choices  # no empty choice
        self.fields["description"].error_messages["required"] = "Describe what has changed."
        field = self.fields["relationships"]
        field.queryset = relationships
        field.label_from_instance = lambda r: f"{r.funder.name}: {r.reference}, {r.title}"
        field.error_messages["required"] = "Tick at least one funder to tell."
        self.helper = form_helper("Tell the funders", "kind", "description", "relationships")


class ImprovementTimetableForm(OneTimeKeyForm, PlausibleDates, forms.Form):
    """An improvement timetable agreed with the organisation (12.7): the problems, when it was agreed and when
    progress is reviewed; its actions come from ``ImprovementActionFormSet`` on the same page."""

    problems = forms.CharField(
        label=ImprovementTimetable._meta.get_field("problems").verbose_name.capitalize(),
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Describe the problems discussed with the organisation."},
    )
    agreed_on = forms.DateField(
        label="Agreed with the organisation on",
        widget=DATE,
        error_messages={"required": "Give the day the timetable was agreed with the organisation."},
    )
    review_on = forms.DateField(
        label="Progress reviewed on",
        widget=DATE,
        error_messages={"required": "Give the day progress will be reviewed."},
    )

    def clean(self):
        cleaned = super().clean()
        agreed, review = cleaned.get("agreed_on"), cleaned.get("review_on")
        if agreed and review and review < agreed:
            self.add_error("review_on", "The review cannot come before the timetable is agreed.")
        return cleaned


class ImprovementActionForm(PlausibleDates, forms.Form):
    action = forms.CharField(label="Action", max_length=300, required=False)
    due_on = forms.DateField(label="Due by", required=False, widget=DATE)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action", "").strip() and not cleaned.get("due_on") and "due_on" not in self.errors:
            self.add_error("due_on", "Give the day this action is due by.")
        if cleaned.get("due_on") and not cleaned.get("action", "").strip():
            self.add_error("action", "Say what the action is, or clear its date.")
        return cleaned


class _ActionsFormSet(forms.BaseFormSet):
    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        form.fields["action"].label = f"Action {i + 1}"
        form.fields["due_on"].label = f"Action {i + 1} due by"
        return form

    def clean(self):
        super().clean()
        if any(form.errors for form in self.forms):
            return
        if not self.actions:
            raise forms.ValidationError("Add at least one action, with the day it is due by.")

    @property
    def actions(self) -> list[tuple[str, object]]:
        return [
            (form.cleaned_data["action"].strip(), form.cleaned_data["due_on"])
            for form in self.forms
            if form.cleaned_data.get("action", "").strip()
        ]


ImprovementActionFormSet = forms.formset_factory(
    ImprovementActionForm, formset=_ActionsFormSet, extra=3, max_num=20, absolute_max=20
)
