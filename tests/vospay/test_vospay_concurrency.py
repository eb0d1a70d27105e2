"""Concurrent duplicates make one installment order: the same order form sent from two
tabs at once, and the same API request with one Idempotency-Key six times at once.
PostgreSQL only (SQLite's in-memory test database fails a second writer at once); run
with DATABASE_URL=postgres://...."""

from __future__ import annotations

import re
import threading

import pytest
from django.db import connection as db_connection
from django.test import Client

from payments.models import Transaction, VospayOrderItem

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("db_connection.vendor != 'postgresql'", reason="concurrent writers need PostgreSQL"),
]

FORM = {"connection": "", "item_name": ["Headphones", "Phone case"], "item_quantity": ["2", "1"],
        "item_unit_price": ["10000", "5000"], "shipping_cost": "5000", "insurance_cost": "0",
        "processing_fee": "100", "tax": "0"}


def at_once(call, times: int) -> list:
    answers = []

    def run():
        try:
            answers.append(call())
        finally:
            db_connection.close()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_one_form_sent_from_two_tabs_at_once_makes_one_order(vospay, members):
    client = Client()
    client.force_login(members["manager"])
    token = re.search(r'name="token" value="([^"]+)"',
                      client.get("/dashboard/vospay/orders/new/").content.decode()).group(1)
    data = {**FORM, "connection": str(vospay.pk), "token": token}

    def submit():
        tab = Client()
        tab.force_login(members["manager"])
        return tab.post("/dashboard/vospay/orders/new/", data)

    answers = at_once(submit, 4)
    assert all(a.status_code == 302 for a in answers)
    assert Transaction.objects.filter(kind="order").count() == 1
    assert VospayOrderItem.objects.count() == 2


def test_one_idempotency_key_six_times_at_once_makes_one_order(vospay):
    import json

    from rest_framework.test import APIRequestFactory

    from accounts.models import Role
    from accounts.services import api_key_create
    from tests.vospay.test_vospay_api import BODY, OrdersPostForTest

    _, raw = api_key_create(merchant=vospay.merchant, name="shop", role=Role.MANAGER, created_by=None)

    def post():
        request = APIRequestFactory().post("/api/v1/orders/", BODY, format="json",
                                           HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_IDEMPOTENCY_KEY="same-key")
        response = OrdersPostForTest.as_view()(request)
        response.render()
        return response.status_code, json.loads(response.content)

    answers = at_once(post, 6)
    codes = sorted(code for code, _ in answers)
    assert codes.count(201) >= 1 and set(codes) <= {201, 202, 409}, answers
    ids = {body["id"] for code, body in answers if code in (201, 202)}
    assert len(ids) == 1
    assert Transaction.objects.filter(kind="order").count() == 1
