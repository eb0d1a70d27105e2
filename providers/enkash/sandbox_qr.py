"""EnKash sandbox: QR customers, static UPI QR codes, and a sandbox-only payer."""

from __future__ import annotations

import time
from datetime import datetime
from decimal import Decimal

from werkzeug.wrappers import Request, Response

from providers.base.sandbox import route
from providers.enkash import codes
from providers.enkash import sandbox_render as render
from providers.enkash.sandbox_common import (
    EMAIL_RE,
    IST,
    MOBILE_RE,
    Reject,
    api,
    iso,
    parse_money,
    rupees,
    text_field,
)
from providers.enkash.sandbox_data import (
    SUCCESS,
    TestMerchant,
)


class QrMixin:
    """QR customers and static QR codes."""

    # -- QR customers and QR codes ------------------------------------------------------
    @route("/api/v0/customer", methods=("POST",))
    @api
    def create_qr_customer(self, request: Request, merchant: TestMerchant) -> Response:
        body = self._json(request)
        name = text_field(body, "name", max_length=100)
        email, mobile = text_field(body, "email", required=False), text_field(body, "mobile", required=False)
        if email and not EMAIL_RE.match(email):
            raise Reject(codes.INVALID_REQUEST, "email is not an email address.")
        if mobile and not MOBILE_RE.match(mobile):
            raise Reject(codes.INVALID_REQUEST, "mobile must be a 10-digit Indian mobile number.")
        if mobile and any(c["merchant"] == merchant.access_key and c["mobile"] == mobile
                          for c in self.customers.values()):
            raise Reject(codes.DUPLICATE_CUSTOMER, "A customer with this mobile already exists.")
        customer = {"customerId": self._id("EKC"), "merchant": merchant.access_key, "name": name, "email": email,
                    "mobile": mobile, "createdAt": time.time()}
        self.customers[customer["customerId"]] = customer
        return self._ok(self._customer_payload(customer))

    @staticmethod
    def _customer_payload(customer: dict) -> dict:
        return {**{k: v for k, v in customer.items() if k != "merchant"}, "createdAt": iso(customer["createdAt"])}

    @route("/api/v0/customer/search", methods=("POST",))
    @api
    def search_qr_customers(self, request: Request, merchant: TestMerchant) -> Response:
        offset, limit = self._paging(request, default_limit=20)
        body = self._json(request)
        if body.get("mobile") is not None and not MOBILE_RE.match(str(body["mobile"])):
            raise Reject(codes.INVALID_REQUEST, "mobile must be a 10-digit Indian mobile number.")
        found = [
            c for c in self.customers.values()
            if c["merchant"] == merchant.access_key
            and str(body.get("name") or "").lower() in c["name"].lower()
            and body.get("email") in (None, c["email"]) and body.get("mobile") in (None, c["mobile"])
        ]
        page = [self._customer_payload(c) for c in found[offset:offset + limit]]
        return self._ok({"totalCount": len(found), "offset": offset, "limit": limit, "customers": page})

    @route("/api/v0/qr-code", methods=("POST",))
    @api
    def create_qr_code(self, request: Request, merchant: TestMerchant) -> Response:
        body = self._json(request)
        name = text_field(body, "qrName", max_length=50)
        multiple_use, fixed = body.get("multipleUse"), body.get("fixedAmount")
        if not isinstance(multiple_use, bool) or not isinstance(fixed, bool):
            raise Reject(codes.INVALID_REQUEST, "multipleUse and fixedAmount must be true or false.")
        amount = parse_money(body.get("amount"), "amount") if fixed else None
        expiry = self._expiry(body.get("expiry"))
        customer = self._qr_customer(merchant, body.get("customerId"))
        qr = self._new_qr(merchant, name, multiple_use, amount, expiry, customer,
                          text_field(body, "description", required=False))
        return self._ok(self._qr_payload(qr))

    @staticmethod
    def _expiry(value: object) -> float | None:
        if value is None:
            return None
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            raise Reject(codes.INVALID_REQUEST, "expiry must be an ISO 8601 date-time.") from None
        moment = moment if moment.tzinfo else moment.replace(tzinfo=IST)
        if moment.timestamp() <= time.time():
            raise Reject(codes.INVALID_REQUEST, "expiry must be in the future.")
        return moment.timestamp()

    def _qr_customer(self, merchant: TestMerchant, customer_id: object) -> dict | None:
        if customer_id is None:
            return None
        customer = self.customers.get(str(customer_id))
        if customer is None or customer["merchant"] != merchant.access_key:
            raise Reject(codes.CUSTOMER_NOT_FOUND, f"Customer {customer_id} not found.")
        return customer

    def _new_qr(self, merchant, name, multiple_use, amount, expiry, customer, description) -> dict:
        qr_id, now = self._id("EKQR"), time.time()
        upi_url = "upi://pay?" + render.upi_query(
            payee_vpa=merchant.upi_id, payee_name=merchant.name, reference=qr_id, note=name, amount=amount
        )
        qr = {
            "qrCodeId": qr_id, "merchant": merchant.access_key, "qrName": name, "multipleUse": multiple_use,
            "fixedAmount": amount is not None, "amount": amount, "description": description, "expiry": expiry,
            "status": "ACTIVE", "upiUrl": upi_url, "qrCodeBase64": render.qr_png_base64(upi_url),
            "customerId": customer["customerId"] if customer else None,
            "customerName": customer["name"] if customer else None,
            "customerEmail": customer["email"] if customer else None,
            "customerMobile": customer["mobile"] if customer else None,
            "paymentsCount": 0, "amountReceived": Decimal(0), "createdAt": now, "updatedAt": now,
        }
        self.qr_codes[qr_id] = qr
        return qr

    @staticmethod
    def _qr_payload(qr: dict) -> dict:
        payload = {k: v for k, v in qr.items() if k != "merchant"}
        payload.update(
            amount=rupees(qr["amount"]) if qr["amount"] is not None else None,
            amountReceived=rupees(qr["amountReceived"]), expiry=iso(qr["expiry"]),
            createdAt=iso(qr["createdAt"]), updatedAt=iso(qr["updatedAt"]),
        )
        return payload

    def _qr(self, merchant: TestMerchant, qr_code_id: str) -> dict:
        qr = self.qr_codes.get(qr_code_id)
        if qr is None or qr["merchant"] != merchant.access_key:
            raise Reject(codes.QR_CODE_NOT_FOUND, f"QR code {qr_code_id} not found.")
        return qr

    @route("/api/v0/qr-code/search", methods=("POST",))
    @api
    def search_qr_codes(self, request: Request, merchant: TestMerchant) -> Response:
        offset, limit = self._paging(request, default_limit=20)
        body = self._json(request)
        if body.get("status") not in (None, "ACTIVE", "CANCELLED"):
            raise Reject(codes.INVALID_REQUEST, "status must be ACTIVE or CANCELLED.")
        found = [
            q for q in self.qr_codes.values()
            if q["merchant"] == merchant.access_key and body.get("status") in (None, q["status"])
            and str(body.get("qrName") or "").lower() in q["qrName"].lower()
            and body.get("customerId") in (None, q["customerId"])
        ]
        page = [self._qr_payload(q) for q in found[offset:offset + limit]]
        return self._ok({"totalCount": len(found), "offset": offset, "limit": limit, "qrCodes": page})

    @route("/api/v0/qr-code/<qr_code_id>", methods=("GET",))
    @api
    def get_qr_code(self, request: Request, merchant: TestMerchant, qr_code_id: str) -> Response:
        return self._ok(self._qr_payload(self._qr(merchant, qr_code_id)))

    @route("/api/v0/qr-code/<qr_code_id>/cancel", methods=("PATCH",))
    @api
    def cancel_qr_code(self, request: Request, merchant: TestMerchant, qr_code_id: str) -> Response:
        qr = self._qr(merchant, qr_code_id)
        if qr["status"] != "CANCELLED":
            qr.update(status="CANCELLED", updatedAt=time.time())
        return self._ok(self._qr_payload(qr))


    @route("/_simulate/qr-codes/<qr_code_id>/pay", methods=("POST",))
    def simulate_qr_payment(self, request: Request, qr_code_id: str) -> Response:
        """A payer scans a static QR code and pays ``amount`` (a fixed-amount code's own)."""
        qr = self.qr_codes.get(qr_code_id)
        if qr is None:
            return self._fail(codes.QR_CODE_NOT_FOUND, f"QR code {qr_code_id} not found.")
        try:
            amount = qr["amount"] if qr["fixedAmount"] else parse_money(self.body(request).get("amount"), "amount")
            if qr["status"] != "ACTIVE" or (qr["expiry"] and qr["expiry"] <= time.time()) or (
                not qr["multipleUse"] and qr["paymentsCount"]
            ):
                raise Reject(codes.QR_CODE_NOT_PAYABLE, f"QR code {qr_code_id} cannot be paid.")
        except Reject as r:
            return self._fail(r.code, r.message)
        txn = self._new_txn(self.merchants[qr["merchant"]], None, "UPI", None, None, qr=qr)
        txn["amount"] = amount
        self._start(txn, SUCCESS)
        qr.update(paymentsCount=qr["paymentsCount"] + 1, amountReceived=qr["amountReceived"] + amount,
                  updatedAt=time.time())
        return self._ok(self._txn_payload(txn))

