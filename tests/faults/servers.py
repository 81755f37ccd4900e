"""Processes the fault suite owns: its own Redis and MariaDB on spare ports, and the app under gunicorn.

Never the shared servers on 6379/3306: these are started in a temporary directory, stopped with
SIGKILL (a crash), SIGSTOP/SIGCONT (a frozen process) and started again on the same port.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A port nothing listens on now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(ready: Callable[[], bool], seconds: float, what: str) -> float:
    """Poll until `ready()`; returns the seconds it took, raises when it never happened."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if ready():
            return time.monotonic() - start
        time.sleep(0.05)
    raise RuntimeError(f"{what} not ready after {seconds:g} s")


@dataclass
class Service:
    """A server process that can be killed, frozen, thawed and started again."""

    name: str
    workdir: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def answers(self) -> bool:
        raise NotImplementedError

    def start(self) -> float:
        """Start the process and wait until it answers; returns the seconds that took."""
        log = (self.workdir / f"{self.name}.log").open("ab")
        self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir)
        return wait_until(self.answers, 60, self.name)

    def kill(self) -> None:
        """SIGKILL: a crash (connections reset, new ones refused)."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(10)

    def freeze(self) -> None:
        """SIGSTOP: the kernel still accepts connections, nothing answers."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@dataclass
class Redis(Service):
    def command(self) -> list[str]:
        return ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", str(self.workdir)]

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


@dataclass
class MariaDB(Service):
    def install(self) -> None:
        """A fresh data directory (mariadb-install-db; --no-defaults keeps the machine's my.cnf out)."""
        subprocess.run(["mariadb-install-db", "--no-defaults", f"--datadir={self.datadir}", "--user=root",
                        "--skip-test-db"], check=True, capture_output=True)

    @property
    def datadir(self) -> Path:
        return self.workdir / "mariadb"

    def command(self) -> list[str]:
        return [shutil.which("mariadbd") or "/usr/sbin/mariadbd", "--no-defaults", f"--datadir={self.datadir}",
                f"--port={self.port}", "--bind-address=127.0.0.1", f"--socket={self.workdir / 'mariadb.sock'}",
                f"--pid-file={self.workdir / 'mariadb.pid'}", "--user=root", "--skip-grant-tables",
                "--innodb-buffer-pool-size=64M", "--character-set-server=utf8mb4",
                "--collation-server=utf8mb4_unicode_ci"]

    def answers(self) -> bool:
        import pymysql

        try:
            conn = pymysql.connect(host="127.0.0.1", port=self.port, user="root", connect_timeout=0.5,
                                   read_timeout=0.5)
        except pymysql.MySQLError:
            return False
        conn.close()
        return True

    def url(self, database: str) -> str:
        return f"mysql+pymysql://root:@127.0.0.1:{self.port}/{database}?charset=utf8mb4"


@dataclass
class Gunicorn(Service):
    """The app as production runs it: gunicorn, 2 worker processes, threads."""

    config: Path = Path()

    def command(self) -> list[str]:
        return [sys.executable, "-m", "gunicorn", "-w", "2", "--worker-class", "gthread", "--threads", "8",
                "-b", f"127.0.0.1:{self.port}", "--timeout", "60", "--log-level", "warning", "app:create_app()"]

    def start(self) -> float:
        log = (self.workdir / "gunicorn.log").open("ab")
        env = {**os.environ, "APP_CONFIG": str(self.config), "FLASK_APP": "app"}
        self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
        return wait_until(self.answers, 60, "gunicorn")

    def answers(self) -> bool:
        try:
            return requests.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"
