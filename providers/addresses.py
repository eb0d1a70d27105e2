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
  addresses: no sandbox lives there, the metadata service does.

The check runs when a connection is saved. A name that resolves differently later
(DNS rebinding) is not caught here; that would need a check at connect time.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Cloud metadata services that are not link-local (AWS's IPv6 one and Alibaba's sit in
# ranges that a private network may legitimately use).
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)


class UnsafeBaseURL(ValueError):
    """A base URL Paydesk will not call; the message says why, for the merchant."""


def check_base_url(base_url: str, *, live: bool) -> None:
    """Raise UnsafeBaseURL unless ``base_url`` (already a well-formed http(s) URL) may
    be called for a connection in that mode. Resolves the host name."""
    parts = urlsplit(base_url)
    if live and parts.scheme != "https":
        raise UnsafeBaseURL("A live connection must use https://.")
    host = parts.hostname or ""
    for address in resolve(host):
        reason = _refusal(address, live=live)
        if reason:
            shown = host if host == str(address) else f"{host} ({address})"
            raise UnsafeBaseURL(f"The base URL points at {shown}, {reason}.")


def resolve(host: str) -> set[IPAddress]:
    """Every address ``host`` stands for: itself if it is an IP literal, else what the
    resolver answers (IPv4-mapped IPv6 addresses unwrapped to IPv4)."""
    try:
        addresses = {ipaddress.ip_address(host)}
    except ValueError:
        addresses = {ipaddress.ip_address(info[4][0].split("%")[0]) for info in _getaddrinfo(host)}
    return {_unmapped(a) for a in addresses}


def _getaddrinfo(host: str) -> list[tuple]:
    try:
        return socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as e:
        raise UnsafeBaseURL(f"The host {host} could not be resolved; check the base URL.") from e


def _unmapped(address: IPAddress) -> IPAddress:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


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
