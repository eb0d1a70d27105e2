"""Where a connection's base URL may point.

A base URL is typed by a merchant and then called by Paydesk's own servers, with the
merchant's credentials: without limits it is a way to make Paydesk call its own
loopback, the private network it runs in, or the cloud's metadata service (which hands
out the server's own credentials). So:

- live connections must use ``https://`` and their host must be a public address; a
  host name counts by every address it resolves to, so a name that resolves to
  127.0.0.1 is refused like 127.0.0.1 itself;
- test connections may use ``http://`` and loopback or private addresses (the local
  sandboxes, a sandbox in the same cluster), but never link-local or metadata
  addresses: no sandbox lives there, the metadata service does. A deployment may narrow
  test connections to the host names it lists (``test_hosts``, production's
  ``PROVIDER_TEST_HOSTS``, empty by default): without that, any merchant could point a
  "test" connection at the production network.

An IPv6 address that carries an IPv4 one is judged by the IPv4 address it carries, as
that is where the packets end up: IPv4-mapped (``::ffff:127.0.0.1``), IPv4-compatible
(``::127.0.0.1``), the NAT64 well-known prefix (``64:ff9b::a9fe:a9fe`` is 169.254.169.254
through a NAT64 gateway), 6to4 (``2002:7f00:1::``) and Teredo (server and client).

The check runs when a connection is saved, and again on every new socket Paydesk opens
for that connection (``peer_check``, run between connect and the first byte sent): a
name that resolves differently later (DNS rebinding) is refused at connect time.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Collection
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Cloud metadata services that are not link-local (AWS's IPv6 one and Alibaba's sit in
# ranges that a private network may legitimately use).
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)


class UnsafeBaseURL(ValueError):
    """A base URL Paydesk will not call; the message says why, for the merchant."""


def check_base_url(base_url: str, *, live: bool, test_hosts: Collection[str] | None = None) -> None:
    """Raise UnsafeBaseURL unless ``base_url`` (already a well-formed http(s) URL) may
    be called for a connection in that mode. Resolves the host name. ``test_hosts``,
    when given, are the only hosts a test connection may use (None: any host)."""
    parts = urlsplit(base_url)
    if live and parts.scheme != "https":
        raise UnsafeBaseURL("A live connection must use https://.")
    host = parts.hostname or ""
    if not live and test_hosts is not None and host not in {h.strip().lower().strip("[]") for h in test_hosts}:
        raise UnsafeBaseURL(
            f"This installation allows test connections only to the sandbox hosts its operators listed, "
            f"and {host} is not one of them."
        )
    for address in resolve(host):
        reason = _refusal(address, live=live)
        if reason:
            shown = host if host == str(address) else f"{host} ({address})"
            raise UnsafeBaseURL(f"The base URL points at {shown}, {reason}.")


class PeerRefused(OSError):
    """A socket reached an address its connection may not call; nothing was sent."""


def peer_check(*, live: bool):
    """The connect-time check for a connection in that mode (``build_session(peer_check=)``):
    raises PeerRefused for an address ``check_base_url`` would have refused."""

    def check(peer: str) -> None:
        for address in _unwrapped(ipaddress.ip_address(peer.split("%")[0])):
            reason = _refusal(address, live=live)
            if reason:
                raise PeerRefused(f"Refused to talk to {address}: {reason}.")

    return check


def resolve(host: str) -> set[IPAddress]:
    """Every address ``host`` stands for: itself if it is an IP literal, else what the
    resolver answers; an IPv6 address carrying an IPv4 one counts as that IPv4 address
    (see the module docstring)."""
    try:
        addresses = {ipaddress.ip_address(host)}
    except ValueError:
        addresses = {ipaddress.ip_address(info[4][0].split("%")[0]) for info in _getaddrinfo(host)}
    return {inner for a in addresses for inner in _unwrapped(a)}


def _getaddrinfo(host: str) -> list[tuple]:
    try:
        return socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as e:
        raise UnsafeBaseURL(f"The host {host} could not be resolved; check the base URL.") from e


NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052


def _unwrapped(address: IPAddress) -> set[IPAddress]:
    """The IPv4 address(es) an IPv6 address carries, or the address itself."""
    if not isinstance(address, ipaddress.IPv6Address):
        return {address}
    if address.ipv4_mapped is not None:
        return {address.ipv4_mapped}
    if address.teredo is not None:
        return set(address.teredo)  # (server, client), the client deobfuscated
    if address.sixtofour is not None:
        return {address.sixtofour}
    low = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in NAT64_WELL_KNOWN:
        return {low}
    if int(address) >> 32 == 0 and int(address) > 1:  # IPv4-compatible ::a.b.c.d (not :: or ::1)
        return {low}
    return {address}


def _refusal(address: IPAddress, *, live: bool) -> str:
    """Why a connection in that mode may not call ``address``, or "" if it may."""
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if address.is_link_local:
        return "a link-local address"
    if not live:
        return ""
    if address.is_loopback:
        return "a loopback address, which a live connection may not use"
    if address.is_multicast or address.is_unspecified or not address.is_global:
        return "a private or reserved address, which a live connection may not use"
    return ""
