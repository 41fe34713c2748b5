"""Raising a concern: choose the compact, fill in the form; a failed submission is kept as a draft."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from commitments.models import Compact
from compact_portal.accounts.permissions import role_required
from compact_portal.accounts.roles import Role
from compact_portal.accounts.security import rate_limited, refuse_over_limit
from compact_portal.forms import SERVICE_ERRORS, add_service_errors
from compact_portal.one_time import announce
from compact_portal.uploads import validate_upload

from .. import selectors, services
from ..forms import ConcernForm
from ..models import CaseDocument, ConcernDraft

RAISING_ROLES = (Role.VCS_MEMBER, Role.OFFICER)


@role_required(*RAISING_ROLES)
def raise_choose(request):
    """Choose the compact the concern is under (skipped when there is only one)."""
    compacts = list(selectors.compacts_for_raising())
    drafts = list(ConcernDraft.objects.filter(user=request.user).select_related("compact").order_by("compact__name"))
    if len(compacts) == 1 and not drafts:
        return redirect("disputes:raise_concern", compact=compacts[0].slug)
    return render(request, "disputes/raise_choose.html", {"compacts": compacts, "drafts": drafts})


def _valid_uploads(request) -> list:
    """The uploaded files that pass their checks, so a draft keeps them while the bad ones are reported."""
    kept = []
    for upload in request.FILES.getlist("documents"):
        try:
            upload.sniffed = validate_upload(upload)
        except ValidationError:
            continue
        kept.append(upload)
    return kept


@role_required(*RAISING_ROLES)
def raise_concern(request, compact):
    """The concern form. Nothing typed is lost: a submission that fails is saved as the person's draft."""
    today = timezone.localdate()
    compact = get_object_or_404(selectors.compacts_for_raising(), slug=compact)
    draft = ConcernDraft.objects.filter(user=request.user, compact=compact).first()
    kept = list(draft.documents.all()) if draft else []
    options = {
        "raisers": selectors.raising_organisations(user=request.user),
        "respondents": selectors.respondents_for(compact=compact),
        "commitments": selectors.commitments_for_concern(compact=compact),
        "kept_documents": len(kept),
    }
    status = 200
    if request.method == "POST":
        form = ConcernForm(request.POST, request.FILES, **options)
        if rate_limited(request, group="concern_form", key="user", rate=settings.RATE_LIMIT_CONCERNS):
            # Refused, but nothing is lost: what was typed (and the files) is kept as the draft below.
            status = refuse_over_limit(
                form,
                "You have sent this form too many times in the last hour, so it was not sent. Everything you typed "
                "is kept as your draft: send it again in an hour.",
            )
        elif form.is_valid():
            data = form.cleaned_data
            try:
                concern = services.concern_raise(
                    actor=request.user,
                    raiser=data["raiser"],
                    compact=compact,
                    respondent=data["respondent"],
                    commitments=list(data["commitments"]),
                    what_happened=data["what_happened"],
                    happened_on=data["happened_on"],
                    outcome_sought=data["outcome_sought"],
                    withhold_identity=data["withhold_identity"],
                    consent=data["consent"],
                    today=today,
                    files=data.get("documents", []),
                    submission_key=data.get("submission_key"),
                )
            except SERVICE_ERRORS as error:
                add_service_errors(form, error)
            else:
                announce(
                    request,
                    concern,
                    f"Your concern is received. Its reference is {concern.reference}; we have e-mailed you an "
                    f"acknowledgement. A champion will acknowledge it by {concern.step_due_by:%-d %B %Y}.",
                )
                return redirect(concern)
        draft = services.draft_save(
            actor=request.user,
            compact=compact,
            data=dict(request.POST.lists()),
            files=_valid_uploads(request) if "documents" in form.errors else form.cleaned_data.get("documents", []),
        )
        kept = list(draft.documents.all())
    else:
        initial = {}
        if draft:
            initial = {key: values if key == "commitments" else values[-1] for key, values in draft.data.items()}
            messages.info(
                request,
                f"We kept the concern you started on {timezone.localtime(draft.updated_at):%-d %B %Y}. "
                "Carry on where you left off, or discard the draft.",
            )
        form = ConcernForm(initial=initial, **options)  # a new one-time key, or the draft's
    return render(
        request,
        "disputes/raise_form.html",
        {"compact": compact, "form": form, "draft": draft, "kept": kept},
        status=status,
    )


@require_POST
@role_required(*RAISING_ROLES)
def draft_discard(request):
    """Discard the draft under the compact posted (``compact``: its slug), or every draft when none is."""
    compact = Compact.objects.filter(slug=request.POST.get("compact") or "").first()
    services.draft_discard(actor=request.user, compact=compact)
    messages.success(request, "Your draft concern is discarded.")
    return redirect("disputes:raise")


@require_POST
@role_required(*RAISING_ROLES)
def draft_document_remove(request, pk):
    document = CaseDocument.objects.filter(pk=pk, draft__user=request.user).select_related("draft__compact").first()
    if document is None:
        raise Http404("No such file")
    slug = document.draft.compact.slug
    name = services.draft_document_remove(actor=request.user, document_id=pk)
    messages.success(request, f"“{name}” is removed from your draft.")
    return redirect("disputes:raise_concern", compact=slug)
