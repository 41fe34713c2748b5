from django.urls import reverse

from .navigation import links_for


def navigation(request):
    """The navigation links the visitor may use, each marked current when it is the page shown."""
    user = getattr(request, "user", None)
    roles = user.roles if user is not None and user.is_authenticated else frozenset()
    items = []
    for link in links_for(roles):
        url = reverse(link.url_name)
        items.append({"label": link.label, "url": url, "current": request.path.startswith(url)})
    return {"nav_items": items, "user_roles": roles}
