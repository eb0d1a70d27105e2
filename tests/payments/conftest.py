"""Fixtures for the money tests: a merchant with an EnigmaPay connection on the running
sandbox, and its members."""

import pytest

from accounts.models import Role
from providers.enigmapay.testdata import DEMO_CREDENTIALS
from providers.services import connection_upsert
from tests.factories import MembershipFactory, MerchantFactory


@pytest.fixture
def merchant(db):
    return MerchantFactory(name="Demo Bazaar", slug="demo")


@pytest.fixture
def enigmapay(sandbox, merchant):
    connection, _ = connection_upsert(
        merchant=merchant, provider="enigmapay", mode="test",
        base_url=sandbox.base_url("enigmapay"), credentials=dict(DEMO_CREDENTIALS),
    )
    return connection


@pytest.fixture
def members(merchant):
    return {role: MembershipFactory(merchant=merchant, role=role, user__username=role).user for role in Role.values}
