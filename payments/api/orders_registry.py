"""``POST /api/v1/orders/`` creates an order with whichever provider the chosen connection
belongs to; each provider's API module registers the handler that reads its own body:

    @order_create_handler("vospay")
    def vospay_order_create(request, connection) -> Response: ...

The handler gets a connection already scoped to the request's merchant and checked to
be active; it validates the body with its own serializer, runs the create service under
the Idempotency-Key like every money POST (``payments.api.views.money_post``) and
answers 201 with the order. The generic orders view (list, detail, create) looks the
handler up here; a provider with none answers 400.
"""

from __future__ import annotations

from collections.abc import Callable

OrderCreateHandler = Callable[..., object]
ORDER_CREATE_HANDLERS: dict[str, OrderCreateHandler] = {}


def order_create_handler(provider: str) -> Callable[[OrderCreateHandler], OrderCreateHandler]:
    def register(fn: OrderCreateHandler) -> OrderCreateHandler:
        if provider in ORDER_CREATE_HANDLERS:
            raise RuntimeError(f"two order create handlers for {provider}")
        ORDER_CREATE_HANDLERS[provider] = fn
        return fn

    return register


def handler_for(provider: str) -> OrderCreateHandler | None:
    from payments.api import enkash, vospay  # noqa: F401  (they register on import)

    return ORDER_CREATE_HANDLERS.get(provider)
