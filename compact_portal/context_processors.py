from django.urls import reverse

from .navigation import links_for


def navigation(request):
    """The navigation links the visitor may use, each marked current when it is the page shown."""
    user = getattr(request, "user", None)
    roles = user.roles if user is not None and user.is_authenticated else frozenset()
    items = [{"label": link.label, "url": reverse(link.url_name)} for link in links_for(roles)]
    # The page is under the link with the longest matching address (/funding/returns/ is not also "Funding").
    within = [item["url"] for item in items if request.path.startswith(item["url"])]
    current = max(within, key=len, default=None)
    for item in items:
        item["current"] = item["url"] == current
    return {"nav_items": items, "user_roles": roles}
