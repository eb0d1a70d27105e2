"""The QR code and QR customer pages per role against the EnKash sandbox: create (with
a one-time form token), list, search, CSV, detail with the PNG, cancel, refresh."""

import csv
import io
import re

import pytest
import requests

from payments.models import QrCode, QrCustomer
from tests.conftest import arm_fault
from tests.enkash_settlements.support import signed_in
from tests.helpers import requests_to

pytestmark = pytest.mark.django_db(transaction=True)
QR = "/dashboard/enkash/qr-codes/"
CUSTOMERS = "/dashboard/enkash/qr-customers/"


def form_of(client, url=f"{QR}new/") -> dict:
    page = client.get(url).content.decode()
    return {"token": re.search(r'name="token" value="([^"]+)"', page).group(1),
            "connection": re.search(r'name="connection" value="(\d+)"', page).group(1)}


def create(client, **fields):
    data = {**form_of(client), "name": "Counter 1", "usage": "multiple", "amount_type": "open", "amount": "",
            "description": "", "expires_at": "", "customer": "", **fields}
    return client.post(f"{QR}new/", data), data


def test_manager_creates_a_fixed_single_use_code_and_sees_its_png(enkash, members, sandbox):
    client = signed_in(members["manager"])
    response, _ = create(client, name="Tea set", usage="single", amount_type="fixed", amount="499",
                         expires_at="2099-01-31T18:30", description="Table 4")
    qr = QrCode.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{QR}{qr.pk}/"
    assert qr.fixed_amount and str(qr.amount) == "499.00" and not qr.multiple_use
    assert qr.expires_at.isoformat() == "2099-01-31T13:00:00+00:00"  # 18:30 IST
    assert qr.created_by == members["manager"] and qr.external_id.startswith("EKQR")
    page = client.get(f"{QR}{qr.pk}/").content.decode()
    assert "499.00 INR (fixed)" in page and "Single use" in page and "upi://pay?" in page
    assert f'src="{QR}{qr.pk}/qr.png"' in page and "Created at EnKash." in page and "Cancel QR code" in page
    png = client.get(f"{QR}{qr.pk}/qr.png")
    assert png["Content-Type"] == "image/png" and png.content.startswith(b"\x89PNG")
    assert client.get(f"{QR}{qr.pk}/qr.png?download=1")["Content-Disposition"].startswith("attachment")


def test_a_double_submit_creates_one_code(enkash, members, sandbox):
    client = signed_in(members["manager"])
    first, data = create(client)
    again = client.post(f"{QR}new/", data, follow=True)
    assert "already created" in again.content.decode()
    assert QrCode.objects.count() == 1 and requests_to(sandbox, "enkash", "/api/v0/qr-code") == 1
    assert again.redirect_chain[-1][0] == first["Location"]


def test_bad_input_keeps_what_was_typed_and_sends_nothing(enkash, members, sandbox):
    client = signed_in(members["manager"])
    response, _ = create(client, name="Stall 9", amount_type="fixed", amount="12,5", description="Mangoes")
    page = response.content.decode()
    assert response.status_code == 400 and "Enter an amount such as 1250.00." in page
    assert 'value="Stall 9"' in page and 'value="Mangoes"' in page
    response, _ = create(client, name="", expires_at="2001-01-01T10:00")
    page = response.content.decode()
    assert "This field is required." in page or "Give the QR code a name" in page
    response, _ = create(client, name="Old", expires_at="2001-01-01T10:00")
    assert "The expiry must be in the future." in response.content.decode()
    response, _ = create(client, amount_type="fixed", amount="")
    assert "Enter the amount the payer must pay" in response.content.decode()
    assert requests_to(sandbox, "enkash", "/api/v0/qr-code") == 0 and QrCode.objects.count() == 0


def test_a_lost_answer_is_found_in_enkashs_list_not_created_twice(enkash, members, sandbox):
    arm_fault(sandbox, "enkash", "create_qr_code", "dropped")
    client = signed_in(members["manager"])
    response, _ = create(client, name="Lost and found")
    qr = QrCode.objects.get()
    assert response.status_code == 302 and qr.name == "Lost and found"
    assert "answer was lost" in qr.events.get().note
    assert len(sandbox.sandbox("enkash").qr_codes) == 1


def test_an_unreachable_enkash_is_a_clear_error_that_loses_nothing(enkash, members, sandbox):
    arm_fault(sandbox, "enkash", "create_qr_code", "503")
    client = signed_in(members["manager"])
    response, data = create(client, name="Counter 2")
    page = response.content.decode()
    assert response.status_code == 503 and "before creating it again" in page and 'value="Counter 2"' in page
    # The same form, sent again once EnKash is back, creates it (the token was given back).
    assert client.post(f"{QR}new/", data).status_code == 302 and QrCode.objects.count() == 1


def test_list_search_state_filter_and_csv(enkash, members, sandbox):
    client = signed_in(members["manager"])
    create(client, name="Counter 1")
    create(client, name="Gate stall", usage="single", amount_type="fixed", amount="50.00")
    viewer = signed_in(members["viewer"])
    page = viewer.get(QR).content.decode()
    assert "Counter 1" in page and "Gate stall" in page and "50.00 INR" in page and "New QR code" not in page
    assert "Gate stall" not in viewer.get(f"{QR}?q=counter").content.decode()
    gate = QrCode.objects.get(name="Gate stall")
    requests.post(f"{sandbox.base_url('enkash')}/_simulate/qr-codes/{gate.external_id}/pay", json={}, timeout=5)
    client.post(f"{QR}refresh/")
    gate.refresh_from_db()
    assert gate.payments_count == 1 and gate.state == "used"
    assert "Gate stall" in viewer.get(f"{QR}?state=used").content.decode()
    assert "Gate stall" not in viewer.get(f"{QR}?state=active").content.decode()
    rows = list(csv.DictReader(io.StringIO(b"".join(viewer.get(f"{QR}export.csv").streaming_content).decode())))
    assert {r["name"] for r in rows} == {"Counter 1", "Gate stall"}
    assert next(r for r in rows if r["name"] == "Gate stall")["amount_received"] == "50.00"


def test_manager_cancels_a_code_and_the_viewer_cannot(enkash, members, sandbox):
    create(signed_in(members["manager"]))
    qr = QrCode.objects.get()
    viewer = signed_in(members["viewer"])
    page = viewer.get(f"{QR}{qr.pk}/").content.decode()
    assert "Cancel QR code" not in page and 'src="' in page
    assert viewer.post(f"{QR}{qr.pk}/cancel/").status_code == 403
    response = signed_in(members["manager"]).post(f"{QR}{qr.pk}/cancel/", follow=True)
    page = response.content.decode()
    assert "QR code cancelled" in page and "Cancel QR code" not in page and "Cancelled:" in page
    qr.refresh_from_db()
    assert qr.status == "cancelled" and sandbox.sandbox("enkash").qr_codes[qr.external_id]["status"] == "CANCELLED"
    assert viewer.post(f"{QR}{qr.pk}/check/").status_code == 403


def test_qr_customers_are_added_searched_and_picked_for_a_code(enkash, members, sandbox):
    manager = signed_in(members["manager"])
    data = {"connection": enkash.pk, "name": "Ravi Kumar", "email": "ravi@example.com", "mobile": "91234 56780"}
    response = manager.post(CUSTOMERS, data, follow=True)
    assert "Customer Ravi Kumar added." in response.content.decode()
    ravi = QrCustomer.objects.get()
    assert ravi.mobile == "9123456780" and ravi.external_id.startswith("EKC")
    again = manager.post(CUSTOMERS, data)
    assert again.status_code == 400 and "already has a customer with this mobile" in again.content.decode()
    viewer = signed_in(members["viewer"])
    assert "Ravi Kumar" in viewer.get(f"{CUSTOMERS}?q=ravi").content.decode()
    assert "Ravi Kumar" in viewer.get(f"{CUSTOMERS}?q=9123456780").content.decode()
    assert "No customer matches" in viewer.get(f"{CUSTOMERS}?q=zebra").content.decode()
    assert "Add a customer" not in viewer.get(CUSTOMERS).content.decode()
    assert viewer.post(CUSTOMERS, data).status_code == 403
    # Picked from the list for a new code.
    page = manager.get(f"{QR}new/?customer={ravi.pk}").content.decode()
    assert f'<option value="{ravi.pk}" selected>' in page
    create(manager, name="Ravi's code", customer=str(ravi.pk))
    qr = QrCode.objects.get()
    assert qr.customer == ravi and sandbox.sandbox("enkash").qr_codes[qr.external_id]["customerId"] == ravi.external_id


def test_customers_made_at_enkash_are_found_by_searching_enkash(enkash, members, sandbox):
    from tests.helpers import fast_client

    fast_client(sandbox, "enkash").create_qr_customer(name="Meera Iyer", mobile="9876501234")
    viewer = signed_in(members["viewer"])
    assert "Meera Iyer" not in viewer.get(f"{CUSTOMERS}?q=9876501234").content.decode()
    assert "Meera Iyer" in viewer.get(f"{CUSTOMERS}?q=9876501234&enkash=1").content.decode()


@pytest.mark.parametrize("role", ["owner", "manager", "viewer"])
def test_every_member_reads_qr_codes_and_only_managers_up_create(enkash, members, sandbox, role):
    create(signed_in(members["manager"]), name="Counter 7")
    qr = QrCode.objects.get()
    client = signed_in(members[role])
    page = client.get(QR).content.decode()
    assert "Counter 7" in page and ("New QR code" in page) == (role != "viewer")
    detail = client.get(f"{QR}{qr.pk}/").content.decode()
    assert qr.external_id in detail and ("Cancel QR code" in detail) == (role != "viewer")
    assert client.get(f"{QR}{qr.pk}/qr.png").content.startswith(b"\x89PNG")
    assert client.get(f"{QR}new/").status_code == (403 if role == "viewer" else 200)
    assert client.get(CUSTOMERS).status_code == 200


def test_without_enkash_creating_says_what_to_do(merchant, members):
    page = signed_in(members["manager"]).get(f"{QR}new/").content.decode()
    assert "Connect EnKash first" in page and "Ask an owner" in page
