"""Webhook receivers on loopback.

``Receiver`` records every delivery and answers as told: each endpoint is a path
(``/hooks/<name>``); its plan is a list of answers used in order (``"200"``, ``"500"``,
``"410"``, or ``"slow"``: wait longer than the sender's timeout), then ``default`` for every
later delivery.  ``HangingUp`` drops every connection in one of the ways a real network or
a crashing receiver does.
"""

from __future__ import annotations

import contextlib
import json
import random
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    name: str
    headers: dict[str, str]
    body: str
    at: float
    answered: str

    @property
    def event(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


@dataclass
class Receiver:
    slow_seconds: float = 3.0
    default: str = "200"
    plans: dict[str, list[str]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True  # as real servers do (no delayed-ACK stalls)

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length).decode("utf-8")
                name = self.path.rsplit("/", 1)[-1]
                answer = receiver._next(name)
                with receiver._lock:
                    receiver.received.append(
                        Received(
                            name,
                            {k.lower(): v for k, v in self.headers.items()},
                            body,
                            time.time(),
                            answer,
                        )
                    )
                if answer == "slow":
                    time.sleep(receiver.slow_seconds)
                    answer = "200"
                try:
                    self.send_response(int(answer))
                    self.send_header("content-type", "text/plain")
                    self.end_headers()
                    self.wfile.write(b"ok" if answer.startswith("2") else b"receiver says no")
                except OSError:
                    pass  # the sender gave up waiting

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/{name}"

    def _next(self, name: str) -> str:
        with self._lock:
            plan = self.plans.get(name)
            return plan.pop(0) if plan else self.default

    def for_endpoint(self, name: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.name == name]

    def wait_for(
        self, name: str, predicate: Any = None, count: int = 1, timeout: float = 60
    ) -> list[Received]:
        """The deliveries to ``name`` that match, once there are ``count`` of them."""
        deadline = time.monotonic() + timeout
        while True:
            found = [r for r in self.for_endpoint(name) if predicate is None or predicate(r)]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{len(found)} of {count} deliveries to {name} after {timeout}s: "
                    f"{[r.body for r in self.for_endpoint(name)]}"
                )
            time.sleep(0.05)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


HANG_UPS = (
    "close",  # closes the socket right after accepting, reading nothing
    "reset",  # resets it (RST, SO_LINGER 0) right after accepting
    "reset-soon",  # resets it a fraction of a millisecond after accepting (a race window)
    "reset-after-request",  # reads the request, then resets
    "mid-headers",  # reads the request, answers half a status line and headers, closes
    "mid-body",  # answers a 500 whose headers promise 100 bytes, sends 3, closes
    "garbage",  # answers bytes that are not HTTP, closes
)


class HangingUp:
    """A receiver that hangs up on every connection in one way (one of ``HANG_UPS``)."""

    def __init__(self, mode: str) -> None:
        assert mode in HANG_UPS, mode
        self.mode = mode
        self.connections = 0
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def url(self, name: str = "rude") -> str:
        return f"http://127.0.0.1:{self.port}/hooks/{name}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            # OSError: the sender gave up first, which is just as good.
            with conn, contextlib.suppress(OSError):
                conn.settimeout(5)
                self._hang_up(conn)

    def _hang_up(self, conn: socket.socket) -> None:
        if self.mode == "reset-soon":
            time.sleep(random.uniform(0, 0.0005))
        if self.mode not in ("close", "reset", "reset-soon"):
            _read_request(conn)
        if self.mode == "mid-headers":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Le")
        elif self.mode == "mid-body":
            conn.sendall(b"HTTP/1.1 500 Oops\r\nContent-Length: 100\r\n\r\nabc")
        elif self.mode == "garbage":
            conn.sendall(b"\x00\xffthis is not HTTP at all\r\n\r\n")
        if self.mode.startswith("reset"):
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._listener.close()


def _read_request(conn: socket.socket) -> None:
    """Read one HTTP request: headers, then as many body bytes as they announce."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return
        body += chunk
