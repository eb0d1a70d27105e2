"""EnayaPay's card-switch key is configuration (the ``ipin_public_key`` credential), never
fetched: without it a balance inquiry says so and sends nothing; with a wrong one the
error says the key is wrong; the client calls only the doc's paths."""

from __future__ import annotations

import base64
import io
from decimal import Decimal

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.core.management import call_command

from providers.base.errors import ProviderInputError, ProviderRejected, ProviderUnavailable
from providers.enayapay import sandbox as sb
from providers.enayapay.testdata import IPIN_PUBLIC_KEY
from providers.models import ProviderConnection
from providers.registry import get_spec
from providers.services import client_for
from tests.conftest import arm_fault
from tests.factories import ConnectionFactory, MerchantFactory
from tests.helpers import fast_client, requests_to
from tests.providers import enayapay_support as enayapay
from tests.providers.enayapay_support import NEW_PHONE

client, state = enayapay.client, enayapay.state

# Every path of the doc (plus none other): register, verify, login, rest/password,
# change/password, balance/inquiry.
DOC_PATHS = {"/register/", "/verify/", "/login/", "/rest/password/", "/change/password/", "/balance/inquiry/"}


def inquire(client):
    return client.balance_inquiry(pan=sb.CARD_OK, ipin=sb.IPIN, expiry="2812", token=sb.TOKEN_ACTIVE_USER)


def other_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    return base64.b64encode(key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)).decode()


def test_demo_credentials_carry_the_sandbox_key():
    assert sb.DEMO_CREDENTIALS["ipin_public_key"] == IPIN_PUBLIC_KEY
    assert sb.EnayaPaySandbox().public_key_b64 == IPIN_PUBLIC_KEY  # fixed, not generated at start


@pytest.mark.parametrize("configured", [{}, {"ipin_public_key": None}, {"ipin_public_key": ""}])
def test_without_a_key_the_inquiry_says_it_is_not_set_up_and_sends_nothing(sandbox, state, configured):
    options = {"api_key": sb.API_KEY, **configured}
    keyless = get_spec("enayapay").client_class()(base_url=sandbox.base_url("enayapay"), **options)
    assert not keyless.card_balance_configured
    with pytest.raises(ProviderInputError) as exc:
        inquire(keyless)
    assert exc.value.code == "card_balance_not_configured" and exc.value.http_status is None
    assert exc.value.message.startswith("Card balance checks are not set up for this EnayaPay connection")
    assert "ipin_public_key" in exc.value.message and "Nothing was sent." in exc.value.message
    assert len(state.received) == 0
    # The rest of the connection works, and its test says what is missing.
    assert "Card balance checks are not set up" in keyless.check()
    assert keyless.login(phone=sb.PHONE_ACTIVE, password="Sandbox-Pass-1").active


def test_a_key_that_is_not_an_rsa_key_is_refused_before_sending(sandbox, state):
    broken = fast_client(sandbox, "enayapay", ipin_public_key="bm90IGEga2V5")
    with pytest.raises(ProviderInputError) as exc:
        inquire(broken)
    assert exc.value.code == "card_balance_not_configured"
    assert "not a base64 DER RSA key" in exc.value.message
    assert len(state.received) == 0
    assert "not a base64 DER RSA key" in broken.check()


def test_a_wrong_key_is_named_as_the_cause_and_costs_no_ipin_try(sandbox, state):
    wrong = fast_client(sandbox, "enayapay", ipin_public_key=other_key())
    with pytest.raises(ProviderRejected) as exc:
        inquire(wrong)
    assert (exc.value.code, exc.value.http_status) == ("ipin_key_mismatch", 400)
    assert "is not the card switch's current key" in exc.value.message
    assert "ipin_public_key" in exc.value.message
    assert requests_to(sandbox, "enayapay", "/balance/inquiry/") == 1  # not re-sent, nothing fetched
    assert [r.path for r in state.received] == ["/balance/inquiry/"]
    assert state.cards[sb.CARD_OK].wrong_tries == 0


@pytest.mark.parametrize("ipin", ["", "12", "48 2615", "abcd"])
def test_an_ipin_that_is_not_digits_is_refused_before_sending(client, state, ipin):
    with pytest.raises(ProviderInputError) as exc:
        client.balance_inquiry(pan=sb.CARD_OK, ipin=ipin, expiry="2812", token=sb.TOKEN_ACTIVE_USER)
    assert exc.value.code == "invalid_ipin" and exc.value.message == "The IPIN must be 4 to 12 digits."
    assert len(state.received) == 0


def test_the_client_calls_no_path_outside_the_doc(sandbox, client, state):
    client.check()
    client.register(phone=NEW_PHONE, name="Hiba Ali", password="Hiba-pass-1")
    token = client.verify(phone=NEW_PHONE, otp=sb.OTP_CODE).token
    client.login(phone=NEW_PHONE, password="Hiba-pass-1")
    client.reset_password(phone=NEW_PHONE, new_password="Fresh-pass-9", token=token)
    client.change_password(current_password="Fresh-pass-9", new_password="Changed-pass-2", token=token)
    assert inquire(client).balance.amount == Decimal("15250.75")
    assert {r.path for r in state.received} == DOC_PATHS


def test_the_sandbox_publishes_no_key(sandbox):
    answer = requests.get(f"{sandbox.base_url('enayapay')}/public-key/", headers={"x-api-key": sb.API_KEY},
                          timeout=5)
    assert answer.status_code == 404


def test_check_is_retried_on_a_5xx(sandbox, client):
    arm_fault(sandbox, "enayapay", "login", "503")
    assert client.check().startswith("EnayaPay accepted the API key.")
    assert requests_to(sandbox, "enayapay", "/login/") == 2


def test_check_gives_up_after_the_retry_budget(sandbox, client):
    arm_fault(sandbox, "enayapay", "login", "503", count=3)
    with pytest.raises(ProviderUnavailable) as exc:
        client.check()
    assert (exc.value.code, exc.value.http_status) == ("service_unavailable", 503)
    assert requests_to(sandbox, "enayapay", "/login/") == 3


# -- the credential on a connection ---------------------------------------------------------

@pytest.mark.django_db
def test_connect_provider_takes_the_key_and_shows_it_in_full(sandbox, state):
    MerchantFactory(slug="acme")
    out = io.StringIO()
    call_command("connect_provider", "acme", "enayapay", "--base-url", sandbox.base_url("enayapay"),
                 "--credential", f"api_key={sb.API_KEY}", "--credential", f"ipin_public_key={IPIN_PUBLIC_KEY}",
                 stdout=out)
    connection = ProviderConnection.objects.get(provider="enayapay")
    assert connection.credentials == {"api_key": sb.API_KEY, "ipin_public_key": IPIN_PUBLIC_KEY}
    assert f"ipin_public_key={IPIN_PUBLIC_KEY}" in out.getvalue()
    assert sb.API_KEY not in out.getvalue()
    result = inquire(client_for(connection))
    assert result.balance.amount == Decimal("15250.75") and result.pan_masked == "999901******0011"


@pytest.mark.django_db
def test_masked_credentials_show_public_credentials_in_full_and_secrets_masked():
    connection = ConnectionFactory(provider="enayapay", credentials={"api_key": sb.API_KEY,
                                                                     "ipin_public_key": IPIN_PUBLIC_KEY})
    assert connection.masked_credentials() == {"api_key": "••••9a7f", "ipin_public_key": IPIN_PUBLIC_KEY}
    assert get_spec("enigmapay").public_credentials == ()
    assert set(get_spec("enayapay").public_credentials) <= set(get_spec("enayapay").credential_names)


@pytest.mark.django_db
def test_seed_demo_fills_the_key_so_the_demo_can_check_a_card_balance(sandbox):
    server = sandbox.base_url("enayapay").removesuffix(get_spec("enayapay").sandbox_prefix)
    call_command("seed_demo", "--quiet", "--force", "--sandbox-url", server)
    connection = ProviderConnection.objects.get(merchant__slug="demo", provider="enayapay")
    assert connection.credentials["ipin_public_key"] == IPIN_PUBLIC_KEY
    assert connection.masked_credentials()["ipin_public_key"] == IPIN_PUBLIC_KEY
    assert inquire(client_for(connection)).balance.amount == Decimal("15250.75")


def key_of(bits: int) -> rsa.RSAPublicKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits).public_key()


def der_b64(key: rsa.RSAPublicKey) -> str:
    return base64.b64encode(key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)).decode()


@pytest.mark.django_db
@pytest.mark.parametrize(("bits", "length"), [(3072, 564), (4096, 736)])
def test_real_sized_keys_are_taken_as_base64_der_or_pem(sandbox, bits, length):
    from providers.services import connection_upsert

    key = key_of(bits)
    expected = der_b64(key)
    assert len(expected) == length  # beyond the 512 characters other credentials may have
    pem = key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    merchant = MerchantFactory()
    one_line_pem = pem.replace("\n", "")  # what a single-line field makes of a pasted PEM
    for given in (expected, pem, one_line_pem, f"  {expected[:300]}\n{expected[300:]}  "):
        connection, _ = connection_upsert(merchant=merchant, provider="enayapay", mode="test",
                                          base_url=sandbox.base_url("enayapay"),
                                          credentials={"api_key": sb.API_KEY, "ipin_public_key": given})
        assert connection.credentials["ipin_public_key"] == expected  # stored as bare base64 DER


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["bm90IGEga2V5", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
                                 "not base64 at all!"])
def test_a_bad_key_is_refused_on_save_with_a_clear_message(sandbox, bad):
    from providers.services import ConnectionInputError, connection_upsert

    with pytest.raises(ConnectionInputError) as exc:
        connection_upsert(merchant=MerchantFactory(), provider="enayapay", mode="test",
                          base_url=sandbox.base_url("enayapay"),
                          credentials={"api_key": sb.API_KEY, "ipin_public_key": bad})
    assert str(exc.value) == ('Credential ipin_public_key is not an RSA public key (base64 DER, or PEM '
                              '"-----BEGIN PUBLIC KEY-----"); paste the key EnayaPay gave you as it is.')
    assert not ProviderConnection.objects.exists()


@pytest.mark.django_db
def test_the_form_takes_a_4096_bit_key_and_still_limits_other_credentials(sandbox):
    from providers.forms import ConnectionForm
    from providers.services import ConnectionInputError, connection_upsert

    form = ConnectionForm(provider="enayapay")
    assert form.fields["credential_ipin_public_key"].max_length == 4096
    assert form.fields["credential_api_key"].max_length == 512
    with pytest.raises(ConnectionInputError, match="Credential api_key is longer than 512 characters"):
        connection_upsert(merchant=MerchantFactory(), provider="enayapay", mode="test",
                          base_url=sandbox.base_url("enayapay"), credentials={"api_key": "k" * 513})
