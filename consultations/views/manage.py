"""The consulting body's pages: drafting, publishing, extending, documents, responses and feedback."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from compact_portal.accounts.permissions import role_required
from compact_portal.accounts.roles import Role
from compact_portal.accounts.selectors import organisations_where
from compact_portal.csv_export import csv_response, safe_cell
from compact_portal.forms import SERVICE_ERRORS, add_service_errors, gaps_held
from compact_portal.one_time import announce, repeat_of

from .. import selectors, services
from ..forms import CONSULTATION_FORM_FIELDS, ConsultationForm, DocumentForm, ExtendForm, FeedbackForm
from ..models import Consultation


def _managed(request, pk: int) -> Consultation:
    """A consultation the officer's body runs; 404 for anyone else's (even published ones are not theirs to run)."""
    return get_object_or_404(
        selectors.consultations_managed_by(user=request.user).select_related("compact", "body"), pk=pk
    )


@role_required(Role.OFFICER)
def manage_list(request):
    """The consultations the officer's bodies run, drafts included."""
    today = timezone.localdate()
    consultations = selectors.with_phase(
        selectors.consultations_managed_by(user=request.user).select_related("body", "policy_area"), today=today
    ).order_by("-open_date")
    return render(request, "consultations/manage_list.html", {"consultations": consultations, "today": today})


@role_required(Role.OFFICER)
def consultation_create(request):
    form = ConsultationForm(request.POST or None, bodies=organisations_where(user=request.user, role=Role.OFFICER))
    if consultation := repeat_of(request, form, Consultation):
        return redirect(consultation)
    if request.method == "POST" and form.is_valid() and not gaps_held(form):
        try:
            consultation = services.consultation_create(
                actor=request.user,
                submission_key=form.cleaned_data["submission_key"],
                **{name: form.cleaned_data[name] for name in CONSULTATION_FORM_FIELDS},
            )
        except SERVICE_ERRORS as error:
            add_service_errors(form, error)
        else:
            announce(request, consultation, "The consultation is saved as a draft. Publish it when it is ready.")
            return redirect(consultation)
    return render(request, "consultations/consultation_form.html", {"form": form})


@role_required(Role.OFFICER)
def consultation_edit(request, pk):
    consultation = _managed(request, pk)
    form = ConsultationForm(
        request.POST or None, instance=consultation, bodies=organisations_where(user=request.user, role=Role.OFFICER)
    )
    if request.method == "POST" and form.is_valid() and not gaps_held(form):
        try:
            consultation = services.consultation_update(
                consultation=consultation,
                actor=request.user,
                **{name: form.cleaned_data[name] for name in CONSULTATION_FORM_FIELDS},
            )
        except SERVICE_ERRORS as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "The consultation is saved.")
            return redirect(consultation)
    return render(request, "consultations/consultation_form.html", {"form": form, "consultation": consultation})


@require_POST
@role_required(Role.OFFICER)
def consultation_publish(request, pk):
    consultation = _managed(request, pk)
    try:
        services.consultation_publish(consultation=consultation, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("consultations:edit", pk=pk)
    messages.success(request, "The consultation is published on the register.")
    return redirect(consultation)


@role_required(Role.OFFICER)
def consultation_extend(request, pk):
    today = timezone.localdate()
    consultation = _managed(request, pk)
    form = ExtendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            change = services.consultation_extend(
                consultation=consultation, actor=request.user, today=today, **form.cleaned_data
            )
        except SERVICE_ERRORS as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"The consultation is {change.get_kind_display().lower()}.")
            return redirect(consultation)
    return render(request, "consultations/extend.html", {"form": form, "consultation": consultation, "today": today})


@role_required(Role.OFFICER)
def document_add(request, pk):
    consultation = _managed(request, pk)
    form = DocumentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.document_add(
                consultation=consultation,
                actor=request.user,
                title=form.cleaned_data["title"],
                upload=form.cleaned_data["file"] or None,
                link=form.cleaned_data["link"],
            )
        except SERVICE_ERRORS as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "The document is added.")
            return redirect(consultation)
    return render(request, "consultations/document_form.html", {"form": form, "consultation": consultation})


def _responses_page_allowed(request, pk: int) -> Consultation:
    consultation = get_object_or_404(
        selectors.consultations_visible_to(user=request.user).select_related("body", "compact"), pk=pk
    )
    if not selectors.may_see_all_responses(user=request.user, consultation=consultation):
        raise Http404("No such page")
    return consultation


@role_required(Role.OFFICER, Role.CHAMPION)
def responses_list(request, pk):
    """Every submitted response, confidential ones included, for the body and the compact's champions."""
    consultation = _responses_page_allowed(request, pk)
    return render(
        request,
        "consultations/responses.html",
        {
            "consultation": consultation,
            "responses": selectors.submitted_responses(consultation=consultation),
            "can_manage": selectors.consultations_managed_by(user=request.user).filter(pk=pk).exists(),
        },
    )


RESPONSE_CSV_COLUMNS = [
    "organisation",
    "org_id",
    "whose_views",
    "how_gathered",
    "may_publish",
    "published",
    "submitted_at",
    "attachments",
    "response",
]


@role_required(Role.OFFICER, Role.CHAMPION)
def responses_csv(request, pk):
    consultation = _responses_page_allowed(request, pk)

    def rows():
        yield RESPONSE_CSV_COLUMNS
        for response in selectors.submitted_responses(consultation=consultation):
            yield [
                safe_cell(response.organisation.name),
                safe_cell(response.organisation.org_id),
                response.get_represents_display(),
                safe_cell(response.how_gathered),
                "yes" if response.may_publish else "no (confidential)",
                "yes" if response.published else "no",
                timezone.localtime(response.submitted_at).strftime("%Y-%m-%d %H:%M") if response.submitted_at else "",
                safe_cell("; ".join(a.original_name for a in response.attachments.all())),
                safe_cell(response.text),
            ]

    return csv_response(f"responses-consultation-{consultation.pk}.csv", rows())


@role_required(Role.OFFICER)
def feedback_publish(request, pk):
    consultation = _managed(request, pk)
    existing = getattr(consultation, "feedback", None)
    publishable = selectors.submitted_responses(consultation=consultation).filter(may_publish=True)
    initial = {}
    if existing:
        initial = {
            "summary_of_responses": existing.summary_of_responses,
            "what_changed": existing.what_changed,
            "what_did_not_change": existing.what_did_not_change,
            "publish_responses": publishable.filter(published=True),
        }
    form = FeedbackForm(request.POST or None, publishable=publishable, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.feedback_publish(
                consultation=consultation,
                actor=request.user,
                today=timezone.localdate(),
                summary_of_responses=data["summary_of_responses"],
                what_changed=data["what_changed"],
                what_did_not_change=data["what_did_not_change"],
                publish_response_ids=[response.pk for response in data["publish_responses"]],
            )
        except SERVICE_ERRORS as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "The feedback is published on the consultation's page.")
            return redirect(consultation)
    return render(request, "consultations/feedback_form.html", {"form": form, "consultation": consultation})
