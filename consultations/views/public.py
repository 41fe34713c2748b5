"""The public register and each consultation's public page."""

from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from commitments.models import RecordType
from commitments.selectors import flags_on_records
from compact_portal.pagination import page_of
from compact_portal.uploads import attachment_response

from .. import rules, selectors
from ..filters import RegisterFilter
from ..gaps import consultation_gaps
from ..models import Consultation, ConsultationDocument

REGISTER_PAGE_SIZE = 20


def register(request):
    """Forthcoming, open and closed consultations, with search, filters, sort and pages."""
    today = timezone.localdate()
    register_filter = RegisterFilter(
        request.GET, queryset=selectors.register(today=today).order_by("-open_date", "title")
    )
    page, query = page_of(request, register_filter.qs, per_page=REGISTER_PAGE_SIZE)
    return render(
        request,
        "consultations/register.html",
        {"filter": register_filter, "page_obj": page, "query": query, "today": today},
    )


def detail(request, pk):
    today = timezone.localdate()
    try:
        consultation = selectors.consultation_detail(user=request.user, pk=pk, today=today)
    except Consultation.DoesNotExist:
        raise Http404("No such consultation") from None
    feedback = getattr(consultation, "feedback", None)
    own_response = None
    organisations = selectors.responding_organisations(user=request.user)
    if request.user.is_authenticated:
        own_response = consultation.responses.filter(organisation__in=organisations).first()
    can_manage = selectors.consultations_managed_by(user=request.user).filter(pk=pk).exists()
    return render(
        request,
        "consultations/detail.html",
        {
            "consultation": consultation,
            "flags": flags_on_records(records={RecordType.CONSULTATION: [consultation.pk]}, user=request.user),
            "today": today,
            "days_left": rules.days_left(closes=consultation.close_date, today=today),
            "announced_in_time": rules.announced_in_time(
                announced=consultation.announced_date, opens=consultation.open_date
            ),
            "feedback": feedback,
            "feedback_standing": rules.feedback_standing(
                closes=consultation.close_date,
                due_by=consultation.feedback_due,
                published=feedback.published_on if feedback else None,
                today=today,
            ),
            "published_responses": selectors.published_responses(consultation=consultation) if feedback else [],
            "can_respond": organisations.exists() if request.user.is_authenticated else False,
            "own_response": own_response,
            "can_manage": can_manage,
            "gaps": consultation_gaps(consultation) if can_manage else [],  # 3.7, with where to explain it
            "sees_responses": selectors.may_see_all_responses(user=request.user, consultation=consultation),
        },
    )


def document_download(request, pk):
    """A consultation document, for whoever may see the consultation."""
    document = get_object_or_404(
        ConsultationDocument.objects.exclude(file=""),
        pk=pk,
        consultation__in=selectors.consultations_visible_to(user=request.user),
    )
    return attachment_response(document.file, filename=document.original_name, content_type=document.content_type)
