from django.contrib import admin

from casework.rooms.models import Case, Membership


class MembershipInline(admin.TabularInline):
    """Read-only here: memberships change through the room (services derive permissions)."""

    model = Membership
    extra = 0
    fields = ("user", "role", "can_dispatch", "added_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ("number", "title", "category", "owning_unit", "status", "reported_at")
    list_filter = ("status", "category")
    search_fields = ("number", "title")
    readonly_fields = ("event_seq", "created_by")
    inlines = [MembershipInline]
