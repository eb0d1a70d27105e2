"""Who is calling the API, for which merchant, acting with which role.

Each class sets, on the DRF request: ``merchant``, ``role`` (what the caller acts as),
``api_key`` (or None) and ``membership`` (or None). A Bearer header that is present
but wrong is a 401: it never falls back to the session cookie."""

from __future__ import annotations

from dataclasses import dataclass

from drf_spectacular.authentication import SessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from accounts.models import ApiKey
from accounts.selectors import api_key_authenticate
from accounts.services import api_key_touch


@dataclass(frozen=True, eq=False)
class ApiKeyActor:
    """``request.user`` for a call made with an API key: authenticated, but no person
    and no ``User`` row. Audit with ``request.api_key``."""

    api_key: ApiKey
    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None  # no User row behind it

    def get_username(self) -> str:
        return f"API key {self.api_key.display_prefix} ({self.api_key.name})"

    def __str__(self) -> str:
        return self.get_username()


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer pd_<prefix>_<secret>``; the key picks the merchant."""

    keyword = "bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send exactly one API key: 'Authorization: Bearer <key>'.")
        try:
            raw_key = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("The API key is not valid or was revoked.") from None
        api_key = api_key_authenticate(raw_key=raw_key)
        if api_key is None:
            raise exceptions.AuthenticationFailed("The API key is not valid or was revoked.")
        api_key_touch(api_key=api_key)
        request.merchant, request.role, request.api_key, request.membership = (
            api_key.merchant, api_key.role, api_key, None,
        )
        return ApiKeyActor(api_key), api_key

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (not 403) when no credentials came.
        return 'Bearer realm="api"'


class MerchantSessionAuthentication(authentication.SessionAuthentication):
    """The dashboard's own calls: Django's session plus the CSRF token on unsafe
    methods. The merchant is the one CurrentMerchantMiddleware chose for pages."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        membership = getattr(request._request, "membership", None)
        request.membership, request.api_key = membership, None
        request.merchant = membership.merchant if membership else None
        request.role = membership.role if membership else None
        return result


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "pd_<prefix>_<secret>",
            "description": "A merchant API key from Settings → API keys. It picks the merchant and acts "
            "with the role chosen when it was created (manager or viewer).",
        }


class MerchantSessionScheme(SessionScheme):
    target_class = MerchantSessionAuthentication
    priority = 0
