"""The public API of the consultation register: published consultations, filtered as the register page filters
them, each with its length, whether it was announced before it opened, and its feedback once published."""

from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import NotFound

from compact_portal.api.public import DETAIL_ERRORS, LIST_ERRORS, PublicDetailView, PublicListView
from compact_portal.filters import StableOrdering

from . import rules, selectors
from .filters import RegisterFilter
from .models import Feedback


class RegisterApiFilter(RegisterFilter):
    """The register's filters; its sort orders break ties on the consultation's id, so pages never overlap."""

    sort = StableOrdering(
        fields=(("close_date", "closes"), ("open_date", "opens"), ("title", "title")),
        field_labels={"close_date": "Closing date", "open_date": "Opening date", "title": "Title"},
        label="Sort by",
    )


class FeedbackSerializer(serializers.ModelSerializer):
    class Meta:
        model = Feedback
        fields = ["published_on", "summary_of_responses", "what_changed", "what_did_not_change"]


class ConsultationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    title = serializers.CharField()
    summary = serializers.CharField()
    compact = serializers.CharField(source="compact.slug")
    body = serializers.CharField(source="body.slug", help_text="The public body running it (a signatory's slug).")
    body_name = serializers.CharField(source="body.name")
    policy_area = serializers.CharField(source="policy_area.slug")
    formal = serializers.BooleanField(help_text="A formal written consultation (the compact's minimum applies).")
    phase = serializers.ChoiceField(choices=["forthcoming", "open", "closed"])
    announced_date = serializers.DateField(allow_null=True)
    announced_in_time = serializers.SerializerMethodField(help_text="Announced before it opened.")
    open_date = serializers.DateField()
    close_date = serializers.DateField()
    length_days = serializers.IntegerField(help_text="How many days it runs, the first and last included.")
    minimum_days = serializers.IntegerField(help_text="The compact's minimum length, in days.")
    shorter_than_minimum = serializers.BooleanField(help_text="A formal consultation shorter than the minimum.")
    shorter_explanation = serializers.CharField(help_text="The body's explanation, when it is shorter.")
    feedback_due = serializers.DateField(help_text="The last day for its feedback.")
    feedback_standing = serializers.SerializerMethodField(
        help_text="not_due_yet, due, overdue, published_on_time or published_late."
    )
    feedback = serializers.SerializerMethodField(help_text="The body's feedback, once published.")
    url = serializers.SerializerMethodField(help_text="Its page on the portal.")

    def get_announced_in_time(self, consultation) -> bool:
        return rules.announced_in_time(announced=consultation.announced_date, opens=consultation.open_date)

    def get_feedback_standing(self, consultation) -> str:
        feedback = _feedback(consultation)
        return rules.feedback_standing(
            closes=consultation.close_date,
            due_by=consultation.feedback_due,
            published=feedback.published_on if feedback else None,
            today=self.context["today"],
        )

    @extend_schema_field(FeedbackSerializer(allow_null=True))
    def get_feedback(self, consultation):
        feedback = _feedback(consultation)
        return FeedbackSerializer(feedback).data if feedback else None

    def get_url(self, consultation) -> str:
        return self.context["request"].build_absolute_uri(consultation.get_absolute_url())


class ConsultationDetailSerializer(ConsultationSerializer):
    """As the consultation's public page shows it."""

    methods = serializers.CharField()
    open_to_change = serializers.CharField()
    not_open_to_change = serializers.CharField()
    formats_and_languages = serializers.CharField()
    foi_statement = serializers.CharField()
    document_link = serializers.CharField()
    contact_name = serializers.CharField()
    contact_email = serializers.CharField()


def _feedback(consultation) -> Feedback | None:
    return getattr(consultation, "feedback", None)


class _Register:
    serializer_class = ConsultationSerializer

    def get_queryset(self):
        self.today = timezone.localdate()
        return selectors.register(today=self.today).select_related("feedback").order_by("-open_date", "title", "pk")

    def get_serializer_context(self):
        return super().get_serializer_context() | {"today": getattr(self, "today", None) or timezone.localdate()}


class ConsultationList(_Register, PublicListView):
    """The consultation register: forthcoming, open and closed consultations, latest opening first."""

    filterset_class = RegisterApiFilter

    @extend_schema(responses={200: ConsultationSerializer(many=True), **LIST_ERRORS})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ConsultationDetail(_Register, PublicDetailView):
    serializer_class = ConsultationDetailSerializer

    def get_object(self):
        if not self.kwargs["pk"].isdigit():  # any text reaches the view: a JSON 404, not the site's page
            raise NotFound("No such consultation.")
        return super().get_object()

    @extend_schema(responses={200: ConsultationDetailSerializer, **DETAIL_ERRORS})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


# Gathered under /api/v1/ (and the api namespace) by compact_portal/api/urls.py.
urlpatterns = [
    path("consultations/", ConsultationList.as_view(), name="consultation_list"),
    path("consultations/<str:pk>/", ConsultationDetail.as_view(), name="consultation_detail"),
]
