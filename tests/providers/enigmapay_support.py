"""Shared by the EnigmaPay test modules: a fast client on the sandbox, the sandbox's
config call, and a session with canned answers for replies the sandbox never gives.
The fixture is bound to a name in each module: ``client = enigmapay.client``."""

from __future__ import annotations

import json

import pytest
import requests

from providers.enigmapay.client import EnigmaPayClient
from tests.helpers import fast_client


@pytest.fixture
def client(sandbox) -> EnigmaPayClient:
    return fast_client(sandbox, "enigmapay")


def configure(sandbox, **options) -> dict:
    """Set sandbox options (callback_url, completion_delay, ...) through its HTTP control API."""
    response = requests.post(f"{sandbox.url}/_sandbox/config", json={"provider": "enigmapay", **options}, timeout=5)
    response.raise_for_status()
    return response.json()


class CannedSession(requests.Session):
    """Answers every request with one canned reply: for answers the sandbox never gives."""

    def __init__(self, status: int, body: dict) -> None:
        super().__init__()
        self.status, self.body, self.calls = status, body, 0

    def request(self, method, url, **kwargs):
        self.calls += 1
        response = requests.Response()
        response.status_code, response.url = self.status, url
        response._content = json.dumps(self.body).encode()
        response.headers["Content-Type"] = "application/json"
        return response
