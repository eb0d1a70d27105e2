"""Services on provider connections: create or update, test, build a client."""

from __future__ import annotations

import contextlib
import re
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from cryptography.fernet import InvalidToken
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from accounts.models import Merchant
from providers import addresses, crypto
from providers.base.client import NO_RETRY, ProviderClient, RetryPolicy, Timeouts, build_session
from providers.base.errors import ProviderError
from providers.models import ProviderConnection
from providers.registry import PROVIDERS, get_spec


class ConnectionInputError(ValueError):
    """A connection request that cannot be saved; the message says what to fix."""


# The model's column width: a longer URL would fail at the database, not here.
BASE_URL_MAX_LENGTH = ProviderConnection._meta.get_field("base_url").max_length
# Far above any provider's real key length, far below what would bloat a row or a log.
CREDENTIAL_MAX_LENGTH = 512
# Longer ones, by name: an RSA public key in base64 DER is 392 characters at 2048 bits,
# 564 at 3072 and 736 at 4096, and more as PEM with its armour and line breaks.
CREDENTIAL_MAX_LENGTHS = {"ipin_public_key": 4096}


def credential_max_length(name: str) -> int:
    return CREDENTIAL_MAX_LENGTHS.get(name, CREDENTIAL_MAX_LENGTH)


def _validate_base_url(base_url: str, *, mode: str) -> str:
    """The normalised base URL, or ConnectionInputError. Resolves the host name (see
    ``providers.addresses``): call it outside any transaction."""
    if len(base_url) > BASE_URL_MAX_LENGTH:
        raise ConnectionInputError(f"The base URL is longer than {BASE_URL_MAX_LENGTH} characters.")
    try:
        URLValidator(schemes=["http", "https"], message="")(base_url)
    except ValidationError:
        raise ConnectionInputError(f"{base_url!r} is not an http(s) URL.") from None
    parts = urlsplit(base_url)
    if parts.username or parts.password:
        # Not echoed: the URL holds a password, which would then be shown everywhere.
        raise ConnectionInputError("The base URL must not carry a user name or password; use credentials.")
    try:
        _check_address(base_url, mode=mode)
    except addresses.UnsafeBaseURL as e:
        raise ConnectionInputError(str(e)) from None
    return base_url.rstrip("/")


def _check_address(base_url: str, *, mode: str) -> None:
    """``providers.addresses`` rules for ``mode``; a deployment that sets
    ``PROVIDER_TEST_HOSTS`` (production) allows test connections only to those hosts."""
    addresses.check_base_url(
        base_url, live=mode == ProviderConnection.Mode.LIVE,
        test_hosts=getattr(settings, "PROVIDER_TEST_HOSTS", None),
    )


def _validate_credentials(provider: str, credentials: dict[str, str], *, partial: bool) -> None:
    spec = get_spec(provider)
    unknown = sorted(set(credentials) - set(spec.credential_names))
    if unknown:
        allowed = ", ".join(spec.credential_names) or "none"
        raise ConnectionInputError(
            f"{spec.label} has no credential named {', '.join(unknown)} (it takes: {allowed})."
        )
    empty = sorted(name for name, value in credentials.items() if not value)
    if empty:
        raise ConnectionInputError(f"Credential {', '.join(empty)} is empty.")
    too_long = sorted(name for name, value in credentials.items() if len(value) > credential_max_length(name))
    if too_long:
        limit = credential_max_length(too_long[0])
        raise ConnectionInputError(f"Credential {', '.join(too_long)} is longer than {limit} characters.")
    if not partial:
        missing = [name for name in spec.required_credentials if name not in credentials]
        if missing:
            raise ConnectionInputError(f"{spec.label} needs the credential {', '.join(missing)}.")


@sensitive_variables("credentials", "merged")
def connection_validate(
    *,
    merchant: Merchant,
    provider: str,
    mode: str,
    base_url: str,
    credentials: dict[str, str],
) -> tuple[ProviderConnection | None, str, dict[str, str]]:
    """Check a create-or-update request without saving. Returns the existing connection
    (or None), the normalised base URL and the credentials as they would be stored: on
    update, those given replace the stored ones of the same name and the others stay."""
    _validate_choices(provider, mode)
    base_url = _validate_base_url(base_url, mode=mode)
    existing = _existing_connection(merchant=merchant, provider=provider, mode=mode)
    merged = _merged(existing, provider=provider, mode=mode, credentials=credentials)
    return existing, base_url, merged


def _validate_choices(provider: str, mode: str) -> None:
    if provider not in PROVIDERS:
        raise ConnectionInputError(f"Unknown provider {provider!r}; choose one of {', '.join(PROVIDERS)}.")
    if mode not in ProviderConnection.Mode.values:
        raise ConnectionInputError(f"Unknown mode {mode!r}; choose test or live.")


@sensitive_variables("credentials", "merged")
def _merged(
    existing: ProviderConnection | None, *, provider: str, mode: str, credentials: dict[str, str]
) -> dict[str, str]:
    """The credentials as they would be stored, or ConnectionInputError."""
    _validate_credentials(provider, credentials, partial=existing is not None)
    credentials = {name: _normalised_credential(name, value) for name, value in credentials.items()}
    merged = dict(credentials)
    if existing is not None:
        # Unreadable under the current keys: only what is given now counts.
        with contextlib.suppress(crypto.DecryptionError):
            merged = {**existing.credentials, **credentials}
        _validate_credentials(provider, merged, partial=False)
    _validate_mode(provider, mode, merged)
    return merged


def _normalised_credential(name: str, value: str) -> str:
    """The value as stored. An IPIN public key is checked now, not at the first balance
    inquiry: it is stored as bare base64 DER, whether it came as that or as PEM (armour
    and line breaks dropped)."""
    if name != "ipin_public_key":
        return value
    from cryptography.exceptions import UnsupportedAlgorithm

    from providers.enayapay.ipin import load_public_key

    # The armour anywhere, not only on lines of its own: a one-line password field drops
    # a pasted PEM's line breaks.
    der_b64 = re.sub(r"\s+", "", re.sub(r"-----[A-Z ]+-----", "", value))
    try:
        load_public_key(der_b64)
    except (ValueError, UnsupportedAlgorithm):
        raise ConnectionInputError(
            "Credential ipin_public_key is not an RSA public key (base64 DER, or PEM "
            "\"-----BEGIN PUBLIC KEY-----\"); paste the key EnayaPay gave you as it is."
        ) from None
    return der_b64


def _validate_mode(provider: str, mode: str, credentials: dict[str, str]) -> None:
    """A live key on a test connection would move real money while everyone thinks it is
    a test: refuse the mismatch."""
    implied = get_spec(provider).client_class().credentials_mode(credentials)
    if implied is not None and implied != mode:
        raise ConnectionInputError(
            f"These are {implied}-mode credentials, but the connection is in {mode} mode."
        )


class ConnectionExists(ConnectionInputError):
    """An "add" for a connection that is already there. Adding never overwrites: the
    connection that is there stays as it is, and changing it happens on its own page."""

    def __init__(self, connection: ProviderConnection) -> None:
        self.connection = connection
        super().__init__(
            f"There is already a connection to {connection.spec.label} in {connection.mode} mode; "
            "what you entered was not saved. Update or rotate its secrets here."
        )


@sensitive_variables("credentials")
def connection_create(
    *,
    merchant: Merchant,
    provider: str,
    mode: str,
    base_url: str,
    credentials: dict[str, str],
) -> ProviderConnection:
    """Add the (merchant, provider, mode) connection. If it exists, or another request
    adds it first (even at the same moment: the unique constraint decides), raise
    ConnectionExists with the one that is there; never turn the add into an update."""
    _validate_choices(provider, mode)
    _refuse_existing(merchant=merchant, provider=provider, mode=mode)
    base_url = _validate_base_url(base_url, mode=mode)
    merged = _merged(None, provider=provider, mode=mode, credentials=credentials)
    connection = ProviderConnection(merchant=merchant, provider=provider, mode=mode, base_url=base_url)
    connection.credentials = merged
    try:
        with transaction.atomic():
            connection.save(force_insert=True)
    except IntegrityError:
        _refuse_existing(merchant=merchant, provider=provider, mode=mode)
        raise  # some other constraint: not ours to explain
    return connection


def _refuse_existing(*, merchant: Merchant, provider: str, mode: str) -> None:
    existing = _existing_connection(merchant=merchant, provider=provider, mode=mode)
    if existing is not None:
        raise ConnectionExists(existing)


def _existing_connection(*, merchant: Merchant, provider: str, mode: str) -> ProviderConnection | None:
    return ProviderConnection.objects.filter(merchant=merchant, provider=provider, mode=mode).first()


@sensitive_variables("credentials", "merged")
def connection_upsert(
    *,
    merchant: Merchant,
    provider: str,
    mode: str,
    base_url: str,
    credentials: dict[str, str],
) -> tuple[ProviderConnection, bool]:
    """Create the (merchant, provider, mode) connection, or update it (see
    ``connection_validate`` for how credentials merge): for scripts and admin, which
    say "make it so". Pages that add use ``connection_create``, which never updates.
    An update that changes nothing leaves the row, and its last check, as they were."""
    _validate_choices(provider, mode)
    # Before the transaction: it resolves the host name, which may take a while.
    base_url = _validate_base_url(base_url, mode=mode)
    try:
        return _connection_save(
            merchant=merchant, provider=provider, mode=mode, base_url=base_url, credentials=credentials
        )
    except IntegrityError:
        # Another request created the same connection between our read and our insert:
        # what it saved is now the row to update.
        return _connection_save(
            merchant=merchant, provider=provider, mode=mode, base_url=base_url, credentials=credentials
        )


@sensitive_variables("credentials", "merged")
def _connection_save(*, merchant, provider, mode, base_url, credentials) -> tuple[ProviderConnection, bool]:
    with transaction.atomic():
        existing = _locked_connection(merchant=merchant, provider=provider, mode=mode)
        merged = _merged(existing, provider=provider, mode=mode, credentials=credentials)
        if existing is not None and existing.base_url == base_url and _same_credentials(existing, merged):
            return existing, False
        connection = existing or ProviderConnection(merchant=merchant, provider=provider, mode=mode)
        connection.base_url = base_url
        connection.credentials = merged
        connection.status = ProviderConnection.Status.UNCHECKED
        connection.last_error = ""
        connection.save()
    return connection, existing is None


def _locked_connection(*, merchant: Merchant, provider: str, mode: str) -> ProviderConnection | None:
    """The connection, locked to the end of the transaction so that two concurrent
    updates cannot lose a credential; None if there is none yet."""
    return (
        ProviderConnection.objects.select_for_update()
        .filter(merchant=merchant, provider=provider, mode=mode)
        .first()
    )


def _same_credentials(connection: ProviderConnection, credentials: dict[str, str]) -> bool:
    try:
        return connection.credentials == credentials
    except crypto.DecryptionError:
        return False


# One pooled HTTP session per connection, kept for the life of the process and
# replaced when the connection changes (new credentials or base URL).
_sessions: dict[int, tuple[object, requests.Session]] = {}
_sessions_lock = threading.Lock()


def _session_for(connection: ProviderConnection) -> requests.Session:
    stamp = connection.updated_at
    with _sessions_lock:
        held = _sessions.get(connection.pk)
        if held is None or held[0] != stamp:
            if held is not None:
                held[1].close()
            live = connection.mode == ProviderConnection.Mode.LIVE
            held = (stamp, build_session(peer_check=addresses.peer_check(live=live)))
            _sessions[connection.pk] = held
        return held[1]


# A batch of calls on one connection (a sync batch) builds its client once instead of once
# per call: building one decrypts the credentials. Per thread, opted into with
# ``client_cache()``; the batch's threads share its dictionary.
_cache_local = threading.local()


@contextlib.contextmanager
def client_cache(clients: dict | None = None):
    """Within it, ``client_for`` on this thread gives one client per connection (as
    saved: a changed connection gets a new one), kept in ``clients`` (a new dictionary
    by default; pass another thread's ``current_client_cache()`` to share it)."""
    previous = getattr(_cache_local, "clients", None)
    _cache_local.clients = {} if clients is None else clients
    try:
        yield _cache_local.clients
    finally:
        _cache_local.clients = previous


def current_client_cache() -> dict | None:
    return getattr(_cache_local, "clients", None)


def client_for(
    connection: ProviderConnection, *, timeouts: Timeouts | None = None, retry: RetryPolicy | None = None
) -> ProviderClient:
    """The provider client for ``connection``, on that connection's pooled session."""
    clients = current_client_cache()
    if clients is None or timeouts is not None or retry is not None or not connection.pk:
        return _client_build(connection, timeouts=timeouts, retry=retry)
    key = (connection.pk, connection.updated_at, connection.base_url)
    client = clients.get(key)
    if client is None:
        client = clients[key] = _client_build(connection, timeouts=None, retry=None)
    return client


def _client_build(connection: ProviderConnection, *, timeouts: Timeouts | None, retry: RetryPolicy | None):
    client_class = connection.spec.client_class()
    credentials = connection.credentials
    extra = {}
    if connection.provider == "enkash" and connection.pk:
        extra["token_store"] = enkash_token_store(connection, credentials)
    return client_class(
        base_url=connection.base_url,
        session=_session_for(connection) if connection.pk else build_session(),
        timeouts=timeouts or Timeouts.from_settings(),
        retry=retry,
        **credentials,
        **extra,
    )


def enkash_token_store(connection: ProviderConnection, credentials: dict[str, str] | None = None):
    """The connection's EnKash session token, in the "shared" cache every web and Celery
    process reads (``settings.CACHES``), encrypted with the credentials' keys. Keyed by
    the connection and a hash of its base URL and keys: new keys never reuse a token.

    Read and written in autocommit by the views and tasks that call EnKash (they run
    outside a request transaction): a database cache's rows written inside an open
    transaction would be seen by no other process until it commits."""
    from django.core.cache import caches

    from providers.enkash.tokens import SharedTokenStore, connection_key

    credentials = credentials if credentials is not None else connection.credentials
    key = connection_key(connection.base_url, credentials.get("access_key", ""), credentials.get("secret_key", ""))
    return SharedTokenStore(caches["shared"], f"{connection.pk}:{key}",
                            seal=crypto.encrypt_json, unseal=crypto.decrypt_json)


# A connection test runs while someone waits (a page, an admin action): one attempt,
# short timeouts, so it answers well within a web worker's time limit.
CHECK_TIMEOUTS = Timeouts(connect=3.05, read=8.0)


@dataclass(frozen=True)
class ConnectionCheck:
    ok: bool
    message: str


def connection_test(*, connection: ProviderConnection) -> ConnectionCheck:
    """Make one cheap authenticated call and record the outcome on the connection.

    Call it outside any transaction (views opt out of ``ATOMIC_REQUESTS``): the call may
    wait seconds on the provider, and a transaction held open that long pins a database
    connection, and any lock it took, for nothing. The outcome is one UPDATE in
    autocommit. The base URL is checked again first (``providers.addresses``): a row saved
    before the rules, or a host name that now resolves inside, is not called."""
    try:
        _check_address(connection.base_url, mode=connection.mode)
        detail = client_for(connection, timeouts=CHECK_TIMEOUTS, retry=NO_RETRY).check()
        result = ConnectionCheck(True, detail or "Connection works.")
    except addresses.UnsafeBaseURL as e:
        result = ConnectionCheck(False, str(e))
    except ProviderError as e:
        result = ConnectionCheck(False, e.message)
    except crypto.DecryptionError as e:
        result = ConnectionCheck(False, str(e))
    ProviderConnection.objects.filter(pk=connection.pk).update(
        status=ProviderConnection.Status.HEALTHY if result.ok else ProviderConnection.Status.FAILING,
        last_checked_at=timezone.now(),
        last_error="" if result.ok else result.message,
    )
    connection.refresh_from_db()
    return result


def webhook_bodies_rotate_keys() -> int:
    """Re-encrypt every stored callback body under the first configured key, so that the
    old key can be removed without losing the evidence of what providers sent."""
    from providers.models import WebhookEvent

    count = 0
    stored = WebhookEvent.objects.exclude(body_encrypted=b"").order_by("pk")
    for pk, token in stored.values_list("pk", "body_encrypted").iterator(chunk_size=500):
        try:
            rotated = crypto.fernet().rotate(bytes(token))
        except InvalidToken as e:
            raise crypto.DecryptionError(f"Callback #{pk} cannot be decrypted with the configured keys.") from e
        WebhookEvent.objects.filter(pk=pk).update(body_encrypted=rotated)
        count += 1
    return count


def connections_rotate_keys() -> int:
    """Re-encrypt every connection's credentials under the first configured key."""
    count = 0
    for pk in ProviderConnection.objects.values_list("pk", flat=True).iterator():
        with transaction.atomic():
            connection = ProviderConnection.objects.select_for_update().get(pk=pk)
            if connection.credentials_encrypted:
                ProviderConnection.objects.filter(pk=pk).update(
                    credentials_encrypted=crypto.rotate(connection.credentials_encrypted)
                )
                count += 1
    return count
