from django.contrib.auth import views as auth_views
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.forms import SwitchMerchantForm
from accounts.middleware import SESSION_KEY
from accounts.models import Role
from accounts.permissions import member_required
from accounts.selectors import memberships_for, team_for
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
    return render(request, "dashboard/team.html", {"members": team_for(merchant=request.merchant)})
