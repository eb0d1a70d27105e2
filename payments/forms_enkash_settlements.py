"""Forms of the EnKash settlements and QR code pages. They parse and show errors; the
rules live in ``payments.services.enkash_settlements``, which the API shares."""

from __future__ import annotations

import zoneinfo

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from payments.models import QrCustomer
from providers.models import ProviderConnection

# EnKash is Indian: an expiry typed on the page is India time, whatever the server's zone.
IST = zoneinfo.ZoneInfo("Asia/Kolkata")


class EnKashConnectionField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ProviderConnection) -> str:
        return f"EnKash ({obj.get_mode_display().lower()})"


class QrCustomerField(forms.ModelChoiceField):
    def label_from_instance(self, obj: QrCustomer) -> str:
        contact = " · ".join(v for v in (obj.mobile, obj.email) if v)
        return f"{obj.name} ({contact})" if contact else obj.name


class _EnKashForm(forms.Form):
    connection = EnKashConnectionField(queryset=ProviderConnection.objects.none(), empty_label=None)

    def __init__(self, *args, connections, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["connection"].queryset = connections
        if connections.count() < 2:
            self.fields["connection"].widget = forms.HiddenInput()
            first = connections.first()
            if first is not None:
                self.fields["connection"].initial = first.pk

    def apply(self, error: ValidationError) -> None:
        for field, messages in error.message_dict.items():
            self.add_error(field if field in self.fields else None, messages)


class QrCodeForm(_EnKashForm):
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    name = forms.CharField(max_length=50, help_text="Shown to the payer, e.g. Counter 1")
    usage = forms.ChoiceField(choices=[("single", "Single use: one payment"), ("multiple", "Multiple use")],
                              widget=forms.RadioSelect, initial="multiple")
    amount_type = forms.ChoiceField(label="Amount", widget=forms.RadioSelect, initial="open", choices=[
        ("open", "Open: the payer types the amount"), ("fixed", "Fixed: the payer pays exactly")])
    # Text, not a DecimalField: the service gives the clear message for "12,5" or "1e3".
    amount = forms.CharField(label="Fixed amount (INR)", max_length=20, required=False,
                             widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "499.00"}))
    description = forms.CharField(max_length=200, required=False)
    expires_at = forms.DateTimeField(
        label="Expires at (India time, IST)", required=False, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Leave empty for a code that does not expire",
    )
    customer = QrCustomerField(queryset=QrCustomer.objects.none(), required=False, empty_label="No customer")

    def __init__(self, *args, customers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers

    def clean_expires_at(self):
        value = self.cleaned_data.get("expires_at")
        if value is None:
            return None
        # The browser sends a wall-clock time: India's, not the server's zone.
        return timezone.make_aware(timezone.make_naive(value), IST) if timezone.is_aware(value) else \
            timezone.make_aware(value, IST)

    def clean(self):
        data = super().clean()
        if data.get("amount_type") == "fixed" and not (data.get("amount") or "").strip():
            self.add_error("amount", "Enter the amount the payer must pay, or choose an open amount.")
        return data

    def service_fields(self) -> dict:
        data = self.cleaned_data
        fixed = data["amount_type"] == "fixed"
        return {"name": data["name"], "multiple_use": data["usage"] == "multiple", "fixed_amount": fixed,
                "amount": data.get("amount") if fixed else None, "description": data.get("description", ""),
                "expires_at": data.get("expires_at"), "customer": data.get("customer")}


class QrCustomerForm(_EnKashForm):
    name = forms.CharField(max_length=100)
    email = forms.CharField(max_length=254, required=False)
    mobile = forms.CharField(max_length=20, required=False, help_text="10 digits, e.g. 9123456780",
                             widget=forms.TextInput(attrs={"inputmode": "tel"}))
