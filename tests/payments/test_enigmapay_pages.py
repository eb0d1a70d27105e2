"""The EnigmaPay desk pages, per role, against the real sandbox: what each page shows
and what it stored or sent."""

import re

import pytest
from django.test import Client

from payments.models import BalanceSnapshot, IbanAccount, Status, Transaction
from providers.enigmapay import testdata
from providers.services import connection_upsert
from tests.conftest import arm_fault
from tests.factories import MembershipFactory, MerchantFactory
from tests.helpers import requests_to

pytestmark = pytest.mark.django_db(transaction=True)

PAYOUT = {
    "username": "ayse.yilmaz", "customer_iban": "TR88 0006 4000 0000 0000 0010 01", "customer_name": "Ayşe Yılmaz",
    "amount": "1,250.50", "description": "Order 77 refund",
}


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def new_token(client) -> str:
    page = client.get("/dashboard/payouts/new/").content.decode()
    return re.search(r'name="token" value="([^"]+)"', page).group(1)


def confirm(client, connection, token=None, **overrides):
    token = token or (new_token(client) if client.get("/dashboard/payouts/new/").status_code == 200 else "x")
    return client.post("/dashboard/payouts/confirm/", {"connection": connection.pk, "token": token, **PAYOUT,
                                                       **overrides})


def hidden_fields(html: str) -> dict:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))


def test_ibans_page_reads_balances_once_a_minute_and_stores_snapshots(enigmapay, members, sandbox):
    client = signed_in(members["viewer"])
    page = client.get("/dashboard/ibans/").content.decode()
    assert testdata.DEALER_IBAN_1 in page and "125000.00 TRY" in page and "48250.75 TRY" in page
    assert IbanAccount.objects.filter(connection=enigmapay).count() == 3
    assert BalanceSnapshot.objects.count() == 3
    response = client.post(f"/dashboard/ibans/refresh/{enigmapay.pk}/", follow=True)
    assert "up to date" in response.content.decode()
    client.get("/dashboard/ibans/")
    # The first visit read them; a refresh within the minute answered from the database.
    assert requests_to(sandbox, "enigmapay", "/ibans") == 1
    assert BalanceSnapshot.objects.count() == 3


def test_ibans_page_without_enigmapay_says_what_to_do(merchant, members):
    page = signed_in(members["owner"]).get("/dashboard/ibans/").content.decode()
    assert "No EnigmaPay connection yet" in page and "Connect EnigmaPay" in page
    page = signed_in(members["manager"]).get("/dashboard/payouts/new/").content.decode()
    assert "Connect EnigmaPay first" in page and "Ask an owner" in page


def test_iban_history_for_a_date_range(enigmapay, members, sandbox):
    client = signed_in(members["viewer"])
    client.get("/dashboard/ibans/")
    iban = IbanAccount.objects.get(iban=testdata.DEALER_IBAN_2)
    page = client.get(f"/dashboard/ibans/{iban.pk}/?start=2025-11-01&end=2025-11-30").content.decode()
    assert "Withdrawal" in page and "1749.25" in page
    assert "start_date=2025-11-01" in sandbox.sandbox("enigmapay").received[-1].query
    page = client.get(f"/dashboard/ibans/{iban.pk}/?start=2025-12-01&end=2025-11-01").content.decode()
    assert "start date must be on or before" in page
    page = client.get(f"/dashboard/ibans/{iban.pk}/?start=yesterday").content.decode()
    assert "Enter a valid date" in page


def test_manager_reviews_then_sends_a_payout_once(enigmapay, members, sandbox):
    client = signed_in(members["manager"])
    page = confirm(client, enigmapay).content.decode()
    # The confirmation shows exactly what will be sent, normalised.
    assert "1250.50 TRY" in page and testdata.CUSTOMER_IBAN_OK in page and "Ayşe Yılmaz" in page
    assert requests_to(sandbox, "enigmapay", "/send-money") == 0 and Transaction.objects.count() == 0
    form = hidden_fields(page)
    response = client.post("/dashboard/payouts/send/", form)
    payout = Transaction.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/dashboard/transactions/{payout.pk}/"
    assert payout.status == Status.PENDING and payout.created_by == members["manager"]
    assert payout.payout.customer_iban == testdata.CUSTOMER_IBAN_OK
    # A double submit or a reload of the same confirmation moves no more money.
    again = client.post("/dashboard/payouts/send/", form, follow=True)
    assert "already sent" in again.content.decode()
    assert again.redirect_chain[-1][0] == f"/dashboard/transactions/{payout.pk}/"
    assert requests_to(sandbox, "enigmapay", "/send-money") == 1 and Transaction.objects.count() == 1


def test_reloading_the_confirmation_after_sending_sends_nothing_more(enigmapay, members, sandbox):
    client = signed_in(members["manager"])
    token = new_token(client)
    form = hidden_fields(confirm(client, enigmapay, token=token).content.decode())
    client.post("/dashboard/payouts/send/", form)
    # Back, then "confirm form resubmission": the same token comes again with the form.
    again = confirm(client, enigmapay, token=token)
    payout = Transaction.objects.get()
    assert again.status_code == 302 and again["Location"] == f"/dashboard/transactions/{payout.pk}/"
    assert client.post("/dashboard/payouts/send/", form).status_code == 302
    assert requests_to(sandbox, "enigmapay", "/send-money") == 1 and Transaction.objects.count() == 1


def test_a_send_refused_by_validation_keeps_the_token_usable(enigmapay, members, sandbox):
    client = signed_in(members["manager"])
    client.get("/dashboard/ibans/")
    form = hidden_fields(confirm(client, enigmapay, amount="100.00").content.decode())
    IbanAccount.objects.update(balance="50.00")  # the balance fell between confirm and send
    refused = client.post("/dashboard/payouts/send/", form)
    assert refused.status_code == 400 and "more than the available balance" in refused.content.decode()
    IbanAccount.objects.update(balance="500.00")
    sent = client.post("/dashboard/payouts/send/", form)
    assert sent.status_code == 302 and Transaction.objects.count() == 1


def test_a_confirmation_whose_details_were_changed_sends_nothing(enigmapay, members, sandbox):
    client = signed_in(members["manager"])
    form = hidden_fields(confirm(client, enigmapay).content.decode())
    form["amount"] = "9999.00"
    response = client.post("/dashboard/payouts/send/", form, follow=True)
    assert "expired or was changed" in response.content.decode()
    assert Transaction.objects.count() == 0 and requests_to(sandbox, "enigmapay", "/send-money") == 0


@pytest.mark.parametrize(("field", "value", "message"), [
    ("customer_iban", "TR000006400000000000001001", "not a valid IBAN"),
    ("customer_iban", "DE89370400440532013000", "Turkish IBANs"),
    ("amount", "12,5", "amount such as"),
    ("amount", "-5", "amount such as"),
    ("amount", "0.001", "2 decimal places"),
])
def test_bad_payout_input_is_shown_on_the_form(enigmapay, members, sandbox, field, value, message):
    response = confirm(signed_in(members["manager"]), enigmapay, **{field: value})
    assert response.status_code == 400 and message in response.content.decode()
    assert Transaction.objects.count() == 0


def test_a_refused_payout_shows_enigmapays_reason(enigmapay, members, sandbox):
    client = signed_in(members["owner"])
    form = hidden_fields(confirm(client, enigmapay, customer_iban=testdata.CUSTOMER_IBAN_BLOCKED).content.decode())
    page = client.post("/dashboard/payouts/send/", form, follow=True).content.decode()
    assert "did not make the payout" in page and "not allowed" in page
    assert Transaction.objects.get().status == Status.FAILED


def test_a_timed_out_payout_shows_the_checking_banner_and_is_resolved_by_check_status(enigmapay, members, sandbox):
    client = signed_in(members["manager"])
    client.get("/dashboard/ibans/")
    arm_fault(sandbox, "enigmapay", "send_money", "timeout", delay=3.0)
    form = hidden_fields(confirm(client, enigmapay).content.decode())
    page = client.post("/dashboard/payouts/send/", form, follow=True).content.decode()
    payout = Transaction.objects.get()
    assert payout.status == Status.UNKNOWN
    assert "We are checking with EnigmaPay" in page and "will not be sent again" in page
    import time
    time.sleep(2.2)  # the sandbox completes a payout two seconds after it was made
    page = client.post(f"/dashboard/payouts/{payout.pk}/check/", follow=True).content.decode()
    payout.refresh_from_db()
    assert payout.status == Status.SUCCEEDED and "EnigmaPay says: succeeded (Completed)" in page
    assert requests_to(sandbox, "enigmapay", "/send-money") == 1


def test_viewers_cannot_move_money(enigmapay, members, sandbox):
    viewer = signed_in(members["viewer"])
    assert viewer.get("/dashboard/payouts/new/").status_code == 403
    assert confirm(viewer, enigmapay).status_code == 403
    assert viewer.post("/dashboard/payouts/send/", {"token": "x", **PAYOUT}).status_code == 403
    assert viewer.get("/dashboard/payment-links/new/").status_code == 403
    nav = viewer.get("/dashboard/ibans/").content.decode()
    assert "New payout" not in nav and "IBANs &amp; balances" in nav
    assert requests_to(sandbox, "enigmapay", "/send-money") == 0


def test_manager_creates_a_payment_link_to_share(enigmapay, members, sandbox):
    client = signed_in(members["manager"])
    response = client.post("/dashboard/payment-links/new/", {
        "connection": enigmapay.pk, "username": "mdemir", "first_name": "Mehmet", "last_name": "Demir",
        "email": "mehmet@example.test", "phone": "905321234567", "amount": "250.00", "description": "Invoice 12",
    }, follow=True)
    link = Transaction.objects.get()
    assert (link.kind, link.status, link.amount) == ("payment_link", Status.PENDING, 250)
    url = link.payment_link.payment_url
    assert url.startswith(sandbox.base_url("enigmapay")) and link.external_id
    page = response.content.decode()
    assert url in page and "data-copy" in page and "Payment link created" in page


def test_a_link_below_200_lira_is_refused_on_the_form(enigmapay, members, sandbox):
    response = signed_in(members["manager"]).post("/dashboard/payment-links/new/", {
        "connection": enigmapay.pk, "username": "mdemir", "first_name": "Mehmet", "last_name": "Demir",
        "email": "mehmet@example.test", "phone": "905321234567", "amount": "199.99",
    })
    assert response.status_code == 400 and "The minimum is 200.00 TRY" in response.content.decode()
    assert requests_to(sandbox, "enigmapay", "/credit-card/payment") == 0


def test_links_are_not_offered_when_the_card_method_is_off(merchant, members, sandbox):
    connection_upsert(merchant=merchant, provider="enigmapay", mode="test", base_url=sandbox.base_url("enigmapay"),
                      credentials={"api_key": testdata.CARD_OFF_API_KEY, "secret_key": testdata.CARD_OFF_SECRET_KEY})
    page = signed_in(members["manager"]).get("/dashboard/payment-links/new/").content.decode()
    assert "Card payments are not active" in page and "Create link" not in page


def test_dealer_settings_show_commissions_and_method_statuses(enigmapay, members, sandbox):
    page = signed_in(members["viewer"]).get("/dashboard/enigmapay/settings/").content.decode()
    assert "3.50%" in page and "Aktif" in page


def test_another_merchants_records_are_404(enigmapay, members, sandbox):
    signed_in(members["viewer"]).get("/dashboard/ibans/")
    iban = IbanAccount.objects.first()
    stranger = MembershipFactory(merchant=MerchantFactory(), role="owner").user
    client = signed_in(stranger)
    assert client.get(f"/dashboard/ibans/{iban.pk}/").status_code == 404
    assert client.post(f"/dashboard/ibans/refresh/{enigmapay.pk}/").status_code == 404


def test_the_transaction_page_says_who_resolves_an_unknown_and_links_the_kind_page(client, merchant, members):
    from django.utils import timezone

    from payments.models import Transaction
    from tests.factories import ConnectionFactory

    client.force_login(members["viewer"])
    eoneopay = ConnectionFactory(merchant=merchant, provider="eoneopay")
    flagged = Transaction.objects.create(
        merchant=merchant, connection=eoneopay, provider="eoneopay", kind="payment", amount="5.00", currency="AUD",
        status="unknown", needs_attention_since=timezone.now(),
        attention_reason="EoneoPay has no status call: look the reference up in its dashboard.")
    html = client.get(f"/dashboard/transactions/{flagged.pk}/").content.decode()
    assert "A person must check this with EoneoPay" in html and "look the reference up" in html
    assert "Paydesk asks" not in html
    assert f'href="/dashboard/payments/{flagged.pk}/"' in html
