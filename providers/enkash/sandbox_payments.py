"""EnKash sandbox: payments (submit payment detail, transaction status), the bank's
answers over time, notifies, and refunds."""

from __future__ import annotations

import re
import time
from datetime import datetime
from decimal import Decimal

from werkzeug.wrappers import Request, Response

from providers.base.redaction import mask_pan
from providers.base.sandbox import route
from providers.enkash import codes
from providers.enkash.sandbox_common import (
    CARD_MODES,
    IFSC_RE,
    IST,
    PAID,
    PAYMENT_MODES,
    REQUEST_ID_RE,
    VPA_RE,
    Reject,
    api,
    iso,
    luhn_ok,
    parse_money,
    rupees,
    text_field,
)
from providers.enkash.sandbox_data import (
    AMOUNT_OUTCOMES,
    BANKS,
    BNPL_OPTIONS,
    CARDS,
    EXPIRED_CARD,
    INVALID_VPA,
    TPV_MISMATCH,
    UNKNOWN_BANK,
    UNKNOWN_CARD,
    UNKNOWN_VPA,
    VPAS,
    WALLETS,
    Outcome,
    TestMerchant,
    notify_checksum,
)


class PaymentsMixin:
    """Payment attempts, their completion, notify callbacks and refunds."""

    # -- payments ---------------------------------------------------------------------
    @route("/api/v0/payment/submit", methods=("POST",))
    @api
    def submit_payment_detail(self, request: Request, merchant: TestMerchant) -> Response:
        body = self._json(request)
        order = self._order(merchant, body.get("orderId"))
        mode = body.get("paymentMode")
        if mode not in PAYMENT_MODES:
            raise Reject(codes.INVALID_REQUEST, f"paymentMode must be one of {', '.join(PAYMENT_MODES)}.")
        if mode in merchant.disabled_modes:
            raise Reject(codes.PAYMENT_MODE_DISABLED, f"{mode} is not enabled for this merchant.")
        detail = body.get("paymentDetail")
        amount = self._amount_object(
            {"value": detail.get("amount"), "currency": detail.get("currency")} if isinstance(detail, dict) else None,
            "paymentDetail",
        )
        outcome, masked = self._instrument(mode, body, order)
        self._ensure_payable(order)
        if amount != order["amount"]:
            raise Reject(codes.AMOUNT_MISMATCH, f"paymentDetail.amount must be {rupees(order['amount'])}.")
        outcome = AMOUNT_OUTCOMES.get(order["amount"], outcome)
        txn = self._new_txn(merchant, order, mode, outcome, masked)
        return self._ok(self._txn_payload(txn))

    def _instrument(self, mode: str, body: dict, order: dict) -> tuple[Outcome, str | None]:
        """Check the payment mode's fields; the bank's answer and the masked card."""
        if mode in CARD_MODES:
            return self._card(body.get("cardDetail"))
        if mode == "UPI":
            vpa = body.get("vpa")
            if not isinstance(vpa, str) or not VPA_RE.match(vpa) or vpa.lower() == INVALID_VPA:
                raise Reject(codes.INVALID_REQUEST, "vpa is not a valid UPI id.")
            return VPAS.get(vpa.lower(), UNKNOWN_VPA), None
        if mode == "PAY_LATER":
            return self._bnpl(body.get("bnplPaymentOptionId"), order), None
        bank = text_field(body, "bankCode", max_length=20).upper()
        if mode == "WALLET":
            return WALLETS.get(bank, UNKNOWN_BANK), None
        return self._net_banking(bank, body), None

    @staticmethod
    def _card(card: object) -> tuple[Outcome, str]:
        if not isinstance(card, dict):
            raise Reject(codes.INVALID_REQUEST, "cardDetail is required for card payments.")
        number = str(card.get("cardNumber") or "")
        if not number.isdigit() or not 13 <= len(number) <= 19 or not luhn_ok(number):
            raise Reject(codes.INVALID_REQUEST, "cardDetail.cardNumber is not a valid card number.")
        if not re.fullmatch(r"\d{3,4}", str(card.get("cvv") or "")):
            raise Reject(codes.INVALID_REQUEST, "cardDetail.cvv must be 3 or 4 digits.")
        expiry = re.fullmatch(r"(0[1-9]|1[0-2])/(\d{2})", str(card.get("expiry") or ""))
        if not expiry:
            raise Reject(codes.INVALID_REQUEST, "cardDetail.expiry must be MM/YY.")
        text_field(card, "cardHolderName", max_length=100)
        month, year = int(expiry.group(1)), 2000 + int(expiry.group(2))
        today = datetime.now(IST).date()
        expired = (year, month) < (today.year, today.month)
        return (EXPIRED_CARD if expired else CARDS.get(number, UNKNOWN_CARD)), mask_pan(number)

    @staticmethod
    def _bnpl(option_id: object, order: dict) -> Outcome:
        for option in BNPL_OPTIONS:
            if option["bnplPaymentOptionId"] == option_id:
                if option["minAmount"] <= order["amount"] <= option["maxAmount"]:
                    return option["outcome"]
                break
        raise Reject(codes.BNPL_OPTION_UNAVAILABLE, f"Pay-later option {option_id} is not available for this order.")

    @staticmethod
    def _net_banking(bank: str, body: dict) -> Outcome:
        account, ifsc = body.get("accountNumber"), body.get("ifsc")
        if account is None and ifsc is None:
            return BANKS.get(bank, UNKNOWN_BANK)
        if not re.fullmatch(r"\d{9,18}", str(account or "")):
            raise Reject(codes.INVALID_REQUEST, "accountNumber must be 9 to 18 digits.")
        if not isinstance(ifsc, str) or not IFSC_RE.match(ifsc):
            raise Reject(codes.INVALID_REQUEST, "ifsc must match ^[A-Z]{4}0[A-Z0-9]{6}$.")
        return BANKS.get(bank, UNKNOWN_BANK) if ifsc[:4] == bank else TPV_MISMATCH

    def _new_txn(self, merchant, order, mode, outcome: Outcome | None, masked, *, qr: dict | None = None) -> dict:
        now = time.time()
        txn = {
            "transactionId": self._id("EKT"), "merchant": merchant.access_key, "paymentMode": mode,
            "orderKey": (merchant.access_key, order["orderId"]) if order else None,
            "orderId": order["orderId"] if order else None,
            "enkashOrderId": order["enkashOrderId"] if order else None,
            "qrCodeId": qr["qrCodeId"] if qr else None,
            "amount": order["amount"] if order else None, "status": "CREATED", "maskedCardNumber": masked,
            "bankRefNo": None, "errorMessage": None, "createdAt": now, "updatedAt": now, "final": None,
            "due_at": None, "reason": None, "refundsFail": False, "refunded": Decimal(0), "reserved": Decimal(0),
            "refunds": [], "settled": False,
        }
        self.transactions[txn["transactionId"]] = txn
        if order:
            order["transactions"].append(txn["transactionId"])
        if outcome is not None:
            self._start(txn, outcome)
        return txn

    def _start(self, txn: dict, outcome: Outcome) -> None:
        """Hand the payment to the (simulated) bank."""
        txn.update(refundsFail=outcome.refunds_fail, reason=outcome.reason, final=outcome.final)
        if outcome.final:
            txn["due_at"] = time.time() + self.completion_delay
            self.later(self.completion_delay, self._advance)
        self._move(txn, outcome.first)

    def _move(self, txn: dict, status: str) -> None:
        if txn["status"] == status:
            return
        txn.update(status=status, updatedAt=time.time())
        if status == "SUCCESS":
            txn["bankRefNo"] = txn["bankRefNo"] or f"{next(self._ids):012d}"
            self._close_other_attempts(txn)
        if status == "FAILED":
            txn["errorMessage"] = txn["reason"] or "Declined by the bank."
        if status != "PENDING_WITH_BANK":
            self._notify(txn)

    def _close_other_attempts(self, paid: dict) -> None:
        """Once an order is paid, its unused UPI link / QR attempt can no longer be paid."""
        order = self.orders.get(paid["orderKey"]) if paid["orderKey"] else None
        for txn_id in order["transactions"] if order else ():
            txn = self.transactions[txn_id]
            if txn is not paid and txn["status"] == "CREATED":
                txn.update(status="CANCELLED", updatedAt=time.time())

    def _advance(self) -> None:
        """Complete whatever is due: payments, refunds, settlement payouts."""
        now = time.time()
        for txn in self.transactions.values():
            if txn["due_at"] is not None and txn["due_at"] <= now:
                txn["due_at"] = None
                self._move(txn, txn["final"])
        for refund in self.refunds.values():
            if refund["due_at"] is not None and refund["due_at"] <= now:
                self._finish_refund(refund)
        for payout in self.payouts.values():
            if payout["due_at"] is not None and payout["due_at"] <= now:
                payout.update(due_at=None, payoutStatus="SUCCESS", utr=f"HDFCN{next(self._ids):012d}")

    def _txn_payload(self, txn: dict, *, with_refunds: bool = False) -> dict:
        payload = {
            "transactionId": txn["transactionId"], "orderId": txn["orderId"], "enkashOrderId": txn["enkashOrderId"],
            "qrCodeId": txn["qrCodeId"], "amount": {"value": rupees(txn["amount"]), "currency": "INR"},
            "status": txn["status"], "paymentMode": txn["paymentMode"], "refundedAmount": rupees(txn["refunded"]),
            "maskedCardNumber": txn["maskedCardNumber"], "bankRefNo": txn["bankRefNo"],
            "errorMessage": txn["errorMessage"], "redirectUrl": None,
            "createdAt": iso(txn["createdAt"]), "updatedAt": iso(txn["updatedAt"]),
        }
        if with_refunds:
            payload["refunds"] = [self._refund_payload(self.refunds[r]) for r in txn["refunds"]]
        return payload

    def _txn(self, merchant: TestMerchant, transaction_id: str) -> dict:
        txn = self.transactions.get(transaction_id)
        if txn is None or txn["merchant"] != merchant.access_key:
            raise Reject(codes.TRANSACTION_NOT_FOUND, f"Transaction {transaction_id} not found.")
        return txn

    @route("/api/v0/payment/<transaction_id>", methods=("GET",))
    @api
    def transaction_status(self, request: Request, merchant: TestMerchant, transaction_id: str) -> Response:
        return self._ok(self._txn_payload(self._txn(merchant, transaction_id), with_refunds=True))

    def _notify(self, txn: dict) -> None:
        order = self.orders.get(txn["orderKey"]) if txn["orderKey"] else None
        if not order or not order["notifyUrl"]:
            return
        status = "SUCCESS" if txn["status"] in PAID else "FAILED" if txn["status"] in ("FAILED", "CANCELLED") else (
            "PENDING")
        body = {
            "orderId": order["orderId"], "enkashOrderId": order["enkashOrderId"],
            "transactionId": txn["transactionId"], "amount": rupees(txn["amount"]), "currency": "INR",
            "paymentMode": txn["paymentMode"], "status": status, "orderStatus": self._order_status(order),
            "transactionStatus": txn["status"], "maskedCardNumber": txn["maskedCardNumber"],
            "bankRefNo": txn["bankRefNo"], "errorMessage": txn["errorMessage"], "timestamp": iso(time.time()),
        }
        body["checksum"] = notify_checksum(body, self.merchants[txn["merchant"]].secret_key)
        self.send_callback(order["notifyUrl"], body)


    # -- refunds ----------------------------------------------------------------------
    @route("/api/v0/payment/<transaction_id>/refund", methods=("POST",))
    @api
    def refund(self, request: Request, merchant: TestMerchant, transaction_id: str) -> Response:
        body = self._json(request)
        txn = self._txn(merchant, transaction_id)
        amount = parse_money(body.get("amount"), "amount")
        request_id = body.get("requestId")
        if not isinstance(request_id, str) or not REQUEST_ID_RE.match(request_id):
            raise Reject(codes.INVALID_REQUEST, "requestId must be 1 to 64 letters, digits, - or _.")
        earlier = self.refund_requests.get((merchant.access_key, request_id))
        if earlier is not None:
            return self._ok(self._repeat_refund(self.refunds[earlier], txn, amount))
        if txn["status"] not in PAID:
            raise Reject(codes.NOT_REFUNDABLE, f"Transaction {transaction_id} is {txn['status']}.")
        if amount > txn["amount"] - txn["reserved"]:
            left = rupees(txn["amount"] - txn["reserved"])
            raise Reject(codes.REFUND_EXCEEDS_BALANCE, f"At most {left} INR can still be refunded.")
        refund = self._new_refund(merchant, txn, amount, request_id, text_field(body, "remarks", required=False))
        return self._ok(self._refund_payload(refund))

    def _repeat_refund(self, refund: dict, txn: dict, amount: Decimal) -> dict:
        """The same requestId again: the refund already made, if it is the same refund."""
        if refund["transactionId"] != txn["transactionId"] or refund["amount"] != amount:
            message = f"requestId {refund['requestId']} was used for another refund."
            raise Reject(codes.REFUND_REQUEST_CONFLICT, message)
        return self._refund_payload(refund)

    def _new_refund(self, merchant, txn, amount, request_id, remarks) -> dict:
        now = time.time()
        refund = {
            "refundId": self._id("EKR"), "requestId": request_id, "transactionId": txn["transactionId"],
            "merchant": merchant.access_key, "amount": amount, "status": "CREATED", "remarks": remarks,
            "arn": None, "createdAt": now, "due_at": now + self.completion_delay, "settled": False,
        }
        self.refunds[refund["refundId"]] = refund
        self.refund_requests[(merchant.access_key, request_id)] = refund["refundId"]
        txn["reserved"] += amount
        txn["refunds"].append(refund["refundId"])
        self.later(self.completion_delay, self._advance)
        return refund

    def _finish_refund(self, refund: dict) -> None:
        txn = self.transactions[refund["transactionId"]]
        refund["due_at"] = None
        if txn["refundsFail"]:
            refund["status"] = "FAILED"
            txn["reserved"] -= refund["amount"]
            return
        refund.update(status="SUCCESS", arn=f"ARN{next(self._ids):012d}")
        txn["refunded"] += refund["amount"]
        self._move(txn, "REFUNDED" if txn["refunded"] >= txn["amount"] else "PARTIALLY_REFUNDED")

    def _refund_payload(self, refund: dict) -> dict:
        txn = self.transactions[refund["transactionId"]]
        return {
            "refundId": refund["refundId"], "requestId": refund["requestId"], "transactionId": txn["transactionId"],
            "orderId": txn["orderId"], "refundAmount": rupees(refund["amount"]),
            "transactionAmount": rupees(txn["amount"]), "totalRefundedAmount": rupees(txn["refunded"]),
            "status": refund["status"], "remarks": refund["remarks"], "arn": refund["arn"],
            "refundMode": "SOURCE", "createdAt": iso(refund["createdAt"]),
        }

