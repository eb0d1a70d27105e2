from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import ApiKey, Customer, Membership, Merchant, OtpChallenge, OtpThrottle, User
from accounts.phones import InvalidPhone, phone_to_e164
from accounts.services import api_key_revoke


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "email", "is_staff", "is_active", "date_joined"]
    inlines = [MembershipInline]


@admin.register(Merchant)
class MerchantAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "country", "default_currency", "created_at"]
    list_filter = ["country", "default_currency"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "merchant", "role", "created_at"]
    list_filter = ["role", "merchant"]
    search_fields = ["user__username", "user__email", "merchant__name"]
    autocomplete_fields = ["user", "merchant"]


class CustomerAdminForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = ["merchant", "phone", "name", "email"]

    def clean(self):
        data = super().clean()
        merchant, phone = data.get("merchant"), data.get("phone")
        if merchant and phone:
            try:
                data["phone"] = phone_to_e164(phone, country=merchant.country)
            except InvalidPhone as e:
                self.add_error("phone", str(e))
        return data


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    form = CustomerAdminForm
    list_display = ["phone", "name", "email", "merchant", "created_at"]
    list_filter = ["merchant"]
    search_fields = ["phone", "name", "email"]
    autocomplete_fields = ["merchant"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are made by owners on the API keys page, which shows the full key once;
    staff can see and revoke them here, never add one (there would be no way to hand
    the key over) nor see more than the prefix (only a hash is stored)."""

    list_display = ["name", "display_prefix", "merchant", "role", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["role", "merchant"]
    search_fields = ["name", "prefix", "merchant__name"]
    fields = ["merchant", "name", "role", "display_prefix", "created_by", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request, queryset):
        for api_key in queryset:
            api_key_revoke(api_key=api_key)
        self.message_user(request, f"Revoked {queryset.count()} key(s).")


# -- customer self-service: the OTP guard's records (read only; staff may delete a row to
# lift a block by hand) ---------------------------------------------------------------------


@admin.register(OtpChallenge)
class OtpChallengeAdmin(admin.ModelAdmin):
    list_display = ["phone", "flow", "merchant", "attempts", "max_attempts", "issued_at", "expires_at", "passed_at"]
    list_filter = ["flow", "merchant"]
    search_fields = ["phone"]
    readonly_fields = [f.name for f in OtpChallenge._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(OtpThrottle)
class OtpThrottleAdmin(admin.ModelAdmin):
    list_display = ["key", "count", "window_start", "last_at"]
    search_fields = ["key"]
    readonly_fields = ["key", "count", "window_start", "last_at"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
