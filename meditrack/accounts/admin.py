from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from meditrack.accounts.forms import AdminChangeForm, AdminCreationForm
from meditrack.accounts.models import User


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
