"""One error hierarchy for all five providers.

Classify by HTTP status and structured fields, never by message text. Every error
carries the provider, the operation, the HTTP status (None when nothing came back), a
stable ``code`` for programs and a ``message`` that is a plain sentence for people. The
upstream's own words, already redacted, are kept in ``upstream_message``.
"""

from __future__ import annotations


class ProviderError(Exception):
    default_code = "provider_error"
    default_message = "The payment provider could not complete the request."

    def __init__(
        self,
        message: str | None = None,
        *,
        provider: str,
        operation: str,
        http_status: int | None = None,
        code: str | None = None,
        upstream_message: str | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.provider = provider
        self.operation = operation
        self.http_status = http_status
        self.code = code or self.default_code
        self.upstream_message = upstream_message
        super().__init__(self.message)

    def __str__(self) -> str:
        status = f" HTTP {self.http_status}" if self.http_status else ""
        return f"{self.provider}.{self.operation}{status} [{self.code}]: {self.message}"

    def as_dict(self) -> dict:
        return {
            "type": type(self).__name__,
            "provider": self.provider,
            "operation": self.operation,
            "http_status": self.http_status,
            "code": self.code,
            "message": self.message,
        }


class ProviderUnavailable(ProviderError):
    """Timeouts on a safe call, connection failures, 5xx: try again later."""

    default_code = "unavailable"
    default_message = "The payment provider is not answering right now. Please try again shortly."


class ProviderRejected(ProviderError):
    """The upstream understood the request and said no (4xx or a documented refusal)."""

    default_code = "rejected"
    default_message = "The payment provider declined the request."


class ProviderInputError(ProviderRejected, ValueError):
    """Refused by Paydesk before any request was sent: the input breaks the provider's
    rules (an invalid IBAN or IFSC, an amount under the minimum or with too many decimal
    places, a malformed card expiry...). ``http_status`` is None; nothing reached the
    upstream. Also a ValueError, so form and serializer validation can catch it as one."""

    default_code = "invalid_input"
    default_message = "The request was not sent: the provider would not accept these details."


class ProviderAuthenticationError(ProviderError):
    """The connection's credentials (or a user token) were not accepted."""

    default_code = "authentication_failed"
    default_message = "The payment provider did not accept the connection's credentials."


class ProviderInvalidResponse(ProviderError):
    """The upstream answered something we cannot read: bad JSON or a missing field."""

    default_code = "invalid_response"
    default_message = "The payment provider sent an answer Paydesk could not read."


class ProviderOutcomeUnknown(ProviderError):
    """A request that may have moved money got no readable answer. Never re-send it:
    record it as unknown and resolve it with the provider's status call."""

    default_code = "outcome_unknown"
    default_message = (
        "The payment provider did not confirm the result in time. The request may or may "
        "not have gone through; Paydesk will check its status before doing anything else."
    )
