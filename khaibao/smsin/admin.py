"""System admins see what inbound SMS did (command, outcome, whether answered) — read-only.

Neither the text nor the reply is shown: an ID number or a risk level is not an admin's business.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from khaibao.smsin.models import InboundSms


@admin.register(InboundSms)
class InboundSmsAdmin(admin.ModelAdmin):
    list_display = ("id", "message_id", "command", "outcome", "reply_queued", "account_id", "created_at")
    list_filter = ("command", "outcome", "reply_queued", "created_at")
    fields = ("message_id", "command", "outcome", "reply_queued", "account_id", "person_id", "received_at", "created_at")
    readonly_fields = fields
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
