"""Public DNS for tests that cannot use the network: ``install_fake_dns`` answers
chosen host names with chosen addresses (an empty list: "no such host") and passes
every other name (localhost, IP literals) to the real resolver."""

from __future__ import annotations

import socket


def install_fake_dns(monkeypatch) -> dict[str, list[str]]:
    """Patch the resolver for the test; fill the returned dict with host → addresses."""
    answers: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in answers:
            return real(host, port, *args, **kwargs)
        if not answers[host]:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "",
             (a, port or 0, 0, 0) if ":" in a else (a, port or 0))
            for a in answers[host]
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers
