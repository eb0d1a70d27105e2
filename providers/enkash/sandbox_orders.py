"""EnKash sandbox: orders, UPI intent links, the dynamic QR, and the hosted checkout
with the payer's buttons (sandbox only)."""

from __future__ import annotations

import time
from decimal import Decimal

from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from providers.base.sandbox import route
from providers.enkash import codes
from providers.enkash import sandbox_render as render
from providers.enkash.sandbox_common import (
    EMAIL_RE,
    MOBILE_RE,
    ORDER_ID_RE,
    PAID,
    PAYABLE,
    URL_RE,
    Reject,
    api,
    iso,
    parse_money,
    rupees,
    text_field,
)
from providers.enkash.sandbox_data import (
    AMOUNT_OUTCOMES,
    BNPL_OPTIONS,
    LATER_SUCCESS,
    MAX_ORDER_AMOUNT,
    SUCCESS,
    Outcome,
    TestMerchant,
)


class OrdersMixin:
    """Orders and everything that pays one as the payer would."""

    # -- orders -----------------------------------------------------------------------
    @route("/api/v0/orders", methods=("POST",))
    @api
    def create_order(self, request: Request, merchant: TestMerchant) -> Response:
        body = self._json(request)
        order_id = body.get("orderId")
        if not isinstance(order_id, str) or not ORDER_ID_RE.match(order_id):
            raise Reject(codes.INVALID_REQUEST, "orderId must be 1 to 40 letters and digits.")
        amount = self._amount_object(body.get("amount"), "amount")
        if amount > MAX_ORDER_AMOUNT:
            raise Reject(codes.INVALID_REQUEST, f"amount exceeds the per-order limit of {MAX_ORDER_AMOUNT} INR.")
        details = self._order_details(body)
        if (merchant.access_key, order_id) in self.orders:
            raise Reject(codes.DUPLICATE_ORDER_ID, f"Order {order_id} already exists.")
        order = self._new_order(merchant, order_id, amount, details, root=request.url_root)
        return self._ok(self._order_payload(order))

    @staticmethod
    def _amount_object(value: object, what: str) -> Decimal:
        if not isinstance(value, dict):
            raise Reject(codes.INVALID_REQUEST, f"{what} must be an object {{value, currency}}.")
        if value.get("currency") != "INR":
            raise Reject(codes.INVALID_REQUEST, f"{what}.currency must be INR.")
        return parse_money(value.get("value"), f"{what}.value")

    @staticmethod
    def _order_details(body: dict) -> dict:
        for key in ("returnUrl", "notifyUrl"):
            if not isinstance(body.get(key), str) or not URL_RE.match(body[key]):
                raise Reject(codes.INVALID_REQUEST, f"{key} must be an http(s) URL.")
        customer = body.get("customerInfo") or {}
        params = body.get("customParameters") or {}
        if not isinstance(customer, dict) or not isinstance(params, dict):
            raise Reject(codes.INVALID_REQUEST, "customerInfo and customParameters must be objects.")
        if customer.get("email") and not EMAIL_RE.match(str(customer["email"])):
            raise Reject(codes.INVALID_REQUEST, "customerInfo.email is not an email address.")
        if customer.get("phoneNumber") and not MOBILE_RE.match(str(customer["phoneNumber"])):
            raise Reject(codes.INVALID_REQUEST, "customerInfo.phoneNumber must be a 10-digit Indian mobile number.")
        if len(params) > 10 or not all(isinstance(v, str) for v in params.values()):
            raise Reject(codes.INVALID_REQUEST, "customParameters takes at most 10 text values.")
        return {"returnUrl": body["returnUrl"], "notifyUrl": body["notifyUrl"], "customerInfo": customer,
                "customParameters": params, "description": text_field(body, "description", required=False)}

    def _new_order(self, merchant, order_id, amount, details, *, root: str = "", created: float | None = None):
        created = time.time() if created is None else created
        enkash_id = self._id("EKO")
        order = {
            "merchant": merchant.access_key, "orderId": order_id, "enkashOrderId": enkash_id, "amount": amount,
            "returnUrl": None, "notifyUrl": None, "customerInfo": {}, "customParameters": {}, "description": None,
            **details, "createdAt": created, "expiresAt": created + self.order_ttl, "transactions": [],
            "cancelled": False, "checkoutRendered": False, "upiTxn": None,
            "checkoutUrl": f"{root}pay/checkout/{enkash_id}" if root else None,
        }
        self.orders[(merchant.access_key, order_id)] = order
        self.orders_by_enkash_id[enkash_id] = (merchant.access_key, order_id)
        return order

    def _order(self, merchant: TestMerchant, order_id: object) -> dict:
        order = self.orders.get((merchant.access_key, order_id)) if isinstance(order_id, str) else None
        if order is None:
            raise Reject(codes.ORDER_NOT_FOUND, f"Order {order_id} not found.")
        return order

    def _order_status(self, order: dict) -> str:
        statuses = {self.transactions[t]["status"] for t in order["transactions"]}
        if statuses & set(PAID):
            return "PAID"
        if order["cancelled"]:
            return "CANCELLED"
        if statuses & {"PENDING_WITH_BANK", "AUTHORIZED"}:
            return "PAYMENT_CONFIRMATION_PENDING"
        if time.time() >= order["expiresAt"]:
            return "EXPIRED"
        if statuses & {"FAILED", "CANCELLED"}:
            return "ATTEMPTED"
        return "CHECKOUT_RENDERED" if order["checkoutRendered"] else "CREATED"

    def _ensure_payable(self, order: dict) -> None:
        status = self._order_status(order)
        if status not in PAYABLE:
            raise Reject(codes.ORDER_NOT_PAYABLE, f"Order {order['orderId']} is {status} and cannot be paid.")

    def _order_payload(self, order: dict) -> dict:
        return {
            "orderId": order["orderId"],
            "enkashOrderId": order["enkashOrderId"],
            "amount": {"value": rupees(order["amount"]), "currency": "INR"},
            "status": self._order_status(order),
            "checkoutUrl": order["checkoutUrl"],
            "description": order["description"],
            "customerInfo": order["customerInfo"],
            "customParameters": order["customParameters"],
            "createdAt": iso(order["createdAt"]),
            "expiresAt": iso(order["expiresAt"]),
            "transactions": [self._txn_payload(self.transactions[t]) for t in order["transactions"]],
        }

    @route("/api/v0/orders/<order_id>", methods=("GET",))
    @api
    def order_status(self, request: Request, merchant: TestMerchant, order_id: str) -> Response:
        return self._ok(self._order_payload(self._order(merchant, order_id)))

    @route("/api/v0/orders/<order_id>/bnpl-payment-modes", methods=("GET",))
    @api
    def bnpl_payment_modes(self, request: Request, merchant: TestMerchant, order_id: str) -> Response:
        order = self._order(merchant, order_id)
        self._ensure_payable(order)
        modes = [
            {"bnplPaymentOptionId": o["bnplPaymentOptionId"], "provider": o["provider"],
             "displayName": o["displayName"], "minAmount": rupees(o["minAmount"]),
             "maxAmount": rupees(o["maxAmount"]), "eligible": o["minAmount"] <= order["amount"] <= o["maxAmount"]}
            for o in BNPL_OPTIONS
        ]
        return self._ok({"orderId": order_id, "paymentModes": modes})


    # -- UPI: intent links and the order's dynamic QR -----------------------------------
    def _upi_attempt(self, merchant: TestMerchant, order: dict) -> tuple[dict, str]:
        """The order's open UPI attempt (made on first ask) and its upi:// query."""
        self._ensure_payable(order)
        txn = self.transactions.get(order["upiTxn"] or "")
        if txn is None or txn["status"] != "CREATED":
            txn = self._new_txn(merchant, order, "UPI", None, None)
            order["upiTxn"] = txn["transactionId"]
        query = render.upi_query(
            payee_vpa=merchant.upi_id, payee_name=merchant.name, reference=txn["transactionId"],
            note=f"Order {order['orderId']}", amount=order["amount"],
        )
        return txn, query

    @route("/api/v0/payment-link/upi-intent/<order_id>", methods=("GET",))
    @api
    def upi_intent_link(self, request: Request, merchant: TestMerchant, order_id: str) -> Response:
        order = self._order(merchant, order_id)
        txn, query = self._upi_attempt(merchant, order)
        return self._ok({
            "orderId": order_id, "transactionId": txn["transactionId"], "amount": rupees(order["amount"]),
            "intentLinks": render.intent_links(query), "expiry": iso(order["expiresAt"]),
        })

    @route("/pay/checkout/qrcode/<order_id>", methods=("GET",))
    @api
    def dynamic_qr_code(self, request: Request, merchant: TestMerchant, order_id: str) -> Response:
        order = self._order(merchant, order_id)
        txn, query = self._upi_attempt(merchant, order)
        upi_url = f"upi://pay?{query}"
        return self._ok({
            "orderId": order_id, "transactionId": txn["transactionId"], "amount": rupees(order["amount"]),
            "upiUrl": upi_url, "qrCodeBase64": render.qr_png_base64(upi_url), "expiry": iso(order["expiresAt"]),
        })


    # -- sandbox only: the hosted checkout and the payer --------------------------------
    def _order_by_enkash_id(self, enkash_order_id: str) -> dict | None:
        key = self.orders_by_enkash_id.get(enkash_order_id)
        return self.orders.get(key) if key else None

    @route("/pay/checkout/<enkash_order_id>", methods=("GET",))
    def hosted_checkout(self, request: Request, enkash_order_id: str) -> Response:
        self._advance()
        order = self._order_by_enkash_id(enkash_order_id)
        if order is None:
            return Response("<h1>Order not found</h1>", status=404, mimetype="text/html")
        if self._order_status(order) == "CREATED":
            order["checkoutRendered"] = True
        merchant = self.merchants[order["merchant"]]
        qr = None
        if self._order_status(order) in PAYABLE:
            qr = self._qr_payload_for_page(merchant, order)
        action = f"{request.url_root}_simulate/orders/{enkash_order_id}/pay"
        page = render.checkout_page(order=order, merchant_name=merchant.name, action=action, qr_base64=qr)
        return Response(page, mimetype="text/html")

    def _qr_payload_for_page(self, merchant: TestMerchant, order: dict) -> str:
        _, query = self._upi_attempt(merchant, order)
        return render.qr_png_base64(f"upi://pay?{query}")

    @route("/_simulate/orders/<enkash_order_id>/pay", methods=("POST",))
    def simulate_order_payment(self, request: Request, enkash_order_id: str) -> Response:
        """The payer pays (or not): outcome success | pending | failure | cancel."""
        self._advance()
        order = self._order_by_enkash_id(enkash_order_id)
        if order is None:
            return self._fail(codes.ORDER_NOT_FOUND, f"Order {enkash_order_id} not found.")
        outcome = (request.form.get("outcome") or self.body(request).get("outcome") or "success").lower()
        try:
            txn = self._payer_acts(order, outcome)
        except Reject as r:
            return self._fail(r.code, r.message)
        if request.form.get("outcome") and order["returnUrl"]:
            return redirect(f"{order['returnUrl']}?orderId={order['orderId']}", code=303)
        return self._ok(self._order_payload(order) if txn is None else self._txn_payload(txn))

    def _payer_acts(self, order: dict, outcome: str) -> dict | None:
        merchant = self.merchants[order["merchant"]]
        if outcome == "cancel":
            order["cancelled"] = True
            for txn_id in order["transactions"]:
                if self.transactions[txn_id]["status"] == "CREATED":
                    self._move(self.transactions[txn_id], "CANCELLED")
            return None
        bank = {"success": SUCCESS, "pending": LATER_SUCCESS,
                "failure": Outcome("FAILED", reason="The payer declined the payment.")}.get(outcome)
        if bank is None:
            raise Reject(codes.INVALID_REQUEST, "outcome must be success, pending, failure or cancel.")
        txn, _ = self._upi_attempt(merchant, order)
        self._start(txn, AMOUNT_OUTCOMES.get(order["amount"], bank))
        return txn

