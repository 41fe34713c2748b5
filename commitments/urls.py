from django.urls import path

from . import views
from .views import group as group_views
from .views import plans as plan_views

app_name = "commitments"

urlpatterns = [
    path("compacts/", views.compact_list, name="compact_list"),
    path("compacts/applications/", views.applications, name="applications"),
    path("compacts/applications/<int:pk>/", views.application_decide, name="application_decide"),
    path("compacts/<slug:slug>/", views.compact_detail, name="compact_detail"),
    path("compacts/<slug:slug>/sign-up/", views.compact_sign_up, name="sign_up"),
    path(
        "compacts/<slug:slug>/sign-up/<slug:organisation_slug>/",
        views.compact_sign_up_existing,
        name="sign_up_existing",
    ),
    path("compacts/<slug:slug>/dashboard/", views.dashboard, name="dashboard"),
    path("compacts/<slug:slug>/dashboard/records/<slug:key>/", views.figure_records, name="figure_records"),
    path("compacts/<slug:slug>/health-check/<slug:organisation_slug>/", views.scorecard, name="scorecard"),
    path("compacts/<slug:slug>/reports/", views.reports, name="reports"),
    path("compacts/<slug:slug>/action-plan/", plan_views.action_plan, name="action_plan"),
    path("compacts/<slug:slug>/action-plan/objectives/add/", plan_views.objective_create, name="objective_create"),
    path(
        "compacts/<slug:slug>/action-plan/objectives/<int:pk>/edit/", plan_views.objective_edit, name="objective_edit"
    ),
    path("compacts/<slug:slug>/action-plan/actions/add/", plan_views.plan_action_create, name="plan_action_create"),
    path("compacts/<slug:slug>/action-plan/actions/<int:pk>/", plan_views.plan_action, name="plan_action"),
    path(
        "compacts/<slug:slug>/action-plan/actions/<int:pk>/edit/", plan_views.plan_action_edit, name="plan_action_edit"
    ),
    path(
        "compacts/<slug:slug>/action-plan/actions/<int:pk>/status/",
        plan_views.plan_action_status,
        name="plan_action_status",
    ),
    path(
        "compacts/<slug:slug>/action-plan/actions/<int:pk>/notes/",
        plan_views.progress_note_create,
        name="progress_note_create",
    ),
    path("compacts/<slug:slug>/reviews/", plan_views.reviews, name="reviews"),
    path("compacts/<slug:slug>/reviews/record/", plan_views.review_create, name="review_create"),
    path("compacts/<slug:slug>/group/", group_views.group, name="group"),
    path("compacts/<slug:slug>/group/members/add/", group_views.group_member_add, name="group_member_add"),
    path("compacts/<slug:slug>/group/chair/", group_views.group_chair, name="group_chair"),
    path(
        "compacts/<slug:slug>/group/members/<int:pk>/leave/", group_views.group_member_leave, name="group_member_leave"
    ),
    path("compacts/<slug:slug>/group/meetings/record/", group_views.meeting_record, name="meeting_record"),
    path("compacts/<slug:slug>/group/meetings/<int:pk>/", group_views.meeting_detail, name="meeting_detail"),
    path("compacts/<slug:slug>/group/meetings/<int:pk>/edit/", group_views.meeting_update, name="meeting_update"),
    path("compacts/<slug:slug>/group/meetings/<int:pk>/pack.pdf", group_views.meeting_pack, name="meeting_pack"),
    path("reports/<int:pk>/", views.report_detail, name="report_detail"),
    path("reports/<int:pk>/download/", views.report_download, name="report_download"),
    path("reports/<int:pk>/tables/<slug:table>.csv", views.report_table_csv, name="report_table_csv"),
    path("signatories/", views.directory, name="directory"),
    path("signatories/import/", views.organisations_import_view, name="import"),
    path("signatories/registration-numbers/", views.identifier_changes, name="identifier_changes"),
    path(
        "signatories/registration-numbers/<int:pk>/",
        views.identifier_change_decide_view,
        name="identifier_change_decide",
    ),
    path("signatories/<slug:slug>/", views.signatory_detail, name="signatory_detail"),
    path("signatories/<slug:slug>/edit/", views.signatory_edit, name="signatory_edit"),
    path(
        "signatories/<slug:slug>/registration-numbers/",
        views.identifier_change_request_view,
        name="identifier_change_request",
    ),
    path("signatories/<slug:slug>/withdraw/<int:pk>/", views.signature_withdraw, name="withdraw"),
    path("champions/", views.champion_desk, name="champion_desk"),
    path("flags/", views.flag_list, name="flag_list"),
    path("flags/flags.csv", views.flags_csv, name="flags_csv"),
    path("flags/<int:pk>/", views.flag_detail, name="flag_detail"),
    path("flags/<int:pk>/waive/", views.flag_waive, name="flag_waive"),
    path("flags/<int:pk>/reopen/", views.flag_reopen, name="flag_reopen"),
]
