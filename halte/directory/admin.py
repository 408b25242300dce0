from django.contrib import admin

from halte.audit.admin import AuditedModelAdmin

from .models import School


@admin.register(School)
class SchoolAdmin(AuditedModelAdmin):
    list_display = ["uai", "name", "kind", "sector", "commune", "is_open"]
    list_filter = ["kind", "sector", "is_open", "departement"]
    search_fields = ["uai", "name", "commune"]
    readonly_fields = ["search_text", "updated_at"]
