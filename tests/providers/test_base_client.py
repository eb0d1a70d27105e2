"""The shared client policy, on a tiny sandbox over real HTTP: what is retried, what
becomes "outcome unknown", what each failure turns into."""

import threading

import pytest
from werkzeug.serving import make_server

from providers.base import errors
from providers.base.client import ProviderClient, RetryPolicy, Timeouts
from providers.base.sandbox import FaultRegistry, Sandbox, json_response, route


class CounterSandbox(Sandbox):
    name = "demo"
    prefix = "/demo"

    def reset(self):
        super().reset()
        self.calls = 0

    @route("/balance")
    def balance(self, request):
        self.calls += 1
        return json_response({"balance": "10.50", "calls": self.calls})

    @route("/payout", methods=("POST",))
    def payout(self, request):
        self.calls += 1
        return json_response({"id": self.calls}, 201)

    @route("/refused", methods=("POST",))
    def refused(self, request):
        return json_response({"message": "Insufficient balance for card 4111111111111111"}, 422)

    @route("/moved", methods=("POST",))
    def moved(self, request):
        # A 302 that points elsewhere: the client must not follow it with its auth headers.
        return json_response(None, 302, headers={"Location": request.args["to"]})

    @route("/login", methods=("POST",))
    def login(self, request):
        return json_response({"message": "bad key"}, 401)


class DemoClient(ProviderClient):
    provider = "demo"

    def balance(self):
        return self._request("GET", "/balance", operation="balance").body

    def payout(self):
        return self._request("POST", "/payout", operation="payout", ok=(201,), moves_money=True).body

    def refused(self):
        return self._request("POST", "/refused", operation="refused")

    def login(self):
        return self._request("POST", "/login", operation="login")

    def moved(self, to: str):
        return self._request("POST", "/moved", operation="moved", params={"to": to},
                             headers={"x-api-key": "demo-key-never-forwarded"})


@pytest.fixture(scope="module")
def server():
    faults = FaultRegistry()
    app = CounterSandbox(faults=faults)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield app, f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


@pytest.fixture
def demo(server):
    app, url = server
    app.faults.reset()
    with app.lock:
        app.reset()
    client = DemoClient(base_url=url, timeouts=Timeouts(1, 0.5), retry=RetryPolicy(3, 0.01, 0.02))
    return app, client


@pytest.mark.parametrize("fault", ["500", "502", "503", "timeout"])
def test_a_read_is_retried_through_transient_failures(demo, fault):
    app, client = demo
    app.faults.arm("demo", "balance", fault, count=2, delay=1.0)
    body = client.balance()
    assert len(app.received) == 3
    assert body["balance"] == "10.50"


def test_a_read_that_keeps_failing_is_unavailable_after_the_last_attempt(demo):
    app, client = demo
    app.faults.arm("demo", "balance", "503", count=5)
    with pytest.raises(errors.ProviderUnavailable) as excinfo:
        client.balance()
    assert len(app.received) == 3
    assert excinfo.value.http_status == 503
    assert excinfo.value.code == "http_503"


@pytest.mark.parametrize(("fault", "code"), [("timeout", "outcome_unknown_timeout"),
                                             ("500", "outcome_unknown_http_500"),
                                             ("502", "outcome_unknown_http_502"),
                                             ("malformed", "malformed_json")])
def test_a_money_moving_post_is_sent_once_and_its_outcome_is_unknown(demo, fault, code):
    app, client = demo
    app.faults.arm("demo", "payout", fault, delay=1.0)
    with pytest.raises(errors.ProviderOutcomeUnknown) as excinfo:
        client.payout()
    assert [r.path for r in app.received] == ["/payout"]
    assert excinfo.value.code == code
    assert "may or may not have gone through" in excinfo.value.message


def test_a_503_on_a_money_moving_post_means_nothing_happened(demo):
    app, client = demo
    app.faults.arm("demo", "payout", "503")
    with pytest.raises(errors.ProviderUnavailable):
        client.payout()
    assert len(app.received) == 1
    assert app.calls == 0


def test_a_connection_that_never_opens_is_retried_even_for_a_post():
    client = DemoClient(base_url="http://127.0.0.1:9", timeouts=Timeouts(0.5, 0.5), retry=RetryPolicy(3, 0.01, 0.02))
    attempts = []
    send = client.session.request
    client.session.request = lambda *a, **kw: attempts.append(a) or send(*a, **kw)
    with pytest.raises(errors.ProviderUnavailable) as excinfo:
        client.payout()
    assert excinfo.value.code == "connection_failed"  # not "unknown": the upstream never saw it
    assert len(attempts) == 3


def test_a_redirect_is_an_answer_and_never_followed(demo):
    _, client = demo
    elsewhere = CounterSandbox(faults=FaultRegistry())
    httpd = make_server("127.0.0.1", 0, elsewhere, threaded=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        with pytest.raises(errors.ProviderRejected) as excinfo:
            client.moved(to=f"http://127.0.0.1:{httpd.server_port}/balance")
    finally:
        httpd.shutdown()
    assert excinfo.value.http_status == 302
    assert list(elsewhere.received) == []  # nothing, and so no API key, reached the other host


def test_malformed_json_on_a_read_is_an_invalid_response_and_not_retried(demo):
    app, client = demo
    app.faults.arm("demo", "balance", "malformed")
    with pytest.raises(errors.ProviderInvalidResponse) as excinfo:
        client.balance()
    assert excinfo.value.code == "malformed_json"
    assert len(app.received) == 1


def test_4xx_is_rejected_with_the_upstream_message_redacted(demo):
    _, client = demo
    with pytest.raises(errors.ProviderRejected) as excinfo:
        client.refused()
    error = excinfo.value
    assert (error.http_status, error.code, error.provider, error.operation) == (422, "http_422", "demo", "refused")
    assert "Insufficient balance" in error.message
    assert "4111111111111111" not in error.message + str(error.upstream_message)
    assert "411111******1111" in error.upstream_message


def test_401_is_an_authentication_error(demo):
    _, client = demo
    with pytest.raises(errors.ProviderAuthenticationError) as excinfo:
        client.login()
    assert excinfo.value.http_status == 401


def test_backoff_is_capped_and_jittered():
    policy = RetryPolicy(attempts=5, base_delay=0.2, max_delay=1.0)
    delays = [policy.delay(attempt) for attempt in range(10) for _ in range(50)]
    assert max(delays) <= 1.0
    assert min(delays) >= 0
    assert len({round(d, 6) for d in delays}) > 100  # jittered, not a fixed ladder
