"""The admin reads; it does not write. Every write to these models belongs to a service in
keyprojects.accounts.services (regions, departments, enterprises, users and their memberships, passwords,
deactivation, API tokens), which checks the domain's rules (a region's path follows its parent; a
membership's scope), records history and the audit log, and revokes what must be revoked. The admin did none
of that (a county moved under the province kept its old path), so every page here is read-only, history
included (simple_history's "revert" is a write too).

Not covered by any service, and so not possible here either: renaming or moving a region, revoking a
membership.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin

from keyprojects.accounts.models import ApiToken, Department, Enterprise, Membership, Region, User


class ReadOnlyAdmin:
    """Lists, searches and shows; adds, changes, deletes and reverts nothing (the services own the writes)."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # simple_history saves a posted revert with the view permission alone (SimpleHistoryAdmin only).
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


@admin.register(Region)
class RegionAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    list_display = ["slug", "name_zh", "name_en", "kind", "path"]
    list_filter = ["kind"]
    search_fields = ["slug", "name_zh", "name_en"]
    list_select_related = ["parent"]


@admin.register(Department)
class DepartmentAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    list_display = ["slug", "name_zh", "name_en", "kind", "region"]
    list_filter = ["kind"]
    search_fields = ["slug", "name_zh", "name_en"]
    list_select_related = ["region"]


@admin.register(Enterprise)
class EnterpriseAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    list_display = ["slug", "name_zh", "name_en", "region", "credit_code"]
    search_fields = ["slug", "name_zh", "name_en", "credit_code"]
    list_select_related = ["region"]


class MembershipInline(ReadOnlyAdmin, admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(User)
class UserAdmin(ReadOnlyAdmin, DjangoUserAdmin, SimpleHistoryAdmin):
    fieldsets = (*DjangoUserAdmin.fieldsets, (None, {"fields": ["display_name", "language"]}))
    list_display = ["username", "display_name", "is_active", "is_staff", "last_login"]
    inlines = [MembershipInline]


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "created_at", "expires_at", "last_used_at", "revoked_at"]
    exclude = ["key_hash"]
    list_select_related = ["user"]
