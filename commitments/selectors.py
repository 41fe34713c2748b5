"""Reads about organisations, shared by the directory, workspaces and later the dashboards."""

from django.db.models import QuerySet

from .models import Organisation


def organisation_list(*, side: str = "") -> QuerySet[Organisation]:
    organisations = Organisation.objects.all()
    if side:
        organisations = organisations.filter(side=side)
    return organisations.order_by("name")
