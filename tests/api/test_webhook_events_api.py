"""/api/v1/webhook-events/: read for every role, own merchant only, filtered and
cursor-paginated."""

import pytest

from accounts.models import Role
from tests.api.conftest import assert_error, key_client, session_client, webhook_event
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER, Role.VIEWER])
def test_members_list_only_their_merchants_callbacks_newest_first(merchant_a, merchant_b, role):
    mine = ConnectionFactory(merchant=merchant_a)
    first, second = webhook_event(mine, '{"n": 1}'), webhook_event(mine, '{"n": 2}')
    webhook_event(ConnectionFactory(merchant=merchant_b), '{"theirs": true}')
    body = session_client(merchant_a, role).get("/api/v1/webhook-events/").json()
    assert [e["id"] for e in body["results"]] == [second.pk, first.pk]
    assert body["results"][0]["body"] == '{"n": 2}'
    assert body["results"][0]["trusted"] is False
    assert body["results"][0]["processing"] == "pending"
    assert "theirs" not in str(body)


def test_filters_and_cursor_pages(merchant_a):
    connection = ConnectionFactory(merchant=merchant_a)
    events = [webhook_event(connection, f'{{"n": {n}}}') for n in range(5)]
    events[0].__class__.objects.filter(pk=events[0].pk).update(processing="failed")
    client = key_client(merchant_a, Role.VIEWER)
    failed = client.get("/api/v1/webhook-events/", {"processing": "failed"}).json()["results"]
    assert [e["id"] for e in failed] == [events[0].pk]
    page = client.get("/api/v1/webhook-events/", {"limit": 2}).json()
    seen = [e["id"] for e in page["results"]]
    while page["next"]:
        page = client.get(page["next"]).json()
        seen += [e["id"] for e in page["results"]]
    assert seen == [e.pk for e in reversed(events)]


def test_another_merchants_callback_is_404(merchant_a, merchant_b):
    theirs = webhook_event(ConnectionFactory(merchant=merchant_b))
    assert_error(key_client(merchant_a).get(f"/api/v1/webhook-events/{theirs.pk}/"), 404, "not_found")
    assert key_client(merchant_b).get(f"/api/v1/webhook-events/{theirs.pk}/").json()["id"] == theirs.pk
