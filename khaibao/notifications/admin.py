"""System admins see deliveries (failures, gave up, refused by the SMS budget) — read-only.

The notification text is not shown here: admins need the outcome, not what was said to whom.
"""

from __future__ import annotations

from django.contrib import admin

from khaibao.core.admin import ReadOnlyAdmin
from khaibao.notifications.models import Delivery, SmsDailyCounter


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ("id", "channel", "status", "attempts", "kind", "account_id", "created_at", "next_attempt_at", "sent_at", "last_error")
    list_filter = ("status", "channel", "notification__kind", "created_at")
    fields = ("channel", "status", "attempts", "kind", "account_id", "created_at", "next_attempt_at", "sent_at", "last_error")
    readonly_fields = fields
    date_hierarchy = "created_at"
    list_select_related = ("notification",)

    @admin.display(description="kind")
    def kind(self, obj: Delivery) -> str:
        return obj.notification.kind

    @admin.display(description="account")
    def account_id(self, obj: Delivery) -> int:
        return obj.notification.account_id


@admin.register(SmsDailyCounter)
class SmsDailyCounterAdmin(ReadOnlyAdmin):
    list_display = ("day", "sent", "refused")
    ordering = ("-day",)
