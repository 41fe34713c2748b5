"""Risky uploads: PDFs that run scripts or actions, archives that unpack to absurd sizes (zip bombs), and
request bodies over the limit, refused before they are read (compact_portal/uploads.py)."""

import io
import zipfile
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory

from compact_portal import uploads
from compact_portal.uploads import RequestSizeLimitMiddleware, SniffedFileField, pdf_risky_keys, validate_upload

MB = 1024 * 1024
CONTENT_TYPES = b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'


def make_pdf(catalog: bytes = b"", *objects: bytes) -> bytes:
    """A real PDF (pypdf reads it): catalog 1, pages 2, page 3, then ``objects`` from 4 on, with its xref."""
    bodies = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
        *objects,
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(bodies) + 1, xref)
    return bytes(out)


def make_pdf_with_object_stream(catalog: bytes) -> bytes:
    """A PDF 1.5 whose catalog, pages and page sit in a compressed object stream, found by an xref stream: the
    catalog's keys appear nowhere in the file's bytes."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    header, body = b"", b""
    for number, obj in enumerate(objects, start=1):
        header += b"%d %d " % (number, len(body))
        body += obj + b"\n"
    packed = zlib.compress(header + body)
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    stream_at = len(out)
    out += b"4 0 obj\n<< /Type /ObjStm /N 3 /First %d /Filter /FlateDecode /Length %d >>\nstream\n" % (
        len(header),
        len(packed),
    )
    out += packed + b"\nendstream\nendobj\n"
    xref_at = len(out)
    rows = [(0, 0, 65535), (2, 4, 0), (2, 4, 1), (2, 4, 2), (1, stream_at, 0), (1, xref_at, 0)]
    table = zlib.compress(b"".join(bytes([kind]) + a.to_bytes(4, "big") + b.to_bytes(2, "big") for kind, a, b in rows))
    out += b"5 0 obj\n<< /Type /XRef /Size 6 /W [1 4 2] /Root 1 0 R /Filter /FlateDecode /Length %d >>\nstream\n" % (
        len(table)
    )
    out += table + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def refusal(name: str, data: bytes) -> ValidationError:
    with pytest.raises(ValidationError) as refused:
        validate_upload(upload(name, data))
    return refused.value


# --- PDFs that run something ---------------------------------------------------------------------------------

JS_ACTION = b"<< /S /JavaScript /JS (app.alert(1)) >>"
GOTO_PAGE = b"<< /S /GoTo /D [3 0 R /Fit] >>"
RISKY_PDFS = {
    # A document-level script in the catalog's name tree (no /JS key at all: the script is a stream).
    "JavaScript": make_pdf(
        b"/Names << /JavaScript 4 0 R >>",
        b"<< /Names [(a) 5 0 R] >>",
        b"<< /S /Foo /X 6 0 R >>",
        b"<< /Length 12 >>\nstream\napp.alert(1)\nendstream",
    ),
    # A link's action: a script, reachable from the page's annotation.
    "JS": make_pdf(b"", b"<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /JS (app.alert(1)) >> >>"),
    # Run a program when the document is opened (an OpenAction that only opens at a page passes: see below).
    "OpenAction": make_pdf(b"/OpenAction 4 0 R", b"<< /S /Launch /F (calc.exe) >>"),
    # An action when the document is about to print.
    "AA": make_pdf(b"/AA << /WP << /S /URI /URI (https://attacker.example/) >> >>"),
}


@pytest.mark.parametrize("keyword", list(RISKY_PDFS))
def test_a_pdf_with_scripts_or_actions_is_refused_naming_the_file_and_the_key(keyword):
    error = refusal("minutes.pdf", RISKY_PDFS[keyword])

    assert error.code == "pdf_actions"
    assert "“minutes.pdf”" in error.messages[0]
    assert f"/{keyword}" in error.messages[0]
    assert "cannot be uploaded" in error.messages[0]


HIDDEN = {
    "a name written in hex escapes": (make_pdf(b"/Names << /J#61vaScript 4 0 R >>", b"<< >>"), {"JavaScript"}),
    "an object no page refers to": (make_pdf(b"", JS_ACTION), {"JavaScript", "JS"}),
    "a GoTo that goes on to another action": (
        make_pdf(b"/OpenAction << /S /GoTo /D [3 0 R /Fit] /Next 4 0 R >>", b"<< /S /URI /URI (https://x.example/) >>"),
        {"OpenAction"},
    ),
    "an action inside a compressed object stream": (
        make_pdf_with_object_stream(b"/OpenAction " + JS_ACTION),
        {"OpenAction", "JS"},
    ),
    "a file pypdf cannot read, searched byte by byte": (b"%PDF-1.4\n1 0 obj << /AA << >> >> endobj\n", {"AA"}),
}


@pytest.mark.parametrize("label", list(HIDDEN))
def test_scripts_are_found_however_they_are_hidden(label):
    data, keys = HIDDEN[label]
    assert pdf_risky_keys(io.BytesIO(data)) == keys
    assert refusal("report.pdf", data).code == "pdf_actions"


ORDINARY = {
    "plain": make_pdf(),
    "opens at a page: a destination, not an action": make_pdf(b"/OpenAction [3 0 R /Fit]"),
    "opens at a page with a GoTo action (LaTeX's hyperref)": make_pdf(b"/OpenAction " + GOTO_PAGE),
    "a destination by reference": make_pdf(b"/OpenAction 4 0 R", b"[3 0 R /XYZ null null 0]"),
    "the letters /JS inside stream data (an image, a font)": make_pdf(
        b"", b"<< /Length 9 >>\nstream\n/JS /AA()\nendstream"
    ),
    "a compressed PDF": make_pdf_with_object_stream(b"/OpenAction [3 0 R /Fit]"),
}


@pytest.mark.parametrize("label", list(ORDINARY))
def test_ordinary_pdfs_pass(label):
    assert validate_upload(upload("report.pdf", ORDINARY[label])).kind == "pdf"


# --- Zip bombs --------------------------------------------------------------------------------------------------


def container(kind: str, bomb_bytes: int, *, bomb_member: str | None = None) -> bytes:
    """A DOCX, XLSX, PPTX, ODT or ODS whose main part is ``bomb_bytes`` of zeros, streamed, never held in memory."""
    odf = {"odt": "text", "ods": "spreadsheet"}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if kind in odf:
            archive.writestr("mimetype", f"application/vnd.oasis.opendocument.{odf[kind]}", zipfile.ZIP_STORED)
            archive.writestr("META-INF/manifest.xml", b"<manifest:manifest/>")
            main = "content.xml"
        else:
            archive.writestr("[Content_Types].xml", CONTENT_TYPES)
            main = {"docx": "word/document.xml", "xlsx": "xl/worksheets/sheet1.xml", "pptx": "ppt/slides/slide1.xml"}
            main = main[kind]
        with archive.open(bomb_member or main, "w", force_zip64=True) as member:
            chunk = bytes(MB)
            for _ in range(bomb_bytes // MB):
                member.write(chunk)
            member.write(bytes(bomb_bytes % MB))
    return buffer.getvalue()


@pytest.mark.parametrize("kind", ["docx", "xlsx", "pptx", "odt", "ods"])
def test_an_office_file_that_unpacks_past_100_mb_is_refused_naming_the_file(kind):
    data = container(kind, 101 * MB)
    assert len(data) < MB  # a few hundred KB that would unpack to 101 MB

    error = refusal(f"budget.{kind}", data)

    assert error.code == "too_large_unpacked"
    assert error.messages[0] == (
        f"“budget.{kind}” unpacks to 101.1 MB, more than the 100 MB allowed, so it cannot be uploaded."
    )


def test_a_1_mb_docx_that_unpacks_to_1_gib_is_refused_from_its_directory_alone(monkeypatch):
    data = container("docx", 1024 * MB)
    assert len(data) < 1.1 * MB
    # The sizes the archive declares are enough: nothing is unpacked.
    monkeypatch.setattr(zipfile.ZipFile, "testzip", lambda self: pytest.fail("unpacked a zip bomb"))

    assert refusal("budget.docx", data).code == "too_large_unpacked"


def test_an_office_file_compressed_more_than_100_to_1_is_refused():
    data = container("docx", 5 * MB)  # zeros: about 1,000 to 1

    error = refusal("budget.docx", data)

    assert error.code == "too_compressed"
    assert error.messages[0].startswith("“budget.docx” unpacks to ")
    assert "at most 100 times is allowed" in error.messages[0]


def test_the_ratio_is_not_judged_on_a_small_file():
    # Half a megabyte of zeros is compressed 1,000 to 1 too, but unpacks to nothing worth refusing.
    assert validate_upload(upload("short.docx", container("docx", MB // 2))).kind == "docx"


def test_the_limits_come_from_the_settings(settings):
    assert settings.UPLOAD_MAX_UNCOMPRESSED_BYTES == 100 * MB
    assert settings.UPLOAD_MAX_COMPRESSION_RATIO == 100
    data = container("docx", 3 * MB)
    settings.UPLOAD_MAX_UNCOMPRESSED_BYTES = 2 * MB
    assert refusal("budget.docx", data).code == "too_large_unpacked"
    settings.UPLOAD_MAX_UNCOMPRESSED_BYTES = 100 * MB
    settings.UPLOAD_MAX_COMPRESSION_RATIO = 10_000
    assert validate_upload(upload("budget.docx", data)).kind == "docx"


def test_an_archive_that_declares_less_than_it_holds_is_refused():
    data = bytearray(container("docx", 3 * MB))
    # Rewrite the main part's uncompressed size in the central directory (the last entry): 3 MB becomes 1 KB.
    size_field = data.rindex(b"PK\x01\x02") + 24
    assert int.from_bytes(data[size_field : size_field + 4], "little") == 3 * MB
    data[size_field : size_field + 4] = (1024).to_bytes(4, "little")

    error = refusal("budget.docx", bytes(data))

    assert error.code == "damaged"
    assert error.messages == ["“budget.docx” is damaged, so it cannot be uploaded."]


def test_every_upload_form_field_refuses_them():
    field = SniffedFileField()
    with pytest.raises(ValidationError) as refused:
        field.clean(upload("agenda.pdf", RISKY_PDFS["OpenAction"]))
    assert "“agenda.pdf”" in refused.value.messages[0]
    with pytest.raises(ValidationError) as refused:
        field.clean(upload("agenda.odt", container("odt", 101 * MB)))
    assert "“agenda.odt” unpacks to 101.1 MB" in refused.value.messages[0]


# --- Request bodies over the limit ------------------------------------------------------------------------------


class UnreadableStream:
    """A request body that fails the test if anything reads it."""

    def read(self, *args):
        pytest.fail("the request body was read")

    readline = read


def test_the_request_limit_defaults_to_five_files_and_a_megabyte(settings):
    assert settings.UPLOAD_MAX_REQUEST_BYTES == 51 * MB
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == settings.FILE_UPLOAD_MAX_MEMORY_SIZE == 2_621_440
    middleware = settings.MIDDLEWARE  # before anything that reads the body
    assert middleware.index("compact_portal.uploads.RequestSizeLimitMiddleware") < middleware.index(
        "django.middleware.csrf.CsrfViewMiddleware"
    )


@pytest.mark.parametrize(("length", "status"), [(51 * MB, 200), (51 * MB + 1, 413), (2 * 1024 * MB, 413)])
def test_a_body_over_the_limit_is_refused_before_it_is_read(length, status):
    request = RequestFactory().post("/concerns/raise/portsmouth/", content_type="multipart/form-data; boundary=x")
    request.META["CONTENT_LENGTH"] = str(length)
    request._stream = UnreadableStream()
    middleware = RequestSizeLimitMiddleware(lambda request: uploads.HttpResponse("the view"))

    response = middleware(request)

    assert response.status_code == status
    if status == 413:
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        assert "too large" in response.content.decode()
        assert "at most 51 MB" in response.content.decode()


def test_the_portal_answers_413_with_a_plain_page(client, db, settings):
    settings.UPLOAD_MAX_REQUEST_BYTES = 4096
    files = {"file": SimpleUploadedFile("big.txt", b"x" * 5000)}

    response = client.post("/account/sign-in/", {"username": "a@example.org", **files})

    assert response.status_code == 413
    assert response.content.decode().startswith("This request is too large: the portal takes at most 4 KB at once")
    assert client.post("/account/sign-in/", {"username": "a@example.org"}).status_code == 200
