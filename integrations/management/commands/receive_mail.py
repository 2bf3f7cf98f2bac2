"""Run Baton's SMTP receiver: mail for the programs' addresses becomes hot issues (see integrations/smtp.py)."""

import signal
import threading

from django.core.management.base import BaseCommand

from integrations import smtp


class Command(BaseCommand):
    help = "Receive e-mail for the programs' addresses by SMTP (aiosmtpd) until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (0.0.0.0 for every one).")
        parser.add_argument(
            "--port", type=int, default=2525, help="Port to listen on (25 needs root; a proxy may forward to it)."
        )
        parser.add_argument("--server-name", default="", help="The name the receiver gives in its greeting.")

    def handle(self, *args, host: str, port: int, server_name: str, **options):
        stop = threading.Event()
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, lambda *_: stop.set())
        receiver = smtp.start(host=host, port=port, server_name=server_name)
        self.stdout.write(f"Receiving mail on {host}:{port}", ending="\n")
        self.stdout.flush()
        try:
            stop.wait()
        finally:
            receiver.stop()
            self.stdout.write("Stopped.")
