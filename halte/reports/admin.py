"""Technical administration of reports and partner API keys.

Administrators never read case content: a report shows here only as its reference, channel, date and
status. API keys are read-mostly: they are created by ``manage.py create_api_key`` (the key must be
shown once, to the person who will hand it over) and can only be renamed or revoked here.
"""

from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from halte.audit.admin import AuditedModelAdmin

from .apikeys import revoke
from .models import ApiKey, Report


@admin.register(ApiKey)
class ApiKeyAdmin(AuditedModelAdmin):
    list_display = ["prefix", "organisation", "name", "created_at", "revoked_at", "last_used_at"]
    list_filter = ["organisation", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["prefix", "name", "organisation__name"]
    ordering = ["organisation__name", "name"]
    list_select_related = ["organisation"]
    # The digest is never shown: it is useless to a person and one less thing to leak.
    fields = ["prefix", "organisation", "name", "created_at", "revoked_at", "last_used_at"]
    readonly_fields = ["prefix", "organisation", "created_at", "revoked_at", "last_used_at"]
    actions = ["revoke_selected"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=gettext_lazy("Révoquer"), permissions=["change"])
    def revoke_selected(self, request, queryset):
        actor = getattr(request, "membership", None)
        count = 0
        for key in queryset.filter(revoked_at__isnull=True):
            revoke(key=key, actor=actor)
            count += 1
        self.message_user(request, _("Clés révoquées : %(count)d.") % {"count": count}, messages.SUCCESS)


# Everything an administrator may know of a report; every field of content stays out.
REPORT_FIELDS = ("reference", "channel", "received_at", "status")


@admin.register(Report)
class ReportAdmin(AuditedModelAdmin):
    """Reports exist for the administrator only as references: nothing of what was said."""

    list_display = REPORT_FIELDS
    list_filter = ["channel", "status"]
    search_fields = ["reference"]
    date_hierarchy = "received_at"
    fields = REPORT_FIELDS
    readonly_fields = REPORT_FIELDS

    def get_fields(self, request, obj=None):
        return list(REPORT_FIELDS)

    def get_readonly_fields(self, request, obj=None):
        return list(REPORT_FIELDS)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
