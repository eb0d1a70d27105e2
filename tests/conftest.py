"""Shared fixtures. Provider tests talk to the real sandboxes over real HTTP: one
sandbox server per test session on a free port, state reset between tests."""

from __future__ import annotations

import logging
import os

import pytest
import requests

from providers.sandbox_server import RunningSandbox


class SuiteLogCapture(logging.Handler):
    """Every log line of the whole test run, formatted, before any filter: the
    redaction test checks that the clients themselves never log a secret."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[tuple[str, str]] = []  # (logger name, formatted text incl. traceback)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append((record.name, self.format(record)))
        except Exception:  # logging must never break a test
            self.lines.append((record.name, f"<unformattable {record.msg!r}>"))


SUITE_LOG = SuiteLogCapture()
CAPTURED_LOGGERS = ("providers", "payments", "accounts", "config")


def _attach_suite_log() -> None:
    # On the named loggers, not the root: Django's dictConfig and Celery's worker both
    # replace the root logger's handlers.
    for name in CAPTURED_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(logging.DEBUG)
        if SUITE_LOG not in logger.handlers:
            logger.addHandler(SUITE_LOG)


def pytest_configure(config):
    _attach_suite_log()


@pytest.fixture(autouse=True)
def _suite_log_attached():
    _attach_suite_log()


@pytest.fixture(scope="session")
def sandbox_server():
    # PAYDESK_SANDBOXES=enigmapay,vospay starts only some (handy while building one).
    only = [p for p in os.environ.get("PAYDESK_SANDBOXES", "").split(",") if p] or None
    running = RunningSandbox(providers=only).start()
    yield running
    running.stop()


@pytest.fixture
def sandbox(sandbox_server):
    """The running sandbox server, reset to its documented test data."""
    sandbox_server.app.reset()
    yield sandbox_server
    sandbox_server.app.reset()


def arm_fault(sandbox, provider: str, operation: str, fault: str, **options) -> None:
    """Arm a fault through the sandbox's HTTP control API, as a demo or test would."""
    response = requests.post(
        f"{sandbox.url}/_sandbox/faults",
        json={"provider": provider, "operation": operation, "fault": fault, **options},
        timeout=5,
    )
    response.raise_for_status()


@pytest.fixture
def callback_receiver():
    """A local HTTP endpoint recording the callbacks a sandbox sends (see CallbackReceiver)."""
    from tests.helpers import CallbackReceiver

    with CallbackReceiver() as receiver:
        yield receiver


# -- a merchant with an EnigmaPay connection on the sandbox, and its members -------------
@pytest.fixture
def merchant(db):
    from tests.factories import MerchantFactory

    return MerchantFactory(name="Demo Bazaar", slug="demo")


@pytest.fixture
def enigmapay(sandbox, merchant):
    from providers.enigmapay.testdata import DEMO_CREDENTIALS
    from providers.services import connection_upsert

    connection, _ = connection_upsert(
        merchant=merchant, provider="enigmapay", mode="test",
        base_url=sandbox.base_url("enigmapay"), credentials=dict(DEMO_CREDENTIALS),
    )
    return connection


def _sandbox_connection(sandbox, merchant, provider: str):
    from importlib import import_module

    from providers.services import connection_upsert

    credentials = dict(import_module(f"providers.{provider}.sandbox").DEMO_CREDENTIALS)
    connection, _ = connection_upsert(merchant=merchant, provider=provider, mode="test",
                                      base_url=sandbox.base_url(provider), credentials=credentials)
    return connection


@pytest.fixture
def eoneopay(sandbox, merchant):
    """``merchant``'s EoneoPay connection on the sandbox (its documented test keys)."""
    return _sandbox_connection(sandbox, merchant, "eoneopay")


@pytest.fixture
def enkash(sandbox, merchant):
    """``merchant``'s EnKash connection on the sandbox."""
    return _sandbox_connection(sandbox, merchant, "enkash")


@pytest.fixture
def vospay(sandbox, merchant):
    """``merchant``'s Vospay connection on the sandbox."""
    return _sandbox_connection(sandbox, merchant, "vospay")


@pytest.fixture
def members(merchant):
    """An owner, a manager and a viewer of ``merchant``, named after their roles."""
    from accounts.models import Role
    from tests.factories import MembershipFactory

    return {role: MembershipFactory(merchant=merchant, role=role, user__username=role).user for role in Role.values}
