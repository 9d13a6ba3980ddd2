from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from casework.accounts.models import Unit, User, WsTicket


@admin.register(Unit)
class UnitAdmin(TreeAdmin):
    form = movenodeform_factory(Unit)
    list_display = ("name", "kind", "call_sign", "patrol_kind", "status")
    list_filter = ("kind", "status")
    search_fields = ("name", "name_en", "call_sign")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "display_name", "unit", "org_role", "is_active", "last_login")
    list_filter = ("org_role", "is_active", "is_staff")
    search_fields = ("username", "display_name", "unit__name")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Casework"), {"fields": ("display_name", "unit", "org_role", "language")}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (_("Casework"), {"fields": ("display_name", "unit", "org_role")}),
    )


@admin.register(WsTicket)
class WsTicketAdmin(admin.ModelAdmin):
    list_display = ("user", "created_at", "expires_at", "used_at")
    readonly_fields = ("key", "user", "created_at", "expires_at", "used_at")
