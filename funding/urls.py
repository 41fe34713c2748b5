from django.urls import path

from . import views

app_name = "funding"

urlpatterns = [
    path("", views.relationship_list, name="list"),
    path("new/", views.relationship_create, name="relationship_create"),
    path("import/", views.funding_import_view, name="import"),
    path("export/awards.csv", views.awards_csv, name="awards_csv"),
    path("export/360giving.json", views.awards_360giving, name="awards_360giving"),
    path("dates/", views.dates_preview, name="dates_preview"),
    path("<int:pk>/", views.relationship_detail, name="relationship_detail"),
    path("<int:pk>/edit/", views.relationship_edit, name="relationship_edit"),
    path("<int:pk>/decisions/new/", views.decision_create, name="decision_create"),
    path("decisions/<int:pk>/explain/", views.decision_explain, name="decision_explain"),
    path("<int:pk>/invoices/new/", views.invoice_create, name="invoice_create"),
    path("<int:pk>/notices/new/", views.notice_create, name="notice_create"),
    path("invoices/<int:pk>/edit/", views.invoice_edit, name="invoice_edit"),
    path("invoices/<int:pk>/payments/new/", views.payment_create, name="payment_create"),
    path("notices/<int:pk>/", views.notice_detail, name="notice_detail"),
    path("notices/<int:pk>/edit/", views.notice_edit, name="notice_edit"),
    path("organisations/<slug:slug>/", views.recipient_overview, name="recipient_overview"),
]
