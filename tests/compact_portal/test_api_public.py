"""The public JSON API (/api/v1/): what the public pages show and nothing more, in pages in a stable order,
filtered as the pages filter, with ETags for cheap polling and a rate limit per address."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.throttling import AnonRateThrottle

from commitments.models import SignatureStatus
from tests.commitments.factories import OrganisationFactory, SignatureFactory
from tests.consultations.factories import ConsultationFactory, closed_consultation, open_consultation, publish_feedback

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return Client()


def test_compacts_are_listed_by_name_in_pages(api, compacts):
    answer = api.get("/api/v1/compacts/", {"page_size": 2})
    assert answer.status_code == 200
    body = answer.json()
    assert body["count"] == len(compacts)
    names = [compact["name"] for compact in body["results"]]
    assert names == sorted(compact.name for compact in compacts.values())[:2]
    assert body["next"]
    assert "page=2" in body["next"]


def test_a_compact_gives_its_commitments_with_each_rule_and_its_clause(api, portsmouth):
    body = api.get(f"/api/v1/compacts/{portsmouth.slug}/").json()
    assert body["settings"]["payment_working_days"] == portsmouth.payment_working_days
    assert body["commitments"], "the catalogue's commitments"
    checked = [commitment for commitment in body["commitments"] if commitment["rule"]]
    assert checked, "some commitments carry a rule the portal checks"
    rules = {rule["rule"]: rule for rule in body["rules"]}
    for commitment in checked:
        assert rules[commitment["rule"]]["clause"], "each checked rule names its clause"
    assert rules["prompt_payment"]["promise"]
    assert api.get("/api/v1/compacts/no-such-compact/").status_code == 404


def test_signatories_show_only_signed_organisations_and_public_fields(api, portsmouth, council, charity):
    SignatureFactory(compact=portsmouth, organisation=council)
    SignatureFactory(compact=portsmouth, organisation=charity)
    applicant = OrganisationFactory(name="Applicant Group", email="private@example.org")
    SignatureFactory(compact=portsmouth, organisation=applicant, status=SignatureStatus.APPLIED, signed_date=None)
    body = api.get("/api/v1/signatories/").json()
    assert [entry["slug"] for entry in body["results"]] == [council.slug, charity.slug]  # by name
    assert api.get(f"/api/v1/signatories/{applicant.slug}/").status_code == 404
    entry = api.get(f"/api/v1/signatories/{charity.slug}/").json()
    assert entry["compacts"] == [
        {"compact": portsmouth.slug, "compact_name": portsmouth.name, "signed_date": "2026-04-01"}
    ]
    assert "applicant_email" not in str(entry)
    assert "applicant_name" not in str(entry)


def test_signatories_filter_as_the_directory_does(api, portsmouth, compacts, council, charity):
    SignatureFactory(compact=portsmouth, organisation=council)
    SignatureFactory(compact=next(c for c in compacts.values() if c != portsmouth), organisation=charity)
    only = api.get("/api/v1/signatories/", {"compact": portsmouth.slug}).json()["results"]
    assert [entry["slug"] for entry in only] == [council.slug]
    assert [e["slug"] for e in api.get("/api/v1/signatories/", {"side": "vcs"}).json()["results"]] == [charity.slug]
    assert [e["slug"] for e in api.get("/api/v1/signatories/", {"sort": "-name"}).json()["results"]] == [
        charity.slug,
        council.slug,
    ]
    refused = api.get("/api/v1/signatories/", {"compact": "no-such-compact"})
    assert refused.status_code == 400
    assert "compact" in refused.json()


def test_pages_never_repeat_or_skip_a_signatory_with_the_same_sort_value(api, portsmouth):
    for n in range(7):
        SignatureFactory(compact=portsmouth, organisation=OrganisationFactory(name=f"Group {n}"))
    seen = []
    for page in (1, 2, 3):
        results = api.get("/api/v1/signatories/", {"sort": "signed", "page_size": 3, "page": page}).json()["results"]
        seen += [entry["slug"] for entry in results]
    assert len(seen) == len(set(seen)) == 7


def test_the_register_gives_length_announcement_and_feedback(api, portsmouth, council):
    today = timezone.localdate()
    running = open_consultation(today=today, compact=portsmouth, body=council)
    closed = closed_consultation(today=today, compact=portsmouth, body=council)
    publish_feedback(closed, today=today)
    draft = ConsultationFactory(compact=portsmouth, body=council)
    body = api.get("/api/v1/consultations/").json()
    by_id = {entry["id"]: entry for entry in body["results"]}
    assert set(by_id) == {running.pk, closed.pk}, "drafts are not on the register"
    assert by_id[running.pk]["length_days"] == running.length_days
    assert by_id[running.pk]["announced_in_time"] is True
    assert by_id[running.pk]["feedback"] is None
    assert by_id[running.pk]["feedback_standing"] == "not_due_yet"
    assert by_id[closed.pk]["feedback"]["published_on"] == today.isoformat()
    assert by_id[closed.pk]["feedback_standing"] == "published_on_time"
    assert [e["id"] for e in api.get("/api/v1/consultations/", {"status": "open"}).json()["results"]] == [running.pk]
    assert api.get(f"/api/v1/consultations/{draft.pk}/").status_code == 404
    assert api.get(f"/api/v1/consultations/{running.pk}/").json()["reference"] == running.reference


def test_the_casework_record_counts_without_names(api, portsmouth):
    body = api.get(f"/api/v1/compacts/{portsmouth.slug}/casework/").json()
    assert body["total"] == 0
    assert {tally["label"] for tally in body["by_stage"]}
    assert api.get("/api/v1/compacts/no-such-compact/casework/").status_code == 404


def test_headline_figures_by_period(api, portsmouth):
    body = api.get(f"/api/v1/compacts/{portsmouth.slug}/figures/", {"year": 2026, "quarter": 1}).json()
    assert body["period"] == {"start": "2026-01-01", "end": "2026-03-31"}
    assert body["previous"] == {"start": "2025-10-01", "end": "2025-12-31"}
    keys = {figure["key"] for figure in body["figures"]}
    assert "prompt_payment" in keys or keys, "the dashboard's promises"
    for figure in body["figures"]:
        share = figure["current"]
        assert share["kept"] + share["explained"] + share["broken"] == share["total"]
        assert len(figure["trend"]) == 3  # the quarter's months
    refused = api.get(f"/api/v1/compacts/{portsmouth.slug}/figures/", {"start": "2026-01-01"})
    assert refused.status_code == 400
    too_long = api.get(f"/api/v1/compacts/{portsmouth.slug}/figures/", {"start": "2000-01-01", "end": "2026-01-01"})
    assert too_long.status_code == 400
    assert "at most" in str(too_long.json())


def test_an_unchanged_answer_is_a_304_and_a_changed_one_is_not(api, portsmouth, council):
    SignatureFactory(compact=portsmouth, organisation=council)
    first = api.get("/api/v1/signatories/")
    assert first["ETag"]
    assert first["Last-Modified"]
    again = api.get("/api/v1/signatories/", headers={"if-none-match": first["ETag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]
    council.name = "Portsmouth City Council (renamed)"
    council.save()
    changed = api.get("/api/v1/signatories/", headers={"if-none-match": first["ETag"]})
    assert changed.status_code == 200
    assert changed["ETag"] != first["ETag"]
    # If-Modified-Since alone is answered in full: only the ETag decides.
    assert api.get("/api/v1/signatories/", headers={"if-modified-since": first["Last-Modified"]}).status_code == 200


def test_each_public_endpoint_gives_an_etag(api, portsmouth):
    for path in (
        "/api/v1/compacts/",
        f"/api/v1/compacts/{portsmouth.slug}/",
        f"/api/v1/compacts/{portsmouth.slug}/figures/",
        f"/api/v1/compacts/{portsmouth.slug}/casework/",
        "/api/v1/signatories/",
        "/api/v1/consultations/",
    ):
        answer = api.get(path)
        assert answer.status_code == 200, path
        assert api.get(path, headers={"if-none-match": answer["ETag"]}).status_code == 304, path


def test_an_address_over_the_rate_is_refused(api, compacts, monkeypatch):
    monkeypatch.setitem(AnonRateThrottle.THROTTLE_RATES, "anon", "3/minute")
    assert [api.get("/api/v1/compacts/").status_code for _ in range(3)] == [200] * 3
    refused = api.get("/api/v1/compacts/")
    assert refused.status_code == 429
    assert "Retry-After" in refused
    other = Client(REMOTE_ADDR="192.0.2.44")
    assert other.get("/api/v1/compacts/").status_code == 200, "the limit is per address"


def test_the_period_rule_keeps_dates_plausible(api, portsmouth):
    assert api.get(f"/api/v1/compacts/{portsmouth.slug}/figures/", {"year": 1066}).status_code == 400
    today = timezone.localdate()
    start = (today - datetime.timedelta(days=30)).isoformat()
    assert api.get(f"/api/v1/compacts/{portsmouth.slug}/figures/", {"start": start, "end": today}).status_code == 200


def test_a_nul_character_in_the_address_is_refused_in_json(client):
    response = client.get("/api/v1/compacts/?search=%00")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "NUL character" in response.json()["detail"]
