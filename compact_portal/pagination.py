"""Pages of a filtered list, shared by the directory, the funding list and the consultation register."""

from django.core.paginator import Page, Paginator


def page_of(request, queryset, *, per_page: int) -> tuple[Page, str]:
    """The page of ``queryset`` the request asks for (a bad number gives the nearest page), and the
    request's query string without the page number, for the links in includes/pagination.html."""
    page = Paginator(queryset, per_page).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()
