from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from khaibao.core.fields import EncryptedTextField


class OrgUnit(models.Model):
    """A unit of an organisation tree (Trung ương Đoàn → Tỉnh đoàn → Đoàn cơ sở → Chi đoàn).

    The organisations issue builds rosters, campaigns and compliance on this; the foundation
    needs it only so that an organisation admin's scope (a subtree) has somewhere to point.
    `path` is the materialised path of codes ("TW/HN/DCS01") so a subtree is one prefix query.
    """

    code = models.CharField(max_length=50)
    name = models.CharField(max_length=200)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    path = models.CharField(max_length=500, unique=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        self.path = f"{self.parent.path}/{self.code}" if self.parent else self.code
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class MemberRole(models.TextChoices):
    CADRE = "can_bo", _("Cadre")
    CIVIL_SERVANT = "cong_chuc_vien_chuc", _("Civil servant or public employee")
    WORKER = "nguoi_lao_dong", _("Worker")
    UNION_MEMBER = "doan_vien", _("Youth union member")
    ASSOCIATION_MEMBER = "hoi_vien", _("Association member")
    OTHER = "other", _("Other")


class Member(models.Model):
    """A roster line: someone an organisation expects to declare.

    Matched to a citizen account by phone blind index when they sign in; the member confirms the
    membership once. Organisation admins only ever learn compliance booleans about members.
    """

    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="members")
    full_name = models.CharField(max_length=100)
    phone = EncryptedTextField()
    phone_index = models.CharField(max_length=64, db_index=True)
    role = models.CharField(max_length=30, choices=MemberRole.choices, default=MemberRole.OTHER)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="memberships"
    )
    person = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="memberships"
    )
    linked_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "phone_index"], condition=Q(removed_at__isnull=True), name="member_unique_active_phone"
            )
        ]
        # The retention purge's removed or declined lines still naming someone (migration 0013).
        indexes = [
            models.Index(
                fields=["removed_at"], name="member_removed_named",
                condition=(~Q(full_name="") | ~Q(phone="") | ~Q(phone_index="") | Q(person__isnull=False)
                           | Q(account__isnull=False)) & Q(removed_at__isnull=False),
            ),
            models.Index(
                fields=["declined_at"], name="member_declined_named",
                condition=(~Q(full_name="") | ~Q(phone="") | ~Q(phone_index="") | Q(person__isnull=False)
                           | Q(account__isnull=False)) & Q(declined_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.unit})"


class ReminderPolicy(models.TextChoices):
    NONE = "none", _("No reminders")
    IN_APP = "in_app", _("In the app")
    IN_APP_AND_SMS = "in_app_sms", _("In the app and by SMS")


class Campaign(models.Model):
    """A roll-out drive over a unit's subtree: declare at least once since `starts_on`, and/or
    update daily, before `deadline`."""

    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="campaigns")
    name = models.CharField(max_length=200)
    starts_on = models.DateField()
    deadline = models.DateField()
    target_declared = models.BooleanField(default=True)
    target_updated_daily = models.BooleanField(default=True)
    reminder_policy = models.CharField(max_length=20, choices=ReminderPolicy.choices, default=ReminderPolicy.IN_APP)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(deadline__gte=models.F("starts_on")), name="campaign_dates")]

    def __str__(self) -> str:
        return self.name

    def in_force(self, day: date) -> bool:
        """In force on `day`: started, not past the deadline, not archived (the same rule as
        `campaigns_in_force_q`, its SQL twin)."""
        return self.archived_at is None and self.starts_on <= day <= self.deadline


def campaigns_in_force_q(day: date) -> Q:
    """Campaigns in force on `day` — `Campaign.in_force` as a filter."""
    return Q(starts_on__lte=day, deadline__gte=day, archived_at__isnull=True)


class RosterImport(models.Model):
    """One roster upload: its counts, and the rejected rows (with reasons) as a CSV to download.

    The error file repeats names and phones from the upload, so it is encrypted at rest like
    other personal data, and only the admin who uploaded it may download it.
    """

    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="roster_imports")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    error_csv = EncryptedTextField(blank=True, default="")

    def __str__(self) -> str:
        return f"roster import {self.pk}"

    @property
    def error_file_name(self) -> str:
        """The name of the rejected rows' CSV when downloaded (API and console alike)."""
        return f"roster-errors-{self.pk}.csv"


# --- Compliance (issue 7): rollups, daily snapshots, reminders --------------------------------
# Organisation admins read these tables only: counts per unit, never a member's health.


class UnitComplianceRollup(models.Model):
    """One unit's compliance numbers for one campaign and day, refreshed every minute.

    `own_*` count the unit's own members; the plain columns are subtree totals (the unit and
    every unit below it), summed over units in Python. Rows are rewritten by
    khaibao.orgs.rollups.compliance_refresh; a past day's rows keep its last refresh.
    """

    # No index of its own: the unique (campaign, day, unit) constraint leads with it.
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+", db_index=False)
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    # members = confirmed + awaiting confirmation; declined lines are out of it (compliance.py).
    own_members = models.PositiveIntegerField(default=0)
    own_confirmed = models.PositiveIntegerField(default=0)
    own_declined = models.PositiveIntegerField(default=0)
    own_declared = models.PositiveIntegerField(default=0)
    own_updated_today = models.PositiveIntegerField(default=0)
    members = models.PositiveIntegerField(default=0)
    confirmed = models.PositiveIntegerField(default=0)
    declined = models.PositiveIntegerField(default=0)
    declared = models.PositiveIntegerField(default=0)
    updated_today = models.PositiveIntegerField(default=0)
    # People assisted by the unit's active volunteers (subtree total).
    assisted_people = models.PositiveIntegerField(default=0)
    # Members reminded on `day` (CampaignReminder rows, any campaign): subtree total.
    own_reminded = models.PositiveIntegerField(default=0)
    reminded = models.PositiveIntegerField(default=0)
    refreshed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "day", "unit"], name="orgs_rollup_campaign_day_unit")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.day} {self.unit_id}"


class ComplianceSnapshot(models.Model):
    """A unit's numbers frozen at the end of a day — the daily report to the central office.

    `final` is false for a snapshot taken in the last minutes of the day (from 23:55 local)
    and true once the day is over and the day's last refresh was copied.
    """

    # No index of its own: the unique (campaign, unit, day) constraint leads with it.
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+", db_index=False)
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    members = models.PositiveIntegerField(default=0)
    confirmed = models.PositiveIntegerField(default=0)
    declined = models.PositiveIntegerField(default=0)
    declared = models.PositiveIntegerField(default=0)
    updated_today = models.PositiveIntegerField(default=0)
    assisted_people = models.PositiveIntegerField(default=0)
    reminded = models.PositiveIntegerField(default=0)
    final = models.BooleanField(default=False)
    taken_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "unit", "day"], name="orgs_snapshot_campaign_unit_day")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.unit_id} {self.day}"


class ReminderSmsStatus(models.TextChoices):
    """What became of a campaign reminder's SMS (orgs/reminder_sms.py, "the SMS outbox")."""

    NONE = "", _("No SMS")
    QUEUED = "queued", _("SMS waiting to be sent")
    SENT = "sent", _("SMS sent")
    FAILED = "failed", _("SMS not sent yet, will retry")
    GAVE_UP = "gave_up", _("SMS could not be sent: reach them another way")


class CampaignReminder(models.Model):
    """A compliance reminder to a member: the row makes it at most one per member per day.

    It is also its SMS's outbox: written with the batch (one transaction) as `queued`, sent once
    the batch commits, and by the worker when that was lost (a process killed after the commit:
    `reminder_sms.reminder_sms_requeue`). The phone is not kept here: it is read from the member
    (or the account) when the SMS is sent. `next_attempt_at` is set only while an SMS is due.
    """

    # No index of its own: the unique (member, day) constraint leads with it.
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField()
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=10)  # "in_app" (with the account's channels) or "sms"
    sent_at = models.DateTimeField(default=timezone.now)  # when the reminder was recorded (queued)
    sms = models.CharField(max_length=10, choices=ReminderSmsStatus.choices, blank=True, default="")
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "day"], name="orgs_reminder_member_day")]
        # The sweep looks for SMS whose time has come; the (many) rows with none due stay out.
        indexes = [
            models.Index(
                fields=["next_attempt_at"], condition=Q(next_attempt_at__isnull=False), name="orgs_reminder_sms_due"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.day}"


class UnitReminderRun(models.Model):
    """An admin's "remind now" for a unit's subtree (issue 17): at most one per unit per day.

    The row is written (with its audit event) when asked; the worker sends the reminders batch
    by batch, and each batch commits with its progress (`cursor`, `sent`, `refused`), so a run
    whose worker died resumes where it was (orgs/reminder_runs.py: lease, sweep). `finished_at`
    is set once every member was looked at, or when the day ended first. Members keep their one
    reminder a day (CampaignReminder).
    """

    # Indexed by orgs_remind_now_unit_day, which starts with it.
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+", db_index=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    sent = models.PositiveIntegerField(default=0)
    # Members not reminded because the organisations' SMS budget was spent (the roster phone was
    # their only way): not counted in `sent`, still remindable later the same day.
    refused = models.PositiveIntegerField(default=0)
    # The last member id looked at (keyset), committed with each batch.
    cursor = models.BigIntegerField(default=0)
    # Whoever works on the run holds it until then (renewed after each batch); an unfinished run
    # with no lease, or an expired one, has no live worker and is resumed by the sweep.
    lease_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "day"], name="orgs_remind_now_unit_day")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.day}"


class CampaignReminderRun(models.Model):
    """The automatic reminders of one campaign on one local day (orgs/reminder_runs.py).

    Each periodic run goes over the campaign's members in batches from `cursor` (keyset on the
    member id) and commits its progress with each batch. `lease_until` is the overlap guard: a
    run starts only when no other holds the campaign, so runs of the same campaign never stack
    up, and one whose worker died is taken over (from its cursor) once its lease has expired.
    A pass that reached the last member starts again from the first at the next run (members
    added since, or refused for want of SMS budget). `sent` adds up the day; `refused` is the
    current (or last) pass's members not reminded because the SMS budget was spent.
    """

    # No index of its own: the unique (campaign, day) constraint leads with it.
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField()
    cursor = models.BigIntegerField(default=0)
    sent = models.PositiveIntegerField(default=0)
    refused = models.PositiveIntegerField(default=0)
    lease_until = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)  # the current pass's start
    finished_at = models.DateTimeField(null=True, blank=True)  # the last complete pass's end
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "day"], name="orgs_reminder_run_campaign_day")]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.day}"


class OrgSmsDailyCounter(models.Model):
    """Campaign-reminder SMS sent (or being sent) on one local day — the organisations' own
    budget, apart from the health notifications' `SmsDailyCounter` (orgs/sms_budget.py).

    One row per organisation and day (`organisation`: the path of its root unit) against
    `ORG_SMS_PER_ORG_DAILY`, and one for all organisations together (`organisation` = "")
    against `ORG_SMS_DAILY_BUDGET`. `refused` counts the texts not sent for want of budget.
    """

    day = models.DateField()
    organisation = models.CharField(max_length=50, blank=True)
    sent = models.PositiveIntegerField(default=0)
    refused = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "organisation"], name="orgs_sms_counter_day_org")]

    def __str__(self) -> str:
        return f"{self.day} {self.organisation or 'all organisations'}: {self.sent} sent, {self.refused} refused"
