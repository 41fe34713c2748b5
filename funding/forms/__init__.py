"""Forms officers and organisations fill in. The rules' messages come from the models and services; the warnings
of an explanation missing (9.1, 9.2, 9.3) from ``funding/gaps.py``. Help texts name a promise in the compact's
own words (``commitments.selectors.cite``) where the form knows the compact, and name no clause where it does not
(a new relationship, before its compact is chosen)."""

from functools import partial

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Fieldset, Layout
from django import forms
from django.db.models import Q
from django.utils.text import capfirst

from commitments.forms import ImportForm
from commitments.models import Compact, MeasurableRule, Organisation, Side, SignatureStatus
from commitments.selectors import cite
from compact_portal.forms import (
    DATE_INPUT,
    ChecksWithItsService,
    FlagsGaps,
    PlausibleDates,
    ValidatedByService,
    form_helper,
)
from compact_portal.one_time import OneTimeKeyForm

from .. import gaps, rules, services
from ..models import (
    NOTICE_DETAIL_FIELDS,
    RELATIONSHIP_DETAIL_FIELDS,
    Decision,
    DecisionKind,
    FundingRelationship,
    FundingStatus,
    Invoice,
    Notice,
    Payment,
)

DATE = DATE_INPUT


def _computed(name: str, label: str) -> HTML:
    """A line under a date field where the computed deadline appears as the officer types."""
    return HTML(
        f'<p class="form-text mt-n2 mb-3">{label}: <output data-computed="{name}" aria-live="polite">'
        "(enter the dates to see it)</output></p>"
    )


def citing(compact: Compact | None, rule: str, text: str) -> str:
    """A help text naming the promise ``rule`` as ``compact`` words it: "Commitment 9.1: <text>", "Commitment
    PSA 11: <text>", or "The portal's default (this compact states no such rule): <text>"; ``text`` alone where
    the compact is not known yet."""
    if compact is None:
        return capfirst(text)
    return f"{capfirst(cite(compact=compact, rule=rule))}: {text[:1].lower()}{text[1:]}"


RELATIONSHIP_FORM_FIELDS = [*RELATIONSHIP_DETAIL_FIELDS, "published_as_open_data"]


class HappenedByToday(ChecksWithItsService):
    """Form mixin: once the form (or its page) has an error, a decision told, invoice received, payment made or
    notice given after today is reported with the rest, in the service's words (``refuse_after_today``)."""

    def service_checks(self):
        dates = {name: self.cleaned_data.get(name) for name in services.HAPPENED_BY_TODAY if name in self.fields}
        return [*super().service_checks(), partial(services.refuse_after_today, self.today, **dates)]


class RelationshipForm(FlagsGaps, PlausibleDates, forms.ModelForm):
    """A funding relationship's details; when creating, optionally the first decision too. A term shorter than
    the compact's minimum without an explanation (9.1) is warned of, then saved if the officer says so."""

    class Meta:
        model = FundingRelationship
        fields = RELATIONSHIP_FORM_FIELDS
        widgets = dict.fromkeys(
            ("expected_start", "start_date", "end_date", "monitoring_agreed_date", "agreement_signed_date"), DATE
        ) | {
            "purpose": forms.Textarea(attrs={"rows": 3}),
            "term_explanation": forms.Textarea(attrs={"rows": 3}),
            "underspend_terms": forms.Textarea(attrs={"rows": 2}),
            "risk_notes": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "overheads_included": "The full cost of the work, overheads included.",
            "volunteer_costs_included": "The costs of involving volunteers.",
            "payment_in_advance": "Payment in advance where it is needed.",
            "monitoring_agreed_date": "Monitoring is agreed before the agreement is signed.",
            "underspend_terms": "For grants, what happens to money not spent.",
            "risk_notes": "The risks and who carries them.",
        }

    # The fields whose help text names the promise they record, as (field, rule). Full cost recovery and payment
    # in advance are named by value, so the form works whether or not MeasurableRule lists them yet.
    CITED = (
        ("overheads_included", "full_cost_recovery"),
        ("volunteer_costs_included", "full_cost_recovery"),
        ("payment_in_advance", "payment_in_advance"),
        ("monitoring_agreed_date", MeasurableRule.MONITORING_AGREED),
        ("term_explanation", MeasurableRule.FUNDING_TERM),
    )

    def __init__(self, *args, funders, **kwargs):
        super().__init__(*args, **kwargs)
        # The compact's own clauses, once the relationship has a compact (one query for its catalogue).
        compact = self.instance.compact if self.instance.compact_id else None
        for name, rule in self.CITED:
            self.set_help_text(name, citing(compact, rule, self.fields[name].help_text))
        # As saved: cleaning copies what was typed onto the instance before the warnings are worked out.
        self.saved_start = (self.instance.expected_start, self.instance.compact if self.instance.pk else None)
        self.fields["funder"].queryset = funders
        if funders.count() == 1:
            self.fields["funder"].initial = funders.first()
        self.fields["recipient"].queryset = Organisation.objects.filter(side=Side.VCS)
        self.fields["compact"].queryset = self.signed_compacts(funders)
        if self.fields["compact"].queryset.count() == 1:
            self.fields["compact"].initial = self.fields["compact"].queryset.first()
        # The essentials first (who, what, when, and on a new relationship the decision), the terms second.
        self.helper = form_helper(
            None,  # the page places the button after the terms
            Fieldset("Who", "compact", "funder", "recipient"),
            Fieldset("What", "mechanism", "amount", "reference", "title", "purpose"),
            Fieldset(
                "When",
                "expected_start",
                _computed("decision_due_by", "Tell the organisation the decision by"),
                "start_date",
                "end_date",
                _computed("minimum_end_date", "The minimum term runs to"),
                "end_date_defined_at_start",
                "term_explanation",
            ),
            # The page's first decision (InitialDecisionForm), when it has one, belongs with the essentials.
            HTML("{% load crispy_forms_tags %}{% if decision_form %}{% crispy decision_form %}{% endif %}"),
            Fieldset(
                "Terms",
                "strategic",
                "overheads_included",
                "volunteer_costs_included",
                "payment_in_advance",
                "monitoring_agreed_date",
                "agreement_signed_date",
                "underspend_terms",
                "risk_notes",
            ),
            Fieldset("Open data", "published_as_open_data"),
        )

    def signed_compacts(self, funders):
        """The compacts funding may be recorded under: those one of ``funders`` has signed and not withdrawn from
        (the service refuses a funder and compact that do not go together), and the one the funding is under."""
        signed = Compact.objects.filter(
            signatures__organisation__in=funders, signatures__status=SignatureStatus.APPROVED
        ).values("pk")
        compacts = Compact.objects.filter(Q(pk__in=signed) | Q(pk=self.instance.compact_id))
        if not compacts.exists():
            self.set_help_text(
                "compact",
                "Your organisation has not signed a compact: funding can only be recorded under a compact its "
                "funder has signed. Apply to sign one from the compact's page.",
            )
        return compacts.order_by("name")

    def compliance_gaps(self) -> dict[str, str]:
        data = self.cleaned_data
        warnings = {}
        if self.instance.pk and (data.get("expected_start"), data.get("compact")) != self.saved_start:
            warnings = gaps.awards_made_late_warnings(
                relationship=self.instance, compact=data.get("compact"), expected_start=data.get("expected_start")
            )
        if self.instance.status == FundingStatus.DECLINED:
            return warnings  # declined funding has no term to keep (9.1)
        return warnings | gaps.term_warnings(
            compact=data.get("compact"),
            start=data.get("start_date"),
            end=data.get("end_date"),
            explanation=data.get("term_explanation"),
        )


class DecisionForm(OneTimeKeyForm, FlagsGaps, PlausibleDates, HappenedByToday, ValidatedByService, forms.ModelForm):
    """A decision on a relationship. A late award without a justification (9.2) or a decline without feedback
    (9.3) is warned of, then recorded if the officer says so."""

    class Meta:
        model = Decision
        fields = ["kind", "told_date", "rationale", "justification", "feedback", "new_amount"]
        widgets = {
            "told_date": DATE,
            "rationale": forms.Textarea(attrs={"rows": 3}),
            "justification": forms.Textarea(attrs={"rows": 3}),
            "feedback": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {"new_amount": "Only if the decision changes the amount."}

    def __init__(self, *args, relationship: FundingRelationship, allowed_kinds=None, **kwargs):
        self.relationship = relationship
        super().__init__(*args, **kwargs)
        if allowed_kinds is not None:
            self.fields["kind"].choices = [(k, label) for k, label in DecisionKind.choices if k in allowed_kinds]
        self.fields["rationale"].required = True
        self.fields["rationale"].error_messages["required"] = "Give the reasons for the decision."
        for name, rule in (
            ("justification", MeasurableRule.DECISION_LEAD_TIME),
            ("feedback", MeasurableRule.DECLINE_FEEDBACK),
        ):
            self.set_help_text(name, citing(relationship.compact, rule, self.fields[name].help_text))
        self.helper = form_helper(
            "Record the decision",
            "kind",
            "told_date",
            "rationale",
            "justification",
            "feedback",
            "new_amount",
        )

    def compliance_gaps(self) -> dict[str, str]:
        data = self.cleaned_data
        return gaps.decision_warnings(
            compact=self.relationship.compact,
            kind=data.get("kind"),
            told=data.get("told_date"),
            due_by=self.relationship.decision_due_by,
            months=self.relationship.compact.decision_lead_months,
            justification=data.get("justification"),
            feedback=data.get("feedback"),
        )


class InitialDecisionForm(FlagsGaps, PlausibleDates, HappenedByToday, forms.Form):
    """The optional first decision on a new relationship (awarded or declined), named as on Decision.

    Its decision date (9.2) comes from the relationship's form on the same page, ``relationship_form``.
    """

    kind = forms.ChoiceField(
        label="Decision",
        required=False,
        choices=[("", "No decision yet"), (DecisionKind.AWARDED, "Awarded"), (DecisionKind.DECLINED, "Declined")],
    )
    told_date = forms.DateField(label="Date the organisation was told", required=False, widget=DATE)
    rationale = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    justification = forms.CharField(
        label="Justification for a late decision",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why the organisation was told later than the compact asks.",
    )
    feedback = forms.CharField(
        label="Feedback to the organisation",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Constructive feedback on a decline.",
    )

    def __init__(self, *args, relationship_form: RelationshipForm | None = None, **kwargs):
        self.relationship_form = relationship_form
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Fieldset(
                "The decision",
                "kind",
                "told_date",
                _computed("decision_due_by", "Tell the organisation by"),
                "rationale",
                "justification",
                "feedback",
            )
        )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind"):
            if not cleaned.get("told_date"):
                self.add_error("told_date", "Give the date the organisation was told of the decision.")
            if not (cleaned.get("rationale") or "").strip():
                self.add_error("rationale", "Give the reasons for the decision.")
        return cleaned

    def compliance_gaps(self) -> dict[str, str]:
        data = self.cleaned_data
        details = {}
        if self.relationship_form is not None and self.relationship_form.is_bound:
            self.relationship_form.is_valid()  # cleans it once; what did clean is read even if the rest did not
            details = self.relationship_form.cleaned_data
        compact, expected_start = details.get("compact"), details.get("expected_start")
        if compact is None or expected_start is None:
            return {}
        months = compact.decision_lead_months
        return gaps.decision_warnings(
            compact=compact,
            kind=data.get("kind"),
            told=data.get("told_date"),
            due_by=rules.decision_due_by(expected_start, months=months),
            months=months,
            justification=data.get("justification"),
            feedback=data.get("feedback"),
        )


class DecisionExplainForm(forms.Form):
    """The justification of a late award (9.2) or the feedback on a decline (9.3), added after the decision
    was recorded; the field is the one the decision's kind asks for, labelled as on the decision."""

    EXPLAINED_BY = {DecisionKind.AWARDED: "justification", DecisionKind.DECLINED: "feedback"}
    RULES = {
        DecisionKind.AWARDED: MeasurableRule.DECISION_LEAD_TIME,
        DecisionKind.DECLINED: MeasurableRule.DECLINE_FEEDBACK,
    }

    def __init__(self, *args, decision: Decision, compact: Compact, **kwargs):
        super().__init__(*args, **kwargs)
        kind = DecisionKind(decision.kind)
        name = self.EXPLAINED_BY[kind]
        model_field = Decision._meta.get_field(name)
        self.fields[name] = forms.CharField(
            label=model_field.verbose_name.capitalize(),
            help_text=citing(compact, self.RULES[kind], model_field.help_text),
            initial=getattr(decision, name),
            widget=forms.Textarea(attrs={"rows": 5}),
            error_messages={"required": f"Write the {name}."},
        )
        self.helper = form_helper(f"Save the {name}", name)


class InvoiceForm(PlausibleDates, HappenedByToday, ValidatedByService, forms.ModelForm):
    class Meta:
        model = Invoice
        fields = ["invoice_number", "amount", "received_date"]
        widgets = {"received_date": DATE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper(
            "Save the invoice", "invoice_number", "amount", "received_date", _computed("pay_by", "Pay by")
        )


class PaymentForm(OneTimeKeyForm, PlausibleDates, HappenedByToday, ValidatedByService, forms.ModelForm):
    class Meta:
        model = Payment
        fields = ["paid_date", "amount"]
        widgets = {"paid_date": DATE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper("Record the payment", "paid_date", "amount")


class NoticeForm(OneTimeKeyForm, PlausibleDates, HappenedByToday, ValidatedByService, forms.ModelForm):
    class Meta:
        model = Notice
        fields = list(NOTICE_DETAIL_FIELDS)
        widgets = dict.fromkeys(
            ("notice_date", "effective_date", "impact_assessed_date", "response_due_by", "final_decision_date"), DATE
        ) | {
            "rationale": forms.Textarea(attrs={"rows": 3}),
            "impact_assessment": forms.Textarea(attrs={"rows": 3}),
            "reallocation_assessment": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, compact: Compact, reallocation_needed=False, **kwargs):
        super().__init__(*args, **kwargs)
        for name, rule in (
            ("impact_assessment", MeasurableRule.IMPACT_ASSESSMENT),
            ("response_due_by", MeasurableRule.RESPONSE_BEFORE_DECISION),
            ("reallocation_assessment", MeasurableRule.REALLOCATION_ASSESSED),
        ):
            self.fields[name].help_text = citing(compact, rule, self.fields[name].help_text)
        self.fields["for_performance"].help_text = citing(
            compact,
            MeasurableRule.IMPROVEMENT_TIMETABLE,
            "Tick if the funding ends or is reduced because of how the project performed: an improvement timetable "
            "is agreed with the organisation first, from the funding's page.",
        )
        layout = [
            "kind",
            "notice_date",
            "effective_date",
            _computed("earliest_effective_date", "Earliest allowed effective date"),
            "rationale",
            "for_performance",
            Fieldset("Impact", "impact_assessment", "impact_assessed_date"),
            Fieldset("The organisation's response", "response_due_by", "final_decision_date"),
        ]
        if reallocation_needed or self.instance.reallocation_assessment:
            layout.append(Fieldset("Equality", "reallocation_assessment"))
        else:
            del self.fields["reallocation_assessment"]
        self.helper = form_helper("Save the notice", *layout)


class NoticeResponseForm(forms.Form):
    response = forms.CharField(
        label="Your response",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="What the change means for your organisation and the people you serve, and anything you ask for.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper("Send the response", "response")


class FundingImportForm(ImportForm):
    kind = forms.ChoiceField(
        label="What the file holds",
        choices=[
            ("relationships", "Funding relationships and decisions"),
            ("invoices", "Invoices (and payments)"),
            ("notices", "End, reduction or change notices"),
            ("returns", "Monitoring returns"),
        ],
        widget=forms.RadioSelect,
    )

    field_order = ["kind", "file"]


class DatesPreviewQuery(PlausibleDates, forms.Form):
    """The query of the live deadline preview (``/funding/dates/``): a compact, or a relationship the person may
    see, and the dates typed so far. A value that is not one (an id that is not a number, a year half typed, a
    date outside 1900 to 2199) is left out, not an error: the preview shows its placeholder for it."""

    compact = forms.ModelChoiceField(queryset=Compact.objects.all(), required=False)
    relationship = forms.ModelChoiceField(queryset=FundingRelationship.objects.none(), required=False)
    expected_start = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    start_date = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    received_date = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    notice_date = forms.DateField(required=False, input_formats=["%Y-%m-%d"])

    def __init__(self, data, *, relationships):
        super().__init__(data)
        self.fields["relationship"].queryset = relationships

    def values(self) -> dict:
        """The fields that hold a value the form takes (``cleaned_data`` without the others)."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value is not None}
