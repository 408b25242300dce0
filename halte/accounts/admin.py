"""Administration of organisations, users and memberships. Every change lands in the audit journal.

Separation of duties (``halte.access.grants``): the administrator manages accounts and
organisations but gives alone only the roles that read no case content and confirm nothing. Every
path of this site that could create or revive a membership asks ``may_grant`` and refuses anything
else, pointing to the two-person workflow (« Habilitations »):

- the membership add form, and its change form (user, organisation and role cannot change; a
  membership needing a second person cannot be re-activated here);
- the user page's membership inline, which is read-only;
- the user's address, when they hold or are asked such a role (else a new address could receive
  their password reset), and every password (set by the person through the reset email only);
- an organisation's kind and establishment, which decide what its members see.
"""

import secrets
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from halte.access import grants as rules
from halte.audit.admin import AuditedModelAdmin
from halte.audit.journal import record_request
from halte.audit.models import Action

from .addresses import normalise_email
from .models import GrantStatus, Membership, MembershipGrant, Organisation, User


def _refusal(request, user, role: str) -> str | None:
    """Why the acting administrator may not give this role to this user here, or None."""
    decision = rules.may_grant(getattr(request, "membership", None), user, role)
    if decision is rules.Decision.DIRECT:
        return None
    if user is not None and user.pk == request.user.pk:
        return _("Vous ne pouvez pas vous attribuer un rôle vous-même.")
    if decision is rules.Decision.SECOND_PERSON:
        return _(
            "Ce rôle donne accès au contenu des dossiers ou permet de confirmer des habilitations : "
            "demandez-le dans « Habilitations », une autre personne devra le confirmer."
        )
    return _("Vous ne pouvez pas attribuer ce rôle.")


def _deny(request, user, role: str, path: str) -> None:
    record_request(Action.GRANT_DENIED, request, target=user, detail={"role": role, "path": path})


class MembershipInline(admin.TabularInline):
    """Read-only: memberships are added in their own form or through the two-person workflow."""

    model = Membership
    extra = 0
    fields = ["organisation", "role", "is_active"]
    readonly_fields = ["organisation", "role", "is_active"]
    fk_name = "user"
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class UserCreationForm(forms.ModelForm):
    """No password: the person chooses theirs through « Mot de passe oublié », so nobody else ever knows it."""

    class Meta:
        model = User
        fields = ["email", "civility", "first_name", "last_name", "title", "phone"]

    def clean_email(self):
        return normalise_email(self.cleaned_data["email"])

    def save(self, commit=True):
        user = super().save(commit=False)
        user.set_password(secrets.token_urlsafe(32))  # known to nobody; replaced by the reset email
        if commit:
            user.save()
        return user


def _holds_sensitive_role(user: User) -> bool:
    roles = rules.SECOND_PERSON_ROLES
    if user.memberships.filter(role__in=roles).exists():
        return True
    return user.grants.filter(role__in=roles, status=GrantStatus.PENDING).exists()


@admin.register(User)
class UserAdmin(AuditedModelAdmin, DjangoUserAdmin):
    add_form = UserCreationForm
    ordering = ["last_name", "first_name"]
    list_display = ["email", "last_name", "first_name", "is_active"]
    list_filter = ["is_active", "memberships__role"]
    search_fields = ["email", "last_name", "first_name"]
    inlines = [MembershipInline]
    fieldsets = [
        (None, {"fields": ["email"]}),
        (gettext_lazy("Identité"), {"fields": ["civility", "first_name", "last_name", "title", "phone"]}),
        (gettext_lazy("État"), {"fields": ["is_active", "is_staff", "is_superuser", "last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {"classes": ["wide"], "fields": ["email", "civility", "first_name", "last_name", "title", "phone"]},
        )
    ]

    def get_readonly_fields(self, request, obj=None):
        readonly = ["last_login", "date_joined"]
        if obj is not None and _holds_sensitive_role(obj):
            readonly.append("email")
        return readonly

    def user_change_password(self, request, id, form_url=""):
        # Nobody sets someone else's password: with it and a fresh account, an administrator
        # could enrol their own phone as that person's second factor.
        _deny(request, None, "", "admin_password")
        raise PermissionDenied


class MembershipAddForm(forms.ModelForm):
    request: Any = None  # set by MembershipAdmin.get_form

    class Meta:
        model = Membership
        fields = ["user", "organisation", "role", "is_active", "is_steering_contact"]

    def clean(self):
        cleaned = super().clean() or {}
        user, role = cleaned.get("user"), cleaned.get("role")
        if user is not None and role:
            refusal = _refusal(self.request, user, role)
            if refusal:
                _deny(self.request, user, role, "admin_membership_add")
                raise ValidationError(refusal)
        return cleaned


class MembershipChangeForm(forms.ModelForm):
    request: Any = None  # set by MembershipAdmin.get_form

    class Meta:
        model = Membership
        fields = ["is_active", "is_steering_contact"]

    def clean_is_active(self):
        active = self.cleaned_data["is_active"]
        instance = self.instance
        if active and not instance.is_active:
            refusal = _refusal(self.request, instance.user, instance.role)
            if refusal:
                _deny(self.request, instance.user, instance.role, "admin_membership_reactivate")
                raise ValidationError(refusal)
        return active


@admin.register(Membership)
class MembershipAdmin(AuditedModelAdmin):
    list_display = ["user", "organisation", "role", "is_active"]
    list_filter = ["role", "is_active"]
    search_fields = ["user__email", "user__last_name", "organisation__name"]
    autocomplete_fields = ["user", "organisation"]
    fields = ["user", "organisation", "role", "is_active", "is_steering_contact"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = MembershipChangeForm if obj is not None else MembershipAddForm
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request = request  # type: ignore[attr-defined]
        return form

    def get_readonly_fields(self, request, obj=None):
        return ["user", "organisation", "role"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        # The forms already refused; this holds whatever path reaches the save.
        reviving = change and obj.is_active and "is_active" in form.changed_data
        if (not change or reviving) and _refusal(request, obj.user, obj.role):
            _deny(request, obj.user, obj.role, "admin_membership_save")
            raise PermissionDenied
        super().save_model(request, obj, form, change)


@admin.register(MembershipGrant)
class MembershipGrantAdmin(admin.ModelAdmin):
    """Read-only here: requests are made and decided in « Habilitations »."""

    list_display = ["user", "role", "organisation", "status", "requested_at", "decided_at"]
    list_filter = ["status", "role"]
    search_fields = ["user__email", "organisation__name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Organisation)
class OrganisationAdmin(AuditedModelAdmin):
    list_display = ["name", "kind", "departement", "is_active"]
    list_filter = ["kind", "is_active", "departement"]
    search_fields = ["name", "short_name", "school__uai"]
    autocomplete_fields = ["school"]

    def get_readonly_fields(self, request, obj=None):
        # What members of an organisation see follows from its kind and its establishment.
        return ["kind", "school"] if obj is not None else []
