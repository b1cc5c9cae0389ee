from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from meditrack.accounts.forms import AdminChangeForm, AdminCreationForm
from meditrack.accounts.models import AccessRecord, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = AdminChangeForm
    add_form = AdminCreationForm
    list_display = ["email", "display_name", "role", "tier", "is_active", "date_joined"]
    list_filter = ["role", "tier", "is_active", "is_staff"]
    search_fields = ["email", "display_name"]
    ordering = ["email"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["display_name", "language", "role", "tier"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "role", "tier", "password1", "password2"]}),
    ]


@admin.register(AccessRecord)
class AccessRecordAdmin(admin.ModelAdmin):
    """Read only: a trail nobody edits."""

    list_display = ["at", "actor_email", "method", "route", "record", "status"]
    list_filter = ["method", "status"]
    search_fields = ["actor_email", "route"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
