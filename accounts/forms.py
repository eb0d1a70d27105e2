from django import forms

from accounts.models import Role
from accounts.services import API_KEY_ROLES


class SwitchMerchantForm(forms.Form):
    merchant = forms.IntegerField()


class InviteForm(forms.Form):
    email_or_username = forms.CharField(
        label="Email or user name", max_length=254,
        help_text="Someone with no Paydesk account yet gets an email with a link to choose a password.",
    )
    role = forms.ChoiceField(choices=Role.choices, initial=Role.VIEWER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="Where the key is used, e.g. “shop backend”.")
    # One per rendered form (see ApiKey.form_nonce): a resubmit finds the key it made.
    nonce = forms.CharField(widget=forms.HiddenInput, max_length=43, required=False)
    role = forms.ChoiceField(
        choices=[(r.value, r.label) for r in API_KEY_ROLES], initial=Role.MANAGER,
        help_text="Managers can move money; viewers only read. A key never acts as an owner.",
    )
