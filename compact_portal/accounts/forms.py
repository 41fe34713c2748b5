from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, PasswordResetForm, SetPasswordForm


def _helper(button: str) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.add_input(Submit("submit", button))
    return helper


class SignInForm(AuthenticationForm):
    username = forms.EmailField(
        label="E-mail address",
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    error_messages = {
        "invalid_login": "The e-mail address or password is not right. Check them and try again.",
        "inactive": "This account has been switched off. Ask your organisation's administrator.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("Sign in")


class PortalPasswordResetForm(PasswordResetForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].label = "E-mail address"
        self.helper = _helper("Send me a reset link")


class PortalSetPasswordForm(SetPasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("Set my new password")


class PortalPasswordChangeForm(PasswordChangeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("Change my password")


class TwoFactorCodeForm(forms.Form):
    """The six-digit code from the authenticator app, or one recovery code, at sign-in."""

    code = forms.CharField(
        label="Code",
        max_length=20,
        help_text="The 6-digit code your authenticator app shows now, or one of your recovery codes.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}),
    )

    def __init__(self, *args, button: str = "Continue", **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(button)

    def clean_code(self) -> str:
        return "".join(self.cleaned_data["code"].split())


class TwoFactorSetUpForm(TwoFactorCodeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, button="Turn on two-factor sign-in", **kwargs)
        self.fields["code"].help_text = "The 6-digit code your authenticator app shows after you add the key."
        self.fields["code"].widget.attrs.pop("autofocus", None)


class TwoFactorTurnOffForm(forms.Form):
    password = forms.CharField(
        label="Your password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        self.helper = _helper("Turn off two-factor sign-in")
        self.helper.inputs[0].field_classes = "btn btn-danger"

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.")
        return password


class EmailPreferencesForm(forms.Form):
    """The e-mails a person chooses to get: the digest, and the optional case e-mails."""

    digest_frequency = forms.ChoiceField(
        label="The e-mail digest of what is waiting for you",
        widget=forms.RadioSelect,
        help_text="What is waiting for you, as on your home page, with any new compliance flags for you.",
    )
    case_emails = forms.BooleanField(
        label="Optional e-mails about Compact concerns",
        required=False,
        help_text=(
            "Copies sent for information only: a panel member's appointment, and the later steps of a concern in "
            "your compact before a champion takes it on."
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(
            *args, initial={"digest_frequency": user.digest_frequency, "case_emails": user.case_emails}, **kwargs
        )
        self.fields["digest_frequency"].choices = user._meta.get_field("digest_frequency").choices
        self.helper = _helper("Save my e-mail choices")
