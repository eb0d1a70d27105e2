""""Sync now" and the live fragments htmx polls: a run's progress, a transaction's
status on its detail page, the open statuses of a list page.

"Sync now" only enqueues (after commit): the asking happens in the workers, and the
page polls the runs' counts until every run has finished. Owners and managers may
start one; every member sees the fragments."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.permissions import member_required
from payments.models import SyncRun
from payments.selectors import transaction_get
from payments.sync.selectors import open_statuses, run_is_stale, sync_runs_get
from payments.sync.transactions import transactions_dispatch
from payments.transitions import FINAL

POLL_SECONDS = 2


@require_POST
@member_required(Role.MANAGER)
def sync_now(request):
    runs = transactions_dispatch(merchant=request.merchant, trigger=SyncRun.Trigger.MANUAL, user=request.user)
    _enqueue_balances(request)
    if not request.htmx:
        messages.info(request, f"Sync started for {len(runs)} connection(s).")
        return redirect("accounts:dashboard")
    return _progress(request, runs)


def _enqueue_balances(request) -> None:
    """Balances too (at most once a minute each: a second press within it reads nothing);
    each balance task records its own run, shown in the health table."""
    from payments.tasks import balances_sync_connection

    for pk in request.merchant.connections.filter(provider="enigmapay").values_list("pk", flat=True):
        transaction.on_commit(lambda pk=pk: balances_sync_connection.delay(pk, "manual", request.user.pk))


@member_required()
def sync_progress(request):
    ids = [int(i) for i in request.GET.get("runs", "").split(",") if i.isdigit()][:50]
    return _progress(request, sync_runs_get(merchant=request.merchant, ids=ids))


def _progress(request, runs: list[SyncRun]):
    running = [r for r in runs if r.finished_at is None and not run_is_stale(r)]
    return render(request, "payments/sync/_progress.html", {
        "runs": runs, "running": bool(running), "poll_seconds": POLL_SECONDS,
        "run_ids": ",".join(str(r.pk) for r in runs),
        "total": sum(r.total for r in runs), "done": sum(min(r.done, r.total) for r in runs),
        "changed": sum(r.changed for r in runs), "failed": sum(r.failed for r in runs),
    })


@member_required()
def transaction_status(request, pk: int):
    """The detail page's changing part (status, facts, actions, timeline), polled while
    the status can still change."""
    tx = transaction_get(merchant=request.merchant, pk=pk)
    return render(request, "payments/transactions/_live.html",
                  {"transaction": tx, "events": list(tx.events.all()), "poll_seconds": POLL_SECONDS})


@member_required()
def transaction_statuses(request):
    """The list page's open rows, each swapped in place (out of band) by id."""
    ids = [int(i) for i in request.GET.get("ids", "").split(",") if i.isdigit()]
    rows = open_statuses(merchant=request.merchant, ids=ids)
    still_open = [t.pk for t in rows if t.status not in FINAL]
    return render(request, "payments/transactions/_statuses.html", {
        "rows": rows, "still_open": ",".join(map(str, still_open)), "poll_seconds": POLL_SECONDS * 2,
    })
