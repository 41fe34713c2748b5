"""People who sign in (by e-mail address) and the roles they hold in organisations."""

import hashlib

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from compact_portal.models import Recorded

from .roles import ROLE_REQUIRES_SIDE, Role


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, email):
        # Sign-in ignores the case of the e-mail address.
        return self.get(email__iexact=email)

    def create_user(self, email, password=None, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        extra_fields.pop("is_staff", None)  # derived from the administrator role; see User.is_staff
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields["is_superuser"] = True
        return self.create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Signs in with their e-mail address; what they may do comes from their memberships."""

    email = models.EmailField("e-mail address", unique=True)
    full_name = models.CharField(max_length=150)
    is_active = models.BooleanField(
        default=True, help_text="Untick instead of deleting, so that the person's history is kept."
    )
    date_joined = models.DateTimeField(default=timezone.now)
    # The sign-in before ``last_login``: on the first page after signing in, "new since your last visit" counts from
    # it (``last_login`` is already this visit's). Kept by ``signals.record_sign_in``.
    previous_login = models.DateTimeField("signed in before that", null=True, blank=True)
    # What the person chooses to be sent (their account page). E-mails the disputes process requires are sent
    # whatever they choose here.
    digest_frequency = models.CharField(
        "e-mail digest of what is waiting for you",
        max_length=10,
        choices=[("daily", "Every day"), ("weekly", "Every Monday"), ("off", "Never")],
        default="daily",
    )
    case_emails = models.BooleanField(
        "e-mails about Compact concerns beyond those the disputes process requires", default=True
    )
    # The secret part of the address of the person's calendar feed of deadlines: anyone holding the address can
    # read the feed (calendar programs cannot sign in), so the person can reset it from their account page.
    calendar_token = models.CharField(max_length=64, blank=True, default="", db_index=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name", "email"]
        constraints = [models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique")]

    def __str__(self) -> str:
        return self.full_name or self.email

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def roles(self) -> frozenset[str]:
        """Every role the person holds in any organisation (one query, then cached on the object)."""
        if not hasattr(self, "_portal_roles"):
            if not self.is_active or self.pk is None:
                self._portal_roles = frozenset()
            else:
                held = set(self.memberships.values_list("role", flat=True))
                if self.is_superuser:
                    held.add(Role.ADMINISTRATOR)
                self._portal_roles = frozenset(held)
        return self._portal_roles

    def has_role(self, *roles: str) -> bool:
        return not self.roles.isdisjoint(roles)

    @property
    def is_administrator(self) -> bool:
        return self.has_role(Role.ADMINISTRATOR)

    @property
    def is_staff(self) -> bool:
        """Django admin access follows the administrator role; it is not stored separately."""
        return self.is_administrator


class Membership(Recorded):
    """A person's role in an organisation. One person may hold several roles in several organisations; its history
    says who gave or took away each role, and when (the audit trail)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey("commitments.Organisation", on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organisation__name", "role"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation", "role"], name="accounts_membership_unique_role")
        ]
        indexes = [models.Index(fields=["user", "role"])]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} at {self.organisation}"

    def clean(self):
        super().clean()
        needed_side = ROLE_REQUIRES_SIDE.get(self.role)
        if needed_side and self.organisation_id and self.organisation.side != needed_side:
            side_label = self.organisation.get_side_display().lower()
            raise ValidationError(
                {
                    "role": f"A {self.get_role_display().lower()} must belong to a "
                    f"{'public body' if needed_side == 'public' else 'voluntary or community organisation'}; "
                    f"{self.organisation} is a {side_label}."
                }
            )


class ApiTokenQuerySet(models.QuerySet):
    def usable(self, raw: str, *, now=None) -> "ApiToken | None":
        """The token whose secret is ``raw`` if it is neither expired nor revoked (only its hash is stored)."""
        now = now or timezone.now()
        token = self.select_related("organisation").filter(digest=ApiToken.hash(raw)).first()
        if token is None or token.revoked_at is not None or (token.expires_at and token.expires_at <= now):
            return None
        return token


class ApiToken(Recorded):
    """A secret a body's finance or grants system sends to the API (``Authorization: Bearer …``): named, for that
    body and the records it may write, with an expiry, revocable, shown once and stored only as its SHA-256 hash.
    Every change it makes is in the audit trail as "API: <name>"."""

    name = models.CharField(max_length=100, help_text='What uses it, e.g. "Finance system (Agresso)".')
    organisation = models.ForeignKey("commitments.Organisation", on_delete=models.CASCADE, related_name="api_tokens")
    prefix = models.CharField(max_length=12, help_text="The first characters, to tell tokens apart; not secret.")
    digest = models.CharField(max_length=64, unique=True)
    may_write_invoices = models.BooleanField("may record invoices", default=True)
    may_write_payments = models.BooleanField("may record payments", default=True)
    expires_at = models.DateTimeField("expires", null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["organisation", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"],
                condition=models.Q(revoked_at__isnull=True),
                name="api_token_unique_name_per_body",
                violation_error_message="This body already has a token of that name.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()
