"""The Atom feeds of the consultation register, per compact and per body: new, closing soon, feedback published."""

import datetime
from xml.etree import ElementTree

import pytest
from django.urls import reverse

from tests.commitments.factories import PublicBodyFactory
from tests.consultations.factories import open_consultation, publish_feedback

ATOM = "{http://www.w3.org/2005/Atom}"


def _titles(response) -> list[str]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ElementTree.fromstring(response.content)
    return [entry.find(f"{ATOM}title").text for entry in feed.iter(f"{ATOM}entry")]


@pytest.fixture
def closing(compact, council, today):
    """Published by the council, closing in a week."""
    return open_consultation(
        today=today - datetime.timedelta(days=53), compact=compact, body=council, title="Bus routes"
    )


def test_the_compact_feed_has_new_closing_and_feedback(client, compact, open_one, closed_one, closing, draft, today):
    publish_feedback(closed_one, today=today)
    titles = _titles(client.get(reverse("consultations:feed_compact", args=[compact.slug])))
    assert "New consultation: Library services review" in titles
    assert "Closing soon: Bus routes" in titles
    assert "Closing soon: Library services review" not in titles  # two months to go
    assert "Feedback published: Parks strategy" in titles
    assert not [title for title in titles if "Draft waste strategy" in title]  # drafts never


def test_the_body_feed_has_only_its_consultations(client, compact, council, open_one, today):
    other = PublicBodyFactory(name="Havant Borough Council")
    open_consultation(today=today, compact=compact, body=other, title="Havant leisure")
    assert _titles(client.get(reverse("consultations:feed_body", args=[council.slug]))) == [
        "New consultation: Library services review"
    ]
    assert _titles(client.get(reverse("consultations:feed_body", args=[other.slug]))) == [
        "New consultation: Havant leisure"
    ]


def test_a_vcs_organisation_or_unknown_compact_has_no_feed(client, charity, db):
    assert client.get(reverse("consultations:feed_body", args=[charity.slug])).status_code == 404
    assert client.get(reverse("consultations:feed_compact", args=["nowhere"])).status_code == 404


def test_the_register_and_the_compact_page_link_to_the_feed(client, compact, open_one):
    feed = reverse("consultations:feed_compact", args=[compact.slug])
    alternate = (
        f'<link rel="alternate" type="application/atom+xml" title="{compact.name}: consultations" href="{feed}">'
    )
    assert alternate in client.get(reverse("consultations:register")).content.decode()
    assert alternate in client.get(compact.get_absolute_url()).content.decode()
