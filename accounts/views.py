from django.contrib.auth import views as auth_views
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.forms import SwitchMerchantForm
from accounts.middleware import SESSION_KEY
from accounts.models import Role
from accounts.permissions import member_required
from accounts.selectors import team_for
from providers.selectors import connections_for


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


@member_required()
def dashboard(request):
    return render(
        request,
        "dashboard/home.html",
        {"connections": connections_for(merchant=request.merchant)},
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
