from django.urls import path

from . import views

app_name = "commitments"

urlpatterns = [
    path("signatories/", views.directory, name="directory"),
    path("champions/", views.champion_desk, name="champion_desk"),
]
