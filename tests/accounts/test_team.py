"""Settings → Team: owners invite by email or add an existing user, change roles and
remove members; the last owner stays; other roles and merchants are refused."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import Membership, Role, User
from tests.factories import PASSWORD, MembershipFactory, MerchantFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def merchant():
    return MerchantFactory(name="Alpha Bazaar", slug="alpha")


@pytest.fixture
def owner(client, merchant):
    membership = MembershipFactory(merchant=merchant, role=Role.OWNER, user=UserFactory(username="olga"))
    client.force_login(membership.user)
    return membership


def test_owner_sees_the_team_with_the_actions(client, owner, merchant):
    MembershipFactory(merchant=merchant, role=Role.VIEWER, user=UserFactory(username="vic"))
    page = client.get(reverse("accounts:team")).content.decode()
    assert 'data-testid="member-olga"' in page and 'data-testid="member-vic"' in page
    assert "the only owner" in page  # olga cannot be demoted or removed
    assert page.count(">Remove</button>") == 1  # only vic's
    assert f'action="{reverse("accounts:team-invite")}"' in page


def test_invite_by_email_creates_a_user_who_sets_a_password_and_signs_in(
    client, owner, merchant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:team-invite"),
                               {"email_or_username": "New.Person@Example.test", "role": "manager"}, follow=True)
    page = response.content.decode()
    assert "new.person@example.test joined as Manager" in page
    assert "We emailed New.Person@Example.test a link" in page
    user = User.objects.get(username="new.person@example.test")
    assert not user.has_usable_password()
    assert Membership.objects.get(user=user, merchant=merchant).role == Role.MANAGER
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["New.Person@Example.test"]
    link = re.search(r"https?://\S+/accounts/password/set/\S+/", mail.outbox[0].body).group(0)
    assert "olga added you to Alpha Bazaar" in mail.outbox[0].body

    invited = Client()
    path = link.split("://", 1)[1].split("/", 1)[1]
    form_page = invited.get("/" + path, follow=True)
    assert "Choose your password" in form_page.content.decode()
    done = invited.post(form_page.redirect_chain[-1][0],
                        {"new_password1": "a-long-Passphrase-42", "new_password2": "a-long-Passphrase-42"}, follow=True)
    assert "Password set" in done.content.decode()
    assert invited.login(username="new.person@example.test", password="a-long-Passphrase-42")
    # The link is spent once used.
    assert "already used or has expired" in Client().get("/" + path, follow=True).content.decode()


def test_add_an_existing_user_by_user_name(client, owner, merchant, django_capture_on_commit_callbacks):
    existing = UserFactory(username="mona")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:team-invite"), {"email_or_username": "mona", "role": "viewer"})
    assert Membership.objects.get(user=existing, merchant=merchant).role == Role.VIEWER
    assert existing.check_password(PASSWORD)  # untouched
    assert "Sign in as usual" in mail.outbox[0].body


@pytest.mark.parametrize(
    ("typed", "error"),
    [("olga", "olga is already a member of Alpha Bazaar."), ("nobody", "There is no user named")],
)
def test_invite_errors_are_shown_and_nothing_stored(client, owner, typed, error):
    before = (User.objects.count(), Membership.objects.count())
    page = client.post(reverse("accounts:team-invite"), {"email_or_username": typed, "role": "viewer"}).content.decode()
    assert error in page.replace("&#x27;", "'")
    assert (User.objects.count(), Membership.objects.count()) == before


def test_role_change(client, owner, merchant):
    vic = MembershipFactory(merchant=merchant, role=Role.VIEWER)
    response = client.post(reverse("accounts:team-member-role", args=[vic.pk]), {"role": "manager"}, follow=True)
    assert f"{vic.user.username} is now Manager" in response.content.decode()
    vic.refresh_from_db()
    assert vic.role == Role.MANAGER


def test_the_last_owner_can_be_neither_demoted_nor_removed(client, owner):
    for name, data in (("accounts:team-member-role", {"role": "viewer"}), ("accounts:team-member-remove", {})):
        page = client.post(reverse(name, args=[owner.pk]), data, follow=True).content.decode()
        assert "olga is the only owner: make someone else owner before you" in page
    owner.refresh_from_db()
    assert owner.role == Role.OWNER


def test_with_two_owners_one_may_step_down_and_then_loses_the_team_page(client, owner, merchant):
    MembershipFactory(merchant=merchant, role=Role.OWNER)
    response = client.post(reverse("accounts:team-member-role", args=[owner.pk]), {"role": "viewer"})
    assert response["Location"] == reverse("accounts:dashboard")
    assert Membership.objects.get(pk=owner.pk).role == Role.VIEWER
    assert client.get(reverse("accounts:team")).status_code == 403


def test_remove_a_member_keeps_the_user(client, owner, merchant):
    vic = MembershipFactory(merchant=merchant, role=Role.VIEWER)
    page = client.post(reverse("accounts:team-member-remove", args=[vic.pk]), follow=True).content.decode()
    assert f"{vic.user.username} was removed" in page
    assert not Membership.objects.filter(pk=vic.pk).exists()
    assert User.objects.filter(pk=vic.user_id).exists()


@pytest.mark.parametrize("role", [Role.MANAGER, Role.VIEWER])
def test_non_owners_cannot_change_the_team(client, merchant, role):
    me = MembershipFactory(merchant=merchant, role=role)
    other = MembershipFactory(merchant=merchant, role=Role.VIEWER)
    client.force_login(me.user)
    assert client.post(reverse("accounts:team-invite"), {"email_or_username": "x@example.test", "role": "owner"}).status_code == 403
    assert client.post(reverse("accounts:team-member-role", args=[me.pk]), {"role": "owner"}).status_code == 403
    assert client.post(reverse("accounts:team-member-remove", args=[other.pk])).status_code == 403
    assert Membership.objects.get(pk=me.pk).role == role
    assert Membership.objects.filter(pk=other.pk).exists()
    assert not User.objects.filter(email="x@example.test").exists()
    assert "Team</a>" not in client.get(reverse("accounts:dashboard")).content.decode()


def test_another_merchants_member_is_404(client, owner):
    theirs = MembershipFactory(merchant=MerchantFactory(), role=Role.VIEWER)
    assert client.post(reverse("accounts:team-member-role", args=[theirs.pk]), {"role": "owner"}).status_code == 404
    assert client.post(reverse("accounts:team-member-remove", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.role == Role.VIEWER


def test_anonymous_is_sent_to_sign_in():
    response = Client().post(reverse("accounts:team-invite"), {"email_or_username": "a@b.test", "role": "owner"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
