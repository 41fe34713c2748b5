"""The public open data addresses (/open-data/...): stable, for 360Giving to register and collect."""

from django.urls import path

from .views import open_data

app_name = "open_data"

urlpatterns = [
    path("", open_data.index, name="index"),
    path("360giving.json", open_data.giving360_all, name="giving360_all"),
    path("360giving/<str:key>.json", open_data.giving360_funder, name="giving360_funder"),
    path("publishing/<slug:slug>/", open_data.publishing, name="publishing"),
]
