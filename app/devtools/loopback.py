"""Serve a WSGI app on a free 127.0.0.1 port in a background thread (tests and fakes)."""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

STOP_TIMEOUT = 5.0


class LoopbackServer:
    """A running loopback server; `url` has no trailing slash. Use as a context manager."""

    def __init__(self, server: BaseWSGIServer, thread: threading.Thread) -> None:
        self._server = server
        self._thread = thread
        self.port: int = server.server_port
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Stop accepting requests and wait (bounded) for the serving thread to end."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(STOP_TIMEOUT)

    def __enter__(self) -> LoopbackServer:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def serve_in_thread(wsgi_app: Any) -> LoopbackServer:
    """Start a threaded werkzeug server on 127.0.0.1 with an OS-chosen port."""
    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
    # The threaded server's handler threads are daemons: one stuck in a simulated timeout cannot block exit.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              name=f"loopback-{server.server_port}", daemon=True)
    thread.start()
    return LoopbackServer(server, thread)
