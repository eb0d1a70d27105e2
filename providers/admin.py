"""Connections in admin: secrets are write-only. The stored credentials are shown
masked; new values typed in the form replace those of the same name."""

from functools import partial

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.utils.decorators import method_decorator
from django.utils.html import format_html_join
from django.views.decorators.debug import sensitive_post_parameters

from providers.callbacks import ReprocessRefused, webhook_event_reprocess
from providers.forms import WriteOnlyTextarea, parse_credential_lines
from providers.models import ProviderConnection, WebhookEvent
from providers.services import ConnectionInputError, connection_upsert, connection_validate
from providers.tasks import connection_check


class ConnectionAdminForm(forms.ModelForm):
    base_url = forms.URLField(label="Base URL", max_length=300, assume_scheme="https")
    new_credentials = forms.CharField(
        required=False,
        widget=WriteOnlyTextarea(attrs={"rows": 3, "autocomplete": "off"}),
        help_text="One NAME=VALUE per line (e.g. api_key=...). Blank keeps the stored secrets. "
        "Values are encrypted and never shown again.",
    )

    class Meta:
        model = ProviderConnection
        fields = ["merchant", "provider", "mode", "base_url"]

    def clean_new_credentials(self):
        try:
            return parse_credential_lines(self.cleaned_data["new_credentials"])
        except ValueError as e:
            raise forms.ValidationError(str(e)) from None

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

    @method_decorator(sensitive_post_parameters("new_credentials"))
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return super().changeform_view(request, object_id, form_url, extra_context)

    @admin.action(description="Test the selected connections (in the background)")
    def test_connections(self, request, queryset):
        # Provider calls never run inside the admin request: each check is a task,
        # queued once this request's transaction has committed.
        ids = list(queryset.values_list("pk", flat=True))
        for pk in ids:
            transaction.on_commit(partial(connection_check.delay, pk))
        self.message_user(
            request, f"Queued a check of {len(ids)} connection(s); refresh to see their status.", messages.INFO
        )


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    """Callbacks as received: evidence, so read-only. Staff see the masked text only;
    the exact bytes stay encrypted (they may hold a PAN or an OTP)."""

    list_display = ["id", "provider", "connection", "received_at", "times_received", "processing", "outcome",
                    "attempts", "trusted"]
    list_filter = ["provider", "processing", "trusted", "body_redacted"]
    search_fields = ["body", "connection__merchant__name", "body_sha256", "external_id"]
    date_hierarchy = "received_at"
    readonly_fields = [f.name for f in WebhookEvent._meta.fields if f.name != "body_encrypted"]
    actions = ["rerun"]

    @admin.action(description="Re-run the selected callbacks (confirm with the provider again)")
    def rerun(self, request, queryset):
        # Applying is idempotent: a processed callback re-run changes nothing twice.
        queued, busy = 0, 0
        for event in queryset:
            try:
                webhook_event_reprocess(event=event)
                queued += 1
            except ReprocessRefused:
                busy += 1
        self.message_user(request, f"Queued {queued} callback(s) to run again; refresh to see their outcome.",
                          messages.INFO)
        if busy:
            self.message_user(request, f"{busy} callback(s) are being processed right now and were left alone.",
                              messages.WARNING)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
