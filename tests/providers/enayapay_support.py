"""Shared by the EnayaPay test modules: a fast client on the sandbox and the sandbox's
state. Bound to names in each module: ``client, state = enayapay.client, enayapay.state``."""

from __future__ import annotations

import pytest

from providers.enayapay.client import EnayaPayClient
from tests.helpers import fast_client

# A phone number no sandbox user has.
NEW_PHONE = "249912000007"


@pytest.fixture
def client(sandbox) -> EnayaPayClient:
    return fast_client(sandbox, "enayapay")


@pytest.fixture
def state(sandbox):
    return sandbox.sandbox("enayapay")
