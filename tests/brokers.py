"""A Redis broker a test may stop and start: a redis-server of its own on a free port (6379 is never touched)."""

import shutil
import socket
import subprocess
import time

from config.celery import app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def use_broker(url: str) -> None:
    """Point the Celery app at `url`, dropping its cached connection and producer pools."""
    app.conf.broker_url = url
    app._pool = None
    app.amqp._producer_pool = None


class PrivateRedis:
    """A throwaway redis-server; while it is up the Celery app uses it as its broker."""

    def __init__(self, directory):
        self.port = free_port()
        self.directory = directory
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no"],
            cwd=self.directory,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not self._answers():
            assert time.monotonic() < deadline, "the private redis-server did not start"
            time.sleep(0.05)
        use_broker(self.url)  # forget connections to the stopped server

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False
