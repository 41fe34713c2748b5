"""A VCS organisation's side: responding, its responses, attachments, and e-mail alerts."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_POST

from compact_portal.accounts.permissions import role_required
from compact_portal.accounts.roles import Role
from compact_portal.forms import SERVICE_ERRORS, add_service_errors
from compact_portal.uploads import attachment_response

from .. import rules, selectors, services
from ..forms import AlertPreferenceForm, ResponseForm
from ..models import AlertPreference, ResponseAttachment


@role_required(Role.VCS_MEMBER)
def respond(request, pk):
    """Draft, edit and submit the organisation's response while the consultation is open."""
    today = timezone.localdate()
    consultation = get_object_or_404(
        selectors.consultations_visible_to(user=request.user)
        .filter(status="published")
        .select_related("body", "compact"),
        pk=pk,
    )
    organisations = selectors.responding_organisations(user=request.user)
    organisation = organisations.filter(slug=request.GET.get("for") or request.POST.get("for")).first()
    organisation = organisation or organisations.first()
    response = consultation.responses.filter(organisation=organisation).prefetch_related("attachments").first()
    is_open = rules.phase(opens=consultation.open_date, closes=consultation.close_date, today=today) == "open"
    form = ResponseForm(request.POST or None, request.FILES or None, instance=response)
    if request.method == "POST":
        try:
            services.check_responses_open(consultation=consultation, today=today)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("consultations:respond", pk=pk)
        if form.is_valid():
            submit = request.POST.get("action") == "submit"
            try:
                response = services.response_save(
                    consultation=consultation,
                    organisation=organisation,
                    actor=request.user,
                    today=today,
                    text=form.cleaned_data["text"],
                    represents=form.cleaned_data["represents"],
                    how_gathered=form.cleaned_data["how_gathered"],
                    may_publish=form.cleaned_data["may_publish"],
                    submit=submit,
                    attachments=form.cleaned_data["attachments"] or [],
                )
            except SERVICE_ERRORS as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    f"Your response is submitted to {consultation.body}. You can change it until "
                    f"{date_format(consultation.close_date)}."
                    if submit
                    else (
                        "Your changes are saved; the response stays submitted."
                        if response.status == "submitted"
                        else "Your draft is saved. Submit it before the consultation closes."
                    ),
                )
                return redirect("consultations:respond", pk=pk)
    return render(
        request,
        "consultations/respond.html",
        {
            "consultation": consultation,
            "organisation": organisation,
            "organisations": organisations,
            "response": response,
            "form": form,
            "is_open": is_open,
            "today": today,
            "days_left": rules.days_left(closes=consultation.close_date, today=today),
        },
    )


@require_POST
@role_required(Role.VCS_MEMBER)
def attachment_remove(request, pk):
    attachment = get_object_or_404(
        ResponseAttachment.objects.select_related("response__consultation"),
        pk=pk,
        response__organisation__in=selectors.responding_organisations(user=request.user),
    )
    try:
        services.attachment_remove(attachment=attachment, today=timezone.localdate())
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"“{attachment.original_name}” is removed.")
    return redirect("consultations:respond", pk=attachment.response.consultation_id)


def attachment_download(request, pk):
    """A response's attachment, for whoever may see the response (confidential ones: body and champions)."""
    attachment = get_object_or_404(ResponseAttachment.objects.select_related("response__consultation"), pk=pk)
    if not selectors.response_visible_to(user=request.user, response=attachment.response):
        raise Http404("No such file")
    return attachment_response(attachment.file, filename=attachment.original_name, content_type=attachment.content_type)


@role_required(Role.VCS_MEMBER)
def my_responses(request):
    today = timezone.localdate()
    return render(
        request,
        "consultations/my_responses.html",
        {"responses": selectors.responses_for_user(user=request.user), "today": today},
    )


@login_required
def alert_preferences(request):
    """Choose e-mails about consultations opening in chosen policy areas, and reminders before close."""
    if not request.user.has_role(Role.VCS_MEMBER, Role.OFFICER, Role.CHAMPION):
        raise PermissionDenied("Alerts are for members of signatory organisations.")
    preference = AlertPreference.objects.filter(user=request.user).first()
    form = AlertPreferenceForm(request.POST or None, instance=preference)
    if request.method == "POST" and form.is_valid():
        services.alert_preference_save(user=request.user, **form.cleaned_data)
        messages.success(request, "Your e-mail choices are saved.")
        return redirect("consultations:alerts")
    return render(request, "consultations/alerts.html", {"form": form})
