"""Schemathesis against /api/schema/, in process on the WSGI app, with a manager API key
of merchant A: no answer is a 5xx, every answer conforms to the schema (status code,
content type, body), and nothing of merchant B ever appears in one. Fixed seed
(derandomize): a failure repeats. The cases are counted: at least 1,000 in a run."""

from __future__ import annotations

import math

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import Role
from accounts.services import api_key_create
from config.wsgi import application
from payments.models import Kind, Transaction
from tests.factories import MerchantFactory

pytestmark = pytest.mark.django_db

CASES_AT_LEAST = 1000
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def world(enigmapay, merchant):
    """Merchant A (the key's) with a connection on the sandbox and a payout; merchant B
    with records whose references must never show up."""
    _, raw_key = api_key_create(merchant=merchant, name="fuzz", role=Role.MANAGER, created_by=None)
    Transaction.objects.create(merchant=merchant, connection=enigmapay, provider="enigmapay", kind=Kind.PAYOUT,
                               amount="10.00", currency="TRY")
    other = MerchantFactory(name="Beta Books", slug="beta")
    from providers.services import connection_upsert

    theirs, _ = connection_upsert(merchant=other, provider="enigmapay", mode="test",
                                  base_url=enigmapay.base_url, credentials=dict(enigmapay.credentials))
    secret_refs = [
        Transaction.objects.create(merchant=other, connection=theirs, provider="enigmapay", kind=Kind.PAYOUT,
                                   amount="20.00", currency="TRY").reference
        for _ in range(3)
    ]
    return {"key": raw_key, "other_refs": secret_refs, "other_connection": str(theirs.pk)}


@pytest.fixture
def connections_kept_open():
    """What Django's test Client does: the WSGI app is called directly here, and its
    end-of-request signal would close the test's database connection (PostgreSQL)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_no_5xx_answers_conform_and_no_other_merchant_data(world, connections_kept_open):
    # Driven by hand rather than by schemathesis' pytest plugin (its lazy fixture does not
    # run under pytest 9): one Hypothesis run per operation, each failure named.
    api = schemathesis.openapi.from_wsgi("/api/schema/", application)
    operations = [result.ok() for result in api.get_all_operations()]
    per_operation = max(20, math.ceil(CASES_AT_LEAST * 1.1 / len(operations)))
    headers = {"Authorization": f"Bearer {world['key']}"}
    cases = 0

    for operation in operations:
        @settings(max_examples=per_operation, derandomize=True, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def run(case):
            nonlocal cases
            cases += 1
            response = case.call_and_validate(headers=headers, checks=CHECKS)
            for reference in world["other_refs"]:
                assert reference not in response.text, (
                    f"{case.method} {case.formatted_path} showed merchant B's {reference}")

        run()

    assert cases >= CASES_AT_LEAST, f"only {cases} cases over {len(operations)} operations"
