"""Forms of the EoneoPay desk and the payments pages. They only parse and show errors;
the rules live in ``payments.services.eoneopay`` and ``payments.services.refunds``.

Card number, CVV and bank account number fields never render the value they were
given: after an error the person types them again, and none of them travels back in
a page."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from providers.models import ProviderConnection


class _SecretDigits(forms.PasswordInput):
    """A field whose value is never sent back to the browser."""

    def __init__(self, **attrs):
        super().__init__(attrs={"autocomplete": "off", "inputmode": "numeric", "spellcheck": "false", **attrs},
                         render_value=False)


class _UnechoedText(forms.TextInput):
    """Shown as typed, but never rendered back after an error (a bank account number)."""

    def format_value(self, value):
        return None


class ConnectionField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ProviderConnection) -> str:
        return f"EoneoPay ({obj.get_mode_display().lower()})"


class ServiceErrorsMixin:
    def apply(self, error: ValidationError) -> None:
        """Put a service's ValidationError on the fields it names."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error.messages)
            return
        for field, messages in error.message_dict.items():
            self.add_error(field if field in self.fields else None, messages)


class CardFields(forms.Form):
    card_number = forms.CharField(label="Card number", max_length=23, required=False,
                                  widget=_SecretDigits(placeholder="13 to 19 digits"))
    card_expiry = forms.CharField(label="Expiry (MM/YY)", max_length=7, required=False,
                                  widget=forms.TextInput(attrs={"placeholder": "05/29", "autocomplete": "off"}))
    card_cvv = forms.CharField(label="CVV", max_length=4, required=False, widget=_SecretDigits(size=4))

    def has_card(self) -> bool:
        return any((self.cleaned_data.get(f) or "").strip() for f in ("card_number", "card_expiry", "card_cvv"))


class BankFields(forms.Form):
    bank_name = forms.CharField(label="Account holder", max_length=200, required=False)
    bank_branch = forms.CharField(label="BSB", max_length=7, required=False,
                                  widget=forms.TextInput(attrs={"placeholder": "012-003", "inputmode": "numeric"}))
    bank_number = forms.CharField(label="Account number", max_length=12, required=False,
                                  widget=_UnechoedText(attrs={"autocomplete": "off", "inputmode": "numeric"}))

    def has_bank(self) -> bool:
        return any((self.cleaned_data.get(f) or "").strip() for f in ("bank_name", "bank_branch", "bank_number"))


class CustomerDetailsFields(forms.Form):
    name = forms.CharField(max_length=200)
    email = forms.CharField(max_length=254)
    address = forms.CharField(max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3}))


class CustomerForm(ServiceErrorsMixin, CustomerDetailsFields, CardFields, BankFields):
    connection = ConnectionField(queryset=ProviderConnection.objects.none(), empty_label=None)

    field_order = ["connection", "name", "email", "address", "card_number", "card_expiry", "card_cvv",
                   "bank_name", "bank_branch", "bank_number"]

    def __init__(self, *args, connections, **kwargs):
        super().__init__(*args, **kwargs)
        self.connections = connections
        self.fields["connection"].queryset = connections
        self.fields["connection"].required = connections.count() > 1
        if connections.count() < 2:
            self.fields["connection"].widget = forms.HiddenInput()
            first = connections.first()
            if first is not None:
                self.fields["connection"].initial = first.pk


    def clean_connection(self):
        # With one connection the field is hidden and may be left out: it is that one.
        return self.cleaned_data.get("connection") or self.connections.first()


class CustomerEditForm(ServiceErrorsMixin, CustomerDetailsFields):
    pass


class CardAddForm(ServiceErrorsMixin, CardFields):
    def clean(self):
        data = super().clean()
        if not self.has_card():
            raise ValidationError("Enter the card's number, expiry and CVV.")
        return data


class BankAddForm(ServiceErrorsMixin, BankFields):
    def clean(self):
        data = super().clean()
        if not self.has_bank():
            raise ValidationError("Enter the account holder, BSB and account number.")
        return data


class ChargeForm(ServiceErrorsMixin, forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    card = forms.ChoiceField(label="Card")
    amount = forms.CharField(label="Amount (AUD)", max_length=20, widget=forms.TextInput(
        attrs={"inputmode": "decimal", "placeholder": "742.00"}))
    currency = forms.CharField(max_length=3, initial="AUD", widget=forms.TextInput(attrs={"readonly": True,
                                                                                          "size": 4}))
    reference = forms.CharField(max_length=40, help_text="Your order number; EoneoPay gets it with Paydesk's.")
    description = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, cards, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["card"].choices = [(str(c.pk), f"{c.customer.name} · {c.label}") for c in cards]


class RefundForm(ServiceErrorsMixin, forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    amount = forms.CharField(label="Amount", max_length=20, required=False,
                             widget=forms.TextInput(attrs={"inputmode": "decimal"}))

    def __init__(self, *args, partial: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not partial:
            del self.fields["amount"]
