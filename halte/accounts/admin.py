"""Administration of organisations, users and memberships. Every change lands in the audit journal."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from halte.audit.admin import AuditedModelAdmin

from .models import Membership, Organisation, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["organisation", "role", "is_active"]
    autocomplete_fields = ["organisation"]
    fk_name = "user"


@admin.register(User)
class UserAdmin(AuditedModelAdmin, DjangoUserAdmin):
    ordering = ["last_name", "first_name"]
    list_display = ["email", "last_name", "first_name", "is_active"]
    list_filter = ["is_active", "memberships__role"]
    search_fields = ["email", "last_name", "first_name"]
    readonly_fields = ["last_login", "date_joined"]
    inlines = [MembershipInline]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Identité"), {"fields": ["first_name", "last_name", "phone"]}),
        (_("État"), {"fields": ["is_active", "is_staff", "is_superuser", "last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {"classes": ["wide"], "fields": ["email", "first_name", "last_name", "password1", "password2"]},
        ),
    ]


@admin.register(Organisation)
class OrganisationAdmin(AuditedModelAdmin):
    list_display = ["name", "kind", "departement", "is_active"]
    list_filter = ["kind", "is_active", "departement"]
    search_fields = ["name", "short_name", "school__uai"]
    autocomplete_fields = ["school"]


@admin.register(Membership)
class MembershipAdmin(AuditedModelAdmin):
    list_display = ["user", "organisation", "role", "is_active"]
    list_filter = ["role", "is_active"]
    search_fields = ["user__email", "user__last_name", "organisation__name"]
    autocomplete_fields = ["user", "organisation"]
