import signal
import threading

from django.core.management.base import BaseCommand

from providers.registry import PROVIDERS
from providers.sandbox_server import RunningSandbox


class Command(BaseCommand):
    help = "Serve the five provider sandboxes on one local port (in-memory state)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8100)

    def handle(self, *args, host, port, **options):
        running = RunningSandbox(host=host, port=port).start()
        for key, spec in PROVIDERS.items():
            self.stdout.write(f"  {spec.label:<10} {running.base_url(key)}")
        self.stdout.write(f"Sandboxes listening on {running.url} (control: {running.url}/_sandbox/)")
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        stop.wait()
        running.stop()
