"""Uploads are judged by their bytes, size-limited, scanned when configured, stored privately, served as downloads."""

import io
import re
import zipfile
from pathlib import Path

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.test.utils import isolate_apps
from django.utils.datastructures import MultiValueDict

from compact_portal import uploads
from compact_portal.uploads import (
    ALLOWED_KINDS,
    MultipleSniffedFileField,
    SniffedFileField,
    attachment_response,
    get_private_storage,
    private_upload_to,
    sniff,
    validate_upload,
)

# --- Real, minimal sample files ---------------------------------------------------------------------------------

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00;"
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8 \x0e\x00\x00\x00" + b"\x00" * 14
# OLE2 compound file header, then the Word FIB magic (0xA5EC) at the start of the first sector.
DOC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + b"\xec\xa5\xc1\x00" + b"\x00" * 508
OLE2_NOT_WORD = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + b"\xfd\xff\xff\xff" + b"\x00" * 508
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 44
WINDOWS_EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 44 + b"PE\x00\x00"
MACH_O = b"\xcf\xfa\xed\xfe\x07\x00\x00\x01" + b"\x00" * 24
CONTENT_TYPES = b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'


def make_zip(*members: tuple[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            # ODF wants its "mimetype" member first and uncompressed.
            archive.writestr(name, data, zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def make_odf(mimetype: str) -> bytes:
    return make_zip(
        ("mimetype", mimetype.encode()),
        ("META-INF/manifest.xml", b"<manifest:manifest/>"),
        ("content.xml", b"<office:document-content/>"),
    )


DOCX = make_zip(
    ("[Content_Types].xml", CONTENT_TYPES),
    ("_rels/.rels", b"<Relationships/>"),
    ("word/document.xml", b"<w:document/>"),
)
# Same parts, other order: filetype's peek at the first few members calls this a plain ZIP.
DOCX_REORDERED = make_zip(
    ("_rels/.rels", b"<Relationships/>"),
    ("docProps/app.xml", b"<Properties/>"),
    ("docProps/core.xml", b"<cp:coreProperties/>"),
    ("customXml/item1.xml", b"<a/>"),
    ("customXml/item2.xml", b"<b/>"),
    ("[Content_Types].xml", CONTENT_TYPES),
    ("word/document.xml", b"<w:document/>"),
)


def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


# --- Sniffing ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (PDF, "pdf"),
        (PNG, "png"),
        (JPEG, "jpg"),
        (GIF, "gif"),
        (WEBP, "webp"),
        (DOC, "doc"),
        (DOCX, "docx"),
        (DOCX_REORDERED, "docx"),
        (make_odf("application/vnd.oasis.opendocument.text"), "odt"),
        (make_odf("application/vnd.oasis.opendocument.spreadsheet"), "ods"),
        (make_odf("application/vnd.oasis.opendocument.presentation"), "odp"),
        ("Minutes of the Compact working group – £120 agreed.\n".encode(), "txt"),
        (b"\xef\xbb\xbfText saved by Notepad with a byte-order mark.\n", "txt"),
        (b"BMX club minutes: filetype alone takes this for a BMP image.\n", "txt"),
    ],
)
def test_allowed_content_is_recognised_whatever_it_is_called(data, kind):
    assert sniff(data) == kind
    sniffed = validate_upload(upload("whatever.bin", data))
    assert (sniffed.kind, sniffed.content_type, sniffed.size) == (kind, ALLOWED_KINDS[kind][0], len(data))


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("report.pdf", ELF),  # a renamed Linux executable
        ("minutes.docx", WINDOWS_EXE),  # a renamed Windows executable
        ("notes.txt", b"MZ no NUL bytes, still a Windows executable header"),
        ("letter.pdf", MACH_O),
        ("evidence.docx", make_zip(("readme.txt", b"hello"))),  # a plain ZIP
        ("evidence.docx", make_zip(("word/payload.exe", WINDOWS_EXE))),  # filetype would call this DOCX
        ("macros.docx", make_zip(("[Content_Types].xml", CONTENT_TYPES), ("word/vbaProject.bin", b"\x00"))),
        ("macros.odt", make_zip(("mimetype", b"application/vnd.oasis.opendocument.text"), ("Basic/M.xml", b"<x/>"))),
        ("book.odt", make_odf("application/epub+zip")),
        ("budget.doc", OLE2_NOT_WORD),  # OLE2 but not Word (e.g. an .msi installer or .xls)
        ("page.txt", b"<!DOCTYPE html><html><script>alert(1)</script></html>"),
        ("page.txt", b"\n   <html><body>hi</body></html>"),
        ("page.txt", b"\xef\xbb\xbf<script>alert(1)</script>"),
        ("image.txt", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
        ("data.txt", b'<?xml version="1.0"?><svg/>'),
        ("install.txt", b"#!/bin/sh\nrm -rf ~\n"),
        ("data.txt", b"looks like text\x00but has a NUL byte"),
        ("legacy.txt", "café".encode("cp1252")),  # not UTF-8
        ("truncated.txt", "£".encode()[:1]),
    ],
)
def test_executables_archives_markup_and_binary_are_refused(name, data):
    assert sniff(data) is None
    with pytest.raises(ValidationError) as refused:
        validate_upload(upload(name, data, content_type="application/pdf"))
    assert refused.value.messages == [
        f"“{name}” is not a PDF, Word, OpenDocument, plain-text or image file, so it cannot be uploaded."
    ]
    assert refused.value.error_list[0].code == "not_allowed"


def test_a_text_file_is_checked_past_the_sniffing_chunk():
    data = b"a" * (uploads.SNIFF_BYTES * 3) + b"\x00"
    with pytest.raises(ValidationError):
        validate_upload(upload("long.txt", data))


def test_validation_rewinds_the_file_and_gives_it_the_sniffed_extension():
    file = upload("C:\\Users\\val\\Desktop\\budget\u202efdp.txt", b"Actually plain text.\n")
    sniffed = validate_upload(file)
    assert sniffed.original_name == "budgetfdp.txt"  # basename, right-to-left override stripped
    assert file.read() == b"Actually plain text.\n"
    file = upload("photo.JPEG", JPEG)
    assert validate_upload(file).download_name == "photo.JPEG"
    file = upload("run.bat", b"echo hello\n")
    assert validate_upload(file).download_name == file.name == "run.txt"


# --- Size limits ------------------------------------------------------------------------------------------------


def test_an_empty_file_is_refused():
    with pytest.raises(ValidationError, match="“empty.pdf” is empty, so it cannot be uploaded."):
        validate_upload(upload("empty.pdf", b""))


def test_the_default_limit_is_ten_megabytes():
    file = upload("name.pdf", PDF)
    file.size = int(12.3 * 1024 * 1024)
    with pytest.raises(ValidationError) as refused:
        validate_upload(file)
    assert refused.value.messages == ["“name.pdf” is 12.3 MB; files can be at most 10 MB."]


def test_the_limit_comes_from_the_upload_max_bytes_setting(settings):
    settings.UPLOAD_MAX_BYTES = 1024
    assert validate_upload(upload("small.pdf", PDF)).kind == "pdf"
    with pytest.raises(ValidationError) as refused:
        validate_upload(upload("big.pdf", PDF + b"\n" * 1500))
    assert refused.value.messages == ["“big.pdf” is 1.6 KB; files can be at most 1 KB."]
    assert refused.value.error_list[0].code == "too_large"


# --- Virus-scanning hook ----------------------------------------------------------------------------------------

SCANNED = []


def recording_scanner(file):
    SCANNED.append(file.read())


def infected_scanner(file):
    raise ValidationError("“%(name)s” contains a virus (Eicar-Test-Signature).", params={"name": file.name})


def broken_scanner(file):
    raise RuntimeError("clamd is not running")


def test_a_configured_scanner_sees_the_whole_file(settings):
    settings.UPLOAD_SCANNER = f"{__name__}.recording_scanner"
    SCANNED.clear()
    validate_upload(upload("report.pdf", PDF))
    assert SCANNED == [PDF]


def test_a_scanner_refusal_is_shown_to_the_user(settings):
    settings.UPLOAD_SCANNER = f"{__name__}.infected_scanner"
    with pytest.raises(ValidationError) as refused:
        validate_upload(upload("report.pdf", PDF))
    assert refused.value.messages == ["“report.pdf” contains a virus (Eicar-Test-Signature)."]


@pytest.mark.parametrize("scanner", [f"{__name__}.broken_scanner", "antivirus_that_is_not_installed.scan"])
def test_a_scanner_that_fails_or_cannot_be_imported_refuses_the_upload(settings, scanner):
    settings.UPLOAD_SCANNER = scanner
    with pytest.raises(ValidationError) as refused:
        validate_upload(upload("report.pdf", PDF))
    assert refused.value.messages == [
        "We could not check “report.pdf” for viruses, so it was not uploaded. Try again later."
    ]


# --- Private storage and serving --------------------------------------------------------------------------------


@pytest.fixture
def stored(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with isolate_apps("compact_portal"):

        class Evidence(models.Model):
            file = models.FileField(upload_to=private_upload_to, storage=get_private_storage)

            class Meta:
                app_label = "compact_portal"

            def __str__(self):
                return self.file.name

        file = upload("Secret plan (final).pdf", PDF)
        validate_upload(file)
        evidence = Evidence(file=file)
        evidence.file.save(file.name, file, save=False)
        yield evidence


def test_a_saved_file_lands_under_media_root_with_a_generated_name(stored, tmp_path):
    assert re.fullmatch(r"compact_portal/evidence/\d{4}/\d{2}/[0-9a-f]{32}\.pdf", stored.file.name)
    assert "Secret" not in stored.file.name
    assert (tmp_path / stored.file.name).read_bytes() == PDF
    assert stored.file.url == ""  # no public URL exists


def test_private_upload_to_never_keeps_an_unknown_extension(stored):
    assert private_upload_to(stored, "setup.exe").endswith(".bin")
    assert private_upload_to(stored, "photo.jpeg").endswith(".jpg")


def test_a_download_is_an_attachment_with_the_sniffed_type(stored):
    response = attachment_response(stored.file, filename="Secret plan (final).exe", content_type="application/pdf")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="Secret plan (final).pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'"
    assert b"".join(response.streaming_content) == PDF
    response.file_to_stream.close()  # response.close() would fire request_finished (database access)


def test_a_download_with_an_unknown_type_or_non_ascii_name_stays_safe(stored):
    response = attachment_response(stored.file, filename="Prévision\n2025.html", content_type="text/html")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''Pr%C3%A9vision2025.html"
    response.file_to_stream.close()  # response.close() would fire request_finished (database access)


# --- Form fields ------------------------------------------------------------------------------------------------


class AttachmentForm(forms.Form):
    document = SniffedFileField()
    evidence = MultipleSniffedFileField(required=False)


def test_the_form_fields_offer_only_allowed_file_types_and_multiple_selection():
    html = str(AttachmentForm())
    assert html.count('accept=".pdf,.doc,.docx,.odt,.ods,.odp,.txt,.png,.jpg,.jpeg,.gif,.webp"') == 2
    assert "multiple" in str(AttachmentForm()["evidence"])


def test_the_form_fields_attach_what_was_sniffed():
    files = MultiValueDict(
        {"document": [upload("plan.pdf", PDF)], "evidence": [upload("a.png", PNG), upload("b", DOCX)]}
    )
    form = AttachmentForm(data={}, files=files)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["document"].sniffed.kind == "pdf"
    assert [file.sniffed.kind for file in form.cleaned_data["evidence"]] == ["png", "docx"]


def test_the_form_fields_refuse_renamed_executables_and_too_many_files():
    files = MultiValueDict(
        {"document": [upload("setup.pdf", WINDOWS_EXE)], "evidence": [upload(f"{n}.pdf", PDF) for n in range(6)]}
    )
    form = AttachmentForm(data={}, files=files)
    assert not form.is_valid()
    assert form.errors["document"] == [
        "“setup.pdf” is not a PDF, Word, OpenDocument, plain-text or image file, so it cannot be uploaded."
    ]
    assert form.errors["evidence"] == ["You can attach at most 5 files."]


def test_every_refused_file_in_a_multiple_upload_is_named():
    files = MultiValueDict(
        {"document": [upload("plan.pdf", PDF)], "evidence": [upload("a.exe", ELF), upload("b", b"")]}
    )
    form = AttachmentForm(data={}, files=files)
    assert not form.is_valid()
    assert len(form.errors["evidence"]) == 2
    assert AttachmentForm(data={}, files=MultiValueDict({"document": [upload("p.pdf", PDF)]})).is_valid()


def test_a_stored_file_has_no_address_of_its_own(stored, client, settings, tmp_path):
    assert tmp_path not in (Path(folder) for folder in settings.STATICFILES_DIRS)
    assert tmp_path != settings.STATIC_ROOT
    for address in (f"/static/{stored.file.name}", f"/media/{stored.file.name}", f"/{stored.file.name}"):
        assert client.get(address).status_code == 404, address
