"""The money model. ``core`` holds what every provider shares (transactions, events,
sync runs, idempotency); each provider's kind-specific details live in its own module
(``eoneopay``: customers with tokenised cards; ``enkash``: orders, QR codes, settlements;
``vospay``: installment orders and contracts) and are re-exported here, so code imports
``from payments.models import ...`` whatever module a model lives in."""

from payments.models.core import (  # noqa: F401
    MONEY,
    BalanceSnapshot,
    IbanAccount,
    IdempotencyKey,
    Kind,
    PaymentLinkDetail,
    PayoutDetail,
    Status,
    SyncRun,
    Transaction,
    TransactionEvent,
    new_reference,
)
from payments.models.enkash import *  # noqa: F403
from payments.models.enkash_settlements import *  # noqa: F403
from payments.models.eoneopay import *  # noqa: F403
from payments.models.vospay import *  # noqa: F403
