"""The EoneoPay desk and payments pages, for each role, against the sandbox."""

from __future__ import annotations

import pytest
from django.test import Client

from payments.models import EoneoPayApiKey, EoneoPayCustomer, IdempotencyKey, Status, Transaction
from providers.eoneopay import testdata
from tests.conftest import arm_fault
from tests.eoneopay.support import charge, make_customer
from tests.helpers import requests_to

pytestmark = pytest.mark.django_db(transaction=True)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def customer_post(**overrides):
    data = {"name": "Bea Buyer", "email": "bea@example.test", "address": "2 Road\nPerth",
            "card_number": "4000 0000 0000 0002", "card_expiry": "05/29", "card_cvv": "602",
            "bank_name": "Bea Buyer", "bank_branch": "012-003", "bank_number": "12881899"}
    return {**data, **overrides}


def test_viewer_reads_lists_and_details_but_has_no_actions(eoneopay, sandbox, members):
    customer = make_customer(eoneopay)
    payment = charge(eoneopay, customer.cards.get())
    viewer = client_for(members["viewer"])
    page = viewer.get("/dashboard/eoneopay/customers/")
    assert page.status_code == 200 and "Ann Example" in page.content.decode()
    assert 'data-testid="new-customer"' not in page.content.decode()
    detail = viewer.get(f"/dashboard/eoneopay/customers/{customer.pk}/").content.decode()
    assert customer.cards.get().masked_pan in detail and 'data-testid="charge-' not in detail
    assert "···899" in detail
    pay = viewer.get(f"/dashboard/payments/{payment.pk}/").content.decode()
    assert "742.00 AUD" in pay and 'data-testid="refund-form"' not in pay and "Order 1001" in pay
    listing = viewer.get("/dashboard/payments/").content.decode()
    assert payment.reference in listing and "Payments" in listing
    for path in ("/dashboard/eoneopay/customers/new/", "/dashboard/eoneopay/charge/"):
        assert viewer.get(path).status_code == 403
    assert viewer.post(f"/dashboard/payments/{payment.pk}/refund/").status_code == 403
    assert viewer.get(f"/dashboard/eoneopay/connections/{eoneopay.pk}/api-keys/").status_code == 403


def test_manager_creates_a_customer_and_the_form_never_echoes_the_card(eoneopay, sandbox, members):
    manager = client_for(members["manager"])
    bad = manager.post("/dashboard/eoneopay/customers/new/", customer_post(card_cvv="1", email="nope"))
    html = bad.content.decode()
    assert bad.status_code == 400 and "CVV" in html and "email address" in html
    assert "4000 0000 0000 0002" not in html and "4000000000000002" not in html
    assert 'value="Bea Buyer"' in html  # what was typed is kept, except the card number and CVV
    refused = manager.post("/dashboard/eoneopay/customers/new/", customer_post(card_number="6011 0000 0000 0004"))
    assert refused.status_code == 400 and "EoneoPay did not create the customer" in refused.content.decode()
    assert "6011" not in refused.content.decode()
    made = manager.post("/dashboard/eoneopay/customers/new/", customer_post())
    customer = EoneoPayCustomer.objects.get(name="Bea Buyer")
    assert made.status_code == 302 and made["Location"] == f"/dashboard/eoneopay/customers/{customer.pk}/"
    detail = manager.get(made["Location"]).content.decode()
    assert "Visa" in detail and "400000" in detail and "Bea Buyer" in detail


def test_manager_edits_adds_a_card_and_deletes(eoneopay, sandbox, members):
    customer = make_customer(eoneopay)
    manager = client_for(members["manager"])
    edited = manager.post(f"/dashboard/eoneopay/customers/{customer.pk}/edit/",
                          {"name": "Ann Edited", "email": "ann@example.test", "address": "x"})
    assert edited.status_code == 302
    customer.refresh_from_db()
    assert customer.name == "Ann Edited"
    bad = manager.post(f"/dashboard/eoneopay/customers/{customer.pk}/cards/",
                       {"card_number": testdata.CARD_BAD_LUHN, "card_expiry": "05/29", "card_cvv": "123"})
    assert bad.status_code == 400 and testdata.CARD_BAD_LUHN not in bad.content.decode()
    added = manager.post(f"/dashboard/eoneopay/customers/{customer.pk}/cards/",
                         {"card_number": testdata.CARD_APPROVED_MASTERCARD, "card_expiry": "05/29", "card_cvv": "123"})
    assert added.status_code == 302 and customer.cards.filter(removed_at__isnull=True).count() == 2
    assert manager.post(f"/dashboard/eoneopay/customers/{customer.pk}/delete/").status_code == 302
    customer.refresh_from_db()
    assert customer.is_deleted
    assert "Deleted" in manager.get(f"/dashboard/eoneopay/customers/{customer.pk}/").content.decode()


def test_manager_charges_once_however_often_the_form_is_sent(eoneopay, sandbox, members):
    card = make_customer(eoneopay).cards.get()
    manager = client_for(members["manager"])
    form = manager.get(f"/dashboard/eoneopay/charge/?card={card.pk}")
    token = form.context["form"].initial["token"]
    data = {"token": token, "card": card.pk, "amount": "120.50", "currency": "AUD", "reference": "Order 7"}
    first = manager.post("/dashboard/eoneopay/charge/", data)
    again = manager.post("/dashboard/eoneopay/charge/", data)
    payment = Transaction.objects.get(kind="payment")
    assert first["Location"] == again["Location"] == f"/dashboard/payments/{payment.pk}/"
    assert payment.status == Status.SUCCEEDED
    assert requests_to(sandbox, "eoneopay", "/payments") == 1
    bad = manager.post("/dashboard/eoneopay/charge/", {**data, "amount": "1e3"})
    assert bad.status_code == 400 and "Enter an amount" in bad.content.decode()


def test_manager_refunds_from_the_payment_page(eoneopay, sandbox, members):
    payment = charge(eoneopay, make_customer(eoneopay).cards.get())
    manager = client_for(members["manager"])
    page = manager.get(f"/dashboard/payments/{payment.pk}/")
    html = page.content.decode()
    assert 'data-testid="full-only"' in html and 'name="amount"' not in html
    token = page.context["refund_form"].initial["token"]
    done = manager.post(f"/dashboard/payments/{payment.pk}/refund/", {"token": token})
    assert done.status_code == 302
    assert manager.post(f"/dashboard/payments/{payment.pk}/refund/", {"token": token}).status_code == 302
    payment.refresh_from_db()
    assert payment.status == Status.REFUNDED and payment.children.count() == 1
    after = manager.get(f"/dashboard/payments/{payment.pk}/").content.decode()
    assert 'data-testid="refund-form"' not in after and "742.00 AUD" in after
    assert IdempotencyKey.objects.filter(scope="form:refund", transaction__isnull=False).count() == 1


def test_a_charge_that_times_out_shows_unknown_and_needs_attention(eoneopay, sandbox, members):
    card = make_customer(eoneopay).cards.get()
    manager = client_for(members["manager"])
    token = manager.get("/dashboard/eoneopay/charge/").context["form"].initial["token"]
    arm_fault(sandbox, "eoneopay", "payment_create", "timeout", delay=3.0)
    sent = manager.post("/dashboard/eoneopay/charge/",
                        {"token": token, "card": card.pk, "amount": "10.00", "currency": "AUD", "reference": "T1"},
                        follow=True)
    html = sent.content.decode()
    assert 'data-testid="unknown-banner"' in html and "will not be sent again" in html
    payment = Transaction.objects.get()
    assert payment.status == Status.UNKNOWN
    assert requests_to(sandbox, "eoneopay", "/payments") == 1
    home = manager.get("/dashboard/").content.decode()
    assert f'data-testid="attention-{payment.reference}"' in home and "no status call" in home


def test_payment_list_filters_search_and_export(eoneopay, sandbox, members):
    card = make_customer(eoneopay).cards.get()
    small = charge(eoneopay, card, amount="10.00", reference="Small one")
    big = charge(eoneopay, card, amount="900.00", reference="Big one")
    viewer = client_for(members["viewer"])
    found = viewer.get("/dashboard/payments/", {"amount_min": "100"}).content.decode()
    assert big.reference in found and small.reference not in found
    by_ref = viewer.get("/dashboard/payments/", {"q": "Small one"}).content.decode()
    assert small.reference in by_ref and big.reference not in by_ref
    by_email = viewer.get("/dashboard/payments/", {"q": "ann@example.test"}).content.decode()
    assert small.reference in by_email and big.reference in by_email
    bad = viewer.get("/dashboard/payments/", {"created_from": "yesterday"})
    assert "fix the filter" in bad.content.decode()
    export = viewer.get("/dashboard/payments/export.csv", {"provider": "eoneopay"})
    body = b"".join(export.streaming_content).decode()
    assert export.status_code == 200 and small.reference in body and "card_customer" in body
    assert testdata.CARD_APPROVED_VISA not in body
    assert viewer.get("/dashboard/payments/export.csv", {"amount_min": "x"}).status_code == 400


def test_customer_list_pages_by_keyset(eoneopay, sandbox, members):
    from payments.models import EoneoPayCustomer as C
    for n in range(55):
        C.objects.create(merchant=eoneopay.merchant, connection=eoneopay, external_id=f"cus_{n}", name=f"N{n}")
    viewer = client_for(members["viewer"])
    first = viewer.get("/dashboard/eoneopay/customers/")
    assert len(first.context["page"].rows) == 50 and first.context["page"].older
    second = viewer.get("/dashboard/eoneopay/customers/", {"after": first.context["page"].older})
    assert len(second.context["page"].rows) == 5
    assert "cus_0" in b"".join(viewer.get("/dashboard/eoneopay/customers/export.csv").streaming_content).decode()
    assert viewer.get("/dashboard/eoneopay/customers/", {"after": "garbage"}).status_code == 200


def test_owner_creates_checks_and_revokes_api_keys(eoneopay, sandbox, members):
    owner = client_for(members["owner"])
    assert "eoneopay-api-keys" in owner.get(f"/dashboard/settings/connections/{eoneopay.pk}/").content.decode()
    made = owner.post(f"/dashboard/eoneopay/connections/{eoneopay.pk}/api-keys/new/")
    html = made.content.decode()
    key = EoneoPayApiKey.objects.get()
    assert made.status_code == 200 and 'data-testid="new-key"' in html and key.hint.startswith("sk_test_")
    secret = made.context["new_key"]
    assert secret.startswith("sk_test_") and secret not in key.key_encrypted and secret not in key.hint
    listing = owner.get(f"/dashboard/eoneopay/connections/{eoneopay.pk}/api-keys/").content.decode()
    assert secret not in listing and key.hint in listing
    assert owner.post(f"/dashboard/eoneopay/api-keys/{key.pk}/check/").status_code == 302
    key.refresh_from_db()
    assert key.status == "active" and key.checked_at
    owner.post(f"/dashboard/eoneopay/api-keys/{key.pk}/revoke/")
    key.refresh_from_db()
    assert key.status == "revoked" and key.revoked_at
    manager = client_for(members["manager"])
    assert manager.post(f"/dashboard/eoneopay/api-keys/{key.pk}/revoke/").status_code == 403


def test_api_keys_need_an_admin_key(sandbox, merchant, members):
    from providers.services import connection_upsert
    connection, _ = connection_upsert(merchant=merchant, provider="eoneopay", mode="test",
                                      base_url=sandbox.base_url("eoneopay"),
                                      credentials={"secret_key": testdata.SECRET_KEY})
    owner = client_for(members["owner"])
    page = owner.get(f"/dashboard/eoneopay/connections/{connection.pk}/api-keys/").content.decode()
    assert 'data-testid="no-admin-key"' in page and 'data-testid="create-key"' not in page
    owner.post(f"/dashboard/eoneopay/connections/{connection.pk}/api-keys/new/")
    assert not EoneoPayApiKey.objects.exists()
    assert requests_to(sandbox, "eoneopay", "/apikeys") == 0


def test_pages_without_a_connection_say_so(merchant, members):
    manager = client_for(members["manager"])
    assert "Connect EoneoPay first" in manager.get("/dashboard/eoneopay/charge/").content.decode()
    assert "No EoneoPay connection yet" in manager.get("/dashboard/eoneopay/customers/").content.decode()
    assert "No payments yet" in manager.get("/dashboard/payments/").content.decode()


@pytest.mark.parametrize("role", ["owner", "manager", "viewer"])
def test_every_page_for_every_role(role, eoneopay, sandbox, members):
    customer = make_customer(eoneopay)
    card = customer.cards.get()
    payment = charge(eoneopay, card)
    client = client_for(members[role])
    reads = ["/dashboard/payments/", f"/dashboard/payments/{payment.pk}/", "/dashboard/payments/export.csv",
             "/dashboard/eoneopay/customers/", f"/dashboard/eoneopay/customers/{customer.pk}/",
             "/dashboard/eoneopay/customers/export.csv"]
    managing = ["/dashboard/eoneopay/customers/new/", "/dashboard/eoneopay/charge/",
                f"/dashboard/eoneopay/customers/{customer.pk}/edit/"]
    owning = [f"/dashboard/eoneopay/connections/{eoneopay.pk}/api-keys/"]
    for path in reads:
        assert client.get(path).status_code == 200, path
    for path in managing:
        assert client.get(path).status_code == (403 if role == "viewer" else 200), path
    for path in owning:
        assert client.get(path).status_code == (200 if role == "owner" else 403), path
    posts = {f"/dashboard/eoneopay/customers/{customer.pk}/cards/": "manager",
             f"/dashboard/eoneopay/customers/{customer.pk}/bank-accounts/": "manager",
             f"/dashboard/eoneopay/customers/{customer.pk}/cards/{card.pk}/remove/": "manager",
             "/dashboard/eoneopay/customers/import/": "manager",
             f"/dashboard/eoneopay/connections/{eoneopay.pk}/api-keys/new/": "owner"}
    rank = {"viewer": 0, "manager": 1, "owner": 2}
    for path, needed in posts.items():
        status = client.post(path, {}).status_code
        assert (status == 403) == (rank[role] < rank[needed]), (path, status)
    nav = client.get("/dashboard/payments/").content.decode()
    assert ("Charge a card" in nav) == (role != "viewer") and "Customers" in nav
