"""What the EnKash sandbox draws: UPI URLs, intent links per app, QR PNGs, checkout page."""

from __future__ import annotations

import base64
import html
import io
from decimal import Decimal
from urllib.parse import urlencode

import segno

INTENT_SCHEMES = {"gpay": "tez://upi/pay", "phonepe": "phonepe://pay", "paytm": "paytmmp://pay", "upi": "upi://pay"}


def upi_query(*, payee_vpa: str, payee_name: str, reference: str, note: str, amount: Decimal | None) -> str:
    """The query of a UPI deep link (NPCI's ``upi://pay`` parameters)."""
    params = {"pa": payee_vpa, "pn": payee_name, "tr": reference, "tn": note, "cu": "INR"}
    if amount is not None:
        params["am"] = f"{amount:.2f}"
    return urlencode(params)


def intent_links(query: str) -> dict[str, str]:
    return {app: f"{scheme}?{query}" for app, scheme in INTENT_SCHEMES.items()}


def qr_png_base64(data: str) -> str:
    buffer = io.BytesIO()
    segno.make(data, error="m").save(buffer, kind="png", scale=5, border=2)
    return base64.b64encode(buffer.getvalue()).decode()


def checkout_page(*, order: dict, merchant_name: str, action: str, qr_base64: str | None) -> str:
    """The hosted checkout a customer lands on from the order's checkoutUrl. The buttons
    stand in for the payer (the sandbox cannot reach a real bank)."""
    buttons = "".join(
        f'<button name="outcome" value="{value}">{label}</button> '
        for value, label in (("success", "Pay (succeeds)"), ("pending", "Pay (bank confirms later)"),
                             ("failure", "Pay (fails)"), ("cancel", "Cancel"))
    )
    qr = f'<p><img alt="UPI QR" src="data:image/png;base64,{qr_base64}"></p>' if qr_base64 else ""
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>EnKash sandbox checkout</title></head><body>"
        f"<h1>{html.escape(merchant_name)}</h1>"
        f"<p>Order {html.escape(order['orderId'])}: {order['amount']:.2f} INR</p>{qr}"
        f"<form method='post' action='{html.escape(action)}'>{buttons}</form>"
        "<p><small>EnKash sandbox: no money moves.</small></p></body></html>"
    )
