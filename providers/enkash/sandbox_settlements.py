"""EnKash sandbox: settlement payouts built from paid transactions (MDR and GST
deducted), their search, and a sandbox-only settlement run."""

from __future__ import annotations

import time
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from werkzeug.wrappers import Request, Response

from providers.base.sandbox import route
from providers.enkash import codes
from providers.enkash.sandbox_common import (
    IST,
    PAID,
    PAISE,
    PAYOUT_ORDERING,
    Reject,
    api,
    iso,
    rupees,
)
from providers.enkash.sandbox_data import (
    GST_RATE,
    MDR_RATE,
    TestMerchant,
)


class SettlementsMixin:
    """Settlement payouts."""

    # -- settlements ------------------------------------------------------------------
    def _settle(self, merchant: TestMerchant, *, at: float | None = None) -> dict | None:
        """One payout of everything paid and refunded since the last one."""
        ak, at = merchant.access_key, time.time() if at is None else at
        sales = [t for t in self.transactions.values() if t["merchant"] == ak and t["status"] in PAID
                 and not t["settled"]]
        refunds = [r for r in self.refunds.values() if r["merchant"] == ak and r["status"] == "SUCCESS"
                   and not r["settled"]]
        if not sales and not refunds:
            return None
        lines = [self._sale_line(t) for t in sales] + [self._refund_line(r) for r in refunds]
        for item in (*sales, *refunds):
            item["settled"] = True
        total = {k: sum((line[k] for line in lines if line["type"] == t), Decimal(0))
                 for k, t in (("amount", "SALE"), ("charges", "SALE"), ("gst", "SALE"))}
        refunded = sum((line["amount"] for line in lines if line["type"] == "REFUND"), Decimal(0))
        carry = self.carry_forward.pop(ak, Decimal(0))
        net = total["amount"] - refunded - total["charges"] - total["gst"] + carry
        if net < 0:
            self.carry_forward[ak] = net
        payout = {
            "id": self._id("EKSP"), "merchant": ak, "payoutStatus": "INIT",
            "payoutMode": "IMPS" if net <= 200000 else "NEFT", "utr": None,
            "payoutDate": datetime.fromtimestamp(at, IST).date().isoformat(),
            "totalSalesAmount": total["amount"], "totalRefundAmount": refunded, "totalChargesAmount": total["charges"],
            "totalGstAmount": total["gst"], "settlementAmount": max(net, Decimal(0)), "carryForwardAmount": carry,
            "adjustmentAmount": Decimal(0), "transactions": lines, "createdAt": at,
            "beneficiaryAccountNumber": "X" * (len(merchant.account_number) - 4) + merchant.account_number[-4:],
            "beneficiaryIfsc": merchant.ifsc, "due_at": at + self.completion_delay,
        }
        self.payouts[payout["id"]] = payout
        self.later(self.completion_delay, self._advance)
        return payout

    @staticmethod
    def _sale_line(txn: dict) -> dict:
        charges = (txn["amount"] * MDR_RATE).quantize(PAISE, ROUND_HALF_UP)
        gst = (charges * GST_RATE).quantize(PAISE, ROUND_HALF_UP)
        return {"transactionId": txn["transactionId"], "orderId": txn["orderId"], "type": "SALE",
                "amount": txn["amount"], "charges": charges, "gst": gst, "netAmount": txn["amount"] - charges - gst,
                "transactionDate": iso(txn["updatedAt"])}

    def _refund_line(self, refund: dict) -> dict:
        txn = self.transactions[refund["transactionId"]]
        return {"transactionId": refund["refundId"], "orderId": txn["orderId"], "type": "REFUND",
                "amount": refund["amount"], "charges": Decimal(0), "gst": Decimal(0), "netAmount": -refund["amount"],
                "transactionDate": iso(refund["createdAt"])}

    def _payout_payload(self, payout: dict, *, with_transactions: bool) -> dict:
        payload = {k: v for k, v in payout.items() if k not in ("merchant", "due_at", "transactions")}
        for key, value in payload.items():
            if isinstance(value, Decimal):
                payload[key] = rupees(value)
        payload["createdAt"] = iso(payout["createdAt"])
        payload["transactionCount"] = len(payout["transactions"])
        if with_transactions:
            payload["transactions"] = [
                {k: rupees(v) if isinstance(v, Decimal) else v for k, v in line.items()}
                for line in payout["transactions"]
            ]
        return payload

    @route("/api/v0/settlement-payout/<payout_id>", methods=("GET",))
    @api
    def settlement_payout(self, request: Request, merchant: TestMerchant, payout_id: str) -> Response:
        payout = self.payouts.get(payout_id)
        if payout is None or payout["merchant"] != merchant.access_key:
            raise Reject(codes.SETTLEMENT_PAYOUT_NOT_FOUND, f"Settlement payout {payout_id} not found.")
        return self._ok(self._payout_payload(payout, with_transactions=True))

    @route("/api/v0/settlement-payout/search", methods=("POST",))
    @api
    def search_settlement_payouts(self, request: Request, merchant: TestMerchant) -> Response:
        offset, limit = self._paging(request, default_limit=50)
        order_by = request.args.get("orderBy", "payoutDate")
        direction = request.args.get("direction", "DESC")
        if order_by not in PAYOUT_ORDERING or direction not in ("ASC", "DESC"):
            raise Reject(codes.INVALID_REQUEST, "orderBy must be payoutDate, createdAt or settlementAmount; "
                                                 "direction ASC or DESC.")
        body = self._json(request)
        start, end = self._date(body, "fromDate"), self._date(body, "toDate")
        found = [
            p for p in self.payouts.values()
            if p["merchant"] == merchant.access_key
            and (start is None or p["payoutDate"] >= start) and (end is None or p["payoutDate"] <= end)
            and body.get("payoutStatus") in (None, p["payoutStatus"]) and body.get("utr") in (None, p["utr"])
        ]
        found.sort(key=lambda p: (p[PAYOUT_ORDERING[order_by]], p["id"]), reverse=direction == "DESC")
        page = [self._payout_payload(p, with_transactions=False) for p in found[offset:offset + limit]]
        return self._ok({"totalCount": len(found), "offset": offset, "limit": limit, "settlementPayouts": page})

    @staticmethod
    def _paging(request: Request, *, default_limit: int) -> tuple[int, int]:
        try:
            offset = int(request.args.get("offset", 0))
            limit = int(request.args.get("limit", default_limit))
        except ValueError:
            raise Reject(codes.INVALID_REQUEST, "offset and limit must be whole numbers.") from None
        if offset < 0 or not 1 <= limit <= 5000:
            raise Reject(codes.INVALID_REQUEST, "offset must be 0 or more and limit between 1 and 5000.")
        return offset, limit

    @staticmethod
    def _date(body: dict, key: str) -> str | None:
        value = body.get(key)
        if value is None:
            return None
        try:
            return date.fromisoformat(value).isoformat()
        except (TypeError, ValueError):
            raise Reject(codes.INVALID_REQUEST, f"{key} must be a date (YYYY-MM-DD).") from None


    @route("/_simulate/settlements", methods=("POST",))
    def simulate_settlement(self, request: Request) -> Response:
        """Run the settlement cycle now (EnKash settles T+1) for one merchant or all."""
        self._advance()
        wanted = self.body(request).get("accessKey")
        made = [self._settle(m) for m in self.merchants.values() if wanted in (None, m.access_key)]
        return self._ok({"settlementPayouts": [self._payout_payload(p, with_transactions=True) for p in made if p]})


