from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from .models import Group, Membership, Rule, School, Trust, TrustMembership
from .services import staff_invite


class RuleInline(admin.TabularInline):
    model = Rule
    extra = 0
    fields = ("order", "title", "explanation", "is_active")


class GroupInline(admin.TabularInline):
    model = Group
    extra = 0
    fields = ("order", "name", "platform", "is_active")


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("user",)
    fields = ("user", "role", "is_head_teacher", "is_deputy", "job_title")


class UserMembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ("school", "role", "is_head_teacher", "is_deputy", "job_title")


class UserTrustMembershipInline(admin.TabularInline):
    model = TrustMembership
    extra = 0
    fields = ("trust", "job_title")


@admin.register(Trust)
class TrustAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}


@admin.register(School)
class SchoolAdmin(admin.ModelAdmin):
    list_display = ("name", "reference_prefix", "trust", "phone", "is_active")
    list_filter = ("trust", "is_active")
    search_fields = ("name", "slug", "postcode", "email")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [RuleInline, GroupInline, MembershipInline]
    fieldsets = (
        (None, {"fields": ("name", "slug", "trust", "reference_prefix", "is_active")}),
        (
            "Contact details",
            {"fields": ("address", "postcode", "phone", "email", "website", "logo")},
        ),
        (
            "Safeguarding numbers shown to parents",
            {"fields": ("childrens_services_phone", "police_non_emergency_phone")},
        ),
        (
            "Targets (the school's own choice, not law)",
            {"fields": ("triage_target_days", "letter_queue_target_days")},
        ),
    )
    # The crest is uploaded on the staff "Letter settings" page, where it is inspected like
    # a parent's screenshot and re-encoded; the admin only shows it.
    readonly_fields = ("logo",)


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    list_display = ("title", "school", "order", "is_active")
    list_filter = ("school", "is_active")
    list_editable = ("order", "is_active")
    search_fields = ("title", "explanation")


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = ("name", "school", "platform", "order", "is_active")
    list_filter = ("school", "platform", "is_active")
    search_fields = ("name",)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "school", "role", "is_head_teacher", "is_deputy", "job_title")
    list_filter = ("school", "role", "is_head_teacher")
    search_fields = ("user__username", "user__first_name", "user__last_name", "user__email")
    autocomplete_fields = ("user",)


@admin.register(TrustMembership)
class TrustMembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "trust", "job_title")
    list_filter = ("trust",)
    search_fields = ("user__username", "user__first_name", "user__last_name")
    autocomplete_fields = ("user",)


# Staff accounts: an administrator creates the account and sends an invitation, and the
# member of staff sets their own password through the reset link.
User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    inlines = [UserMembershipInline, UserTrustMembershipInline]
    actions = ["send_invitation"]
    list_display = ("username", "first_name", "last_name", "email", "is_active", "last_login")

    @admin.action(description="Send an invitation / set-password email")
    def send_invitation(self, request, queryset):
        sent = 0
        for user in queryset.filter(is_active=True).exclude(email=""):
            staff_invite(user=user, domain=request.get_host(), use_https=request.is_secure())
            sent += 1
        self.message_user(request, f"Sent {sent} invitation(s).", messages.SUCCESS)
