from django.urls import path
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularSwaggerView

from commitments import api as commitments_api
from consultations import api as consultations_api
from disputes import api as disputes_api
from funding import api as funding_api

app_name = "api"

urlpatterns = [
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="schema"),  # JSON, as its name says
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    # Public, read-only: no sign-in. Any text reaches the view (str, not slug), so an unknown record is the API's
    # JSON 404 rather than the site's page.
    path("compacts/", commitments_api.CompactList.as_view(), name="compact_list"),
    path("compacts/<str:slug>/", commitments_api.CompactDetail.as_view(), name="compact_detail"),
    path("compacts/<str:slug>/figures/", commitments_api.CompactFigures.as_view(), name="compact_figures"),
    path("compacts/<str:slug>/casework/", disputes_api.CaseworkRecord.as_view(), name="casework_record"),
    path("signatories/", commitments_api.SignatoryList.as_view(), name="signatory_list"),
    path("signatories/<str:slug>/", commitments_api.SignatoryDetail.as_view(), name="signatory_detail"),
    path("consultations/", consultations_api.ConsultationList.as_view(), name="consultation_list"),
    path("consultations/<str:pk>/", consultations_api.ConsultationDetail.as_view(), name="consultation_detail"),
    # A body's finance system, with a token of the body: invoices and payments in, its invoices out
    path("invoices/", funding_api.InvoiceList.as_view(), name="invoices"),
    path("payments/", funding_api.PaymentCreate.as_view(), name="payments"),
]
