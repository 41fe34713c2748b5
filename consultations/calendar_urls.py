"""The address of each compact's calendar of consultation closing dates, beside the compact's own pages
(/compacts/<slug>/...), which the commitments app serves without knowing about consultations."""

from django.urls import path

from . import calendar

urlpatterns = [
    path("compacts/<slug:slug>/consultations.ics", calendar.closing_dates, name="consultation_calendar"),
]
