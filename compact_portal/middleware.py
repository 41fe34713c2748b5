"""Middleware of the portal's own."""

from django.http import HttpResponseBadRequest, JsonResponse

NUL = "\x00"
NUL_REFUSED = "Bad request: the address contains a NUL character (%00)."


class RefuseNulBytesMiddleware:
    """Answer 400 to a request whose path or query string holds a NUL byte (``/concerns/%00/``, ``?compact=%00``).

    No page takes one, and a NUL byte reaching the database fails there (PostgreSQL refuses it in any text) or in
    Python (``int()``, file names): refusing it here, before any view, is one answer for every URL instead of a
    server error wherever a view passes the value on. Posted form fields are the forms' concern: Django's text
    fields refuse a NUL byte with a message on the field.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if NUL in request.path_info or any(
            NUL in name or any(NUL in value for value in values) for name, values in request.GET.lists()
        ):
            if request.path_info.startswith("/api/"):  # the API answers in JSON, as its document says
                return JsonResponse({"detail": NUL_REFUSED}, status=400)
            return HttpResponseBadRequest(NUL_REFUSED, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
