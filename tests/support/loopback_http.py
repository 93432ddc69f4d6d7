"""A real HTTP server on loopback whose answers a test scripts (an LLM server that misbehaves)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

Behaviour = Callable[[BaseHTTPRequestHandler], None]


def reply(handler: BaseHTTPRequestHandler, status: int, body: bytes, kind: str) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", kind)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


class LoopbackServer:
    """An http.server on 127.0.0.1 whose POSTs do what `behaviour` says; `bodies` keeps them."""

    def __init__(self, behaviour: Behaviour) -> None:
        bodies: list[dict[str, object]] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                bodies.append({"path": self.path, **json.loads(self.rfile.read(length))})
                behaviour(self)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.bodies = bodies
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        self._http.bodies = bodies  # type: ignore[attr-defined]  # for behaviours that look back
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}"
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._http.shutdown()
        self._http.server_close()


@pytest.fixture
def serve() -> Iterator[Callable[[Behaviour], LoopbackServer]]:
    servers: list[LoopbackServer] = []

    def start(behaviour: Behaviour) -> LoopbackServer:
        servers.append(LoopbackServer(behaviour))
        return servers[-1]

    yield start
    for server in servers:
        server.close()
