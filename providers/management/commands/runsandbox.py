import signal

from django.core.management.base import BaseCommand

from providers.registry import PROVIDERS
from providers.sandbox_server import RunningSandbox


class Command(BaseCommand):
    help = "Serve the five provider sandboxes on one local port (in-memory state)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8100)

    def handle(self, *args, host, port, **options):
        # Block SIGINT/SIGTERM before the server thread starts (threads inherit the mask)
        # and wait for them here: no handler that could race the two.
        stop_signals = {signal.SIGINT, signal.SIGTERM}
        signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
        running = RunningSandbox(host=host, port=port).start()
        for key, spec in PROVIDERS.items():
            self.stdout.write(f"  {spec.label:<10} {running.base_url(key)}")
        self.stdout.write(f"Sandboxes listening on {running.url} (control: {running.url}/_sandbox/)")
        self.stdout.flush()
        signal.sigwait(stop_signals)
        running.stop()
