from django.contrib import admin

from khaibao.core.admin import ReadOnlyAdmin
from khaibao.news.models import Announcement


@admin.register(Announcement)
class AnnouncementAdmin(ReadOnlyAdmin):
    """Read-only: changes go through the console so that they are validated and audited."""

    list_display = ("title", "kind", "province", "pinned", "publish_at", "expires_at")
    list_filter = ("kind", "pinned")
    search_fields = ("title",)
