from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "compact_portal.accounts"
    label = "accounts"
    verbose_name = "People and roles"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from .signals import record_sign_in

        # In place of django.contrib.auth's own receiver (same dispatch_uid), which would overwrite last_login
        # before ours could keep it as the previous sign-in.
        user_logged_in.disconnect(dispatch_uid="update_last_login")
        user_logged_in.connect(record_sign_in, dispatch_uid="update_last_login")
