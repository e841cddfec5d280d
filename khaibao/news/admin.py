from django.contrib import admin

from khaibao.news.models import Announcement


@admin.register(Announcement)
class AnnouncementAdmin(admin.ModelAdmin):
    """Read-only: changes go through the console so that they are validated and audited."""

    list_display = ("title", "kind", "province", "pinned", "publish_at", "expires_at")
    list_filter = ("kind", "pinned")
    search_fields = ("title",)

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
