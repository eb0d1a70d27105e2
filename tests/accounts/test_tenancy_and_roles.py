"""Every merchant sees only its own data (others' are 404), roles gate pages (403),
and no page or admin screen ever shows a full secret."""

import pytest
from django.urls import reverse

from accounts.models import Role
from providers.models import ProviderConnection
from tests.factories import PASSWORD, ConnectionFactory, MembershipFactory, MerchantFactory, UserFactory

pytestmark = pytest.mark.django_db

SECRET = "sk_factory_secret_value_9876"
API_KEY = "ak_factory_key_0001"


@pytest.fixture
def merchant_a():
    return MerchantFactory(name="Alpha Bazaar", slug="alpha")


@pytest.fixture
def merchant_b():
    return MerchantFactory(name="Beta Books", slug="beta")


def member(client, merchant, role):
    membership = MembershipFactory(merchant=merchant, role=role)
    client.force_login(membership.user)
    return membership.user


def test_login_page_signs_in_and_lands_on_the_merchant_dashboard(client, merchant_a):
    membership = MembershipFactory(merchant=merchant_a, role=Role.MANAGER, user=UserFactory(username="mona"))
    response = client.post(reverse("accounts:login"), {"username": "mona", "password": PASSWORD}, follow=True)
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("accounts:dashboard")
    assert "Alpha Bazaar" in page
    assert 'data-testid="role">Manager<' in page
    assert membership.user.get_username() in page


def test_wrong_password_is_explained(client, merchant_a):
    MembershipFactory(merchant=merchant_a, user=UserFactory(username="mona"))
    response = client.post(reverse("accounts:login"), {"username": "mona", "password": "nope"})
    assert "do not match" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_dashboard_needs_login(client):
    response = client.get(reverse("accounts:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_member_of_b_gets_404_for_a_connection_of_a(client, merchant_a, merchant_b):
    connection_a = ConnectionFactory(merchant=merchant_a)
    member(client, merchant_b, Role.OWNER)
    for name in ("providers:connection-detail", "providers:connection-test"):
        url = reverse(name, args=[connection_a.pk])
        response = client.get(url) if name.endswith("detail") else client.post(url)
        assert response.status_code == 404, name
    assert ProviderConnection.objects.get(pk=connection_a.pk).status == "unchecked"  # the test did not run


def test_member_of_both_sees_only_the_current_merchant_and_can_switch(client, merchant_a, merchant_b):
    user = member(client, merchant_a, Role.OWNER)
    MembershipFactory(user=user, merchant=merchant_b, role=Role.VIEWER)
    connection_a = ConnectionFactory(merchant=merchant_a)
    home = client.get(reverse("accounts:dashboard")).content.decode()
    assert "<h1>Alpha Bazaar</h1>" in home
    assert 'data-testid="role">Owner<' in home

    client.post(reverse("accounts:switch-merchant"), {"merchant": merchant_b.pk})
    home = client.get(reverse("accounts:dashboard")).content.decode()
    assert "<h1>Beta Books</h1>" in home
    assert 'data-testid="role">Viewer<' in home
    # As a viewer of B the owner pages are closed, and A's connection is not reachable.
    assert client.get(reverse("providers:connection-list")).status_code == 403
    assert client.get(reverse("providers:connection-detail", args=[connection_a.pk])).status_code in (403, 404)


def test_switching_to_a_merchant_you_do_not_belong_to_is_404(client, merchant_a, merchant_b):
    member(client, merchant_a, Role.OWNER)
    response = client.post(reverse("accounts:switch-merchant"), {"merchant": merchant_b.pk})
    assert response.status_code == 404
    assert "<h1>Alpha Bazaar</h1>" in client.get(reverse("accounts:dashboard")).content.decode()


@pytest.mark.parametrize("role", [Role.VIEWER, Role.MANAGER])
@pytest.mark.parametrize(
    "url_name", ["providers:connection-list", "accounts:team", "providers:connection-create"]
)
def test_non_owners_cannot_reach_owner_only_pages(client, merchant_a, role, url_name):
    member(client, merchant_a, role)
    args = ["enigmapay"] if url_name.endswith("create") else []
    response = client.get(reverse(url_name, args=args))
    assert response.status_code == 403
    assert "needs the owner role" in response.content.decode()


def test_viewer_cannot_test_or_change_a_connection(client, merchant_a):
    connection = ConnectionFactory(merchant=merchant_a)
    member(client, merchant_a, Role.VIEWER)
    assert client.post(reverse("providers:connection-test", args=[connection.pk])).status_code == 403
    response = client.post(
        reverse("providers:connection-detail", args=[connection.pk]),
        {"base_url": "https://evil.example", "credential_secret_key": "x" * 20},
    )
    assert response.status_code == 403
    connection.refresh_from_db()
    assert connection.base_url != "https://evil.example"
    assert connection.credentials["secret_key"] == SECRET


def test_owner_nav_shows_settings_and_viewer_nav_does_not(client, merchant_a):
    member(client, merchant_a, Role.VIEWER)
    assert "Connections</a>" not in client.get(reverse("accounts:dashboard")).content.decode()
    member(client, merchant_a, Role.OWNER)
    assert "Connections</a>" in client.get(reverse("accounts:dashboard")).content.decode()


def test_pages_never_show_a_full_secret(client, merchant_a):
    connection = ConnectionFactory(merchant=merchant_a)
    member(client, merchant_a, Role.OWNER)
    for url in (
        reverse("accounts:dashboard"),
        reverse("providers:connection-list"),
        reverse("providers:connection-detail", args=[connection.pk]),
    ):
        page = client.get(url).content.decode()
        assert SECRET not in page and API_KEY not in page, url
    detail = client.get(reverse("providers:connection-detail", args=[connection.pk])).content.decode()
    assert "••••9876" in detail
    assert f"/callbacks/enigmapay/{connection.callback_token}/" in detail


def test_owner_rotates_one_secret_and_keeps_the_other(client, merchant_a):
    connection = ConnectionFactory(merchant=merchant_a)
    member(client, merchant_a, Role.OWNER)
    response = client.post(
        reverse("providers:connection-detail", args=[connection.pk]),
        {"base_url": connection.base_url, "credential_secret_key": "new-secret-abcd-4321"},
        follow=True,
    )
    page = response.content.decode()
    assert "Connection updated" in page
    assert "new-secret-abcd-4321" not in page
    connection.refresh_from_db()
    assert connection.credentials == {"api_key": API_KEY, "secret_key": "new-secret-abcd-4321"}


def test_owner_adds_a_connection_and_missing_secret_is_explained(client, merchant_a):
    member(client, merchant_a, Role.OWNER)
    url = reverse("providers:connection-create", args=["enkash"])
    response = client.post(url, {"mode": "test", "base_url": "http://127.0.0.1:8100/enkash",
                                 "credential_access_key": "ek_access_0001"})
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert not ProviderConnection.objects.filter(provider="enkash").exists()
    client.post(url, {"mode": "test", "base_url": "http://127.0.0.1:8100/enkash",
                      "credential_access_key": "ek_access_0001", "credential_secret_key": "ek_secret_0002"})
    saved = ProviderConnection.objects.get(provider="enkash", merchant=merchant_a)
    assert saved.credentials == {"access_key": "ek_access_0001", "secret_key": "ek_secret_0002"}


def test_admin_never_shows_a_full_secret_and_keeps_secrets_write_only(admin_client, merchant_a):
    connection = ConnectionFactory(merchant=merchant_a)
    pages = [
        reverse("admin:providers_providerconnection_changelist"),
        reverse("admin:providers_providerconnection_change", args=[connection.pk]),
        reverse("admin:providers_providerconnection_add"),
    ]
    for url in pages:
        page = admin_client.get(url).content.decode()
        assert SECRET not in page and API_KEY not in page, url
    change = admin_client.get(pages[1]).content.decode()
    assert "••••9876" in change
    assert connection.callback_token not in change


def test_admin_updates_a_secret_and_rejects_an_unknown_name(admin_client, merchant_a):
    connection = ConnectionFactory(merchant=merchant_a)
    url = reverse("admin:providers_providerconnection_change", args=[connection.pk])
    response = admin_client.post(url, {"base_url": connection.base_url, "new_credentials": "api_kee=zzzz-9999"})
    assert response.status_code == 200
    assert "has no credential named api_kee" in response.content.decode()
    admin_client.post(url, {"base_url": connection.base_url, "new_credentials": "secret_key=rotated-in-admin-7777"})
    connection.refresh_from_db()
    assert connection.credentials == {"api_key": API_KEY, "secret_key": "rotated-in-admin-7777"}


def test_admin_form_with_an_error_does_not_echo_the_typed_secret(admin_client, merchant_a):
    connection = ConnectionFactory(merchant=merchant_a)
    url = reverse("admin:providers_providerconnection_change", args=[connection.pk])
    typed = "TOPSECRET-typed-in-admin-5555"
    page = admin_client.post(url, {"base_url": "not a url", "new_credentials": f"secret_key={typed}"}).content.decode()
    assert "Enter a valid URL" in page  # the form was re-rendered with an error
    assert typed not in page
    page = admin_client.post(url, {"base_url": connection.base_url, "new_credentials": typed}).content.decode()
    assert "Line 1 is not NAME=VALUE" in page
    assert typed not in page


def test_connection_page_with_an_error_does_not_echo_the_typed_secret(client, merchant_a):
    member(client, merchant_a, Role.OWNER)
    typed = "TOPSECRET-typed-on-page-6666"
    page = client.post(reverse("providers:connection-create", args=["enigmapay"]),
                       {"mode": "test", "base_url": "nope",
                        "credential_api_key": typed}).content.decode()
    assert "Enter a valid URL" in page
    assert typed not in page


def test_adding_a_connection_that_exists_does_not_overwrite_it(client, merchant_a):
    connection = ConnectionFactory(merchant=merchant_a)
    member(client, merchant_a, Role.OWNER)
    response = client.post(reverse("providers:connection-create", args=["enigmapay"]),
                           {"mode": "test", "base_url": "https://elsewhere.example",
                            "credential_api_key": "other-key-0000", "credential_secret_key": "other-secret-0000"},
                           follow=True)
    assert "There is already a" in response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("providers:connection-detail", args=[connection.pk])
    connection.refresh_from_db()
    assert connection.base_url == "http://127.0.0.1:8100/enigmapay/api/dealer"
    assert connection.credentials["secret_key"] == SECRET


def test_admin_test_action_queues_checks_after_commit(admin_client, merchant_a, django_capture_on_commit_callbacks):
    from unittest import mock

    connections = [ConnectionFactory(merchant=merchant_a),
                   ConnectionFactory(merchant=MerchantFactory(), provider="enkash",
                                     credentials={"access_key": "a" * 12, "secret_key": "s" * 12})]
    with mock.patch("providers.admin.connection_check.delay") as delay:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            response = admin_client.post(
                reverse("admin:providers_providerconnection_changelist"),
                {"action": "test_connections", "_selected_action": [c.pk for c in connections]},
                follow=True,
            )
        assert delay.call_count == 0  # nothing is sent before the commit
        for callback in callbacks:
            callback()
    assert sorted(call.args[0] for call in delay.call_args_list) == sorted(c.pk for c in connections)
    assert "Queued a check of 2 connection(s)" in response.content.decode()


def test_staff_with_no_merchant_land_on_admin_not_on_a_403(client):
    UserFactory(username="sam", is_staff=True, is_superuser=True)
    response = client.post(reverse("accounts:login"), {"username": "sam", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[0][0] == reverse("admin:index")
    assert response.status_code == 200
    assert "Paydesk staff" in response.content.decode()  # the admin's header
    # Opening the dashboard (the brand link, a bookmark) sends them to admin too.
    assert client.get(reverse("accounts:dashboard"))["Location"] == reverse("admin:index")


def test_staff_who_are_members_land_on_the_dashboard_with_an_admin_link(client, merchant_a):
    MembershipFactory(merchant=merchant_a, role=Role.OWNER,
                      user=UserFactory(username="stella", is_staff=True))
    response = client.post(reverse("accounts:login"), {"username": "stella", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("accounts:dashboard")
    assert f'<a href="{reverse("admin:index")}">Admin</a>' in response.content.decode()


def test_a_user_with_no_merchant_gets_a_403_that_does_not_link_back_to_itself(client):
    client.force_login(UserFactory(username="nomad"))
    response = client.get(reverse("accounts:dashboard"))
    page = response.content.decode()
    assert response.status_code == 403
    assert "You are not a member of any merchant yet." in page
    assert "Back to the dashboard" not in page
    assert "Ask an owner of your merchant to add you to the team." in page
    assert f'action="{reverse("accounts:logout")}"' in page and "Sign in as someone else" in page


@pytest.mark.parametrize(
    ("role", "can", "cannot"),
    [
        (Role.OWNER,
         "As the owner of Alpha Bazaar you can see balances, activity and connection health; send payouts "
         "and refunds; manage connections, the team and API keys.", None),
        (Role.MANAGER,
         "As a manager of Alpha Bazaar you can see balances, activity and connection health; "
         "send payouts and refunds.",
         "You cannot manage connections, the team or API keys: ask an owner."),
        (Role.VIEWER,
         "As a viewer of Alpha Bazaar you can see balances, activity and connection health.",
         "You cannot move money (payouts, refunds) or change any setting: ask an owner or a manager."),
    ],
)
def test_home_page_says_what_each_role_can_do_and_shows_connection_health(client, merchant_a, role, can, cannot):
    ConnectionFactory(merchant=merchant_a)
    member(client, merchant_a, role)
    page = client.get(reverse("accounts:dashboard")).content.decode()
    summary = page[page.index('data-testid="role-summary"'):page.index("Connection health")]
    assert can in summary
    if cannot:
        assert cannot in summary
    else:
        assert "You cannot" not in summary
    assert 'data-testid="connection-enigmapay"' in page
    manage = f'<a href="{reverse("providers:connection-list")}">Manage connections</a>'
    if role == Role.OWNER:
        assert manage in page
    else:
        assert manage not in page and "Only an owner can add, test or change connections." in page
