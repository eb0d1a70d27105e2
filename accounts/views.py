import secrets

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_POST

from accounts.forms import ApiKeyForm, InviteForm, RoleForm, SwitchMerchantForm
from accounts.middleware import SESSION_KEY
from accounts.models import Role
from accounts.permissions import member_required
from accounts.selectors import api_key_get, api_keys_for, membership_get, memberships_for, team_for
from accounts.services import (
    ApiKeyAlreadyCreated,
    SettingsError,
    api_key_create,
    api_key_revoke,
    member_invite,
    member_remove,
    member_role_change,
)
from payments.selectors import home_context
from providers.selectors import connections_for


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        """Members land on their dashboard; staff who belong to no merchant on admin."""
        user = self.request.user
        if user.is_staff and not memberships_for(user=user):
            return reverse("admin:index")
        return super().get_default_redirect_url()


# What each role may do, said on the home page so that nobody has to find out by
# hitting a 403. Mirrors ROLE_RANK and the member_required() checks of each page.
ROLE_SUMMARY = {
    Role.OWNER: {
        "can": "see balances, activity and connection health; send payouts and refunds; "
        "manage connections, the team and API keys.",
        "cannot": "",
    },
    Role.MANAGER: {
        "can": "see balances, activity and connection health; send payouts and refunds.",
        "cannot": "manage connections, the team or API keys: ask an owner.",
    },
    Role.VIEWER: {
        "can": "see balances, activity and connection health.",
        "cannot": "move money (payouts, refunds) or change any setting: ask an owner or a manager.",
    },
}


@member_required()
def dashboard(request):
    return render(
        request,
        "dashboard/home.html",
        {
            "connections": connections_for(merchant=request.merchant),
            "role_summary": ROLE_SUMMARY[Role(request.membership.role)],
            **home_context(merchant=request.merchant),
        },
    )


@require_POST
@member_required()
def switch_merchant(request):
    form = SwitchMerchantForm(request.POST)
    merchant_ids = {m.merchant_id for m in request.memberships}
    if not form.is_valid() or form.cleaned_data["merchant"] not in merchant_ids:
        raise Http404("No such merchant.")
    request.session[SESSION_KEY] = form.cleaned_data["merchant"]
    return redirect("accounts:dashboard")


@member_required(Role.OWNER)
def team(request):
    return _team_page(request, InviteForm())


# --- Settings: team and API keys (owners only) ----------------------------------------


def _team_page(request, form):
    members = team_for(merchant=request.merchant)
    owners = sum(1 for m in members if m.role == Role.OWNER)
    return render(
        request,
        "dashboard/team.html",
        {"members": members, "form": form, "roles": Role.choices, "single_owner": owners == 1},
    )


@require_POST
@member_required(Role.OWNER)
def team_invite(request):
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            invitation = member_invite(
                merchant=request.merchant,
                email_or_username=form.cleaned_data["email_or_username"],
                role=form.cleaned_data["role"],
                invited_by=request.user,
            )
        except SettingsError as e:
            form.add_error("email_or_username", str(e))
        else:
            membership = invitation.membership
            sent = f" We emailed {membership.user.email} a link to choose a password." if invitation.new_user else ""
            messages.success(
                request, f"{membership.user.get_username()} joined as {membership.get_role_display()}.{sent}"
            )
            return redirect("accounts:team")
    return _team_page(request, form)


def _after_own_change(request, membership):
    """Where to go after a change: an owner who stepped down can no longer see Team."""
    if membership.user_id == request.user.pk and membership.role != Role.OWNER:
        return redirect("accounts:dashboard")
    return redirect("accounts:team")


@require_POST
@member_required(Role.OWNER)
def team_member_role(request, pk: int):
    membership = membership_get(merchant=request.merchant, pk=pk)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose owner, manager or viewer.")
        return redirect("accounts:team")
    try:
        member_role_change(membership=membership, role=form.cleaned_data["role"])
    except SettingsError as e:
        messages.error(request, str(e))
        return redirect("accounts:team")
    messages.success(request, f"{membership.user.get_username()} is now {membership.get_role_display()}.")
    return _after_own_change(request, membership)


@require_POST
@member_required(Role.OWNER)
def team_member_remove(request, pk: int):
    membership = membership_get(merchant=request.merchant, pk=pk)
    try:
        member_remove(membership=membership)
    except SettingsError as e:
        messages.error(request, str(e))
        return redirect("accounts:team")
    messages.success(request, f"{membership.user.get_username()} was removed from the team.")
    if membership.user_id == request.user.pk:
        return redirect("accounts:dashboard")
    return redirect("accounts:team")


@sensitive_variables("raw_key")
@member_required(Role.OWNER)
def api_keys(request):
    """List and create keys. A new key's full text is in this one response only: it is
    rendered straight from the POST (not through a redirect, which would have to keep
    it in the session table) and the response is marked no-store."""
    form = ApiKeyForm(request.POST or None, initial={"nonce": secrets.token_urlsafe(24)})
    created, raw_key = None, None
    if request.method == "POST" and form.is_valid():
        try:
            created, raw_key = api_key_create(
                merchant=request.merchant, name=form.cleaned_data["name"], role=form.cleaned_data["role"],
                created_by=request.user, form_nonce=form.cleaned_data["nonce"],
            )
        except ApiKeyAlreadyCreated as e:
            messages.warning(request, str(e))
            return redirect("accounts:api-keys")
        except SettingsError as e:
            form.add_error(None, str(e))
        else:
            form = ApiKeyForm(initial={"nonce": secrets.token_urlsafe(24)})
    response = render(
        request,
        "dashboard/settings_api_keys.html",
        {"keys": api_keys_for(merchant=request.merchant), "form": form, "created": created, "raw_key": raw_key},
    )
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@member_required(Role.OWNER)
def api_key_revoke_view(request, pk: int):
    api_key = api_key_revoke(api_key=api_key_get(merchant=request.merchant, pk=pk))
    messages.success(request, f"Key “{api_key.name}” is revoked: calls with it now get 401.")
    return redirect("accounts:api-keys")
