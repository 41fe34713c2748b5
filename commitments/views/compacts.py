from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from compact_portal.accounts.permissions import role_required
from compact_portal.accounts.roles import Role
from compact_portal.accounts.security import rate_limited, refuse_over_limit
from compact_portal.accounts.selectors import memberships_for_user
from compact_portal.audit import audit_context, import_via
from compact_portal.csv_import import database_failure_on_form
from compact_portal.forms import SERVICE_ERRORS, add_service_errors, service_error_messages
from compact_portal.one_time import repeat_of
from compact_portal.pagination import page_of

from .. import selectors, services
from ..filters import SignatoryFilter
from ..forms import DecisionForm, ImportForm, SignUpForm, WithdrawForm
from ..models import (
    ACTIVE_SIGNATURE_STATUSES,
    ORGANISATION_DETAIL_FIELDS,
    Compact,
    Organisation,
    RecordType,
    Signature,
    SignatureStatus,
)
from ..selectors.dashboard import compacts_championed
from ..services.imports import IMPORT_VIA, organisations_import, read_csv

DIRECTORY_PAGE_SIZE = 25


def compact_list(request):
    return render(request, "commitments/compact_list.html", {"compacts": selectors.compact_list()})


def compact_detail(request, slug):
    try:
        compact = selectors.compact_detail(slug=slug)
    except Compact.DoesNotExist:
        raise Http404("No such compact") from None
    flags = selectors.flags_on_records(records={RecordType.COMPACT: [compact.pk]}, user=request.user)
    return render(request, "commitments/compact_detail.html", {"compact": compact, "flags": flags})


def directory(request):
    """The public directory of signatories: search, filters, sort and pages."""
    signatory_filter = SignatoryFilter(request.GET, queryset=selectors.signatories().order_by("name"))
    page, query = page_of(request, signatory_filter.qs, per_page=DIRECTORY_PAGE_SIZE)
    return render(
        request,
        "commitments/directory.html",
        {"filter": signatory_filter, "page_obj": page, "query": query},
    )


def signatory_detail(request, slug):
    try:
        organisation = selectors.signatory_detail(slug=slug)
    except Organisation.DoesNotExist:
        raise Http404("No such organisation") from None
    can_act = _may_act_for(request.user, organisation)
    if not can_act and not _listed_publicly(organisation):
        raise Http404("Not a signatory")
    championed = (
        set(compacts_championed(user=request.user).values_list("pk", flat=True))
        if request.user.is_authenticated
        else set()
    )
    return render(
        request,
        "commitments/signatory_detail.html",
        {
            "organisation": organisation,
            "signatures": organisation.signatures.all(),
            "can_act": can_act,
            "can_edit": request.user.is_authenticated
            and selectors.may_edit_entry(user=request.user, organisation=organisation),
            "championed": championed,
        },
    )


def _listed_publicly(organisation) -> bool:
    """Whether the organisation's page opens for everyone: once it has signed a compact. Applicants are not
    listed publicly until approved; their own members see it before."""
    return any(signature.status == SignatureStatus.APPROVED for signature in organisation.signatures.all())


def _may_act_for(user, organisation) -> bool:
    if not user.is_authenticated:
        return False
    return (
        user.has_role(Role.ADMINISTRATOR)
        or selectors.organisations_acting_for(user=user).filter(pk=organisation.pk).exists()
    )


def compact_sign_up(request, slug):
    """An organisation applies to sign the compact (a new organisation, or one the person acts for)."""
    compact = get_object_or_404(Compact, slug=slug)
    own = selectors.organisations_acting_for(user=request.user) if request.user.is_authenticated else []
    initial = {}
    if request.user.is_authenticated:
        initial = {"applicant_name": request.user.full_name, "applicant_email": request.user.email}
    form = SignUpForm(request.POST or None, initial=initial)
    status = 200
    if signature := repeat_of(request, form, Signature):
        return _signed_up(request, signature)
    if request.method == "POST" and rate_limited(
        request, group="compact_sign_up", key="ip", rate=settings.RATE_LIMIT_SIGN_UP
    ):
        status = refuse_over_limit(
            form,
            "We have had too many applications from your connection this hour. Wait an hour, then send this again.",
        )
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {name: data[name] for name in ORGANISATION_DETAIL_FIELDS}
        try:
            signature = services.organisation_sign_up(
                compact=compact,
                communities=data["communities"],
                applicant_name=data["applicant_name"],
                applicant_email=data["applicant_email"],
                applied_by=request.user if request.user.is_authenticated else None,
                submission_key=data["submission_key"],
                **fields,
            )
        except SERVICE_ERRORS as error:
            add_service_errors(form, error)
        else:
            if signature.already_recorded:  # the same organisation's application is waiting already
                messages.info(
                    request,
                    f"{signature.organisation} has already applied to sign {signature.compact}; the application is "
                    "waiting for a decision, and nothing was added twice.",
                )
            return _signed_up(request, signature)
    return render(request, "commitments/sign_up.html", {"compact": compact, "form": form, "own": own}, status=status)


def _signed_up(request, signature: Signature):
    """The confirmation of an application (also shown to a post that found it already made)."""
    return render(
        request,
        "commitments/sign_up_done.html",
        {"compact": signature.compact, "organisation": signature.organisation, "signature": signature},
    )


@require_POST
@role_required(Role.OFFICER, Role.VCS_MEMBER)
def compact_sign_up_existing(request, slug, organisation_slug):
    compact = get_object_or_404(Compact, slug=slug)
    organisation = get_object_or_404(selectors.organisations_acting_for(user=request.user), slug=organisation_slug)
    try:
        services.signature_apply(
            compact=compact,
            organisation=organisation,
            applicant_name=request.user.full_name,
            applicant_email=request.user.email,
            applied_by=request.user,
        )
    except SERVICE_ERRORS as error:
        messages.error(request, " ".join(service_error_messages(error)))
    else:
        messages.success(request, f"{organisation} has applied to sign {compact}. A Compact champion will decide.")
    return redirect(compact)


@role_required(Role.CHAMPION, Role.ADMINISTRATOR)
def applications(request):
    return render(
        request,
        "commitments/applications.html",
        {
            "applications": selectors.applications_to_decide(user=request.user),
        },
    )


@role_required(Role.CHAMPION, Role.ADMINISTRATOR)
def application_decide(request, pk):
    signature = get_object_or_404(
        Signature.objects.select_related("compact", "organisation").prefetch_related(
            "organisation__communities", "organisation__signatures"
        ),
        pk=pk,
        compact__in=selectors.compacts_decided_by(user=request.user),
    )
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and signature.status == SignatureStatus.APPLIED:
        try:
            if form.cleaned_data["decision"] == "approve":
                services.signature_approve(signature=signature, decided_by=request.user, today=timezone.localdate())
                messages.success(request, f"{signature.organisation} has signed {signature.compact}.")
            else:
                services.signature_decline(
                    signature=signature, decided_by=request.user, reason=form.cleaned_data["reason"]
                )
                messages.success(request, f"The application from {signature.organisation} is declined.")
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect("commitments:applications")
    organisation = signature.organisation
    return render(
        request,
        "commitments/application_decide.html",
        {
            "signature": signature,
            "organisation": organisation,
            "form": form,
            # The directory's page of an organisation that has signed another compact; an applicant has none yet.
            "page_opens": _may_act_for(request.user, organisation) or _listed_publicly(organisation),
            "applicant_role": Role(signature.applicant_role).label,
        },
    )


@role_required(Role.OFFICER, Role.VCS_MEMBER, Role.ADMINISTRATOR)
def signature_withdraw(request, slug, pk):
    organisation = get_object_or_404(Organisation, slug=slug)
    if not _may_act_for(request.user, organisation):
        raise PermissionDenied("Only the organisation's own members can withdraw it.")
    signature = get_object_or_404(
        organisation.signatures.select_related("compact"),
        pk=pk,
        status__in=ACTIVE_SIGNATURE_STATUSES,
    )
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.signature_withdraw(signature=signature, reason=form.cleaned_data["reason"], today=timezone.localdate())
        messages.success(request, f"{organisation} has withdrawn from {signature.compact}.")
        return redirect("commitments:directory")
    return render(request, "commitments/withdraw.html", {"signature": signature, "form": form})


@role_required(Role.ADMINISTRATOR)
def organisations_import_view(request):
    """Administrators import organisations from CSV; every bad row is listed and nothing is saved."""
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            header, rows = read_csv(form.cleaned_data["file"].read())
        except ValidationError as error:
            form.add_error("file", error)
        else:
            with (
                audit_context(user=request.user, via=import_via(IMPORT_VIA, form.cleaned_data["file"].name)),
                database_failure_on_form(form, IMPORT_VIA),
            ):
                result = organisations_import(header=header, rows=rows, today=timezone.localdate())
    return render(request, "commitments/import.html", {"form": form, "result": result})


@role_required(Role.CHAMPION, Role.ADMINISTRATOR)
def champion_desk(request):
    """The Compact champion's starting point: the organisations they champion the compact in."""
    memberships = memberships_for_user(user=request.user, roles=(Role.CHAMPION,))
    return render(
        request,
        "commitments/champion_desk.html",
        {
            "memberships": memberships,
            "compacts": compacts_championed(user=request.user),
            "pending": selectors.applications_to_decide(user=request.user).count(),
        },
    )
