"""The callbacks page: what each provider sent on each connection, and what Paydesk
did with it (applied, already so, ignored and why, failed). Every member may read it;
re-running is for admin and the API."""

from __future__ import annotations

from django.shortcuts import render

from accounts.permissions import member_required
from payments.callbacks.selectors import callbacks_recent

# Processing state → the badge colour the other pages use for a like outcome.
BADGES = {"processed": "succeeded", "ignored": "inactive", "failed": "failed", "pending": "pending",
          "processing": "pending"}


@member_required()
def callback_list(request):
    groups = callbacks_recent(merchant=request.merchant)
    for group in groups:
        for event in group.events:
            event.badge = BADGES.get(event.processing, "inactive")
    return render(request, "payments/callbacks/list.html", {"groups": groups})
