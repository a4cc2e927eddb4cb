"""A small closed-loop HTTP/1.1 load generator on asyncio protocols (keep-alive, loopback).

Cheaper per request than an HTTP client library, so on a 2-core machine the server, not the
generator, is what gets measured; both sides of every ratio use the same generator.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Result:
    requests: int
    errors: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


class _Budget:
    """Requests left to send across every connection of a run (None: no limit)."""

    def __init__(self, total: int | None) -> None:
        self.left = total

    def take(self) -> bool:
        if self.left is None:
            return True
        if self.left <= 0:
            return False
        self.left -= 1
        return True


class _Connection(asyncio.Protocol):
    def __init__(
        self,
        request: bytes,
        deadline: float,
        done: asyncio.Future[tuple[int, int]],
        budget: _Budget,
    ):
        self.request = request
        self.deadline = deadline
        self.done = done
        self.budget = budget
        self.buffer = b""
        self.count = 0
        self.errors = 0
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        if self.budget.take():
            transport.write(self.request)
        else:
            transport.close()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end]
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            total = end + 4 + length
            if len(self.buffer) < total:
                return
            status = int(head.split(b" ", 2)[1])
            self.buffer = self.buffer[total:]
            self.count += 1
            if status >= 400:
                self.errors += 1
            assert self.transport is not None
            if time.perf_counter() >= self.deadline or not self.budget.take():
                self.transport.close()
                return
            self.transport.write(self.request)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_result((self.count, self.errors))


async def run(
    host: str,
    port: int | Sequence[int],
    request: bytes,
    *,
    connections: int,
    seconds: float,
    total: int | None = None,
) -> Result:
    """``connections`` closed loops for ``seconds`` or until ``total`` requests were sent;
    with several ports (one server process each), the connections are dealt out in turn."""
    ports = [port] if isinstance(port, int) else list(port)
    loop = asyncio.get_running_loop()
    start = time.perf_counter()
    deadline = start + seconds
    budget = _Budget(total)
    futures = []
    for n in range(connections):
        done: asyncio.Future[tuple[int, int]] = loop.create_future()
        await loop.create_connection(
            functools.partial(_Connection, request, deadline, done, budget),
            host,
            ports[n % len(ports)],
        )
        futures.append(done)
    counts = await asyncio.gather(*futures)
    elapsed = time.perf_counter() - start
    return Result(
        requests=sum(c for c, _ in counts), errors=sum(e for _, e in counts), seconds=elapsed
    )


def get(path: str, host: str, headers: dict[str, str] | None = None) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def post_multipart(path: str, host: str, fields: dict[str, str], headers: dict[str, str]) -> bytes:
    boundary = "reelwaybenchboundary"
    body = (
        b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
            for k, v in fields.items()
        )
        + f"--{boundary}--\r\n".encode()
    )
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}",
        f"Content-Type: multipart/form-data; boundary={boundary}",
        f"Content-Length: {len(body)}",
    ]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body
