from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("healthz", views.healthz, name="healthz"),
    path("account/", include("compact_portal.accounts.urls")),
    path("", include("commitments.urls")),
    path("", include("consultations.calendar_urls")),  # /compacts/<slug>/consultations.ics
    path("funding/", include("funding.urls")),
    path("consultations/", include("consultations.urls")),
    path("concerns/", include("disputes.urls")),
    path("api/v1/", include("compact_portal.api.urls")),
    path("open-data/", include("funding.open_data_urls")),
    path("admin/", admin.site.urls),
]
