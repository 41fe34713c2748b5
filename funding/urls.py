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
    # Monitoring (12, 17): plans, returns, templates, significant changes, improvement timetables.
    path("<int:pk>/monitoring/", views.monitoring_plan, name="monitoring_plan"),
    path("<int:pk>/improvement/new/", views.timetable_create, name="timetable_create"),
    path("improvement-actions/<int:pk>/done/", views.improvement_action_done, name="improvement_action_done"),
    path("returns/", views.return_list, name="return_list"),
    path("returns/<int:pk>/", views.return_detail, name="return_detail"),
    path("returns/<int:pk>/files/<int:document_pk>/", views.return_document, name="return_document"),
    path("monitoring-templates/", views.template_list, name="template_list"),
    path("monitoring-templates/new/", views.template_create, name="template_create"),
    path("monitoring-templates/<int:pk>/edit/", views.template_edit, name="template_edit"),
    # Planned changes to funding: the deadline planner (Nottinghamshire KP3.1).
    path("proposals/", views.proposal_list, name="proposal_list"),
    path("proposals/new/", views.proposal_create, name="proposal_create"),
    path("proposals/<int:pk>/", views.proposal_detail, name="proposal_detail"),
    path("proposals/<int:pk>/edit/", views.proposal_edit, name="proposal_edit"),
    path("proposals/<int:pk>/status/", views.proposal_status, name="proposal_status"),
    path("proposals/<int:pk>/statement.pdf", views.proposal_pdf, name="proposal_pdf"),
    path("proposal-steps/<int:pk>/done/", views.proposal_step_done, name="proposal_step_done"),
    path(
        "organisations/<slug:slug>/significant-change/",
        views.significant_change_create,
        name="significant_change_create",
    ),
]
