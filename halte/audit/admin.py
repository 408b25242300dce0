"""Admin integration: every admin change is journaled; the journal itself is read-only."""

from django.contrib import admin

from .journal import record_request
from .models import Action, AuditEvent


class AuditedModelAdmin(admin.ModelAdmin):
    """A ModelAdmin whose additions, changes and deletions also go to the audit journal."""

    def log_addition(self, request, obj, message):
        record_request(Action.ADMIN_ADDITION, request, target=obj, detail={"message": str(message)})
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        record_request(Action.ADMIN_CHANGE, request, target=obj, detail={"message": str(message)})
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        for obj in queryset:
            record_request(Action.ADMIN_DELETION, request, target=obj)
        return super().log_deletions(request, queryset)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "action", "actor", "membership", "target_label"]
    list_filter = ["action"]
    search_fields = ["target_label", "target_id", "actor__email"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
