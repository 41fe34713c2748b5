"""Cheap polling for the public API: every answer to a GET carries an ``ETag`` made from its body (and a
``Last-Modified`` where the portal records when its records changed), and a request whose ``If-None-Match`` names
the current ``ETag`` is answered ``304 Not Modified`` with no body.

Only the ``ETag`` decides a 304: ``Last-Modified`` is given for information. An answer is drawn from several
records (a signatory's entry and its signatures, a compact and its catalogue), and the time one of them changed is
not always the time the answer did, so a bare ``If-Modified-Since`` is answered in full rather than risk a 304 for an
answer that has changed. DRF has no such behaviour built in; Django's ``get_conditional_response`` applies the
HTTP rules (weak comparison, ``*``, several tags)."""

import datetime
import hashlib

from django.utils.cache import get_conditional_response
from django.utils.http import http_date, quote_etag


class ConditionalGetMixin:
    """For a DRF view: ``ETag`` (and ``Last-Modified`` from ``last_modified()``) on a 200 to GET or HEAD, and 304
    when the caller already holds that answer."""

    def last_modified(self) -> datetime.datetime | None:
        """When the records behind the answer last changed, where the portal knows it; None where it does not.
        Called after the answer is drawn, so a list view can look at ``self.answered`` (the page's records)."""
        return None

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method not in ("GET", "HEAD") or response.status_code != 200:
            return response
        response.render()
        etag = quote_etag(hashlib.sha256(response.content).hexdigest()[:40])
        response["ETag"] = etag
        changed = self.last_modified()
        if changed is not None:
            response["Last-Modified"] = http_date(changed.timestamp())
        response["Cache-Control"] = "no-cache"  # a cache may keep it, but asks each time (a 304 when unchanged)
        return get_conditional_response(request._request, etag=etag, response=response)


def latest(*moments) -> datetime.datetime | None:
    """The latest of ``moments`` that are known (None where none is)."""
    known = [moment for moment in moments if moment is not None]
    return max(known) if known else None
