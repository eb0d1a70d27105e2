"""The REST API's shared wiring: one error shape, the exception handler that makes it,
the schema pieces every endpoint reuses, and cursor pagination.

How an endpoint is built (copy ``accounts/api/views.py``):

- **One API view per operation**, named ``<Noun><Verb>Api`` (``ConnectionListApi``,
  ``ConnectionTestApi``), with its own small ``InputSerializer`` / ``OutputSerializer``.
  The view parses input, checks the role and calls a selector or service; the same
  service serves the page. Lists that can grow use ``ListAPIView`` with a
  ``CursorPage`` subclass (keyset pagination: a million rows cost what ten do).
- **Authentication** (``REST_FRAMEWORK`` in ``config/settings/base.py``), in order:
  ``accounts.api.authentication.ApiKeyAuthentication`` (``Authorization: Bearer
  pd_<prefix>_<secret>``; the key picks the merchant) then
  ``accounts.api.authentication.MerchantSessionAuthentication`` (the dashboard's own
  calls: session cookie plus CSRF token on unsafe methods; the merchant is the one
  ``CurrentMerchantMiddleware`` chose, as on pages). Either way the view gets
  ``request.merchant``, ``request.role`` (the role it acts with), ``request.api_key``
  (the key, or None) and ``request.membership`` (None for a key). For an audit trail,
  the actor is ``request.api_key`` when set, else ``request.user``; for a key call
  ``request.user`` is an ``ApiKeyActor``, not a ``User``.
- **Roles**: ``permission_classes = [HasRole(Role.MANAGER)]``
  (``accounts.api.permissions``). Viewers read; managers and owners move money; only
  owners manage connections, team and keys. An API key acts with the role chosen when
  it was created, manager (the default) or viewer, never owner: so owner-only
  operations are open to signed-in owners only.
- **Scoping**: read through selectors that take ``merchant=request.merchant``; another
  merchant's record is a 404 (``get_object_or_404`` inside the selector).
  ``tests/api/test_cross_tenant.py`` walks every ``/api/v1/`` route with a ``pk`` and
  checks exactly that; register a factory for a new route there.
- **Schema**: ``@extend_schema(responses={200: OutputSerializer, **error_responses(...)})``
  with the statuses the operation can answer; each gets the ``Error`` component and an
  example. Serializers carry a success example (``extend_schema_serializer``).

The error shape, for every failure of every endpoint::

    {"error": {"code": "invalid", "message": "Some fields are not valid.",
               "fields": {"amount": ["A valid number is required."]}}}

``code`` is stable (programs branch on it), ``message`` is a plain sentence for people,
``fields`` maps a field (dotted path when nested) to its messages, and is ``{}`` when no
field is at fault. Status codes:

========================================  ======  ==============================
DRF / Django                              status  code
========================================  ======  ==============================
ValidationError (also Django's)           400     invalid (with fields)
ParseError (malformed JSON)               400     parse_error
NotAuthenticated / AuthenticationFailed   401     not_authenticated / authentication_failed
PermissionDenied (DRF or Django)          403     permission_denied
NotFound / Http404                        404     not_found
MethodNotAllowed                          405     method_not_allowed
UnsupportedMediaType                      415     unsupported_media_type
Throttled                                 429     throttled (Retry-After header)
any other exception                       500     server_error (logged)
========================================  ======  ==============================

Provider errors (``providers.base.errors``) keep their own stable ``code``
(``invalid_iban``, ``unavailable``...) and plain ``message``:

- ``ProviderInputError`` 400: Paydesk refused the input before sending anything.
- ``ProviderRejected`` 422: the provider understood the request and said no. Not 402,
  which would claim a payment is required; 422 says "well-formed, refused".
- ``ProviderAuthenticationError`` 502: the merchant's *connection* credentials failed
  at the provider. Not 401, which would tell the caller its own API key is wrong.
- ``ProviderInvalidResponse`` 502, any other ``ProviderError`` 502.
- ``ProviderUnavailable`` 503 with ``Retry-After``.
- ``ProviderOutcomeUnknown`` 202: money may have moved. Views that move money catch it
  and answer 202 with the transaction in ``unknown``; this is only the fallback.

Transactions (``ATOMIC_REQUESTS``): an error response rolls the request back, like an
exception would, except for provider errors: their services have recorded what the
provider answered (a failed or unknown transaction and its events) and that record must
survive the error response.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.views import defaults
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import set_rollback

from providers.base import errors as provider_errors

logger = logging.getLogger("config.api")

SERVER_ERROR_MESSAGE = "Something went wrong on our side. It has been logged; please try again later."

# Most specific first: ProviderInputError is a ProviderRejected.
PROVIDER_ERROR_STATUS: tuple[tuple[type[provider_errors.ProviderError], int], ...] = (
    (provider_errors.ProviderInputError, status.HTTP_400_BAD_REQUEST),
    (provider_errors.ProviderRejected, status.HTTP_422_UNPROCESSABLE_ENTITY),
    (provider_errors.ProviderAuthenticationError, status.HTTP_502_BAD_GATEWAY),
    (provider_errors.ProviderInvalidResponse, status.HTTP_502_BAD_GATEWAY),
    (provider_errors.ProviderUnavailable, status.HTTP_503_SERVICE_UNAVAILABLE),
    (provider_errors.ProviderOutcomeUnknown, status.HTTP_202_ACCEPTED),
    (provider_errors.ProviderError, status.HTTP_502_BAD_GATEWAY),
)
UNAVAILABLE_RETRY_AFTER = "30"

# Plainer sentences than DRF's defaults, where DRF's would puzzle an API user.
MESSAGES = {
    "invalid": "Some fields are not valid.",
    "parse_error": "The request body is not valid JSON.",
    "not_authenticated": "Send an API key as 'Authorization: Bearer <key>', or sign in.",
}


def error_body(*, code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def exception_handler(exc: Exception, context: dict) -> Response:
    """REST_FRAMEWORK's EXCEPTION_HANDLER: every exception becomes the one error shape."""
    if isinstance(exc, provider_errors.ProviderError):
        return _provider_error_response(exc)
    if _in_request_transaction(context):
        set_rollback()
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, exceptions.APIException):
        return _api_exception_response(exc)
    request = context.get("request")
    logger.exception(
        "Unhandled error in %s %s", getattr(request, "method", "?"), getattr(request, "path", "?"), exc_info=exc
    )
    return Response(
        error_body(code="server_error", message=SERVER_ERROR_MESSAGE), status=status.HTTP_500_INTERNAL_SERVER_ERROR
    )


def _in_request_transaction(context: dict) -> bool:
    """False for views that opted out of ATOMIC_REQUESTS (``non_atomic_requests``): they
    commit as they go (a payout's pending row, an idempotency key), so there is no
    request transaction to roll back, and marking an outer one would poison it."""
    view = context.get("view")
    dispatch = getattr(type(view), "dispatch", None) if view is not None else None
    return not getattr(dispatch, "_non_atomic_requests", None)


def _api_exception_response(exc: exceptions.APIException) -> Response:
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    if isinstance(exc, exceptions.ValidationError):
        message, fields = _validation_message_and_fields(exc.detail)
        body = error_body(code="invalid", message=message, fields=fields)
    else:
        code = exc.detail.code if isinstance(exc.detail, exceptions.ErrorDetail) else exc.default_code
        default_text = str(exc.default_detail)
        text = str(exc.detail) if isinstance(exc.detail, str) else default_text
        message = MESSAGES.get(code, text) if text == default_text else text
        if isinstance(exc, exceptions.ParseError) and text.startswith("JSON parse error"):
            message = MESSAGES["parse_error"]  # DRF's text quotes the parser's guts
        body = error_body(code=code or exc.default_code, message=message)
    return Response(body, status=exc.status_code, headers=headers)


def _validation_message_and_fields(detail: Any) -> tuple[str, dict[str, list[str]]]:
    fields = _flatten(detail)
    general = fields.pop("non_field_errors", None) or fields.pop("", None)
    message = " ".join(general) if general else MESSAGES["invalid"]
    return message, fields


def _flatten(detail: Any, path: str = "") -> dict[str, list[str]]:
    """{"items": [{"amount": ["..."]}]} → {"items.0.amount": ["..."]}."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            flat.update(_flatten(value, f"{path}.{key}" if path else str(key)))
        return flat
    if isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        flat = {}
        for index, item in enumerate(detail):
            flat.update(_flatten(item, f"{path}.{index}" if path else str(index)))
        return flat
    items = detail if isinstance(detail, list) else [detail]
    messages = [str(item) for item in items if str(item)]
    return {path: messages} if messages else {}


def provider_error_status(exc: provider_errors.ProviderError) -> int:
    """The HTTP status for a provider error, by its class (the table above)."""
    return next(code for kind, code in PROVIDER_ERROR_STATUS if isinstance(exc, kind))


def _provider_error_response(exc: provider_errors.ProviderError) -> Response:
    http_status = provider_error_status(exc)
    headers = {"Retry-After": UNAVAILABLE_RETRY_AFTER} if http_status == status.HTTP_503_SERVICE_UNAVAILABLE else {}
    logger.info("API answered %s for %s", http_status, exc)
    return Response(error_body(code=exc.code, message=exc.message), status=http_status, headers=headers)


# --- Django's own 404 and 500, for paths under /api/ ---------------------------------


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request, exception=None):
    """handler404: JSON in the error shape under /api/ (an unknown API path), the page
    elsewhere."""
    if _is_api(request):
        return JsonResponse(error_body(code="not_found", message="There is no such API path."), status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """handler500: JSON in the error shape under /api/, the page elsewhere."""
    if _is_api(request):
        return JsonResponse(error_body(code="server_error", message=SERVER_ERROR_MESSAGE), status=500)
    return defaults.server_error(request)


# --- URL converter -------------------------------------------------------------------


class IdConverter:
    """``<id:pk>``: a primary key that fits a bigint. ``<int:pk>`` would pass
    99999999999999999999 to the database, which fails with an error (a 500) instead
    of finding nothing; longer numbers do not match the route, so they are a 404."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


# --- Pagination -------------------------------------------------------------------------


class CursorPage(CursorPagination):
    """Keyset pagination: ``?cursor=`` from ``next`` / ``previous``, ``?limit=`` up to
    200. Subclasses set ``ordering`` to an indexed column and the primary key."""

    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200
    ordering = ("-id",)

    def decode_cursor(self, request):
        # DRF answers a cursor it cannot read with 404, as if the list were gone; it is
        # the link that is bad, so say that (400, on the field).
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound:
            raise exceptions.ValidationError(
                {self.cursor_query_param: ["This page link is not valid; start again from the first page."]}
            ) from None


# --- Schema pieces ------------------------------------------------------------------


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, for programs: invalid, not_found, unavailable...")
    message = serializers.CharField(help_text="A plain sentence for people.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Field (dotted path when nested) → its messages; empty when no field is at fault.",
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()

    class Meta:
        ref_name = "Error"


ERROR_EXAMPLES: dict[int, tuple[str, str, dict[str, Any]]] = {
    400: (
        "Validation failed", "Some fields are not valid.",
        {"code": "invalid", "fields": {"name": ["This field is required."]}},
    ),
    401: ("No or bad API key", "The API key is not valid or was revoked.", {"code": "authentication_failed"}),
    403: ("Role too low", "This needs the owner role.", {"code": "permission_denied"}),
    404: ("Not found (or another merchant's)", "Not found.", {"code": "not_found"}),
    405: ("Method not allowed", 'Method "DELETE" not allowed.', {"code": "method_not_allowed"}),
    409: ("Idempotency key in use", "A request with this Idempotency-Key is still being processed. Retry in a moment.",
          {"code": "idempotency_key_in_use"}),
    422: ("Provider declined", "The payment provider declined the request.", {"code": "rejected"}),
    429: ("Too many requests", "Request was throttled.", {"code": "throttled"}),
    500: ("Server error", SERVER_ERROR_MESSAGE, {"code": "server_error"}),
    502: ("Provider failed", provider_errors.ProviderInvalidResponse.default_message, {"code": "invalid_response"}),
    503: ("Provider unavailable", provider_errors.ProviderUnavailable.default_message, {"code": "unavailable"}),
}

# Every operation can answer these, whatever it does.
ALWAYS = (401, 403, 500)


def cursor_page_of(serializer_class: type[serializers.Serializer]) -> type[serializers.Serializer]:
    """The schema of one CursorPage of ``serializer_class`` rows, for list views that are
    plain APIViews (drf-spectacular wraps only generic list views by itself)."""
    name = serializer_class.__name__.removesuffix("Serializer").removesuffix("Output") + "Page"
    page = type(f"{name}Serializer", (serializers.Serializer,), {
        "next": serializers.URLField(allow_null=True, help_text="The next (older) page, or null"),
        "previous": serializers.URLField(allow_null=True, help_text="The previous (newer) page, or null"),
        "results": serializer_class(many=True),
        "Meta": type("Meta", (), {"ref_name": name}),
    })
    # The rows' own examples, as one page of them.
    rows = [e for e in getattr(serializer_class, "_spectacular_annotation", {}).get("examples", [])
            if not e.request_only]
    examples = [OpenApiExample(f"A page: {e.name}", response_only=True, status_codes=["200"],
                               value={"next": None, "previous": None, "results": [e.value]}) for e in rows[:1]]
    return extend_schema_serializer(examples=examples)(page) if examples else page


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """Schema responses for ``statuses`` plus ALWAYS, each the Error component with an
    example: ``@extend_schema(responses={200: Out, **error_responses(404)})``."""
    wanted = sorted(set(statuses) | set(ALWAYS))
    return {code: _error_response(code) for code in wanted}


def _error_response(code: int) -> OpenApiResponse:
    summary, message, extra = ERROR_EXAMPLES[code]
    example = error_body(code=extra["code"], message=message, fields=extra.get("fields"))
    return OpenApiResponse(
        response=ErrorSerializer,
        description=summary,
        examples=[OpenApiExample(summary, value=example, response_only=True, status_codes=[str(code)])],
    )
