from django import forms


class SwitchMerchantForm(forms.Form):
    merchant = forms.IntegerField()
