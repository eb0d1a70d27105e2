"""Staff see settlements, QR codes and QR customers in admin, read-only."""

import pytest
from django.test import Client

from payments.models import QrCode, QrCustomer, SettlementDetail
from payments.services.common import Actor
from payments.services.enkash_settlements import qr_code_create, settlements_search
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_staff_read_settlements_and_qr_codes(enkash, sandbox):
    settlements_search(connection=enkash, actor=Actor.system())
    qr = qr_code_create(connection=enkash, actor=Actor.system(), name="Counter 1", multiple_use=True,
                        fixed_amount=False)
    QrCustomer.objects.create(merchant=enkash.merchant, connection=enkash, external_id="EKC9", name="Ravi")
    staff = UserFactory(username="staff", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    page = client.get("/admin/payments/settlementdetail/").content.decode()
    assert "HDFCN000000000001" in page
    detail = SettlementDetail.objects.get(utr="HDFCN000000000001")
    page = client.get(f"/admin/payments/settlementdetail/{detail.pk}/change/").content.decode()
    assert "SEED1001" in page and 'name="utr"' not in page  # read-only
    assert "Counter 1" in client.get("/admin/payments/qrcode/").content.decode()
    assert client.get(f"/admin/payments/qrcode/{qr.pk}/change/").status_code == 200
    assert "Ravi" in client.get("/admin/payments/qrcustomer/").content.decode()
    assert QrCode.objects.count() == 1
