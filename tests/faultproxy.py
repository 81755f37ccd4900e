"""A TCP proxy in front of a real server that a test can cut or freeze, like a crashed or stopped one.

    with FaultProxy(6379) as proxy:          # redis://127.0.0.1:{proxy.port}/15 reaches the real Redis
        proxy.freeze()                       # like SIGSTOP: connections stay open, nothing answers
        proxy.cut()                          # like a crash: connections reset, new ones refused
        proxy.restore()                      # the server is back (same port)

The fault suite (tests/faults) stops real server processes; integration tests use this proxy so they
can share the one MariaDB and Redis of the machine.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from types import TracebackType


class FaultProxy:
    """Forwards 127.0.0.1:port to 127.0.0.1:upstream until told otherwise."""

    def __init__(self, upstream: int) -> None:
        self.upstream = upstream
        self._frozen = threading.Event()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self.port = self._listen(0)

    def _listen(self, port: int) -> int:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return int(listener.getsockname()[1])

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(("127.0.0.1", self.upstream), timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self._lock:
                self._sockets += [client, server]
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                while self._frozen.is_set():  # hold the bytes, as a stopped process would
                    time.sleep(0.02)
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def freeze(self) -> None:
        """Keep accepting connections but pass nothing on (a server stopped with SIGSTOP)."""
        self._frozen.set()

    def cut(self) -> None:
        """Reset every connection and refuse new ones (a crashed server)."""
        if self._listener is not None:
            with contextlib.suppress(OSError):  # wakes the thread blocked in accept(); close() alone does not
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    sock.close()
            self._sockets.clear()

    def restore(self) -> None:
        """The server answers again on the same port."""
        self._frozen.clear()
        if self._listener is None:
            self._listen(self.port)

    def close(self) -> None:
        self._frozen.clear()
        self.cut()

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
