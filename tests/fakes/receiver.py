"""A webhook receiver on loopback: records every delivery and answers as told.

Each endpoint is a path (``/hooks/<name>``); its plan is a list of answers used in order
(``"200"``, ``"500"``, ``"410"``, or ``"slow"``: wait longer than the sender's timeout),
then ``default`` for every later delivery.
"""

from __future__ import annotations

import json
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
