"""Settings pages for provider connections: owners only."""

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.permissions import member_required
from providers import services
from providers.forms import ConnectionForm
from providers.registry import PROVIDERS
from providers.selectors import connection_get, connections_for
from providers.services import ConnectionExists, ConnectionInputError, connection_test, connection_upsert


def _callback_url(connection) -> str:
    return settings.PAYDESK_PUBLIC_URL.rstrip("/") + connection.callback_path()


@member_required(Role.OWNER)
def connection_list(request):
    connections = connections_for(merchant=request.merchant)
    return render(
        request,
        "providers/connection_list.html",
        {"connections": connections, "providers": PROVIDERS.values()},
    )


# Outside the request transaction, like connection_check: saving resolves the host name
# (seconds, on a slow resolver) and the services open their own atomic blocks.
@transaction.non_atomic_requests
@sensitive_post_parameters()
@member_required(Role.OWNER)
def connection_detail(request, pk: int):
    connection = connection_get(merchant=request.merchant, pk=pk)
    form = ConnectionForm(
        request.POST or None,
        provider=connection.provider,
        editing=True,
        initial={"mode": connection.mode, "base_url": connection.base_url},
    )
    if request.method == "POST" and form.is_valid():
        try:
            connection_upsert(
                merchant=request.merchant,
                provider=connection.provider,
                mode=connection.mode,
                base_url=form.cleaned_data["base_url"],
                credentials=form.credentials(),
            )
        except ConnectionInputError as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, "Connection updated. Secrets left blank were kept.")
            return redirect("providers:connection-detail", pk=connection.pk)
    return render(
        request,
        "providers/connection_detail.html",
        {"connection": connection, "form": form, "callback_url": _callback_url(connection)},
    )


@transaction.non_atomic_requests  # see connection_detail
@sensitive_post_parameters()
@member_required(Role.OWNER)
def connection_create(request, provider: str):
    if provider not in PROVIDERS:
        raise Http404("Unknown provider.")
    form = ConnectionForm(request.POST or None, provider=provider, initial={"mode": "test"})
    if request.method == "POST" and form.is_valid():
        try:
            # services.connection_create: this view has the same name.
            connection = services.connection_create(
                merchant=request.merchant,
                provider=provider,
                mode=form.cleaned_data["mode"],
                base_url=form.cleaned_data["base_url"],
                credentials=form.credentials(),
            )
        except ConnectionExists as e:
            # Adding never overwrites, not even when two adds race: the first one wins.
            messages.error(request, str(e))
            return redirect("providers:connection-detail", pk=e.connection.pk)
        except ConnectionInputError as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, f"{connection.spec.label} connection saved. Test it below.")
            return redirect("providers:connection-detail", pk=connection.pk)
    return render(request, "providers/connection_form.html", {"form": form, "spec": PROVIDERS[provider]})


# Outside the request transaction: the provider call may take seconds, and an open
# transaction would sit "idle in transaction" all that time (see connection_test).
@transaction.non_atomic_requests
@require_POST
@member_required(Role.OWNER)
def connection_check(request, pk: int):
    connection = connection_get(merchant=request.merchant, pk=pk)
    result = connection_test(connection=connection)
    (messages.success if result.ok else messages.error)(request, result.message)
    return redirect("providers:connection-detail", pk=connection.pk)
