"""Official information (cập nhật thông tin, khuyến cáo): announcements, recommendations, hotlines."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from khaibao.core.hotlines import format_hotline

TITLE_MAX = 200
BODY_MAX = 20_000


class Kind(models.TextChoices):
    ANNOUNCEMENT = "announcement", _("Announcement")
    RECOMMENDATION = "recommendation", _("Recommendation")
    HOTLINE = "hotline", _("Hotline")


class Announcement(models.Model):
    """One item of official information, for the whole country (`province` null) or one province.

    `body` is the Markdown the official wrote; `body_html` is its rendering after nh3 — the only
    HTML ever shown. Nothing is deleted: unpublishing sets `expires_at` (the audit trail says who).
    """

    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.ANNOUNCEMENT)
    title = models.CharField(max_length=TITLE_MAX)
    body = models.TextField(blank=True, default="")
    body_html = models.TextField(blank=True, default="")
    # Officials write Vietnamese; the English text is an optional courtesy for foreigners.
    title_en = models.CharField(max_length=TITLE_MAX, blank=True, default="")
    body_en = models.TextField(blank=True, default="")
    body_en_html = models.TextField(blank=True, default="")
    # Hotlines only: national digits as dialled ("19009095", "02438253531", "115").
    phone = models.CharField(max_length=20, blank=True, default="")
    # No index of its own: "news_province_recent" (province, -publish_at) leads with it.
    province = models.ForeignKey(
        "places.Province", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="Empty: the whole country.", db_index=False,
    )
    pinned = models.BooleanField(default=False)
    publish_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        # The feed's order (pinned first, newest first) with the id as a tie-breaker for keyset paging.
        ordering = ["-pinned", "-publish_at", "-id"]
        indexes = [
            models.Index(fields=["-pinned", "-publish_at", "-id"], name="news_feed_order"),
            models.Index(fields=["province", "-publish_at"], name="news_province_recent"),
        ]
        constraints = [
            # Equal is allowed: unpublishing a scheduled item closes its window before it opens.
            models.CheckConstraint(
                name="news_expires_not_before_publish",
                condition=Q(expires_at__isnull=True) | Q(expires_at__gte=models.F("publish_at")),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def _english(self) -> bool:
        return not (get_language() or "vi").startswith("vi")

    @property
    def display_title(self) -> str:
        return self.title_en if self._english() and self.title_en else self.title

    @property
    def display_body_html(self) -> str:
        return self.body_en_html if self._english() and self.body_en_html else self.body_html

    @property
    def phone_display(self) -> str:
        return format_hotline(self.phone) if self.phone else ""

    def state(self, now: object = None) -> str:
        """ "scheduled", "published" or "expired" at `now`."""
        now = now or timezone.now()
        if self.expires_at is not None and self.expires_at <= now:  # type: ignore[operator]
            return "expired"
        if self.publish_at > now:  # type: ignore[operator]
            return "scheduled"
        return "published"
