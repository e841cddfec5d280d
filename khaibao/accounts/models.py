from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from khaibao.core.fields import EncryptedTextField


class Role(models.TextChoices):
    CITIZEN = "citizen", _("Citizen")
    CHECKPOINT = "checkpoint", _("Checkpoint staff")
    OFFICIAL = "official", _("Health official")
    ORG_ADMIN = "org_admin", _("Organisation admin")
    DPO = "dpo", _("Data-protection officer")
    SYSADMIN = "sysadmin", _("System admin")


STAFF_ROLES = frozenset({Role.CHECKPOINT, Role.OFFICIAL, Role.ORG_ADMIN, Role.DPO, Role.SYSADMIN})
# Roles whose password alone is not enough (issue: officials must use TOTP). The DPO and
# system admin also reach personal data, so they get the same rule.
SECOND_FACTOR_ROLES = frozenset({Role.OFFICIAL, Role.DPO, Role.SYSADMIN})


class ScopeLevel(models.TextChoices):
    NATIONAL = "national", _("National")
    PROVINCE = "province", _("Province")
    WARD = "ward", _("Ward")


class AccountManager(BaseUserManager["Account"]):
    def create_user(self, username: str | None = None, password: str | None = None, **extra: Any) -> Account:
        account = self.model(username=username or None, **extra)
        if password:
            account.set_password(password)
        else:
            account.set_unusable_password()
        account.save(using=self._db)
        return account

    def create_superuser(self, username: str, password: str, **extra: Any) -> Account:
        extra.setdefault("role", Role.SYSADMIN)
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(username, password, **extra)


class Account(AbstractBaseUser, PermissionsMixin):
    """Anyone who signs in: citizens by phone + OTP, staff by username + password (+ TOTP).

    The phone is stored encrypted; `phone_index` (HMAC blind index) finds the account at sign-in.
    """

    username = models.CharField(_("username"), max_length=150, unique=True, null=True, blank=True)
    display_name = models.CharField(max_length=150, blank=True)
    phone = EncryptedTextField(blank=True, default="")
    phone_index = models.CharField(max_length=64, unique=True, null=True, blank=True)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.CITIZEN)
    scope_level = models.CharField(max_length=10, choices=ScopeLevel.choices, blank=True)
    scope_province = models.ForeignKey(
        "places.Province", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    scope_ward = models.ForeignKey(
        "places.Ward", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="admins"
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May use the Django admin.")
    date_joined = models.DateTimeField(default=timezone.now)

    objects: ClassVar[AccountManager] = AccountManager()  # type: ignore[assignment]

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="official_has_consistent_scope",
                condition=~Q(role="official")
                | Q(scope_level="national", scope_province__isnull=True, scope_ward__isnull=True)
                | Q(scope_level="province", scope_province__isnull=False, scope_ward__isnull=True)
                | Q(scope_level="ward", scope_ward__isnull=False),
            )
        ]
        indexes = [
            # The officials a case can be assigned to (cases/officials.py `colleagues`), listed on
            # every page of the console's queue: a few hundred rows among tens of millions of
            # citizens' accounts, found without reading the citizens (a 51 ms scan at 333,000).
            models.Index(
                fields=["display_name", "username"], name="account_officials",
                condition=Q(role="official", is_active=True),
            ),
        ]

    def __str__(self) -> str:
        return self.username or self.display_name or f"account {self.pk}"

    @property
    def is_citizen(self) -> bool:
        return self.role == Role.CITIZEN

    @property
    def is_official(self) -> bool:
        return self.role == Role.OFFICIAL

    @property
    def is_staff_role(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def needs_second_factor(self) -> bool:
        return self.role in SECOND_FACTOR_ROLES

    @property
    def area_key(self) -> str:
        """What the account covers, as one string: its role, an official's scope, an organisation
        admin's unit. A list made for it (an export's file) is handed out only while this is unchanged."""
        return f"{self.role}/{self.scope_level}/{self.scope_province_id or ''}/{self.scope_ward_id or ''}/{self.org_unit_id or ''}"


class ApiToken(models.Model):
    """A bearer token. Only its SHA-256 is stored; the value is shown once, at creation."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="api_tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    label = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"token {self.pk} of {self.account}"


class ApiSession(models.Model):
    """A signed-in app (docs/api.md, "Tokens"): the refresh token's row. Access tokens are signed
    and short-lived, checked without the database (accounts/access_tokens.py); this row is what a
    refresh is checked against — every 15 minutes or so — and what signing out revokes.

    The refresh token changes at every refresh; its SHA-256 is `refresh_hash`, the one before it
    `previous_hash`, so that a stolen, already-used refresh token presented again is recognised
    and ends the session.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="api_sessions")
    refresh_hash = models.CharField(max_length=64)
    previous_hash = models.CharField(max_length=64, blank=True)
    label = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    refreshed_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # Hashes are only ever matched exactly: a constraint and a plain index, without the
        # LIKE copies a `unique=True` / `db_index=True` CharField gets on PostgreSQL.
        constraints = [models.UniqueConstraint(fields=["refresh_hash"], name="api_session_refresh_unique")]
        indexes = [
            models.Index(fields=["previous_hash"], name="api_session_previous"),
            # The deny-list's rewrite reads the sessions revoked in the last minutes (migration 0009).
            models.Index(fields=["revoked_at"], name="api_session_revoked", condition=models.Q(revoked_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"session {self.pk} of {self.account}"


class OneTimeCode(models.Model):
    """What every one-time code keeps: its keyed hash (never the code), its lifetime, the
    guesses counted so far and when it was used. accounts/one_time_codes.py checks them."""

    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    consumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


class OtpChallenge(OneTimeCode):
    """One one-time code sent to a phone: a sign-in code, or a volunteer's consent code (keyed
    by the delegation instead of the phone)."""

    # No index of its own: "otp_phone_recent" (phone_index, -created_at) leads with it.
    phone_index = models.CharField(max_length=64, db_index=False)

    class Meta:
        indexes = [models.Index(fields=["phone_index", "-created_at"], name="otp_phone_recent")]

    def __str__(self) -> str:
        return f"otp {self.pk}"


class BreakGlassGrant(models.Model):
    """"Break the glass": an official's time-limited access to one person outside their
    jurisdiction, given on a stated reason and reviewed afterwards by a national official.

    The reason may name people or health facts, so it is encrypted like other personal data.
    """

    # No index of its own: "break_glass_active" (official, person, expires_at) leads with it.
    official = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="break_glass_grants", db_index=False
    )
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="break_glass_grants")
    reason = EncryptedTextField()
    granted_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    reviewed_by = models.ForeignKey(Account, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    # Free text about an access to a person's data: encrypted like the reason.
    review_note = EncryptedTextField(blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["official", "person", "expires_at"], name="break_glass_active"),
            models.Index(fields=["reviewed_at", "-id"], name="break_glass_review"),
        ]

    def __str__(self) -> str:
        return f"break-glass {self.pk}: {self.official_id} → person {self.person_id}"
