from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse_lazy

from .forms import PortalPasswordChangeForm, PortalPasswordResetForm, PortalSetPasswordForm, SignInForm
from .selectors import memberships_for_user


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    redirect_authenticated_user = True


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PortalPasswordResetForm


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
    """The signed-in person's own page: who they are and the roles they hold, organisation by organisation."""
    return render(request, "accounts/account.html", {"memberships": memberships_for_user(user=request.user)})
