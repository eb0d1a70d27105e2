"""/healthz answers 200 when the database and the broker answer, and 503 naming the
part that is down (a broker on a port where nothing listens), with no details."""

import socket

import pytest

from config.celery import app as celery_app

pytestmark = pytest.mark.django_db


def test_healthy_when_database_and_broker_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}
    assert "no-cache" in response["Cache-Control"]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_broker_that_is_down_is_named_and_the_answer_is_503(client, monkeypatch):
    nowhere = f"redis://127.0.0.1:{_closed_port()}/0"
    monkeypatch.setattr(celery_app.conf, "broker_url", nowhere)
    monkeypatch.setattr(celery_app.conf, "broker_write_url", nowhere)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "down", "checks": {"database": "ok", "broker": "down"}}
    assert "127.0.0.1" not in response.content.decode(), "no connection details in the answer"


def test_only_get(client):
    assert client.post("/healthz").status_code == 405
