
from django.contrib import admin

from khaibao.audit.models import AuditEvent
from khaibao.core.admin import ReadOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor_label", "action", "object_type", "object_id", "person_id", "ip")
    list_filter = ("action",)
    search_fields = ("actor_label", "action", "object_id")
