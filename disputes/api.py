"""The public API of a compact's casework record: its Compact concerns counted without names, as the public
casework page shows them (by stage, by outcome, by kind of body concerned, by commitment cited)."""

from django.db.models import Max
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from commitments.models import Compact
from compact_portal.api.conditional import ConditionalGetMixin
from compact_portal.api.public import DETAIL_ERRORS

from . import selectors
from .models import Concern


class TallySerializer(serializers.Serializer):
    label = serializers.CharField()
    count = serializers.IntegerField()


class CitedSerializer(serializers.Serializer):
    clause = serializers.CharField(source="code")
    summary = serializers.CharField()
    cited = serializers.IntegerField(help_text="Concerns that cite it.")
    found_broken = serializers.IntegerField(help_text="Concerns that found it broken.")


class CaseworkSerializer(serializers.Serializer):
    compact = serializers.CharField()
    total = serializers.IntegerField(help_text="Concerns raised under the compact so far.")
    by_stage = TallySerializer(many=True)
    by_outcome = TallySerializer(many=True, help_text="Finished concerns by outcome.")
    by_kind = TallySerializer(many=True, help_text="Concerns by the kind of body concerned.")
    by_commitment = CitedSerializer(many=True, help_text="Commitments cited, the most cited first.")


class CaseworkRecord(ConditionalGetMixin, APIView):
    """A compact's casework record: counts only, never a name, a reference or free text."""

    authentication_classes = ()
    changed = None

    @extend_schema(responses={200: CaseworkSerializer, **DETAIL_ERRORS})
    def get(self, request, slug):
        try:
            compact = Compact.objects.get(slug=slug)
        except Compact.DoesNotExist:
            raise NotFound("No such compact.") from None
        self.changed = Concern.objects.filter(compact=compact).aggregate(latest=Max("updated_at"))["latest"]
        record = selectors.casework_record(compact=compact)
        return Response(CaseworkSerializer({"compact": compact.slug, **record}).data)

    def last_modified(self):
        return self.changed


# Gathered under /api/v1/ (and the api namespace) by compact_portal/api/urls.py.
urlpatterns = [
    path("compacts/<str:slug>/casework/", CaseworkRecord.as_view(), name="casework_record"),
]
