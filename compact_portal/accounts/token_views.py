"""The API tokens page: an officer makes a token for their body (its secret shown once), sees their bodies' tokens
and revokes one. The writes are ``compact_portal/accounts/tokens.py``'s."""

import datetime

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from compact_portal.forms import DATE_INPUT, SERVICE_ERRORS, add_service_errors

from .models import ApiToken
from .permissions import role_required
from .roles import Role
from .tokens import token_bodies, token_create, token_revoke, tokens_of

DEFAULT_LIFETIME = datetime.timedelta(days=365)


class ApiTokenForm(forms.Form):
    organisation = forms.ModelChoiceField(queryset=None, label="Body", empty_label=None)
    name = forms.CharField(max_length=100, label="Name", help_text='What will use it, e.g. "Finance system (Agresso)".')
    may_write_invoices = forms.BooleanField(label="May record invoices", required=False, initial=True)
    may_write_payments = forms.BooleanField(label="May record payments", required=False, initial=True)
    expires_on = forms.DateField(
        label="Expires on",
        required=False,
        widget=DATE_INPUT,
        help_text="The token stops working at the end of this day. Leave blank for a token that does not expire.",
    )

    def __init__(self, *args, user, **kwargs):
        initial = {"expires_on": timezone.localdate() + DEFAULT_LIFETIME}
        super().__init__(*args, initial=initial, **kwargs)
        self.fields["organisation"].queryset = token_bodies(user=user)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.add_input(Submit("submit", "Make the token"))

    def clean_expires_on(self):
        day = self.cleaned_data["expires_on"]
        if day is not None and day < timezone.localdate():
            raise forms.ValidationError("The expiry must be today or later.")
        return day


def _end_of(day: datetime.date | None) -> datetime.datetime | None:
    if day is None:
        return None
    return timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min))


@role_required(Role.OFFICER)
def api_tokens(request):
    """The officer's bodies' tokens and the form that makes one; a new token's secret is shown on this answer only."""
    form = ApiTokenForm(request.POST or None, user=request.user)
    secret = made = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            made, secret = token_create(
                organisation=data["organisation"],
                actor=request.user,
                name=data["name"],
                may_write_invoices=data["may_write_invoices"],
                may_write_payments=data["may_write_payments"],
                expires_at=_end_of(data["expires_on"]),
            )
        except SERVICE_ERRORS as error:
            add_service_errors(form, error)
        else:
            form = ApiTokenForm(user=request.user)
    response = render(
        request,
        "accounts/api_tokens.html",
        {"form": form, "tokens": tokens_of(user=request.user), "secret": secret, "made": made, "now": timezone.now()},
    )
    response["Cache-Control"] = "no-store"  # the secret must not stay in a cache
    return response


@role_required(Role.OFFICER)
@require_POST
def api_token_revoke(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, organisation__in=token_bodies(user=request.user))
    token_revoke(token=token, actor=request.user)
    messages.success(request, f"The token “{token.name}” is revoked: the next request made with it is refused.")
    return redirect("api_tokens")
