"""EnigmaPay desk pages (being built)."""

from django.http import Http404


def _todo(request, *args, **kwargs):
    raise Http404("Not built yet.")


iban_list = iban_refresh = iban_detail = payout_new = payout_confirm = payout_send = payout_check = _todo
link_new = dealer_settings = _todo
