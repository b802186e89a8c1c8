from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from simple_history.admin import SimpleHistoryAdmin

from keyprojects.accounts.models import ApiToken, Department, Enterprise, Membership, Region, User


@admin.register(Region)
class RegionAdmin(SimpleHistoryAdmin):
    list_display = ["slug", "name_zh", "name_en", "kind", "path"]
    list_filter = ["kind"]
    search_fields = ["slug", "name_zh", "name_en"]
    readonly_fields = ["path"]


@admin.register(Department)
class DepartmentAdmin(SimpleHistoryAdmin):
    list_display = ["slug", "name_zh", "name_en", "kind", "region"]
    list_filter = ["kind"]
    search_fields = ["slug", "name_zh", "name_en"]
    list_select_related = ["region"]


@admin.register(Enterprise)
class EnterpriseAdmin(SimpleHistoryAdmin):
    list_display = ["slug", "name_zh", "name_en", "region", "credit_code"]
    search_fields = ["slug", "name_zh", "name_en", "credit_code"]
    list_select_related = ["region"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["region", "department", "enterprise"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin, SimpleHistoryAdmin):
    fieldsets = (*DjangoUserAdmin.fieldsets, (None, {"fields": ["display_name", "language"]}))
    list_display = ["username", "display_name", "is_active", "is_staff", "last_login"]
    inlines = [MembershipInline]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "created_at", "expires_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "key_hash", "created_at", "last_used_at"]
    list_select_related = ["user"]
