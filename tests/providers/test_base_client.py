"""The shared client policy, on a tiny sandbox over real HTTP: what is retried, what
becomes "outcome unknown", what each failure turns into."""

import logging
import threading

import pytest
from werkzeug.serving import make_server

from providers.base import errors
from providers.base.client import MONEY_NOT_ACTED, ProviderClient, Reply, RetryPolicy, Timeouts
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

    @route("/answer/<int:status>", methods=("POST",))
    def answer(self, request, status):
        """Acts (counts a call), then answers ``status``: what an upstream might send."""
        self.calls += 1
        return json_response({"message": f"answered {status}"}, status)

    @route("/echo", methods=("POST",))
    def echo(self, request):
        return json_response({"note": request.args["note"]})


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

    def pay_answered(self, status: int, documented=None):
        return self._request("POST", f"/answer/{status}", operation="answer", ok=(201,), moves_money=True,
                             documented=documented)

    def post_answered(self, status: int):
        return self._request("POST", f"/answer/{status}", operation="answer", ok=(201,))

    def echo(self, note: str):
        return self._request("POST", "/echo", operation="echo", params={"note": note}).body

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


# -- the money-moving outcome rule ----------------------------------------------------------
# Answers that do not prove the upstream did nothing: an undocumented 2xx (the call is
# documented as 201), redirects (303 is how a server says "done, look there"), 408, 409,
# and every 5xx but 503 (a 501 from a proxy, Cloudflare's 520 / 522 / 524, a 599...).
UNPROVEN = [200, 202, 204, 302, 303, 408, 409, 418, 499, 501, 505, 520, 522, 524, 599]


@pytest.mark.parametrize("status", UNPROVEN)
def test_a_money_call_answered_without_proof_of_inaction_is_outcome_unknown(demo, status):
    app, client = demo
    with pytest.raises(errors.ProviderOutcomeUnknown) as excinfo:
        client.pay_answered(status)
    error = excinfo.value
    assert (error.http_status, error.code) == (status, f"outcome_unknown_http_{status}")
    assert "may or may not have gone through" in error.message
    assert [r.path for r in app.received] == [f"/answer/{status}"]  # never re-sent


@pytest.mark.parametrize(
    ("status", "cls", "code"),
    [
        (400, errors.ProviderRejected, "http_400"),
        (401, errors.ProviderAuthenticationError, "authentication_failed"),
        (403, errors.ProviderAuthenticationError, "authentication_failed"),
        (404, errors.ProviderRejected, "http_404"),
        (422, errors.ProviderRejected, "http_422"),
        (429, errors.ProviderUnavailable, "rate_limited"),
        (503, errors.ProviderUnavailable, "http_503"),
    ],
)
def test_a_money_call_refused_before_acting_is_a_plain_error(demo, status, cls, code):
    app, client = demo
    with pytest.raises(cls) as excinfo:
        client.pay_answered(status)
    assert not isinstance(excinfo.value, errors.ProviderOutcomeUnknown)
    assert (excinfo.value.http_status, excinfo.value.code) == (status, code)
    assert len(app.received) == 1


def test_the_not_acted_table_lists_only_client_refusals_and_503():
    assert all(400 <= status < 500 for status in MONEY_NOT_ACTED if status != 503)
    assert not {408, 409, 500, 502, 504} & set(MONEY_NOT_ACTED)
    assert all(reason for reason in MONEY_NOT_ACTED.values())  # each entry says why


def test_a_documented_refusal_of_a_money_call_stays_a_rejection(demo):
    # A 400 refuses before acting; a documented 409 would not prove as much (see
    # Vospay's finalize, where "already finalized" may be this very request's payment).
    _, client = demo
    documented = {400: (errors.ProviderRejected, "iban_invalid", "This payout was refused: the IBAN is not valid.")}
    with pytest.raises(errors.ProviderRejected) as excinfo:
        client.pay_answered(400, documented=documented)
    assert not isinstance(excinfo.value, errors.ProviderOutcomeUnknown)
    assert (excinfo.value.code, excinfo.value.message) == ("iban_invalid", "This payout was refused: the IBAN is not valid.")


@pytest.mark.parametrize(("status", "cls"), [(202, errors.ProviderRejected), (409, errors.ProviderRejected),
                                             (520, errors.ProviderUnavailable)])
def test_a_call_that_moves_no_money_keeps_the_plain_mapping(demo, status, cls):
    _, client = demo
    with pytest.raises(cls) as excinfo:
        client.post_answered(status)
    assert not isinstance(excinfo.value, errors.ProviderOutcomeUnknown)
    assert excinfo.value.code == f"http_{status}"


# -- "dropped after send": the upstream read the request, then closed the connection -----------
@pytest.mark.parametrize(("act", "calls"), [(None, 1), (True, 1), (False, 0)])
def test_a_money_call_dropped_after_send_is_outcome_unknown_and_sent_once(demo, act, calls):
    app, client = demo
    app.faults.arm("demo", "payout", "dropped", act=act)
    with pytest.raises(errors.ProviderOutcomeUnknown) as excinfo:
        client.payout()
    assert (excinfo.value.code, excinfo.value.http_status) == ("outcome_unknown_connection_failed", None)
    assert [r.path for r in app.received] == ["/payout"]
    assert app.calls == calls  # the sandbox acted (or not) as armed; the client cannot know which


def test_a_read_dropped_after_send_is_retried(demo):
    app, client = demo
    app.faults.arm("demo", "balance", "dropped", count=2)
    assert client.balance()["balance"] == "10.50"
    assert len(app.received) == 3


# -- timeouts from settings -------------------------------------------------------------------
def test_timeouts_from_settings_keep_connect_and_read_apart(settings):
    settings.PROVIDER_CONNECT_TIMEOUT = 1.25
    settings.PROVIDER_READ_TIMEOUT = 9.5
    assert Timeouts.from_settings() == Timeouts(connect=1.25, read=9.5)


def test_the_configured_timeouts_reach_the_wire(demo, settings):
    """The read timeout, not the connect one, bounds the wait for an answer."""
    app, fast = demo
    settings.PROVIDER_CONNECT_TIMEOUT = 5.0
    settings.PROVIDER_READ_TIMEOUT = 0.3
    client = DemoClient(base_url=fast.base_url, timeouts=Timeouts.from_settings(), retry=RetryPolicy(1))
    app.faults.arm("demo", "payout", "timeout", delay=1.0)
    with pytest.raises(errors.ProviderOutcomeUnknown) as excinfo:
        client.payout()
    assert excinfo.value.code == "outcome_unknown_timeout"


# -- scrubbed before cut ------------------------------------------------------------------------
def test_a_secret_straddling_the_log_cut_is_scrubbed(demo, caplog):
    _, client = demo
    secret = "tok-9f8e7d6c5b4a39281706"
    client.add_request_secrets(secret)
    pan = "4111111111111111"
    caplog.set_level(logging.INFO, logger="providers.http")
    # str(answer) starts "{'note': '": the secret then the PAN straddle character 1000.
    client.echo("x" * 980 + secret + pan)
    client.echo("x" * 982 + pan)
    lines = [r.getMessage() for r in caplog.records if r.name == "providers.http"]
    assert len(lines) == 2
    assert all(secret[:8] not in line and pan[:8] not in line for line in lines)


def test_an_upstream_message_is_scrubbed_before_it_is_cut(demo):
    _, client = demo
    pan = "4111111111111111"
    # The message is kept to 500 characters; the PAN straddles character 500.
    message = client._upstream_message(Reply(status=422, body={"message": "y" * 494 + pan}, text=""))
    assert message.startswith("y" * 494)
    assert pan[:7] not in message
