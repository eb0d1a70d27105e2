"""Self-service forms. Phones are parsed for the provider's country and come out in
E.164; NIK, dates, card numbers and expiry are checked here so that a bad value is shown
next to its field before anything is sent. Secret fields (card number, IPIN, passwords,
codes) are never echoed back into a page: their widgets render no value."""

from __future__ import annotations

import re
from datetime import date

from django import forms

from accounts.phones import InvalidPhone, phone_to_e164

EXAMPLES = {"SD": "+249 91 234 5678", "ID": "0812 3456 7890"}
COUNTRY_NAMES = {"SD": "Sudanese", "ID": "Indonesian"}
DIGITS_ONLY = re.compile(r"[\s\-]")


class NoEchoInput(forms.TextInput):
    """A text box that never renders what was typed (a card number, a code)."""

    def format_value(self, value):
        return None


class SecretInput(forms.PasswordInput):
    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, render_value=False)


class PhoneField(forms.CharField):
    def __init__(self, *, country: str, **kwargs) -> None:
        self.country = country
        kwargs.setdefault("label", "Mobile number")
        kwargs.setdefault("max_length", 24)
        kwargs.setdefault("widget", forms.TextInput(attrs={
            "inputmode": "tel", "autocomplete": "tel", "placeholder": EXAMPLES[country]}))
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return value
        try:
            return phone_to_e164(value, country=self.country)
        except InvalidPhone:
            raise forms.ValidationError(
                f"Enter a valid {COUNTRY_NAMES[self.country]} mobile number, such as {EXAMPLES[self.country]}."
            ) from None


def _code_field(label: str = "Code from the SMS") -> forms.CharField:
    return forms.CharField(
        label=label, max_length=8, min_length=4,
        widget=NoEchoInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]*"}),
        error_messages={"min_length": "The code has at least 4 digits."},
    )


def _password_field(label: str, *, min_length: int = 8, autocomplete: str = "new-password") -> forms.CharField:
    return forms.CharField(
        label=label, min_length=min_length, max_length=128, strip=False,
        widget=SecretInput(attrs={"autocomplete": autocomplete}),
        error_messages={"min_length": f"Use at least {min_length} characters."},
    )


class _ConfirmMixin:
    pair = ("password", "password_confirm")

    def clean(self):
        data = super().clean()
        first, second = self.pair
        if data.get(first) and data.get(second) is not None and data.get(first) != data.get(second):
            self.add_error(second, "The two entries do not match.")
        return data


class OtpForm(forms.Form):
    code = _code_field()

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        if not code.isdigit():
            raise forms.ValidationError("The code is digits only.")
        return code


# -- EnayaPay (Sudan) ----------------------------------------------------------------------
class EnayaRegisterForm(_ConfirmMixin, forms.Form):
    name = forms.CharField(label="Full name", max_length=100, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    phone = PhoneField(country="SD")
    password = _password_field("Password")
    password_confirm = _password_field("Password again")


class EnayaLoginForm(forms.Form):
    phone = PhoneField(country="SD")
    password = forms.CharField(label="Password", max_length=128, strip=False,
                               widget=SecretInput(attrs={"autocomplete": "current-password"}))


class EnayaForgotForm(forms.Form):
    phone = PhoneField(country="SD")


class EnayaNewPasswordForm(_ConfirmMixin, forms.Form):
    password = _password_field("New password")
    password_confirm = _password_field("New password again")


class EnayaChangePasswordForm(_ConfirmMixin, forms.Form):
    pair = ("new_password", "new_password_confirm")
    current_password = forms.CharField(label="Current password", max_length=128, strip=False,
                                       widget=SecretInput(attrs={"autocomplete": "current-password"}))
    new_password = _password_field("New password")
    new_password_confirm = _password_field("New password again")


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


class BalanceForm(forms.Form):
    pan = forms.CharField(label="Card number", max_length=30, widget=NoEchoInput(attrs={
        "inputmode": "numeric", "autocomplete": "off", "placeholder": "16 or 19 digits"}))
    expiry = forms.CharField(label="Expiry (YYMM)", max_length=7, widget=forms.TextInput(attrs={
        "inputmode": "numeric", "autocomplete": "off", "placeholder": "YYMM, e.g. 2812"}))
    ipin = forms.CharField(label="IPIN", max_length=12, strip=False, widget=SecretInput(attrs={
        "inputmode": "numeric", "autocomplete": "off"}))

    def clean_pan(self):
        pan = DIGITS_ONLY.sub("", self.cleaned_data["pan"])
        if not pan.isdigit() or not 12 <= len(pan) <= 19:
            raise forms.ValidationError("A card number has 12 to 19 digits.")
        if not luhn_ok(pan):
            raise forms.ValidationError("This card number is not valid: check the digits.")
        return pan

    def clean_expiry(self):
        raw = self.cleaned_data["expiry"].strip()
        if re.fullmatch(r"\d{2}/\d{2}", raw):  # MM/YY, as printed on the card
            raw = raw[3:] + raw[:2]
        if not re.fullmatch(r"\d{2}(0[1-9]|1[0-2])", raw):
            raise forms.ValidationError("Enter the expiry as YYMM (December 2028 is 2812) or MM/YY.")
        return raw

    def clean_ipin(self):
        ipin = self.cleaned_data["ipin"]
        if not re.fullmatch(r"\d{4,12}", ipin):
            raise forms.ValidationError("The IPIN is 4 to 12 digits.")
        return ipin


# -- Vospay (Indonesia) --------------------------------------------------------------------
class VospayActivationForm(forms.Form):
    mfc_code = forms.CharField(label="MFC code", max_length=3, min_length=3,
                               help_text="The 3-digit code of your multifinance company, from its letter or SMS.",
                               widget=forms.TextInput(attrs={"inputmode": "numeric"}),
                               error_messages={"min_length": "The MFC code has 3 digits."})
    nik = forms.CharField(label="NIK", max_length=16, min_length=16,
                          help_text="The 16 digits of your national ID (KTP).",
                          widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
                          error_messages={"min_length": "The NIK has 16 digits."})
    phone = PhoneField(country="ID")
    date_of_birth = forms.DateField(label="Date of birth", widget=forms.DateInput(attrs={"type": "date"}),
                                    input_formats=["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"],
                                    error_messages={"invalid": "Enter the date as DD/MM/YYYY."})

    def clean_mfc_code(self):
        code = self.cleaned_data["mfc_code"].strip()
        if not code.isdigit():
            raise forms.ValidationError("The MFC code has 3 digits.")
        return code

    def clean_nik(self):
        nik = DIGITS_ONLY.sub("", self.cleaned_data["nik"])
        if not re.fullmatch(r"\d{16}", nik):
            raise forms.ValidationError("The NIK has 16 digits.")
        return nik

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        today = date.today()
        age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        if born >= today or age > 120:
            raise forms.ValidationError("Enter your real date of birth.")
        if age < 17:
            raise forms.ValidationError("You must be at least 17 to have a Vospay account.")
        return born


class VospayRegisterForm(_ConfirmMixin, forms.Form):
    pair = ("access_code", "access_code_confirm")
    email = forms.EmailField(label="E-mail", max_length=200, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    access_code = _password_field("Access code", min_length=6)
    access_code_confirm = _password_field("Access code again", min_length=6)


class VospaySignInForm(forms.Form):
    phone = PhoneField(country="ID")


class VospayCodeSignInForm(forms.Form):
    login = forms.CharField(label="E-mail or mobile number", max_length=200,
                            widget=forms.TextInput(attrs={"autocomplete": "username"}))
    access_code = forms.CharField(label="Access code", max_length=128, strip=False,
                                  widget=SecretInput(attrs={"autocomplete": "current-password"}))

    def clean_login(self):
        login = self.cleaned_data["login"].strip()
        if "@" in login:
            try:
                forms.EmailField().clean(login)
            except forms.ValidationError:
                raise forms.ValidationError("Enter a valid e-mail address.") from None
            self.cleaned_data["strategy"] = "email"
            return login
        self.cleaned_data["strategy"] = "phone"
        return PhoneField(country="ID").clean(login)


class VospayAccessCodeForm(_ConfirmMixin, forms.Form):
    pair = ("access_code", "access_code_confirm")
    access_code = _password_field("New access code", min_length=6)
    access_code_confirm = _password_field("New access code again", min_length=6)
