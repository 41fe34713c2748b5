"""The services that write more than one thing write all of it or nothing: an organisation signed up with its
application (``organisation_sign_up``), and a compact edited as a whole (``compact_save``)."""

import pytest
from django.core.exceptions import ValidationError

from commitments import services
from commitments.models import Compact, Organisation, Signature
from tests.commitments.factories import CompactFactory

pytestmark = pytest.mark.django_db


def sign_up(compact):
    return services.organisation_sign_up(
        compact=compact,
        applicant_name="Ada Jones",
        applicant_email="ada@example.org",
        name="Eastney Lunch Club",
        side="vcs",
        postcode="PO4 9AA",
    )


def test_an_organisation_signs_up_with_its_application():
    compact = CompactFactory()

    signature = sign_up(compact)

    assert signature.organisation.name == "Eastney Lunch Club"
    assert Signature.objects.get().organisation == Organisation.objects.get()


def test_a_refused_application_leaves_no_organisation_behind(monkeypatch):
    compact = CompactFactory()

    def refuse(**kwargs):
        raise ValidationError("Refused.")

    monkeypatch.setattr(services, "signature_apply", refuse)

    with pytest.raises(ValidationError):
        sign_up(compact)

    assert not Organisation.objects.exists()
    assert not Signature.objects.exists()


def test_a_compact_edited_as_a_whole_is_saved_with_its_new_settings(administrator):
    compact = CompactFactory(name="Southsea Compact", payment_working_days=10)
    compact.name, compact.payment_working_days = "Southsea and Eastney Compact", 15

    services.compact_save(compact=compact, actor=administrator, changed=["name", "payment_working_days"])

    stored = Compact.objects.get(pk=compact.pk)
    assert (stored.name, stored.payment_working_days) == ("Southsea and Eastney Compact", 15)
    assert stored.history.first().history_user == administrator


def test_a_refused_setting_leaves_the_compacts_other_changes_unsaved(administrator):
    compact = CompactFactory(name="Southsea Compact", payment_working_days=10)
    compact.name, compact.payment_working_days = "Southsea and Eastney Compact", 0  # at least 1 working day

    with pytest.raises(ValidationError):
        services.compact_save(compact=compact, actor=administrator, changed=["name", "payment_working_days"])

    stored = Compact.objects.get(pk=compact.pk)
    assert (stored.name, stored.payment_working_days) == ("Southsea Compact", 10)
