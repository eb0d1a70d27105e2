"""The home page's sync block: rendered with the page, then refreshed by htmx."""

from django import template

from payments.sync.selectors import attention_list, sync_health

register = template.Library()


@register.inclusion_tag("payments/sync/_home_block.html", takes_context=True)
def sync_block(context):
    merchant = context.get("current_merchant")
    if merchant is None:
        return {}
    attention, attention_count = attention_list(merchant=merchant)
    return {
        "current_membership": context.get("current_membership"),
        "attention": attention,
        "attention_count": attention_count,
        "health": sync_health(merchant=merchant),
        "csrf_token": context.get("csrf_token"),
    }


@register.filter
def open_ids(rows) -> str:
    """The ids of the rows that can still change, comma-separated (the list's poller)."""
    return ",".join(str(t.pk) for t in rows if not t.is_final)


@register.filter
def ago(moment) -> str:
    """"just now" under a minute, else "3 minutes ago"."""
    from django.utils import timezone
    from django.utils.timesince import timesince

    if moment is None:
        return ""
    if (timezone.now() - moment).total_seconds() < 60:
        return "just now"
    return f"{timesince(moment)} ago"
