"""The public API of compacts (with their commitments, each rule and its clause), their signatories (the
directory's public fields) and their headline figures (the dashboard's shares kept, explained and broken): what the
public pages show, read-only, with no sign-in."""

import datetime

from django.db.models import Max, Prefetch
from django.urls import path
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from compact_portal.api.conditional import ConditionalGetMixin
from compact_portal.api.public import DETAIL_ERRORS, INVALID, LIST_ERRORS, PublicDetailView, PublicListView
from compact_portal.filters import StableOrdering

from . import selectors
from .filters import SignatoryFilter
from .forms import PeriodForm
from .models import Commitment, Compact, MeasurableRule, Organisation, Side, Signature, SignatureStatus
from .rulebook import PORTAL_DEFAULTS
from .selectors import dashboard as dashboard_selectors

# The numbers a compact's page states in "What it promises, in numbers".
COMPACT_SETTINGS = (
    "consultation_min_weeks",
    "feedback_due_weeks",
    "notice_months",
    "decision_lead_months",
    "min_funding_years",
    "payment_working_days",
    "dispute_acknowledge_days",
    "dispute_informal_days",
    "dispute_formal_days",
    "dispute_appeal_decision_days",
)
LONGEST_PERIOD_YEARS = 5  # the figures' trend has a bar per month or quarter: a longer period asks too much at once


def _history_changed(model, **filters) -> datetime.datetime | None:
    return model.history.filter(**filters).aggregate(latest=Max("history_date"))["latest"]


# --- Compacts and their commitments ----------------------------------------------------------------------------


class CompactSerializer(serializers.ModelSerializer):
    signatory_count = serializers.IntegerField(read_only=True, help_text="Organisations that have signed it.")
    url = serializers.SerializerMethodField(help_text="Its page on the portal.")

    class Meta:
        model = Compact
        fields = [
            "slug",
            "name",
            "area",
            "summary",
            "status",
            "adopted_date",
            "next_review_date",
            "source_document",
            "nation",
            "signatory_count",
            "url",
        ]

    def get_url(self, compact) -> str:
        return self.context["request"].build_absolute_uri(compact.get_absolute_url())


class PrincipleSerializer(serializers.Serializer):
    number = serializers.CharField()
    title = serializers.CharField()
    summary = serializers.CharField()


class SectionSerializer(serializers.Serializer):
    number = serializers.CharField()
    title = serializers.CharField()
    theme = serializers.CharField()
    side = serializers.CharField(help_text="Who undertakes its commitments.")


class CommitmentSerializer(serializers.ModelSerializer):
    clause = serializers.CharField(source="code", help_text='As the compact\'s document writes it, e.g. "13.3".')
    section = serializers.CharField(source="section.number")
    rule = serializers.CharField(
        source="rule_key", help_text="The measurable rule the portal checks it by; empty when it checks none."
    )

    class Meta:
        model = Commitment
        fields = ["clause", "section", "side", "summary", "reference", "rule"]


class RuleSerializer(serializers.Serializer):
    rule = serializers.CharField(help_text="The measurable rule's key.")
    label = serializers.CharField()
    clause = serializers.CharField(help_text="The clause of this compact that makes the promise; empty if none does.")
    promise = serializers.CharField(help_text="The promise in this compact's own numbers.")


# The compact's numbers, each an integer field: weeks, months, years or working days as its name says.
CompactSettingsSerializer = type(
    "CompactSettingsSerializer",
    (serializers.Serializer,),
    {name: serializers.IntegerField() for name in COMPACT_SETTINGS},
)


class CompactDetailSerializer(CompactSerializer):
    settings = serializers.SerializerMethodField()
    principles = PrincipleSerializer(many=True)
    sections = SectionSerializer(many=True)
    commitments = CommitmentSerializer(many=True, help_text="Every commitment, in the document's order.")
    rules = serializers.SerializerMethodField(
        help_text="Every rule the portal checks, with the clause of this compact that makes it (empty: none does, "
        "and the portal's default applies)."
    )

    class Meta(CompactSerializer.Meta):
        fields = [*CompactSerializer.Meta.fields, "settings", "principles", "sections", "commitments", "rules"]

    @extend_schema_field(CompactSettingsSerializer)
    def get_settings(self, compact) -> dict:
        return {name: getattr(compact, name) for name in COMPACT_SETTINGS}

    @extend_schema_field(RuleSerializer(many=True))
    def get_rules(self, compact) -> list:
        clauses = selectors.clauses_of(compact=compact)
        return [
            {
                "rule": rule.value,
                "label": rule.label,
                "clause": clauses.get(rule.value, ""),
                "promise": PORTAL_DEFAULTS[rule.value](compact) if rule.value in PORTAL_DEFAULTS else rule.label,
            }
            for rule in MeasurableRule
        ]


class CompactList(PublicListView):
    """Every compact on the portal, by name."""

    serializer_class = CompactSerializer
    filter_backends = ()

    def get_queryset(self):
        return selectors.compact_list().order_by("name", "pk")

    def last_modified(self):
        return _history_changed(Compact, id__in=[compact.pk for compact in self.answered])

    @extend_schema(responses={200: CompactSerializer(many=True), **LIST_ERRORS})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class CompactDetail(PublicDetailView):
    """One compact: its settings, principles, sections and commitments, and each rule the portal checks with the
    clause that makes it."""

    serializer_class = CompactDetailSerializer
    lookup_field = "slug"

    def get_queryset(self):
        return selectors.compact_list().prefetch_related(
            "principles",
            "sections",
            Prefetch(
                "commitments",
                queryset=Commitment.objects.select_related("section").order_by(
                    "section__position", "section__pk", "position", "pk"
                ),
            ),
        )

    def last_modified(self):
        return _history_changed(Compact, id=self.answered.pk) if self.answered else None

    @extend_schema(responses={200: CompactDetailSerializer, **DETAIL_ERRORS})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


# --- Signatories --------------------------------------------------------------------------------------------------


class SignatoryApiFilter(SignatoryFilter):
    """The directory's filters; its sort orders break ties on the organisation's id, so pages never overlap."""

    sort = StableOrdering(
        fields=(("name", "name"), ("organisation_type", "type"), ("first_signed", "signed")),
        field_labels={"name": "Name", "organisation_type": "Type", "first_signed": "Date signed"},
        label="Sort by",
    )


class SignedSerializer(serializers.ModelSerializer):
    compact = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    compact_name = serializers.CharField(source="compact.name")

    class Meta:
        model = Signature
        fields = ["compact", "compact_name", "signed_date"]


class SignatorySerializer(serializers.ModelSerializer):
    communities = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    first_signed = serializers.DateField(read_only=True, help_text="When it first signed a compact.")
    url = serializers.SerializerMethodField(help_text="Its page in the directory.")

    class Meta:
        model = Organisation
        fields = ["slug", "name", "side", "organisation_type", "area_served", "communities", "first_signed", "url"]

    def get_url(self, organisation) -> str:
        return self.context["request"].build_absolute_uri(organisation.get_absolute_url())


class SignatoryDetailSerializer(SignatorySerializer):
    """The directory entry as its public page shows it, and the compacts it has signed (never an application)."""

    services = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    compacts = serializers.SerializerMethodField(help_text="The compacts it has signed, by name.")

    class Meta(SignatorySerializer.Meta):
        fields = [
            *SignatorySerializer.Meta.fields,
            "aims_and_services",
            "services",
            "governing_document",
            "paid_staff",
            "org_id",
            "charity_number",
            "scottish_charity_number",
            "company_number",
            "address",
            "postcode",
            "email",
            "phone",
            "website",
            "compacts",
        ]

    @extend_schema_field(SignedSerializer(many=True))
    def get_compacts(self, organisation) -> list:
        signed = [s for s in organisation.signed if s.status == SignatureStatus.APPROVED]
        return SignedSerializer(signed, many=True).data


class SignatoryList(PublicListView):
    """The directory: organisations that have signed a compact, filtered as the directory page filters them."""

    serializer_class = SignatorySerializer
    filterset_class = SignatoryApiFilter

    def get_queryset(self):
        return selectors.signatories().order_by("name", "pk")

    @extend_schema(responses={200: SignatorySerializer(many=True), **LIST_ERRORS})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class SignatoryDetail(PublicDetailView):
    serializer_class = SignatoryDetailSerializer
    lookup_field = "slug"

    def get_queryset(self):
        signed = Signature.objects.filter(status=SignatureStatus.APPROVED).select_related("compact")
        return selectors.signatories().prefetch_related(
            "services", Prefetch("signatures", queryset=signed.order_by("compact__name", "pk"), to_attr="signed")
        )

    @extend_schema(responses={200: SignatoryDetailSerializer, **DETAIL_ERRORS})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


# --- Headline figures -----------------------------------------------------------------------------------------------


class ShareSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text="Records counted.")
    kept = serializers.IntegerField(source="met")
    explained = serializers.IntegerField()
    broken = serializers.IntegerField()
    kept_percent = serializers.IntegerField(source="percent", allow_null=True, help_text="None when none counted.")
    explained_percent = serializers.IntegerField(allow_null=True)
    broken_percent = serializers.IntegerField(allow_null=True)


class StepSerializer(ShareSerializer):
    label = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()


class PeriodSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()


class FigureSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The figure's key in the portal's figure registry.")
    label = serializers.CharField()
    rule = serializers.CharField(help_text="The measurable rule it measures.")
    clause = serializers.CharField(help_text="The clause that makes the promise, or the portal's default.")
    by_value = serializers.BooleanField(help_text="A share of pounds, not of records.")
    current = ShareSerializer()
    previous = ShareSerializer(help_text="The period before, of the same length.")
    trend = StepSerializer(many=True, help_text="The period step by step (months, or quarters).")


class FiguresSerializer(serializers.Serializer):
    compact = serializers.CharField()
    period = PeriodSerializer()
    previous = PeriodSerializer()
    step = serializers.CharField(help_text="month or quarter: the trend's steps.")
    signatories = serializers.DictField(
        child=serializers.IntegerField(), help_text="Signatories on each side at the period's end."
    )
    figures = FigureSerializer(many=True)


def _share(share, **extra) -> dict:
    return {
        "total": share.total,
        "met": share.met,
        "explained": share.explained,
        "broken": share.broken,
        "percent": share.percent,
        "explained_percent": share.explained_percent,
        "broken_percent": share.broken_percent,
        **extra,
    }


PERIOD_PARAMETERS = [
    OpenApiParameter("year", OpenApiTypes.INT, description="A year (with quarter: one quarter of it)."),
    OpenApiParameter("quarter", OpenApiTypes.INT, enum=[1, 2, 3, 4], description="1 to 4, with year."),
    OpenApiParameter("start", OpenApiTypes.DATE, description="Any period: its first day, with end."),
    OpenApiParameter("end", OpenApiTypes.DATE, description="Its last day, with start."),
    OpenApiParameter("step", OpenApiTypes.STR, enum=["month", "quarter"], description="The trend's steps."),
]


class CompactFigures(ConditionalGetMixin, APIView):
    """A compact's headline figures for a period, as its dashboard shows them: for each promise the portal
    measures, the shares kept, explained and broken, with the period before and a trend. Counts only, never a
    record. With no period given, the current quarter."""

    authentication_classes = ()

    @extend_schema(parameters=PERIOD_PARAMETERS, responses={200: FiguresSerializer, 400: INVALID, **DETAIL_ERRORS})
    def get(self, request, slug):
        try:
            compact = Compact.objects.get(slug=slug)
        except Compact.DoesNotExist:
            raise NotFound("No such compact.") from None
        today = timezone.localdate()
        form = PeriodForm(request.query_params or None, today=today)
        if form.is_bound and not form.is_valid():
            raise ValidationError({name: list(errors) for name, errors in form.errors.items()})
        period = form.period
        if period.days > LONGEST_PERIOD_YEARS * 366:
            raise ValidationError({"end": [f"Choose a period of at most {LONGEST_PERIOD_YEARS} years."]})
        figures = dashboard_selectors.compact_figures(
            compact=compact, period=period, today=today, step=form.cleaned_data.get("step") if form.is_bound else None
        )
        data = {
            "compact": compact.slug,
            "period": {"start": period.start, "end": period.end},
            "previous": {"start": figures.previous.start, "end": figures.previous.end},
            "step": figures.step,
            "signatories": {side: figures.signatories[side][0] for side in Side.values},
            "figures": [
                {
                    "key": figure.key,
                    "label": figure.label,
                    "rule": figure.rule,
                    "clause": figure.clause,
                    "by_value": figure.by_value,
                    "current": _share(figure.current),
                    "previous": _share(figure.previous),
                    "trend": [
                        _share(share, label=label, start=step.start, end=step.end)
                        for share, label, step in zip(figure.trend, figures.step_labels, figures.steps, strict=True)
                    ],
                }
                for figure in figures.shares
            ],
        }
        return Response(FiguresSerializer(data).data)


# Gathered under /api/v1/ (and the api namespace) by compact_portal/api/urls.py.
urlpatterns = [
    path("compacts/", CompactList.as_view(), name="compact_list"),
    path("compacts/<str:slug>/", CompactDetail.as_view(), name="compact_detail"),
    path("compacts/<str:slug>/figures/", CompactFigures.as_view(), name="compact_figures"),
    path("signatories/", SignatoryList.as_view(), name="signatory_list"),
    path("signatories/<str:slug>/", SignatoryDetail.as_view(), name="signatory_detail"),
]
