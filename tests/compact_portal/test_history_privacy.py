"""What a response, a concern or a case note says never appears in a record's history: the admin's History page
(and each past version's page) and the audit trail record that a private field changed, never what it said.
Both read one list, compact_portal/history_privacy.py's PRIVATE_FIELDS."""

import datetime

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import models
from django.test import RequestFactory
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

from compact_portal.history_privacy import NOT_SHOWN, PRIVATE_FIELDS, PrivateHistoryAdmin, private_fields
from compact_portal.selectors.audit import kinds
from compact_portal.services import validated_save
from consultations import services as consultation_services
from consultations.models import Response
from disputes import services as dispute_services
from disputes.models import CaseEvent, Concern
from tests.commitments.factories import SignatureFactory
from tests.consultations.factories import open_consultation
from tests.disputes.factories import ConcernFactory

TODAY = datetime.date(2027, 3, 1)
NOTE = "Secret note: the chair of the food bank is stepping down."


@pytest.fixture
def edited_response(council, charity, vcs_member, portsmouth) -> tuple[Response, list[str]]:
    """A confidential response saved as a draft, then changed and submitted: two versions with different words."""
    consultation = open_consultation(today=TODAY, compact=portsmouth, body=council, title="Library services review")
    words = {
        "text": ("First draft: our users fear the library closing.", "Final: keep the library open on Saturdays."),
        "how_gathered": ("A meeting of members in the crypt.", "A survey of 212 library users."),
    }
    for version, submit in ((0, False), (1, True)):
        response = consultation_services.response_save(
            consultation=consultation,
            organisation=charity,
            actor=vcs_member,
            today=TODAY,
            text=words["text"][version],
            represents="own",
            how_gathered=words["how_gathered"][version],
            may_publish=False,
            submit=submit,
        )
    return response, [text for pair in words.values() for text in pair]


@pytest.fixture
def edited_concern(portsmouth, council, charity, vcs_member) -> tuple[Concern, list[str]]:
    """A concern (about the council, so the council's administrator may open it) whose every text field is written,
    then rewritten; with a note on its timeline."""
    SignatureFactory(compact=portsmouth, organisation=council)
    concern = ConcernFactory(actor=vcs_member, raiser=charity, compact=portsmouth, respondent=council, today=TODAY)
    written = []
    for version in ("first", "second"):
        for name in sorted(private_fields(Concern)):
            words = f"Private {name.replace('_', ' ')}, {version} version."
            setattr(concern, name, words)
            written.append(words)
        validated_save(concern, vcs_member)
    dispute_services.note_add(concern=concern, actor=vcs_member, text=NOTE)
    return concern, [*written, NOTE]


# --- One list, honoured everywhere ---------------------------------------------------------------------------


@pytest.mark.parametrize("label", sorted(PRIVATE_FIELDS))
def test_each_private_field_is_a_field_of_its_model(label):
    model = apps.get_model(label)
    names = {field.name for field in model._meta.get_fields()}

    assert PRIVATE_FIELDS[label] <= names, f"{label}: no such fields {sorted(PRIVATE_FIELDS[label] - names)}"


@pytest.mark.parametrize("label", sorted(PRIVATE_FIELDS))
def test_every_text_field_of_a_model_with_private_words_is_private(label):
    """A new text field on a response, a concern or a case note is private until someone decides otherwise."""
    model = apps.get_model(label)
    text_fields = {field.name for field in model._meta.get_fields() if isinstance(field, models.TextField)}

    assert text_fields <= private_fields(model), f"{label}: add {sorted(text_fields - private_fields(model))}"


def test_case_notes_and_concerns_have_private_words():
    assert {"text", "attendees"} <= private_fields(CaseEvent)
    assert {"what_happened", "outcome_sought"} <= private_fields(Concern)
    assert private_fields(Concern.history.model) == private_fields(Concern)  # a historical model names its model


def test_every_admin_with_a_history_page_honours_the_private_fields():
    ignoring = [
        type(model_admin).__name__
        for model_admin in admin.site._registry.values()
        if isinstance(model_admin, SimpleHistoryAdmin) and not isinstance(model_admin, PrivateHistoryAdmin)
    ]

    assert not ignoring, f"base these on compact_portal.history_privacy.PrivateHistoryAdmin: {ignoring}"


@pytest.mark.parametrize("kind", kinds(), ids=lambda kind: kind.key)
def test_every_kind_of_the_audit_trail_hides_its_models_private_fields(kind):
    assert kind.hidden == private_fields(kind.model)


# --- The admin's History pages -------------------------------------------------------------------------------


def _history_pages(client, administrator, record) -> dict[str, str]:
    """The record's History page and each past version's page, through the admin when its model is registered
    there; otherwise what a PrivateHistoryAdmin of its own would put on them (the changes it lists, each past
    version's form), as if it were registered."""
    model = type(record)
    versions = list(record.history.order_by("history_date", "history_id"))
    assert len(versions) >= 2, "the record must have been changed"
    if not admin.site.is_registered(model):
        model_admin = PrivateHistoryAdmin(model, admin.site)
        request = RequestFactory().get("/admin/")
        request.user = administrator
        listed = list(model_admin.get_history_queryset(request, model.history, "id", record.pk))
        model_admin.set_history_delta_changes(request, listed)
        changes = [change for row in listed for change in getattr(row, "history_delta_changes", [])]
        pages = {"history": "\n".join(f"{change['field']}: {change['old']} → {change['new']}" for change in changes)}
        for version in versions:
            form = model_admin.get_form(request, version.instance)(instance=version.instance)
            pages[f"version {version.history_id}"] = form.as_div()
        return pages
    info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    responses = {"history": client.get(reverse(f"{info}_history", args=[record.pk]))}
    for version in versions:
        url = reverse(f"{info}_simple_history", args=[record.pk, version.history_id])
        responses[f"version {version.history_id}"] = client.get(url)
    for name, response in responses.items():
        assert response.status_code == 200, name
    return {name: response.content.decode() for name, response in responses.items()}


@pytest.mark.parametrize("record", ["edited_response", "edited_concern"])
def test_a_records_history_says_its_private_words_changed_never_what_they_said(
    client_for, administrator, request, record
):
    instance, secrets = request.getfixturevalue(record)
    pages = _history_pages(client_for("administrator"), administrator, instance)

    for name, html in pages.items():
        shown = [secret for secret in secrets if secret in html]
        assert not shown, f"{record}'s {name} page shows {shown}"
    changed = [str(instance._meta.get_field(name).verbose_name) for name in private_fields(type(instance))]
    for label in changed:  # the change itself is recorded
        assert label.capitalize() in pages["history"], f"{label} is not listed as changed"
    assert NOT_SHOWN in pages["history"]


# --- The audit trail -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "kind"), [("edited_response", "response"), ("edited_concern", "concern"), ("edited_concern", "")]
)
def test_the_audit_trail_says_private_words_changed_never_what_they_said(client_for, request, record, kind):
    instance, secrets = request.getfixturevalue(record)
    query = {"per_page": 50, **({"kind": kind} if kind else {})}

    response = client_for("administrator").get(reverse("admin:audit_trail"), query)

    html = response.content.decode()
    assert response.status_code == 200
    assert str(instance) in html  # the record's changes are listed (the council's administrator may open the case)
    shown = [secret for secret in secrets if secret in html]
    assert not shown, f"the audit trail of {kind or 'every kind'} shows {shown}"
    assert NOT_SHOWN in html
