"""The forms of a proposal that changes funding: its details (what the body intends, from which day, under which
compact, the funding it touches) and the day a planned step was done. The planner's steps are the service's
(``funding/services/proposals.py``); these forms check only what was typed."""

from django import forms

from commitments.models import Compact, Organisation
from compact_portal.forms import PlausibleDates, ValidatedByService, form_helper
from compact_portal.one_time import OneTimeKeyForm

from ..models import FundingRelationship, Proposal
from . import DATE


class RelationshipChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: FundingRelationship) -> str:
        return f"{obj.reference}: {obj.title} ({obj.recipient.name}, {obj.compact.name})"


class ProposalForm(OneTimeKeyForm, PlausibleDates, ValidatedByService, forms.ModelForm):
    """What the body intends. ``funders``: the public bodies the person plans for (the choice is shown only when
    there are several, and only for a new proposal); ``compacts``: those they have signed; ``relationships``: their
    funding a proposal may touch."""

    funder = forms.ModelChoiceField(queryset=Organisation.objects.none(), label="Public body")
    relationships = RelationshipChoice(
        queryset=FundingRelationship.objects.none(),
        required=False,
        label="Funding it touches",
        help_text="Leave empty to list the body's funding under the compact that is running on the day it takes "
        "effect. Hold Ctrl (or Cmd) to choose several.",
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    class Meta:
        model = Proposal
        fields = ["title", "compact", "kind", "effective_date", "fixed_end", "relationships", "notes"]
        widgets = {"effective_date": DATE, "notes": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "effective_date": "The day the change takes effect, or the new funding starts: the planner works back "
            "from it.",
        }

    def __init__(
        self,
        *args,
        funders: "forms.QuerySet[Organisation]",
        compacts: "forms.QuerySet[Compact]",
        relationships: "forms.QuerySet[FundingRelationship]",
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.fields["compact"].queryset = compacts.order_by("name")
        self.fields["relationships"].queryset = relationships.select_related("recipient", "compact").order_by(
            "compact__name", "reference"
        )
        self.fields["title"].error_messages["required"] = 'Say what the body intends, e.g. "End the grants programme".'
        self.fields["effective_date"].error_messages["required"] = "Give the day the change takes effect."
        self.fields["kind"].error_messages["required"] = "Choose what the change is."
        self.fields["compact"].error_messages["required"] = "Choose the compact the funding is under."
        if self.instance.pk:
            del self.fields["funder"]  # a proposal stays with its body
        else:
            self.fields["funder"].queryset = funders.order_by("name")
            if funders.count() == 1:
                self.fields["funder"].initial = funders.first()
                self.fields["funder"].widget = forms.HiddenInput()
        if not self.instance.pk and compacts.count() == 1:
            self.fields["compact"].initial = compacts.first()
        names = ["funder", "title", "kind", "compact", "effective_date", "fixed_end", "relationships", "notes"]
        self.helper = form_helper(
            "Save and plan the steps" if self.instance.pk else "Plan the steps",
            *[name for name in names if name in self.fields],
        )


class StepDoneForm(PlausibleDates, forms.Form):
    """The day a planned step was done (today unless given)."""

    done_on = forms.DateField(label="Done on", required=False, widget=DATE)
