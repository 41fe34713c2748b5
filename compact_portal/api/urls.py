from django.urls import include, path
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularSwaggerView

app_name = "api"

# Each app declares its endpoints in its own api.py; they are included here by name, as compact_portal/urls.py
# includes the apps' pages, so the project's package imports none of the apps.
urlpatterns = [
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="schema"),  # JSON, as its name says
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    # Public, read-only: no sign-in. Any text reaches the view (str, not slug), so an unknown record is the API's
    # JSON 404 rather than the site's page.
    path("", include("commitments.api")),
    path("", include("disputes.api")),
    path("", include("consultations.api")),
    # A body's finance system, with a token of the body: invoices and payments in, its invoices out
    path("", include("funding.api")),
]
