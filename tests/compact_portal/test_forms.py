import datetime

import pytest
from django import forms

from compact_portal.forms import PlausibleDates


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
