import secrets
import time

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import match_token

from compact_portal import calendar
from compact_portal.forms import SERVICE_ERRORS, add_service_errors

from . import emails, selectors, services
from .forms import (
    EmailPreferencesForm,
    PortalPasswordChangeForm,
    PortalPasswordResetForm,
    PortalSetPasswordForm,
    SignInForm,
    TwoFactorCodeForm,
    TwoFactorSetUpForm,
    TwoFactorTurnOffForm,
)
from .models import User
from .roles import Role
from .security import TOO_MANY_REQUESTS, posted_email, rate_limited, refuse_over_limit
from .selectors import memberships_for_user

# After a right password, a person with two-factor sign-in on has this long to type the code.
TWO_FACTOR_PENDING = "two_factor_pending"
TWO_FACTOR_SECONDS = 5 * 60


class SignInView(auth_views.LoginView):
    """E-mail and password; then, for a person with two-factor sign-in on, the code (``sign_in_code``)."""

    form_class = SignInForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        user = form.get_user()
        if selectors.two_factor_device(user=user) is None:
            return super().form_valid(form)
        # Not signed in yet: only the code page knows who is half-way, and only for a few minutes.
        self.request.session.cycle_key()
        self.request.session[TWO_FACTOR_PENDING] = {
            "user": user.pk,
            "backend": user.backend,
            "next": self.get_success_url(),
            "at": time.time(),
        }
        return redirect("login_code")


@sensitive_post_parameters("code")
def sign_in_code(request):
    """The second step of signing in: the authenticator app's code or a recovery code.

    A wrong code counts as a failed sign-in of the account, so guessing codes ends in the same lockout as
    guessing passwords.
    """
    pending = request.session.get(TWO_FACTOR_PENDING)
    user = None
    if pending and time.time() - pending["at"] <= TWO_FACTOR_SECONDS:
        user = User.objects.filter(pk=pending["user"], is_active=True).first()
    if user is None:
        if pending:
            request.session.pop(TWO_FACTOR_PENDING, None)
            messages.info(request, "The time to type your code ran out. Sign in again.")
        return redirect("login")
    credentials = {"username": user.email}
    if AxesProxyHandler.is_locked(request, credentials):
        return locked_out(request, None, credentials)
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(user, form.cleaned_data["code"])
        if device is not None:
            del request.session[TWO_FACTOR_PENDING]
            login(request, user, backend=pending["backend"])
            otp_login(request, device)
            return redirect(pending["next"])
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        form.add_error("code", "That code is not right. Type the newest code from your app, or a recovery code.")
    return render(request, "registration/login_code.html", {"form": form})


def locked_out(request, response=None, credentials=None):
    """What django-axes shows instead of signing in while an account or address is locked out."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "registration/locked_out.html", {"minutes": minutes}, status=TOO_MANY_REQUESTS)


class PasswordResetView(auth_views.PasswordResetView):
    """Reset links are rate-limited per address and per e-mail, so the form cannot be used to flood a mailbox."""

    form_class = PortalPasswordResetForm

    def post(self, request, *args, **kwargs):
        rate = settings.RATE_LIMIT_PASSWORD_RESET
        by_address = rate_limited(request, group="password_reset", key="ip", rate=rate)
        by_email = rate_limited(request, group="password_reset_email", key=posted_email, rate=rate)
        if by_address or by_email:
            form = self.get_form()
            status = refuse_over_limit(
                form, "We have sent too many reset links for this request already. Wait an hour, then try again."
            )
            return self.render_to_response(self.get_context_data(form=form), status=status)
        return super().post(request, *args, **kwargs)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = PortalSetPasswordForm


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = PortalPasswordChangeForm
    success_url = reverse_lazy("account")

    def form_valid(self, form):
        messages.success(self.request, "Your password has been changed.")
        return super().form_valid(form)


@login_required
def account(request):
    """The signed-in person's own page: who they are and the roles they hold, organisation by organisation, and
    the e-mails they get (the form posts here)."""
    email_form = EmailPreferencesForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and email_form.is_valid():
        try:
            services.user_email_preferences_update(user=request.user, **email_form.cleaned_data)
        except SERVICE_ERRORS as error:
            add_service_errors(email_form, error)
        else:
            messages.success(request, "Your e-mail choices are saved.")
            return redirect(reverse("account") + "#emails")
    may_use_two_factor = request.user.has_role(*services.TWO_FACTOR_ROLES)
    return render(
        request,
        "accounts/account.html",
        {
            "memberships": memberships_for_user(user=request.user),
            "may_use_two_factor": may_use_two_factor,
            "may_make_api_tokens": request.user.has_role(Role.OFFICER),
            "two_factor_on": may_use_two_factor and selectors.two_factor_device(user=request.user) is not None,
            "calendar_url": calendar_feed_url(request.user),
            "email_form": email_form,
            "always_sent": emails.always_sent(),
            # The roles the consultation alerts page opens for (consultations' alert_preferences view).
            "may_choose_consultation_alerts": request.user.has_role(Role.VCS_MEMBER, Role.OFFICER, Role.CHAMPION),
        },
    )


# A calendar program asks for the feed every few hours; far more from one secret is a script gone wrong.
CALENDAR_FEED_RATE = "60/h"


def calendar_feed_url(user: User) -> str:
    """The whole address of the person's calendar feed of deadlines; "" until they ask for one."""
    if not user.calendar_token:
        return ""
    return calendar.full_url(reverse("calendar_feed", args=[user.calendar_token]))


@login_required
@require_POST
def calendar_address(request):
    """Give the signed-in person the address of their calendar feed, or a new one (the old one stops working)."""
    had_one = bool(request.user.calendar_token)
    services.user_calendar_token_reset(user=request.user)
    if had_one:
        messages.success(
            request,
            "Your calendar has a new address. The old address no longer works: "
            "remove the old calendar from your calendar program and add the new address.",
        )
    else:
        messages.success(request, "Your calendar address is ready. Copy it into your calendar program.")
    return redirect(reverse("account") + "#calendar")


def calendar_feed(request, token):
    """The person's deadlines as an iCalendar feed, for a calendar program that cannot sign in: the secret in the
    address names the person, and the feed holds only what their own worklist holds (compact_portal/calendar.py).

    An unknown or empty secret, an old one replaced by a reset, or a person no longer active answers 404, the same
    as any address that does not exist.
    """
    user = User.objects.filter(calendar_token=token, is_active=True).first() if token else None
    # The query found the row; comparing in constant time as well keeps the check itself from leaking the secret.
    if user is None or not secrets.compare_digest(user.calendar_token.encode(), token.encode()):
        raise Http404("No such calendar")
    if rate_limited(request, group="calendar_feed", key=lambda group, request: token, rate=CALENDAR_FEED_RATE):
        return HttpResponse(
            "This calendar has been asked for too often. Try again in an hour.",
            status=TOO_MANY_REQUESTS,
            content_type="text/plain; charset=utf-8",
        )
    return calendar.calendar_response(
        calendar.deadlines_calendar(user, timezone.localdate()), filename="deadlines.ics", private=True
    )


@login_required
@sensitive_post_parameters("code", "password")
def two_factor(request):
    """Turn two-factor sign-in on (scan the key, type a code, note the recovery codes) or off (with the password)."""
    if not request.user.has_role(*services.TWO_FACTOR_ROLES):
        raise PermissionDenied("Two-factor sign-in is for Compact champions and administrators.")
    device = selectors.two_factor_device(user=request.user)
    if device is not None:
        form = TwoFactorTurnOffForm(request.POST or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            services.two_factor_turn_off(user=request.user)
            messages.success(request, "Two-factor sign-in is off. You sign in with your password alone.")
            return redirect("account")
        return render(
            request,
            "accounts/two_factor_on.html",
            {"form": form, "recovery_codes_left": selectors.recovery_codes_left(user=request.user)},
        )
    pending = services.two_factor_start(user=request.user)
    form = TwoFactorSetUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.two_factor_confirm(user=request.user, device=pending, code=form.cleaned_data["code"])
        except SERVICE_ERRORS as error:
            add_service_errors(form, error)
        else:
            otp_login(request, pending)  # this session has just shown the code
            return render(request, "accounts/two_factor_recovery_codes.html", {"codes": codes})
    return render(
        request,
        "accounts/two_factor_set_up.html",
        {
            "form": form,
            "qr_code": selectors.two_factor_qr_svg(device=pending),
            "key": selectors.two_factor_key(device=pending),
        },
    )
