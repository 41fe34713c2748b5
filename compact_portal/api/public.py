"""What every public, read-only endpoint shares: pages, cheap polling, the answers it documents besides 200."""

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import generics, serializers
from rest_framework.pagination import PageNumberPagination

from .conditional import ConditionalGetMixin, latest


class PublicPagination(PageNumberPagination):
    """``?page=`` (from 1) and ``?page_size=`` (up to 200; 50 unless given). A page past the last is a 404."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


_PROBLEM = inline_serializer("Problem", {"detail": serializers.CharField()})
# A filter's wrong value is answered with the field's messages: {"compact": ["Select a valid choice..."]}.
_INVALID = inline_serializer(
    "InvalidQuery", {"field_name": serializers.ListField(child=serializers.CharField(), required=False)}
)

NOT_FOUND = OpenApiResponse(_PROBLEM, description="No such record, or a page past the last.")
INVALID = OpenApiResponse(_INVALID, description="A query parameter's value is not one the endpoint accepts.")
THROTTLED = OpenApiResponse(_PROBLEM, description="Too many requests from this address; try again later.")
NOT_MODIFIED = OpenApiResponse(description="The caller's copy (If-None-Match) is current.")

LIST_ERRORS = {304: NOT_MODIFIED, 400: INVALID, 404: NOT_FOUND, 429: THROTTLED}
DETAIL_ERRORS = {304: NOT_MODIFIED, 404: NOT_FOUND, 429: THROTTLED}


class PublicListView(ConditionalGetMixin, generics.ListAPIView):
    """A public list: no sign-in, pages, an ``ETag``, and a ``Last-Modified`` from the page's ``updated_at``
    when its records have one (``modified_field``)."""

    authentication_classes = ()  # public: a token neither helps nor is checked
    pagination_class = PublicPagination
    modified_field = "updated_at"
    answered = ()

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        self.answered = page if page is not None else ()
        return page

    def last_modified(self):
        return latest(*(getattr(record, self.modified_field, None) for record in self.answered))


class PublicDetailView(ConditionalGetMixin, generics.RetrieveAPIView):
    authentication_classes = ()
    modified_field = "updated_at"
    answered = None

    def get_object(self):
        self.answered = super().get_object()
        return self.answered

    def last_modified(self):
        return getattr(self.answered, self.modified_field, None)
