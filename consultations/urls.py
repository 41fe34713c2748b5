from django.urls import path

from . import views

app_name = "consultations"

urlpatterns = [
    path("", views.register, name="register"),
]
