"""Forms of the EnigmaPay desk. They only parse and show errors: the rules (IBAN
checksum and country, amount limits) live in the services, which the API shares."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from providers.models import ProviderConnection


class ConnectionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ProviderConnection) -> str:
        return f"EnigmaPay ({obj.get_mode_display().lower()})"


class _EnigmaPayForm(forms.Form):
    connection = ConnectionChoiceField(queryset=ProviderConnection.objects.none(), empty_label=None)

    def __init__(self, *args, connections, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["connection"].queryset = connections
        if connections.count() < 2:
            self.fields["connection"].widget = forms.HiddenInput()
            first = connections.first()
            if first is not None:
                self.fields["connection"].initial = first.pk

    def apply(self, error: ValidationError) -> None:
        """Put a service's ValidationError on the fields it names."""
        for field, messages in error.message_dict.items():
            self.add_error(field if field in self.fields else None, messages)


class PayoutForm(_EnigmaPayForm):
    # The one-time token issued with the empty form (payments.services.idempotency).
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    username = forms.CharField(label="Customer's EnigmaPay username", max_length=100)
    customer_iban = forms.CharField(label="Customer IBAN", max_length=42,
                                    widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    customer_name = forms.CharField(label="Account holder name", max_length=200)
    # Text, not a DecimalField: the service gives the clear message for "12,5" or "1e3".
    amount = forms.CharField(label="Amount (TRY)", max_length=20,
                             widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    description = forms.CharField(max_length=120, required=False)


class PaymentLinkForm(_EnigmaPayForm):
    username = forms.CharField(label="Customer's EnigmaPay username", max_length=100)
    first_name = forms.CharField(max_length=100)
    last_name = forms.CharField(max_length=100)
    email = forms.CharField(max_length=254)
    phone = forms.CharField(max_length=32, help_text="10 to 16 digits, e.g. 905321234567")
    amount = forms.CharField(label="Amount (TRY, at least 200.00)", max_length=20,
                             widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    description = forms.CharField(max_length=120, required=False)


class DateRangeForm(forms.Form):
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def range(self):
        today = timezone.localdate()
        start = self.cleaned_data.get("start") or today - timedelta(days=30)
        end = self.cleaned_data.get("end") or today
        return start, end

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise ValidationError("The start date must be on or before the end date.")
        return data
