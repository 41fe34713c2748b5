"""360Giving open data: the public files (no sign-in, cache-friendly) and the page where a funder's officers
choose whether and under which licence its awards are published."""

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from compact_portal.accounts.permissions import role_required
from compact_portal.accounts.roles import Role
from compact_portal.accounts.selectors import organisations_where
from compact_portal.forms import SERVICE_ERRORS, add_service_errors, form_helper

from .. import open_data
from ..models import Licence
from ..services.open_data import funder_publishing_update

# Public data that changes a few times a day: caches may keep it five minutes, then ask again (ETag).
CACHE_CONTROL = "public, max-age=300"


def _base_url(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _file_response(request, file: open_data.OpenDataFile) -> HttpResponse:
    last_modified = int(file.last_modified.timestamp()) if file.last_modified else None
    response = get_conditional_response(request, etag=file.etag, last_modified=last_modified)  # 304, else None
    if response is None:
        response = HttpResponse(file.body, content_type="application/json; charset=utf-8")
    response["ETag"] = file.etag
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified)
    response["Cache-Control"] = CACHE_CONTROL
    response["Access-Control-Allow-Origin"] = "*"  # open data: any site's scripts may read it
    return response


@require_safe
def giving360_all(request):
    """Every published award in the portal, as one 360Giving package."""
    file = open_data.portal_file(base_url=_base_url(request))
    if file is None:
        raise Http404("No funder has published an award yet.")
    return _file_response(request, file)


@require_safe
def giving360_funder(request, key):
    """One funder's published awards, as a 360Giving package, at the address of its Org-ID (else its slug)."""
    funder = open_data.funder_for_key(key)
    file = open_data.funder_file(funder, base_url=_base_url(request)) if funder else None
    if file is None:
        raise Http404("This funder publishes no awards here.")
    return _file_response(request, file)


def index(request):
    """The public list of the files, with the addresses to register with 360Giving."""
    funders = [
        (funder, open_data.funder_file_path(funder), open_data.publishing_of(funder))
        for funder in open_data.publishing_funders().select_related("publishing")
    ]
    return render(
        request,
        "funding/open_data/index.html",
        {
            "funders": funders,
            "own_funders": organisations_where(user=request.user, role=Role.OFFICER).order_by("name"),
            "base_url": _base_url(request),
        },
    )


class PublishingForm(forms.Form):
    publishes = forms.BooleanField(
        label="Publish our awards as 360Giving open data",
        required=False,
        help_text="Each award can still be left out from its funding record's Edit page.",
    )
    licence = forms.ChoiceField(
        label="Licence",
        choices=Licence.choices,
        help_text="The Open Government Licence suits most councils; choose Creative Commons Zero to waive attribution.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper("Save", "publishes", "licence")


@role_required(Role.OFFICER)
def publishing(request, slug):
    """A funder's officers choose whether its awards are published, and the licence."""
    funder = organisations_where(user=request.user, role=Role.OFFICER).filter(slug=slug).first()
    if funder is None:
        raise Http404("No such funder among your organisations.")
    current = open_data.publishing_of(funder)
    form = PublishingForm(request.POST or None, initial={"publishes": current.publishes, "licence": current.licence})
    if request.method == "POST" and form.is_valid():
        try:
            funder_publishing_update(funder=funder, actor=request.user, **form.cleaned_data)
        except SERVICE_ERRORS as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Your open data choices are saved.")
            return redirect(reverse("open_data:publishing", args=[funder.slug]))
    return render(
        request,
        "funding/open_data/publishing.html",
        {
            "form": form,
            "funder": funder,
            "file_url": _base_url(request) + open_data.funder_file_path(funder),
            "published": open_data.published_awards(funder=funder).count() if current.publishes else 0,
        },
    )
