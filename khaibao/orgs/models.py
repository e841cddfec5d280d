from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

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
    CADRE = "can_bo", "Cán bộ"
    CIVIL_SERVANT = "cong_chuc_vien_chuc", "Công chức/viên chức"
    WORKER = "nguoi_lao_dong", "Người lao động"
    UNION_MEMBER = "doan_vien", "Đoàn viên"
    ASSOCIATION_MEMBER = "hoi_vien", "Hội viên"
    OTHER = "other", "Khác"


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

    def __str__(self) -> str:
        return f"{self.full_name} ({self.unit})"


class ReminderPolicy(models.TextChoices):
    NONE = "none", "Không nhắc"
    IN_APP = "in_app", "Trong ứng dụng"
    IN_APP_AND_SMS = "in_app_sms", "Trong ứng dụng và SMS"


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
