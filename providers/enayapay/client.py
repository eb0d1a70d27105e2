"""EnayaPay client: customer accounts (phone + OTP, passwords) and card balance inquiry
on Sudan's EBS card switch.

Policy that is not obvious:
- No EnayaPay call moves money, so nothing here is an "outcome unknown"; yet only the
  connection test (a login with an empty body, which names no account) is retried.
  Every other call is a POST whose repeat is not harmless:
  register sends another SMS, verify spends the OTP, login and balance inquiry count
  wrong password / IPIN tries (a blind repeat of a wrong-IPIN inquiry can block the
  card), the switch refuses a UUID it has already seen, and the password calls change
  state. Such a POST is re-sent only when the connection never opened (the base client
  does that). A timeout on a call that changes state says so in its message.
- The IPIN leaves Paydesk only as an RSA block over ``UUID + IPIN`` (``ipin.py``). The
  switch's public key is configuration, the connection's optional ``ipin_public_key``
  credential: the doc has no call that publishes it, so none is invented. Without it a
  balance inquiry is refused before anything is sent; when EnayaPay calls a block
  unreadable, the configured key is not the switch's, and the error says so.
- A balance is trusted only when the answer echoes the UUID we sent: an answer meant
  for another request must never show someone else's balance.
- The phone, card number and expiry are checked before anything is sent: a bad one
  raises ProviderInputError (a ProviderRejected and a ValueError) with
  ``http_status=None`` and code ``invalid_phone``, ``invalid_card_number`` or
  ``invalid_expiry``; its sentence never repeats the card number.
- HTTP 203 is a refusal on this API (wrong OTP, wrong password, invalid token), not a
  success; 406 on balance inquiry carries an EBS response code, turned into a sentence
  by ``EBS_RESPONSES``.
"""

from __future__ import annotations

import re
import uuid as uuidlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from providers.base import errors
from providers.base.client import ErrorSpec, ProviderClient, Reply, RetryPolicy, Timeouts
from providers.base.money import Money
from providers.base.redaction import mask_pan, scrub
from providers.enayapay.ipin import encrypt_ipin, load_public_key
from providers.enayapay.types import AccountStatus, CardBalance, PasswordChange, Registration, Verification

Rejected = errors.ProviderRejected
Unavailable = errors.ProviderUnavailable

INVALID_API_KEY = (errors.ProviderAuthenticationError, "invalid_api_key",
                   "EnayaPay did not accept the connection's API key.")
SERVICE_UNAVAILABLE = (Unavailable, "service_unavailable",
                       "EnayaPay's service is not available right now. Please try again shortly.")
NOT_REGISTERED = (Rejected, "not_registered", "This phone number is not registered with EnayaPay.")
INVALID_TOKEN = (errors.ProviderAuthenticationError, "invalid_token",
                 "The phone verification has expired or is not valid. Verify the phone number again.")

# EBS response codes of a balance inquiry: (error class, plain sentence). A system error
# is the switch's fault, so it is "unavailable"; everything else is a refusal.
EBS_RESPONSES: dict[int, tuple[type[errors.ProviderError], str]] = {
    51: (Rejected, "The card's account does not have enough funds for this request."),
    251: (Rejected, "The card's account does not have enough funds for this request."),
    55: (Rejected, "The IPIN is not correct. Too many wrong tries will block the card."),
    355: (Rejected, "The IPIN is not correct. Too many wrong tries will block the card."),
    338: (Rejected, "The IPIN was entered wrongly too many times. The cardholder must contact their bank."),
    375: (Rejected, "The IPIN was entered wrongly too many times. The cardholder must contact their bank."),
    554: (Rejected, "The card has expired."),
    541: (Rejected, "The card has been reported lost and cannot be used."),
    543: (Rejected, "The card has been reported stolen and cannot be used."),
    550: (Rejected, "The card's account is closed."),
    536: (Rejected, "The card is restricted and cannot be used for this request."),
    601: (Rejected, "The card number is not valid."),
    602: (Rejected, "The expiry date does not match the card."),
    196: (Unavailable, "The card network had a system error. Please try again later."),
    696: (Unavailable, "The card network had a system error. Please try again later."),
    412: (Rejected, "The card network refused the request as an invalid transaction."),
}

_EXPIRY = re.compile(r"\d{2}(0[1-9]|1[0-2])")
_IPIN = re.compile(r"\d{4,12}")
NO_IPIN_KEY = ("Card balance checks are not set up for this EnayaPay connection: it has no IPIN public key "
               "(the ipin_public_key credential). Nothing was sent.")
BAD_IPIN_KEY = ("Card balance checks are not set up correctly for this EnayaPay connection: its IPIN public key "
                "(the ipin_public_key credential) is not a base64 DER RSA key. Nothing was sent.")
WRONG_IPIN_KEY = ("EnayaPay could not read the encrypted IPIN: the connection's IPIN public key (the "
                  "ipin_public_key credential) is not the card switch's current key. Ask EnayaPay for the "
                  "current key and update the connection.")
_SEPARATORS = re.compile(r"[\s\-().]")


def normalise_phone(phone: str) -> str:
    """The phone as EnayaPay wants it: digits with the 249 country code, no plus.
    ValueError if it cannot be one (the client turns it into ProviderInputError)."""
    digits = _SEPARATORS.sub("", phone or "")
    if digits.startswith("+"):
        digits = digits[1:]
    elif digits.startswith("00"):
        digits = digits[2:]
    elif digits.startswith("0"):
        digits = "249" + digits[1:]
    elif len(digits) == 9:
        digits = "249" + digits
    if not digits.isdigit():
        raise ValueError("The phone must be a Sudanese mobile number such as +249 91 234 5678.")
    return digits


def _input_error(operation: str, code: str, message: str) -> errors.ProviderInputError:
    """A check made before sending failed: nothing reached EnayaPay."""
    return errors.ProviderInputError(message, provider=EnayaPayClient.provider, operation=operation, code=code)


def _phone(operation: str, phone: str) -> str:
    try:
        return normalise_phone(phone)
    except (ValueError, TypeError):
        raise _input_error(operation, "invalid_phone",
                           "The phone must be a Sudanese mobile number such as +249 91 234 5678.") from None


def _card_number(operation: str, pan: str) -> str:
    digits = _SEPARATORS.sub("", pan) if isinstance(pan, str) else ""
    if not digits.isdigit() or not 12 <= len(digits) <= 19:
        raise _input_error(operation, "invalid_card_number", "The card number must be 12 to 19 digits.")
    return digits


def _ipin(operation: str, ipin: str) -> str:
    """Digits only: anything else would reach the switch as a block it cannot read,
    which this client reports as a wrong key."""
    if not isinstance(ipin, str) or not _IPIN.fullmatch(ipin):
        raise _input_error(operation, "invalid_ipin", "The IPIN must be 4 to 12 digits.")
    return ipin


def _expiry(operation: str, expiry: str) -> str:
    if not isinstance(expiry, str) or not _EXPIRY.fullmatch(expiry):
        raise _input_error(operation, "invalid_expiry",
                           "The card expiry must be YYMM, for example 2812 for December 2028.")
    return expiry


class EnayaPayClient(ProviderClient):
    provider = "enayapay"
    currency = "SDG"

    def __init__(
        self,
        *,
        base_url: str,
        session: requests.Session | None = None,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
        api_key: str,
        ipin_public_key: str | None = None,
    ) -> None:
        """``ipin_public_key``: the card switch's RSA key as base64 DER, from EnayaPay;
        without it (or with one that does not load) balance inquiries are refused
        before sending, and every other call works."""
        super().__init__(base_url=base_url, session=session, timeouts=timeouts, retry=retry)
        self.api_key = api_key
        self.add_secrets(api_key)
        self._key, self._key_problem = _load_ipin_key(ipin_public_key)

    @property
    def card_balance_configured(self) -> bool:
        """Whether balance inquiries can be made: a usable IPIN public key is set."""
        return self._key is not None

    def _auth(self, operation: str) -> dict[str, Any]:
        return {"headers": {"x-api-key": self.api_key}}

    def check(self) -> str:
        """Proves the API key with a login that has an empty body: EnayaPay checks the
        key first (401) and then finds the fields missing (400). It names no account,
        so it counts no password try and changes nothing, and it is safe to retry. It
        also says whether card balance checks are set up."""
        self._request("POST", "login/", operation="check", ok=(400,), safe=True, json_body={},
                      documented={401: INVALID_API_KEY, 503: SERVICE_UNAVAILABLE})
        if self._key is None:
            cards = f"Card balance checks: {self._key_problem}"
        else:
            cards = "Card balance checks are set up (IPIN public key loaded)."
        return f"EnayaPay accepted the API key. {cards}"

    # -- accounts ------------------------------------------------------------------------
    def register(self, *, phone: str, name: str, password: str) -> Registration:
        """Create an account; EnayaPay texts an OTP to the phone (verify it next).
        An already registered phone is refused with code ``already_registered``, and
        EnayaPay texts it a fresh OTP (see README: the forgotten-password flow)."""
        phone = _phone("register", phone)
        documented = self._documented(
            "register",
            {
                302: (Rejected, "already_registered",
                      "This phone number is already registered. Log in, or reset the password."),
                406: (Rejected, "invalid_phone",
                      "EnayaPay does not accept this phone number. Use a Sudanese mobile number."),
                502: (Unavailable, "sms_gateway_unavailable",
                      "EnayaPay could not send the verification SMS. Please try again shortly."),
            },
        )
        body = {"user_phone": phone, "user_name": name, "user_password": password}
        with self._maybe_applied("the account may have been created. Try again: if the phone is then "
                                 "already registered, a new code has been sent"):
            self._request("POST", "register/", operation="register", ok=(200, 201), documented=documented,
                          json_body=body, sensitive=(password,), allow_empty=True)
        return Registration(phone=phone)

    def verify(self, *, phone: str, otp: str) -> Verification:
        """Check the OTP; the answer's token opens the password and card calls."""
        phone = _phone("verify", phone)
        documented = self._documented(
            "verify",
            {
                203: (Rejected, "wrong_otp", "The verification code is not correct."),
                404: NOT_REGISTERED,
            },
        )
        reply = self._request("POST", "verify/", operation="verify", documented=documented,
                              json_body={"user_phone": phone, "user_otp": otp},
                              sensitive=(otp,))
        result = self._result("verify", reply, lambda body: Verification(
            phone=phone, user_name=_text(body["user_name"]), token=_text(body["token"])))
        self.add_request_secrets(result.token)
        return result

    def login(self, *, phone: str, password: str) -> AccountStatus:
        documented = self._documented(
            "login",
            {
                203: (Rejected, "wrong_password", "The phone number or password is not correct."),
                404: NOT_REGISTERED,
            },
        )
        body = {"user_phone": _phone("login", phone), "user_password": password}
        reply = self._request("POST", "login/", operation="login", documented=documented,
                              json_body=body, sensitive=(password,))
        return self._result("login", reply, _account_status)

    def reset_password(self, *, phone: str, new_password: str, token: str) -> AccountStatus:
        """Set a new password for a user who forgot it; ``token`` comes from verify.
        The doc spells the path ``rest/password``; that is what is sent."""
        documented = self._documented("reset_password", {203: INVALID_TOKEN, 404: NOT_REGISTERED})
        body = {"user_phone": _phone("reset_password", phone), "user_password": new_password}
        with self._maybe_applied("the password may have been reset. Log in with the new password to check"):
            reply = self._request("POST", "rest/password/", operation="reset_password", documented=documented,
                                  json_body=body, headers=self._token(token), sensitive=(new_password, token))
        return self._result("reset_password", reply, _account_status)

    def change_password(self, *, current_password: str, new_password: str, token: str) -> PasswordChange:
        """203 means either a wrong current password (with a body) or a bad token (none)."""
        documented = self._documented("change_password", {203: self._change_refusal, 404: NOT_REGISTERED})
        body = {"current_password": current_password, "new_password": new_password}
        with self._maybe_applied("the password may have been changed. Log in with the new password to check"):
            reply = self._request("POST", "change/password/", operation="change_password", documented=documented,
                                  json_body=body, headers=self._token(token),
                                  sensitive=(current_password, new_password, token))
        return self._result("change_password", reply, lambda body: PasswordChange(detail=_text(body["details"])))

    # -- cards ---------------------------------------------------------------------------
    def balance_inquiry(self, *, pan: str, ipin: str, expiry: str, token: str) -> CardBalance:
        """The balance of a card, in SDG. ``expiry`` is YYMM.

        Never retried, not even after a 5xx or a timeout: the switch counts wrong IPIN
        tries (repeating a wrong-IPIN inquiry brings the card closer to being blocked),
        refuses a UUID it has seen, and a repeat with a fresh UUID is a new inquiry that
        only the user should decide to make.
        """
        key = self._ipin_key("balance_inquiry")
        self.add_request_secrets(pan, ipin, token)
        pan, expiry = _card_number("balance_inquiry", pan), _expiry("balance_inquiry", expiry)
        ipin = _ipin("balance_inquiry", ipin)
        request_uuid = str(uuidlib.uuid4())
        block = encrypt_ipin(key, uuid=request_uuid, ipin=ipin)
        documented = self._documented(
            "balance_inquiry",
            {
                203: INVALID_TOKEN,
                406: self._ebs_refusal,
                502: (Unavailable, "card_network_unavailable",
                      "The card network is not answering right now. Please try again later."),
            },
        )
        body = {"pan": pan, "ipin": block, "uuid": request_uuid, "expiration_date": expiry}
        reply = self._request("POST", "balance/inquiry/", operation="balance_inquiry", documented=documented,
                              json_body=body, headers=self._token(token), sensitive=(pan, ipin, token))
        return self._result("balance_inquiry", reply, lambda b: self._card_balance(b, pan, request_uuid, reply))

    # -- helpers -------------------------------------------------------------------------
    def _ipin_key(self, operation: str) -> rsa.RSAPublicKey:
        if self._key is None:
            raise _input_error(operation, "card_balance_not_configured", self._key_problem)
        return self._key

    def _token(self, token: str) -> dict[str, str]:
        return {"token": token}

    def _documented(self, operation: str, specific: dict[int, ErrorSpec]) -> dict[int, ErrorSpec]:
        """Statuses every call can get, then the operation's own. 401 and 503 are listed
        only for some calls in the doc, but the same key check and outage hit all."""
        return {400: self._bad_request(operation), 401: INVALID_API_KEY, 503: SERVICE_UNAVAILABLE, **specific}

    def _error_from_reply(self, reply: Reply, operation: str) -> errors.ProviderError:
        if reply.status == 503:  # a retried GET that ran out of attempts
            cls, code, sentence = SERVICE_UNAVAILABLE
            return self.error(cls, operation, sentence, code=code, reply=reply)
        return super()._error_from_reply(reply, operation)

    def _bad_request(self, operation: str) -> Callable[[Reply], errors.ProviderError]:
        def build(reply: Reply) -> errors.ProviderError:
            details = reply.get("details")
            if operation == "balance_inquiry" and isinstance(details, dict) and "ipin" in details:
                # The IPIN is checked to be digits before sending, so an unreadable block
                # means it was encrypted with a key that is not the switch's.
                return self.error(Rejected, operation, WRONG_IPIN_KEY, code="ipin_key_mismatch", reply=reply)
            fields = scrub(", ".join(sorted(map(str, details))), self._secrets) if isinstance(details, dict) else ""
            sentence = f"EnayaPay found missing or invalid fields: {fields}." if fields else (
                "EnayaPay could not accept the request as sent.")
            return self.error(Rejected, operation, sentence, code="invalid_request", reply=reply)

        return build

    def _change_refusal(self, reply: Reply) -> errors.ProviderError:
        if reply.get("details"):
            return self.error(Rejected, "change_password", "The current password is not correct.",
                              code="wrong_current_password", reply=reply)
        cls, code, sentence = INVALID_TOKEN
        return self.error(cls, "change_password", sentence, code=code, reply=reply)

    def _ebs_refusal(self, reply: Reply) -> errors.ProviderError:
        return self._ebs_error(reply.get("response_code"), reply)

    def _ebs_error(self, raw: object, reply: Reply) -> errors.ProviderError:
        code = _int(raw)
        if code is None:
            return self.error(Rejected, "balance_inquiry", "The card network declined the inquiry.",
                              code="ebs_unknown", reply=reply)
        cls, sentence = EBS_RESPONSES.get(code, (Rejected, f"The card network declined the inquiry (code {code})."))
        return self.error(cls, "balance_inquiry", sentence, code=f"ebs_{code}", reply=reply)

    def _card_balance(self, body: dict, pan: str, sent_uuid: str, reply: Reply) -> CardBalance:
        if body["uuid"] != sent_uuid:
            raise self.error(errors.ProviderInvalidResponse, "balance_inquiry",
                             "EnayaPay answered for a different request; the balance was not shown.",
                             code="uuid_mismatch", reply=reply)
        code = _int(body["response_code"])
        if code is None:
            raise ValueError("response_code is not a number")
        if code != 0:
            raise self._ebs_error(body["response_code"], reply)
        return CardBalance(
            pan_masked=mask_pan(pan),
            balance=Money.parse(body["balance"], self.currency),
            response_code=0,
            response_status=_text(body.get("response_status") or ""),
            uuid=sent_uuid,
        )

    @contextmanager
    def _maybe_applied(self, consequence: str) -> Iterator[None]:
        """No answer to a call that changes state (timeout, dropped connection): say
        what may have happened."""
        try:
            yield
        except Unavailable as e:
            if e.http_status is not None or e.code not in ("timeout", "connection_failed"):
                raise
            raise Unavailable(f"EnayaPay did not answer; {consequence}.", provider=self.provider,
                              operation=e.operation, code=e.code) from e


def _load_ipin_key(der_b64: str | None) -> tuple[rsa.RSAPublicKey | None, str]:
    """The configured key, or None and the sentence that says why there is none."""
    if not der_b64:
        return None, NO_IPIN_KEY
    try:
        return load_public_key(der_b64.strip()), ""
    except ValueError:
        return None, BAD_IPIN_KEY


def _account_status(body: dict) -> AccountStatus:
    return AccountStatus(user_name=_text(body["user_name"]), status=_text(body["status"]))


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None
