"""Every list's filters have a real label: django-filter labels a filter on a name that is not a model field
"[invalid name]", which screen readers read out."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

# Each list page with filters, and someone who may open it.
FILTERED_LISTS = [
    ("consultations:register", None),
    ("commitments:directory", None),
    ("funding:list", "officer"),
    ("disputes:case_list", "champion"),
    ("commitments:flag_list", "champion"),
]


@pytest.mark.parametrize(("url_name", "person"), FILTERED_LISTS)
def test_no_filter_form_has_an_invalid_name(client, client_for, url_name, person):
    response = (client_for(person) if person else client).get(reverse(url_name))

    assert response.status_code == 200
    page = response.content.decode()
    assert "<select" in page  # the filters are on the page
    assert "[invalid name]" not in page


def test_the_registers_status_filter_is_labelled(client):
    page = client.get(reverse("consultations:register")).content.decode()

    assert '<label for="id_status"' in page
    assert ">Status</label>" in page
