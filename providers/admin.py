"""Connections in admin: secrets are write-only. The stored credentials are shown
masked; new values typed in the form replace those of the same name."""

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html_join

from providers.models import ProviderConnection
from providers.services import ConnectionInputError, connection_test, connection_upsert, connection_validate


class ConnectionAdminForm(forms.ModelForm):
    base_url = forms.URLField(label="Base URL", max_length=300, assume_scheme="https")
    new_credentials = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
        help_text="One NAME=VALUE per line (e.g. api_key=...). Blank keeps the stored secrets. "
        "Values are encrypted and never shown again.",
    )

    class Meta:
        model = ProviderConnection
        fields = ["merchant", "provider", "mode", "base_url"]

    def clean_new_credentials(self):
        credentials = {}
        for line in self.cleaned_data["new_credentials"].splitlines():
            if not line.strip():
                continue
            name, sep, value = line.partition("=")
            if not sep:
                raise forms.ValidationError("Each line must be NAME=VALUE.")
            credentials[name.strip()] = value.strip()
        return credentials

    def clean(self):
        data = super().clean()
        instance = self.instance
        merchant = data.get("merchant") or getattr(instance, "merchant", None)
        provider = data.get("provider") or instance.provider
        mode = data.get("mode") or instance.mode
        if merchant and provider and mode and data.get("base_url") and "new_credentials" in data:
            try:
                connection_validate(
                    merchant=merchant,
                    provider=provider,
                    mode=mode,
                    base_url=data["base_url"],
                    credentials=data["new_credentials"],
                )
            except ConnectionInputError as e:
                raise forms.ValidationError(str(e)) from None
        return data


@admin.register(ProviderConnection)
class ProviderConnectionAdmin(admin.ModelAdmin):
    form = ConnectionAdminForm
    list_display = ["merchant", "provider", "mode", "status", "last_checked_at", "updated_at"]
    list_filter = ["provider", "mode", "status"]
    search_fields = ["merchant__name", "merchant__slug", "base_url"]
    readonly_fields = ["stored_credentials", "status", "last_checked_at", "last_error", "callback_token_hint"]
    autocomplete_fields = ["merchant"]
    actions = ["test_connections"]

    @admin.display(description="Stored credentials")
    def stored_credentials(self, obj):
        if not obj.pk:
            return "—"
        return format_html_join("", "<div>{}: <code>{}</code></div>", obj.masked_credentials().items()) or "none"

    @admin.display(description="Callback token")
    def callback_token_hint(self, obj):
        return f"…{obj.callback_token[-4:]}" if obj.pk else "—"

    def save_model(self, request, obj, form, change):
        saved, _ = connection_upsert(
            merchant=obj.merchant,
            provider=obj.provider,
            mode=obj.mode,
            base_url=form.cleaned_data["base_url"],
            credentials=form.cleaned_data["new_credentials"],
        )
        obj.pk = saved.pk
        obj.refresh_from_db()

    def get_readonly_fields(self, request, obj=None):
        # Provider and mode identify a connection; changing them would be another one.
        fixed = ["merchant", "provider", "mode"] if obj is not None else []
        return [*fixed, *self.readonly_fields]

    @admin.action(description="Test the selected connections")
    def test_connections(self, request, queryset):
        for connection in queryset:
            result = connection_test(connection=connection)
            level = messages.SUCCESS if result.ok else messages.ERROR
            self.message_user(request, f"{connection}: {result.message}", level)
