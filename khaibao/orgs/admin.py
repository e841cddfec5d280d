"""System admins create the top of organisation trees here (and give a root unit its first
admin on the Account); everything below is managed by org admins in the console."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from khaibao.core.admin import ReadOnlyAdmin
from khaibao.orgs.models import Campaign, OrgSmsDailyCounter, OrgUnit


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    list_display = ("path", "name", "archived_at")
    search_fields = ("path", "name")
    readonly_fields = ("path",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # Moving a unit rewrites every path below it: only the console's unit_move does that.
        return ("path", "code", "parent") if obj is not None else ("path",)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("name", "unit", "starts_on", "deadline", "archived_at")
    list_filter = ("reminder_policy",)


@admin.register(OrgSmsDailyCounter)
class OrgSmsDailyCounterAdmin(ReadOnlyAdmin):
    """The organisations' reminder SMS per day (orgs/sms_budget.py): read-only, like the health
    notifications' SMS counter."""

    list_display = ("day", "organisation", "sent", "refused")
    ordering = ("-day", "organisation")
    search_fields = ("organisation",)
