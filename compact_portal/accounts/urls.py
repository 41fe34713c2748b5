# Django's own auth views look these names up without a namespace, so none is used here.
from django.contrib.auth import views as auth_views
from django.urls import path

from compact_portal.session_timeout import session_status

from . import token_views, views

urlpatterns = [
    path("sign-in/", views.SignInView.as_view(), name="login"),
    path("sign-in/code/", views.sign_in_code, name="login_code"),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.account, name="account"),
    path("two-factor/", views.two_factor, name="two_factor"),
    path("calendar/", views.calendar_address, name="calendar_address"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("session/", session_status, name="session_status"),
    path("api-tokens/", token_views.api_tokens, name="api_tokens"),
    path("api-tokens/<int:pk>/revoke/", token_views.api_token_revoke, name="api_token_revoke"),
    path("password/change/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("password/reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("password/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]
