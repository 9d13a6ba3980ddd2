from django.contrib import admin

from casework.core.models import AuditEntry, GraphOutbox


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only audit trail, filterable by action, object type, actor and case."""

    list_display = ("at", "actor_name", "action", "object_type", "object_id", "case_id",
                    "ip_address")
    list_filter = ("action", "object_type", ("at", admin.DateFieldListFilter))
    search_fields = ("actor_name", "object_id", "action", "=case_id")
    date_hierarchy = "at"
    readonly_fields = [f.name for f in AuditEntry._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(GraphOutbox)
class GraphOutboxAdmin(admin.ModelAdmin):
    list_display = ("id", "created_at", "kind", "key", "processed_at", "attempts")
    list_filter = ("kind", ("processed_at", admin.EmptyFieldListFilter))
    readonly_fields = [f.name for f in GraphOutbox._meta.fields]

    def changelist_view(self, request, extra_context=None):
        from casework.core.outbox import lag

        rows, oldest = lag()
        title = f"Graph outbox — lag: {rows} rows, oldest {oldest} s"
        extra_context = {**(extra_context or {}), "title": title}
        return super().changelist_view(request, extra_context)
