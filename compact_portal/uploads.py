"""Attachments: checked by content, size-limited, stored under generated names, served only as downloads.

What a file *is* comes from its bytes, never from its name or the browser's declared type, so an
executable renamed ``report.pdf`` is refused, and so are PDFs that run scripts or actions and archives (DOCX,
OpenDocument) that unpack to absurd sizes. :class:`RequestSizeLimitMiddleware` refuses an oversized request
before its body is read. Files live under ``MEDIA_ROOT``, which has no URL: the
portal hands them out through views that check permission and then call :func:`attachment_response`.
"""

import codecs
import io
import logging
import math
import re
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass

import filetype
import pypdf
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse, HttpResponse
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

MB = 1024 * 1024
MAX_UPLOAD_BYTES = 10 * MB  # default; the UPLOAD_MAX_BYTES setting overrides it
MAX_FILES_PER_ITEM = 5
# Defaults for archives (DOCX and OpenDocument files are ZIPs); the UPLOAD_MAX_UNCOMPRESSED_BYTES and
# UPLOAD_MAX_COMPRESSION_RATIO settings override them. The ratio is judged only past RATIO_FLOOR_BYTES unpacked.
MAX_UNCOMPRESSED_BYTES = 100 * MB
MAX_COMPRESSION_RATIO = 100
RATIO_FLOOR_BYTES = 1 * MB
# PDF keys that run something: scripts (JavaScript, JS), actions on events (AA), an action on opening (OpenAction;
# one that only opens at a page, a destination or a GoTo action, is what many tools write and is let through).
PDF_RISKY_KEYS = ("JavaScript", "JS", "OpenAction", "AA")
SNIFF_BYTES = 8192  # filetype reads this much; the old Word check looks as far as byte 2142
ACCEPT = ".pdf,.doc,.docx,.odt,.ods,.odp,.txt,.png,.jpg,.jpeg,.gif,.webp"

# kind -> (content type, extension, human label). The kind is also the stored extension.
ALLOWED_KINDS = {
    "pdf": ("application/pdf", "pdf", "PDF document"),
    "doc": ("application/msword", "doc", "Word document"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx", "Word document"),
    "odt": ("application/vnd.oasis.opendocument.text", "odt", "OpenDocument text"),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", "ods", "OpenDocument spreadsheet"),
    "odp": ("application/vnd.oasis.opendocument.presentation", "odp", "OpenDocument presentation"),
    "txt": ("text/plain; charset=utf-8", "txt", "plain text"),
    "png": ("image/png", "png", "PNG image"),
    "jpg": ("image/jpeg", "jpg", "JPEG image"),
    "gif": ("image/gif", "gif", "GIF image"),
    "webp": ("image/webp", "webp", "WebP image"),
}
_KIND_BY_CONTENT_TYPE = {content_type: kind for kind, (content_type, _, _) in ALLOWED_KINDS.items()}
# filetype decides these binary kinds (its MIME names match ours); ZIP-based and text kinds are decided below.
_FILETYPE_KINDS = {ALLOWED_KINDS[kind][0]: kind for kind in ("pdf", "doc", "png", "jpg", "gif", "webp")}
_ODF_KINDS = {ALLOWED_KINDS[kind][0]: kind for kind in ("odt", "ods", "odp")}
_EXT_ALIASES = {"jpeg": "jpg"}
# Windows, Linux and macOS executables and scripts: refused up front, as a few could pass the text check.
_MACH_O = (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe")
_EXECUTABLE_PREFIXES = (b"MZ", b"\x7fELF", b"#!", *_MACH_O)
# Text a browser could take for HTML, SVG or XML (script risk): the WHATWG MIME-sniffing HTML patterns.
_MARKUP = re.compile(
    rb"<(?:!doctype\s+html|html|head|script|iframe|h1|div|font|table|a|style|title|b|body|br|p|svg)(?:[\s>/]|\Z)"
    rb"|<!--|<\?xml",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class SniffedUpload:
    kind: str
    content_type: str
    extension: str
    original_name: str
    size: int

    @property
    def download_name(self) -> str:
        """The original name, with the sniffed extension unless it already has an equivalent one."""
        return _download_name(self.original_name, self.kind)


def max_upload_bytes() -> int:
    """The per-file limit: the UPLOAD_MAX_BYTES setting, else MAX_UPLOAD_BYTES."""
    return getattr(settings, "UPLOAD_MAX_BYTES", None) or MAX_UPLOAD_BYTES


def clean_filename(name: str) -> str:
    """Basename only, without control/format characters (e.g. right-to-left overrides), at most 200 characters."""
    name = str(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C").strip()
    return name[:200] or "attachment"


def _download_name(name: str, kind: str) -> str:
    stem, dot, given = name.rpartition(".")
    if dot and stem and _EXT_ALIASES.get(given.lower(), given.lower()) == kind:
        return name
    return f"{(stem if dot and stem else name)[:190]}.{ALLOWED_KINDS[kind][1]}"


def sniff(data: bytes, fileobj=None) -> str | None:
    """Return the ALLOWED_KINDS key the content really is, or None if it is not an allowed kind.

    ``data`` is the whole file, or its first SNIFF_BYTES when ``fileobj`` (the whole seekable file) is
    given for the ZIP directory and the whole-file text check. Leaves ``fileobj``'s position anywhere.
    """
    source = fileobj if fileobj is not None else io.BytesIO(data)
    if data.startswith(_EXECUTABLE_PREFIXES):
        return None
    if data.startswith(b"PK\x03\x04"):
        return _zip_kind(source)
    guess = filetype.guess(data)
    if guess is not None and guess.mime in _FILETYPE_KINDS:
        return _FILETYPE_KINDS[guess.mime]
    # Other filetype guesses fall through: "BMX club minutes" looks like a BMP to it, yet is text.
    return "txt" if _is_safe_text(data, source) else None


def _zip_kind(source) -> str | None:
    # filetype only peeks at the first few member names in the first 8 KB: a plain ZIP whose first
    # member is "word/x" passes as DOCX, and a real DOCX or ODT with other member orders is "zip". So
    # read the real directory. Macro-carrying documents (vbaProject.bin, ODF Basic/Scripts) are refused.
    try:
        with zipfile.ZipFile(source) as archive:
            names = archive.namelist()
            if "mimetype" in names:
                with archive.open("mimetype") as member:
                    kind = _ODF_KINDS.get(member.read(100).decode("ascii", "replace").strip())
                macros = any(name.startswith(("Basic/", "Scripts/")) for name in names)
            else:
                word = "[Content_Types].xml" in names and any(name.startswith("word/") for name in names)
                kind = "docx" if word else None
                macros = any(name.lower().endswith("vbaproject.bin") for name in names)
    except Exception:  # any unreadable or odd archive is simply "not an allowed kind"
        return None
    return None if macros else kind


def _is_safe_text(head: bytes, source) -> bool:
    # Text has no magic number: accept strict UTF-8 (BOM allowed) with no NUL anywhere, and refuse
    # scripts ("#!") and markup a browser might render (HTML/SVG/XML) even though they are text.
    start = head.removeprefix(codecs.BOM_UTF8).lstrip()
    if start.startswith(b"#!") or _MARKUP.match(start):
        return False
    decoder = codecs.getincrementaldecoder("utf-8")()
    source.seek(0)
    try:
        for chunk in iter(lambda: source.read(64 * 1024), b""):
            if b"\x00" in chunk:
                return False
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _size(n: int, *, round_up: bool) -> str:
    unit, scale = ("MB", MB) if n >= MB else ("KB", 1024) if n >= 1024 else ("bytes", 1)
    tenths = n / scale * 10
    return f"{(math.ceil(tenths) if round_up else math.floor(tenths)) / 10:g} {unit}"


def validate_upload(uploaded_file, *, max_bytes: int | None = None) -> SniffedUpload:
    """Check an uploaded file by size and content, then the virus-scan hook; raise ValidationError if refused.

    Reads the first SNIFF_BYTES (a ZIP's directory, or all of a text file), unpacks a ZIP (DOCX, OpenDocument)
    to check it is no zip bomb, reads a PDF's objects for scripts and actions, and takes the size from
    ``.size``; the file is rewound afterwards. On success the file is renamed to its download name, so
    ``private_upload_to`` stores it with the sniffed extension. ``max_bytes`` defaults to max_upload_bytes().
    """
    name = clean_filename(getattr(uploaded_file, "name", ""))
    limit = max_bytes or max_upload_bytes()
    if not uploaded_file.size:
        raise ValidationError(f"“{name}” is empty, so it cannot be uploaded.", code="empty")
    if uploaded_file.size > limit:
        raise ValidationError(
            f"“{name}” is {_size(uploaded_file.size, round_up=True)}; "
            f"files can be at most {_size(limit, round_up=False)}.",
            code="too_large",
        )
    try:
        uploaded_file.seek(0)
        head = uploaded_file.read(SNIFF_BYTES)
        if head.startswith(b"PK\x03\x04"):
            _check_archive(uploaded_file, name)  # before the kind: a bomb is refused as one, whatever it holds
        kind = sniff(head, fileobj=uploaded_file)
        if kind == "pdf":
            _check_pdf(uploaded_file, name)
    finally:
        uploaded_file.seek(0)
    if kind is None:
        raise ValidationError(
            f"“{name}” is not a PDF, Word, OpenDocument, plain-text or image file, so it cannot be uploaded.",
            code="not_allowed",
        )
    _scan(uploaded_file, name)
    content_type, extension, _ = ALLOWED_KINDS[kind]
    result = SniffedUpload(kind, content_type, extension, name, uploaded_file.size)
    uploaded_file.name = result.download_name
    return result


def _check_archive(uploaded_file, name: str) -> None:
    """Refuse a ZIP (DOCX, XLSX, PPTX, ODT, ODS...) that unpacks to more than the limits: a "zip bomb".

    The sizes its directory declares are checked first, then every member is unpacked (at most the limit, as
    declared) and its checksum checked, so a member that declares less than it holds is refused too.
    """
    total_limit = getattr(settings, "UPLOAD_MAX_UNCOMPRESSED_BYTES", None) or MAX_UNCOMPRESSED_BYTES
    ratio_limit = getattr(settings, "UPLOAD_MAX_COMPRESSION_RATIO", None) or MAX_COMPRESSION_RATIO
    uploaded_file.seek(0)
    try:
        archive = zipfile.ZipFile(uploaded_file)
    except Exception:  # unreadable as a ZIP: the kind check that follows refuses it
        return
    with archive:
        unpacked = sum(member.file_size for member in archive.infolist())
        if unpacked > total_limit:
            raise ValidationError(
                f"“{name}” unpacks to {_size(unpacked, round_up=True)}, more than the "
                f"{_size(total_limit, round_up=False)} allowed, so it cannot be uploaded.",
                code="too_large_unpacked",
            )
        if unpacked > RATIO_FLOOR_BYTES and unpacked > ratio_limit * uploaded_file.size:
            raise ValidationError(
                f"“{name}” unpacks to {unpacked // uploaded_file.size:,} times its size (at most {ratio_limit} times "
                "is allowed), so it cannot be uploaded.",
                code="too_compressed",
            )
        try:
            damaged = archive.testzip() is not None
        except Exception:  # a wrong size or checksum, an unknown compression method, a truncated member
            damaged = True
    if damaged:
        raise ValidationError(f"“{name}” is damaged, so it cannot be uploaded.", code="damaged")


def _check_pdf(uploaded_file, name: str) -> None:
    found = pdf_risky_keys(uploaded_file)
    if found:
        keys = ", ".join(f"/{key}" for key in PDF_RISKY_KEYS if key in found)
        raise ValidationError(
            f"“{name}” is a PDF with scripts or automatic actions ({keys}), so it cannot be uploaded. "
            "Print it to a new PDF, or save it without them, and upload that.",
            code="pdf_actions",
        )


def pdf_risky_keys(fileobj) -> set[str]:
    """Which of PDF_RISKY_KEYS the PDF uses.

    pypdf reads every object (those its cross-reference table lists and those reachable from its trailer,
    compressed object streams included, names decoded), and the bytes outside stream data are searched as
    well, for objects the table leaves out. A PDF pypdf cannot read is searched byte by byte, stream data too.
    """
    fileobj.seek(0)
    data = fileobj.read()
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            reader.decrypt("")  # names are never encrypted, but pypdf reads no object before this
        found = _pdf_object_keys(reader)
    except Exception:
        return _pdf_raw_keys(data)
    # Whether an OpenAction only opens at a page only the parsed objects can say.
    return found | (_pdf_raw_keys(_PDF_STREAM_DATA.sub(b"stream endstream", data)) - {"OpenAction"})


def _pdf_object_keys(reader) -> set[str]:
    Ref = pypdf.generic.IndirectObject
    stack = [reader.trailer]
    stack += [Ref(number, generation, reader) for generation, table in reader.xref.items() for number in table]
    stack += [Ref(number, 0, reader) for number in reader.xref_objStm]
    found, seen = set(), set()
    while stack:
        node = stack.pop()
        if isinstance(node, Ref):
            if (node.idnum, node.generation) in seen:
                continue
            seen.add((node.idnum, node.generation))
            node = node.get_object()
        if isinstance(node, pypdf.generic.DictionaryObject):  # streams too: their dictionary, not their data
            for key, value in dict.items(node):
                if key == "/OpenAction":
                    if not _opens_at_a_page(value.get_object()):
                        found.add("OpenAction")
                elif key[1:] in PDF_RISKY_KEYS:
                    found.add(key[1:])
                stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)
    return found


def _opens_at_a_page(action) -> bool:
    """An OpenAction that only shows a page of the document: a destination, or a GoTo action with nothing after it
    (what LaTeX's hyperref writes). Any other action (Launch, URI, JavaScript, SubmitForm...) is refused."""
    if isinstance(action, list):
        return True
    return isinstance(action, dict) and action.get("/S") == "/GoTo" and "/Next" not in action


_PDF_STREAM_DATA = re.compile(rb"stream\r?\n.*?endstream", re.DOTALL)
# A PDF name: "/" then regular characters, "#xx" standing for any byte (so /J#61vaScript is /JavaScript).
_PDF_NAME = re.compile(rb"/((?:[^\s/<>\[\]()%{}#]|#[0-9A-Fa-f]{2})+)")


def _pdf_raw_keys(data: bytes) -> set[str]:
    found = set()
    for match in _PDF_NAME.finditer(data):
        decoded = re.sub(rb"#([0-9A-Fa-f]{2})", lambda hex_: bytes([int(hex_[1], 16)]), match[1])
        key = decoded.decode("latin-1")
        if key == "OpenAction" and data[match.end() :].lstrip()[:1] == b"[":
            continue  # a destination, not an action
        if key in PDF_RISKY_KEYS:
            found.add(key)
    return found


def max_request_bytes() -> int:
    """The largest request body: the UPLOAD_MAX_REQUEST_BYTES setting, else MAX_FILES_PER_ITEM files and 1 MB."""
    return getattr(settings, "UPLOAD_MAX_REQUEST_BYTES", None) or MAX_FILES_PER_ITEM * max_upload_bytes() + MB


class RequestSizeLimitMiddleware:
    """Answer 413 to a request whose declared body is over max_request_bytes(), before anything reads it.

    The WSGI server hands Django at most CONTENT_LENGTH bytes, so checking the header is enough here; the proxy
    in front (nginx's client_max_body_size) should refuse the same bodies before they reach the portal.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads no body then either
        limit = max_request_bytes()
        if length > limit:
            return HttpResponse(
                f"This request is too large: the portal takes at most {_size(limit, round_up=False)} at once "
                f"(each file at most {_size(max_upload_bytes(), round_up=False)}). Go back, attach fewer or "
                "smaller files, and send it again.\n",
                status=413,
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)


def _scan(uploaded_file, name: str) -> None:
    # Fail closed: once a scanner is configured, a broken or missing one refuses the upload.
    path = getattr(settings, "UPLOAD_SCANNER", None)
    if not path:
        return
    try:
        import_string(path)(uploaded_file)
    except ValidationError:
        raise
    except Exception:
        logger.exception("Upload scanner %s failed; refusing %r", path, name)
        raise ValidationError(
            f"We could not check “{name}” for viruses, so it was not uploaded. Try again later.", code="scan_failed"
        ) from None
    finally:
        uploaded_file.seek(0)


class PrivateStorage(FileSystemStorage):
    """MEDIA_ROOT (followed when the setting changes, e.g. in tests), with no public URL."""

    def url(self, name):
        # Nothing serves MEDIA_ROOT. An empty URL (not an error) keeps Django widgets that probe .url working.
        return ""


private_storage = PrivateStorage()


def get_private_storage() -> PrivateStorage:
    """For ``FileField(storage=get_private_storage)``: migrations record the callable, not a path."""
    return private_storage


def private_upload_to(instance, filename: str) -> str:
    """``<app_label>/<model_name>/<yyyy>/<mm>/<uuid4 hex>.<ext>``: never the user's name; ext is allowed or "bin"."""
    ext = filename.rpartition(".")[2].lower() if "." in filename else ""
    ext = _EXT_ALIASES.get(ext, ext)
    meta, now = instance._meta, timezone.now()
    return f"{meta.app_label}/{meta.model_name}/{now:%Y/%m}/{uuid.uuid4().hex}.{ext if ext in ALLOWED_KINDS else 'bin'}"


def stored_file_fields(upload) -> dict:
    """The model fields every stored attachment keeps, from an upload checked by ``validate_upload``:
    the file itself, its sniffed content type, its download name and its size."""
    return {
        "file": upload,
        "content_type": upload.sniffed.content_type,
        "original_name": upload.sniffed.download_name,
        "size": upload.sniffed.size,
    }


def attachment_response(field_file, *, filename: str, content_type: str) -> FileResponse:
    """Stream a stored file as a download that browsers will not render or sniff.

    A content type outside ALLOWED_KINDS is served as application/octet-stream; the filename is
    cleaned and given the extension matching the content type.
    """
    kind = _KIND_BY_CONTENT_TYPE.get(content_type)
    name = clean_filename(filename)
    if kind is None:
        content_type = "application/octet-stream"
    else:
        name = _download_name(name, kind)
    handle = field_file.storage.open(field_file.name, "rb")
    response = FileResponse(handle, as_attachment=True, filename=name, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    response["Cache-Control"] = "private"  # permission-checked content must not sit in shared caches
    return response


class SniffedFileField(forms.FileField):
    """A file field whose cleaned upload carries ``.sniffed`` (a SniffedUpload), or is refused."""

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "accept": ACCEPT}

    def clean(self, data, initial=None):
        cleaned = super().clean(data, initial)
        if isinstance(cleaned, UploadedFile):
            cleaned.sniffed = validate_upload(cleaned)
        return cleaned


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleSniffedFileField(SniffedFileField):
    """Up to ``max_files`` (default MAX_FILES_PER_ITEM) sniffed files; cleans to a list, every problem reported."""

    widget = MultipleFileInput

    def __init__(self, *args, max_files: int = MAX_FILES_PER_ITEM, **kwargs):
        self.max_files = max_files
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = [item for item in (data if isinstance(data, list | tuple) else [data]) if item]
        if not files:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return []
        if len(files) > self.max_files:
            noun = "file" if self.max_files == 1 else "files"
            raise ValidationError(f"You can attach at most {self.max_files} {noun}.", code="too_many")
        cleaned, errors = [], []
        for item in files:
            try:
                cleaned.append(super().clean(item, initial))
            except ValidationError as error:
                errors.extend(error.error_list)
        if errors:
            raise ValidationError(errors)
        return cleaned
