"""Forms of the EnKash desk. They only parse and show errors: the rules (amount limits,
phone, VPA, IFSC, what is left to refund) live in ``payments.services.enkash``."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from providers.models import ProviderConnection


class _ServiceErrors:
    def apply(self, error: ValidationError) -> None:
        """Put a service's ValidationError on the fields it names."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error.messages)
            return
        for field, messages in error.message_dict.items():
            self.add_error(field if field in self.fields else None, messages)


class ConnectionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ProviderConnection) -> str:
        return f"EnKash ({obj.get_mode_display().lower()})"


class OrderForm(_ServiceErrors, forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    connection = ConnectionChoiceField(queryset=ProviderConnection.objects.none(), empty_label=None)
    amount = forms.CharField(label="Amount (INR)", max_length=20,
                             widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    customer_first_name = forms.CharField(label="Customer first name", max_length=100)
    customer_last_name = forms.CharField(label="Customer last name", max_length=100, required=False)
    customer_email = forms.CharField(label="Customer email", max_length=254, required=False)
    customer_phone = forms.CharField(label="Customer mobile", max_length=16, required=False,
                                     help_text="10 digits, e.g. 9876543210",
                                     widget=forms.TextInput(attrs={"inputmode": "tel"}))
    description = forms.CharField(max_length=200, required=False)
    return_url = forms.CharField(label="Return URL", max_length=500,
                                 help_text="Where EnKash sends the customer after paying")

    def __init__(self, *args, connections, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["connection"].queryset = connections
        if connections.count() < 2:
            self.fields["connection"].widget = forms.HiddenInput()
            first = connections.first()
            if first is not None:
                self.fields["connection"].initial = first.pk


class PaymentDetailForm(_ServiceErrors, forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    payment_mode = forms.ChoiceField(label="Payment mode", choices=[("UPI", "UPI collect (VPA)"),
                                                                    ("NET_BANKING", "Net banking")])
    vpa = forms.CharField(label="Customer's UPI id (VPA), for UPI collect", max_length=300, required=False,
                          widget=forms.TextInput(attrs={"placeholder": "name@bank", "autocomplete": "off"}))
    bank_code = forms.CharField(label="Bank code, for net banking", max_length=10, required=False,
                                widget=forms.TextInput(attrs={"placeholder": "SBIN"}))
    account_number = forms.CharField(label="Account number (optional)", max_length=20, required=False,
                                     widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}))
    ifsc = forms.CharField(label="IFSC (optional)", max_length=11, required=False)


class RefundForm(_ServiceErrors, forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    amount = forms.CharField(label="Amount to refund (INR)", max_length=20, required=False,
                             help_text="Leave empty to refund all that is left",
                             widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    remarks = forms.CharField(max_length=200, required=False)
