from django.shortcuts import render


def register(request):
    """The public register of consultations (filled in by the consultations issue)."""
    return render(request, "consultations/register.html")
