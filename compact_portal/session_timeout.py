"""Sessions end after SESSION_IDLE_SECONDS without a request and SESSION_MAX_SECONDS after signing in (OWASP ASVS
3.3.2), and a form sent after its session has ended comes back, unsaved, once its author has signed in again.

Why a middleware of our own rather than a library: django-session-security has the idle timeout and a warning
script, but its script needs jQuery and is started by an inline <script> (the portal's Content Security Policy
allows none), it has no absolute limit, and a form sent after the timeout is lost. django-auto-logout has both
limits but no release since 2022, writes its redirect script inline too, and also loses the form.
django-session-timeout has one limit, not both. None keeps what was typed, which the portal promises everywhere
else (docs/security.md, "Sessions").

- ``SessionTimeoutMiddleware`` (after the message middleware) ends the session. A GET goes on as a visitor's,
  with a message saying why (a page that needs signing in then asks for it, with ``next``). A POST is kept:
  its fields, less the CSRF token, passwords, codes and files, go into the new visitor's session under a
  one-time token, and the browser goes to sign in with ``next`` the page the form was on plus that token.
  After signing in (two-factor included: django's login keeps the session's data), that page is shown with
  the form filled in again, unsaved, and "Your session ended; check and submit again".
- Activity is recorded at most once a minute (a POST always), so most requests write nothing to the session.
- ``session_status`` (``/account/session/``) tells static/js/session-timeout.js how long is left without
  counting as activity (GET); a POST, the warning's "Stay signed in", counts.
"""

import json
import re
import secrets
import time
from html import escape
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver
from django.http import JsonResponse, QueryDict
from django.middleware.csrf import CsrfViewMiddleware
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

STARTED = "session_started_at"  # when the person signed in (seconds since the epoch)
ACTIVE = "session_active_at"  # the last request recorded as activity
KEPT = "session_form_kept"  # a form sent after the session ended, waiting for its author to sign in again
RESTORE_PARAMETER = "session_restore"
RECORD_EVERY_SECONDS = 60
WARNING_SECONDS = 5 * 60  # the script warns this long before the idle timeout
KEPT_MAX_BYTES = 512 * 1024
RESTORED_MESSAGE = "Your session ended; check and submit again."
# Never kept, whatever the form: the CSRF token, passwords, one-time and recovery codes, secrets.
_NEVER_KEPT = re.compile(r"csrf|password|passwd|secret|token|otp|^code$|-code$", re.IGNORECASE)
# Never filled in again: the page's own hidden values (fresh tokens) win, and passwords and files are not kept.
_NOT_FILLED = {"hidden", "password", "file", "submit", "button", "image", "reset"}


def _now() -> float:
    return time.time()


def idle_seconds() -> int:
    return settings.SESSION_IDLE_SECONDS


def max_seconds() -> int:
    return settings.SESSION_MAX_SECONDS


@receiver(user_logged_in, dispatch_uid="session_timeout_signed_in")
def _signed_in(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    if session is None:
        return
    session[STARTED] = session[ACTIVE] = _now()
    kept = session.get(KEPT)
    if kept and kept["user"] != str(user.pk):
        del session[KEPT]  # someone else's form, on a shared computer: never shown to this person


def seconds_left(session) -> tuple[int, bool]:
    """The seconds before the session ends, and whether it is the absolute limit (not idleness) that ends it."""
    now = _now()
    idle_left = session.get(ACTIVE, now) + idle_seconds() - now
    max_left = session.get(STARTED, now) + max_seconds() - now
    return max(0, int(min(idle_left, max_left))), max_left <= idle_left


def _ended(session) -> str | None:
    now = _now()
    if STARTED not in session:  # signed in before sessions were timed: the clock starts now
        session[STARTED] = session[ACTIVE] = now
    if now - session[STARTED] >= max_seconds():
        return "max"
    if now - session.get(ACTIVE, now) >= idle_seconds():
        return "idle"
    return None


def _duration(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} seconds"
    minutes = seconds // 60
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


class SessionTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        kept = None
        if RESTORE_PARAMETER in request.GET:
            token = _strip_restore_parameter(request)
            if request.user.is_authenticated and request.method in ("GET", "HEAD"):
                kept = _take_kept(request, token)
        if request.user.is_authenticated:
            reason = _ended(request.session)
            if reason:
                response = self._end(request, reason)
                if response is not None:
                    return response
            elif not self._passive(request):
                now = _now()
                if request.method == "POST" or now - request.session.get(ACTIVE, 0) >= RECORD_EVERY_SECONDS:
                    request.session[ACTIVE] = now
        response = self.get_response(request)
        if kept is not None:
            _fill_response(request, response, kept)
        return response

    @staticmethod
    def _passive(request) -> bool:
        return request.method in ("GET", "HEAD") and request.path == reverse("session_status")

    def _end(self, request, reason: str):
        """Sign the person out. None lets the request go on as a visitor's; else the response to give."""
        # The status, signing out and signing in again go on as a visitor's, with nothing kept and no message.
        quiet = request.path in {reverse(name) for name in ("session_status", "logout", "login", "login_code")}
        kept = self._keep(request) if request.method == "POST" and not quiet else None
        user_pk = str(request.user.pk)
        logout(request)
        if quiet:
            return None
        if reason == "max":
            text = f"You were signed out: a session lasts at most {_duration(max_seconds())}."
        else:
            text = f"You were signed out after {_duration(idle_seconds())} without activity."
        if request.method != "POST":
            messages.info(request, f"{text} Sign in again to carry on.")
            return None
        page = _page_of_form(request)
        if kept is not None:
            token = secrets.token_urlsafe(24)
            request.session[KEPT] = {"token": token, "user": user_pk, "at": _now(), "page": urlsplit(page).path, **kept}
            separator = "&" if "?" in page else "?"
            page = f"{page}{separator}{urlencode({RESTORE_PARAMETER: token})}"
            text += " What you were sending is kept: sign in again and the form comes back for you to check."
        else:
            text += " Sign in again to carry on."
        messages.info(request, text)
        return redirect_to_login(page)

    def _keep(self, request) -> dict | None:
        # Only a genuine form of this site is kept: a forged cross-site post fails the CSRF check here, as it
        # would in the view, and is not kept to be shown to the person later.
        if CsrfViewMiddleware(self.get_response).process_view(request, None, (), {}) is not None:
            return None
        data = {name: values for name, values in request.POST.lists() if not _NEVER_KEPT.search(name)}
        if not data or len(json.dumps(data)) > KEPT_MAX_BYTES:
            return None
        return {"action": request.path, "data": data, "files": bool(request.FILES)}


def _page_of_form(request) -> str:
    """The page the form was on (the Referer, if it is this site's), else the address it was sent to."""
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(referer, {request.get_host()}, require_https=request.is_secure()):
        parts = urlsplit(referer)
        query = QueryDict(parts.query, mutable=True)
        query.pop(RESTORE_PARAMETER, None)
        return parts.path + (f"?{query.urlencode()}" if query else "")
    return request.path


def _strip_restore_parameter(request) -> str:
    query = request.GET.copy()
    token = query.pop(RESTORE_PARAMETER, [""])[-1]
    request.GET = query
    request.META["QUERY_STRING"] = query.urlencode()
    return token


def _take_kept(request, token: str) -> dict | None:
    kept = request.session.get(KEPT)
    if not kept or not secrets.compare_digest(kept["token"], token):
        return None
    del request.session[KEPT]  # one time only
    if kept["user"] != str(request.user.pk) or kept["page"] != request.path or _now() - kept["at"] > max_seconds():
        return None
    files = " Attach your files again: files are not kept." if kept["files"] else ""
    messages.warning(request, RESTORED_MESSAGE + files)
    return kept


@require_http_methods(["GET", "POST"])
def session_status(request):
    """How long the session has left, for the warning script. GET does not count as activity; POST does."""
    if not request.user.is_authenticated:
        return JsonResponse({"signed_in": False})
    left, at_max = seconds_left(request.session)
    return JsonResponse({"signed_in": True, "seconds_left": left, "ends_at_limit": at_max})


def session_timeout(request) -> dict:
    """Context processor: what static/js/session-timeout.js needs, for a signed-in person."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    left, _ = seconds_left(request.session)
    return {
        "session_timeout": {
            "status_url": reverse("session_status"),
            "seconds_left": left,
            "warning_seconds": min(WARNING_SECONDS, idle_seconds() // 2),
        }
    }


# --- Filling a page's form in again -------------------------------------------------------------------------------

_TAG = re.compile(r"<(/?)(form|input|textarea|select|option)\b([^>]*)>", re.IGNORECASE)


class _AttributeReader(HTMLParser):
    def handle_starttag(self, tag, attrs):
        self.attrs = attrs

    handle_startendtag = handle_starttag


def _attributes(tag: str) -> list[tuple[str, str | None]]:
    reader = _AttributeReader()
    reader.attrs = []
    reader.feed(tag)
    reader.close()
    return reader.attrs


def _tag(name: str, attrs: list[tuple[str, str | None]], original: str) -> str:
    text = " ".join([name, *(key if value is None else f'{key}="{escape(value)}"' for key, value in attrs)])
    return f"<{text}{' /' if original.endswith('/>') else ''}>"


def _with(attrs, key: str, value: str | None, *, present: bool = True):
    attrs = [(k, v) for k, v in attrs if k != key]
    return [*attrs, (key, value)] if present else attrs


def fill_forms(html: str, *, page: str, action: str, data: dict[str, list[str]]) -> str:
    """``html`` with every POST form sending to ``action`` filled in from ``data`` (field name -> values):
    text, date and number inputs, text areas, selects, checkboxes and radio buttons. Hidden, password and
    file inputs keep what the page gave them. Everything else is left byte for byte as it was."""
    out, position = [], 0
    in_form, skipping_text, choices = False, False, None
    used: dict[str, int] = {}
    for match in _TAG.finditer(html):
        closing, name, original = match[1], match[2].lower(), match[0]
        if not skipping_text:
            out.append(html[position : match.start()])
        position = match.end()
        replacement = original
        if name == "form":
            if closing:
                in_form = False
            else:
                attrs = dict(_attributes(original))
                target = urlsplit(urljoin(page, attrs.get("action") or "")).path
                in_form = (attrs.get("method") or "").lower() == "post" and target == action
        elif name == "textarea" and closing:
            skipping_text = False
        elif name == "select" and closing:
            choices = None
        elif in_form and not closing:
            attrs = _attributes(original)
            values = dict(attrs)
            field = values.get("name")
            if name == "input" and field and (values.get("type") or "text").lower() not in _NOT_FILLED:
                kind = (values.get("type") or "text").lower()
                if kind in ("checkbox", "radio"):
                    chosen = (values.get("value") or "on") in data.get(field, [])
                    replacement = _tag(name, _with(attrs, "checked", None, present=chosen), original)
                elif field in data and used.get(field, 0) < len(data[field]):
                    replacement = _tag(name, _with(attrs, "value", data[field][used.get(field, 0)]), original)
                    used[field] = used.get(field, 0) + 1
            elif name == "textarea" and field in data:
                replacement = f"{original}\n{escape(data[field][0])}"
                skipping_text = True
            elif name == "select" and field:
                choices = data.get(field, [] if "multiple" in values else None)
            elif name == "option" and choices is not None and "value" in values:
                replacement = _tag(name, _with(attrs, "selected", None, present=values["value"] in choices), original)
        out.append(replacement)
    out.append(html[position:])
    return "".join(out)


def _fill_response(request, response, kept: dict) -> None:
    add_never_cache_headers(response)  # the page now holds what the person typed
    if response.status_code != 200 or response.streaming or "text/html" not in response.get("Content-Type", ""):
        return
    html = response.content.decode(response.charset)
    filled = fill_forms(html, page=request.get_full_path(), action=kept["action"], data=kept["data"])
    response.content = filled.encode(response.charset)
    if response.has_header("Content-Length"):
        response["Content-Length"] = str(len(response.content))
