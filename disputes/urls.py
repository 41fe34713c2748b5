from django.urls import path

from . import views

app_name = "disputes"

urlpatterns = [
    path("", views.case_list, name="case_list"),
    path("raise/", views.raise_choose, name="raise"),
    path("raise/draft/discard/", views.draft_discard, name="draft_discard"),
    path("raise/draft/files/<int:pk>/remove/", views.draft_document_remove, name="draft_document_remove"),
    path("raise/<slug:compact>/", views.raise_concern, name="raise_concern"),
    path("panel/", views.panel, name="panel"),
    path("casework/<slug:compact>/", views.casework_record, name="casework_record"),
    path("<str:reference>/", views.case_detail, name="case_detail"),
    path("<str:reference>/steps/<slug:action>/", views.case_action, name="case_action"),
    path("<str:reference>/documents/<int:pk>/", views.document_download, name="document_download"),
]
