from django.urls import path

from . import views

app_name = "disputes"

urlpatterns = [
    path("", views.my_concerns, name="my_concerns"),
    path("panel/", views.panel, name="panel"),
]
