"""Shared consultation fixtures: a compact, the council's consultations, sample files, and private media in tmp."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from commitments.models import Champion
from tests.commitments.factories import CompactFactory, SignatureFactory
from tests.consultations.factories import ConsultationFactory, closed_consultation, open_consultation

# A small real PDF, and a Linux executable renamed to look like one.
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 44


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploads land in the test's own directory, never in the repository."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def pdf_upload(name: str = "response.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def elf_upload(name: str = "minutes.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, ELF, content_type="application/pdf")


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def compact(db):
    return CompactFactory(name="Portsmouth Compact")


@pytest.fixture
def open_one(compact, council, today):
    """Published by the council (the officer's body), open today, closing in 60 days."""
    return open_consultation(
        today=today, compact=compact, body=council, title="Library services review", contact_email="consult@example.org"
    )


@pytest.fixture
def closed_one(compact, council, today):
    """Published by the council, closed yesterday."""
    return closed_consultation(today=today, compact=compact, body=council, title="Parks strategy")


@pytest.fixture
def draft(compact, council):
    return ConsultationFactory(compact=compact, body=council, title="Draft waste strategy")


@pytest.fixture
def championed(compact, council, champion):
    """The champion fixture appointed as the compact's champion at the council."""
    SignatureFactory(compact=compact, organisation=council)
    return Champion.objects.create(compact=compact, organisation=council, user=champion)
