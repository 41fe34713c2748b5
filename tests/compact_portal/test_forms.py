import datetime

import pytest
from django import forms

from commitments.models import Organisation
from compact_portal.forms import PlausibleDates, ValidatedByService
from tests.commitments.factories import PublicBodyFactory


class MeetingForm(PlausibleDates, forms.Form):
    held_on = forms.DateField()
    note = forms.CharField(required=False)


@pytest.mark.parametrize(
    ("held_on", "accepted"),
    [
        ("1899-12-31", False),
        ("1900-01-01", True),
        ("2026-11-22", True),
        ("2199-12-31", True),
        ("2200-01-01", False),
        ("0002-01-22", False),
    ],
)
def test_date_fields_take_years_from_1900_to_2199(held_on, accepted):
    form = MeetingForm(data={"held_on": held_on})

    assert form.is_valid() is accepted
    if accepted:
        assert form.cleaned_data["held_on"] == datetime.date.fromisoformat(held_on)
    else:
        assert form.errors["held_on"] == ["Enter a date between 1900 and 2199; check the year."]


def test_only_date_fields_are_checked():
    form = MeetingForm(data={"held_on": "2026-11-22", "note": "0002-01-22"})

    assert form.is_valid()


ORGANISATION_FIELDS = ["name", "side", "organisation_type", "org_id"]


class OrganisationForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ORGANISATION_FIELDS


class OrganisationFormForAService(ValidatedByService, OrganisationForm):
    pass


# A local authority on the voluntary side (the model's clean() refuses it), with an Org-ID already registered (its
# unique constraint refuses it).
REFUSED_BY_THE_MODEL = {"name": "Eastney Council", "side": "vcs", "organisation_type": "local_authority"}


@pytest.mark.django_db
def test_a_form_validated_by_its_service_checks_its_fields_and_leaves_the_model_to_the_service():
    PublicBodyFactory(org_id="GB-LAE-EAS")
    data = {**REFUSED_BY_THE_MODEL, "org_id": "GB-LAE-EAS"}
    assert set(OrganisationForm(data=data).errors) == {"organisation_type", "__all__"}  # the model refuses both
    instance = Organisation(name="As it was")

    form = OrganisationFormForAService(data=data, instance=instance)

    assert form.is_valid(), form.errors
    assert form.cleaned_data["name"] == "Eastney Council"
    assert form.instance is instance
    assert (instance.name, instance.side, instance.organisation_type, instance.org_id) == ("As it was", "", "", "")
    assert not OrganisationFormForAService(data={**data, "name": ""}).is_valid()  # its own fields are still checked
