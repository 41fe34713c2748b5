from django.urls import path

from . import feeds, views

app_name = "consultations"

urlpatterns = [
    path("", views.register, name="register"),
    path("feeds/compacts/<slug:slug>.atom", feeds.compact_feed, name="feed_compact"),
    path("feeds/bodies/<slug:slug>.atom", feeds.body_feed, name="feed_body"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/respond/", views.respond, name="respond"),
    path("documents/<int:pk>/", views.document_download, name="document_download"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
    path("attachments/<int:pk>/remove/", views.attachment_remove, name="attachment_remove"),
    path("responses/", views.my_responses, name="my_responses"),
    path("alerts/", views.alert_preferences, name="alerts"),
    path("manage/", views.manage_list, name="manage"),
    path("manage/new/", views.consultation_create, name="create"),
    path("manage/<int:pk>/edit/", views.consultation_edit, name="edit"),
    path("manage/<int:pk>/publish/", views.consultation_publish, name="publish"),
    path("manage/<int:pk>/extend/", views.consultation_extend, name="extend"),
    path("manage/<int:pk>/documents/new/", views.document_add, name="document_add"),
    path("manage/<int:pk>/responses/", views.responses_list, name="responses"),
    path("manage/<int:pk>/responses.csv", views.responses_csv, name="responses_csv"),
    path("manage/<int:pk>/feedback/", views.feedback_publish, name="feedback"),
]
