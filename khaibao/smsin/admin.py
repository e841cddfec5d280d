"""System admins see what inbound SMS did (command, outcome, whether and how it was answered) — read-only.

Neither the text nor the reply is shown: an ID number or a risk level is not an admin's business.
"""

from __future__ import annotations

from django.contrib import admin

from khaibao.core.admin import ReadOnlyAdmin
from khaibao.smsin.models import InboundSms


@admin.register(InboundSms)
class InboundSmsAdmin(ReadOnlyAdmin):
    list_display = ("id", "message_id", "command", "outcome", "reply_status", "account_id", "created_at")
    list_filter = ("command", "outcome", "reply_status", "created_at")
    fields = ("message_id", "command", "outcome", "reply_queued", "reply_status", "account_id", "person_id", "received_at", "created_at")
    readonly_fields = fields
    date_hierarchy = "created_at"
