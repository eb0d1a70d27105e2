from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        # Autodiscovery finds payments.tasks only; the callback task lives in its package.
        from payments.callbacks import tasks  # noqa: F401
