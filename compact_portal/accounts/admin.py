from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from compact_portal.admin_site import CheckedInitialData
from compact_portal.history_privacy import PrivateHistoryAdmin

from .models import Membership, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["organisation"]


class PortalUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class PortalUserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = PortalUserChangeForm
    add_form = PortalUserCreationForm
    inlines = [MembershipInline]
    ordering = ["full_name", "email"]
    list_display = ["email", "full_name", "is_active", "last_login"]
    list_filter = ["is_active", "memberships__role"]
    search_fields = ["email", "full_name"]
    fieldsets = [
        (None, {"fields": ["email", "full_name", "password"]}),
        ("Access", {"fields": ["is_active", "is_superuser"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "full_name", "usable_password", "password1", "password2"]})
    ]
    readonly_fields = ["last_login", "date_joined"]
    filter_horizontal = []


@admin.register(Membership)
# The History button: who gave or took away the role, and when.
class MembershipAdmin(CheckedInitialData, PrivateHistoryAdmin):
    list_display = ["user", "organisation", "role", "created_at"]
    list_filter = ["role", "organisation__side"]
    search_fields = ["user__email", "user__full_name", "organisation__name"]
    autocomplete_fields = ["user", "organisation"]
    list_select_related = ["user", "organisation"]


# Two-factor devices: administrators see who has two-factor sign-in on and can remove it (a lost phone and lost
# recovery codes), but never the keys, QR codes or recovery codes django-otp's own admin shows, which would let
# them sign in as the person.
for _otp_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_otp_model):
        admin.site.unregister(_otp_model)


class TwoFactorDeviceAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    fields = list_display
    readonly_fields = list_display
    search_fields = ["user__email", "user__full_name"]
    list_select_related = ["user"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


admin.site.register(TOTPDevice, TwoFactorDeviceAdmin)
admin.site.register(StaticDevice, TwoFactorDeviceAdmin)
