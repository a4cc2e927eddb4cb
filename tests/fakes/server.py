"""The common part of every fake provider: an HTTP server in a thread, a route table, a log
of calls, scriptable faults and jobs whose outcome a test decides.

A fault is scripted per endpoint name (``"create"``, ``"poll"``, ``"download"``...): the next
call to that endpoint answers the fault instead of the normal reply.  Faults cover what real
providers do on a bad day: 5xx, 429 with ``Retry-After``, slow answers (client timeouts),
dropped connections, malformed JSON.  What a *job* does (succeed after a while, fail with a
provider code, never finish, report an unknown status, have its result URL expire) is an
``Outcome`` queued for the next create.
"""

from __future__ import annotations

import collections
import contextlib
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)
    """Named groups of the route pattern."""

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    @property
    def media_type(self) -> str:
        """The Content-Type without its parameters, lower case ("" when there is none)."""
        return self.headers.get("content-type", "").partition(";")[0].strip().lower()


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    """JSON-encoded unless bytes."""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    """Seconds to wait before answering (longer than the client's timeout: a timeout)."""
    drop: bool = False
    """Close the connection without answering."""
    content_type: str = "application/json"


def fault(
    status: int,
    body: Any = None,
    *,
    retry_after: float | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    """An error answer; ``retry_after`` adds a ``Retry-After`` header."""
    extra = dict(headers or {})
    if retry_after is not None:
        extra["Retry-After"] = str(retry_after)
    return Reply(status=status, body=body, headers=extra)


class Refused(Exception):
    """Raised by a route's checks: the request is answered with ``reply``, a refusal in the
    provider's own error shape, so a check can sit in a helper instead of in every route."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.status)
        self.reply = reply


DROP = Reply(drop=True)
MALFORMED = Reply(status=200, body=b'{"id": "oops", "status": ', content_type="application/json")


def slow(seconds: float) -> Reply:
    return Reply(delay=seconds, status=200, body={})


@dataclass
class Outcome:
    """What the next created job does."""

    kind: str = "succeed"
    """succeed | fail | never | unknown_status | expired_url | moderated | cancelled"""
    after: float = 0.05
    """Seconds from creation until the job reaches its outcome."""
    code: str | None = None
    """The provider's failure code or reason (for fail / moderated)."""
    message: str | None = None


@dataclass
class Job:
    id: str
    body: Any
    created: float
    outcome: Outcome
    cancelled: bool = False
    deleted: bool = False
    downloads: int = 0

    def elapsed_fraction(self) -> float:
        if self.outcome.after <= 0:
            return 1.0
        return min(1.0, (time.monotonic() - self.created) / self.outcome.after)

    def finished(self) -> bool:
        return self.outcome.kind != "never" and self.elapsed_fraction() >= 1.0


Handler = Callable[[Request], Reply]


class _Listener(ThreadingHTTPServer):
    # A real provider accepts bursts; the stdlib's default backlog of 5 would delay the
    # sixth simultaneous connection by a TCP retransmit (about 1 s).
    request_queue_size = 128
    daemon_threads = True


class FakeServer:
    """Subclasses add routes in ``__init__`` and call ``start()``."""

    provider = "fake"

    def __init__(self, video: bytes) -> None:
        self.video = video
        self.lock = threading.RLock()
        self.routes: list[tuple[str, re.Pattern[str], str, Handler]] = []
        self.faults: dict[str, collections.deque[Reply]] = collections.defaultdict(
            collections.deque
        )
        self.outcomes: collections.deque[Outcome] = collections.deque()
        self.jobs: dict[str, Job] = {}
        self.calls: collections.Counter[str] = collections.Counter()
        self.log: list[tuple[float, str, Request]] = []
        self.answered: collections.Counter[int] = collections.Counter()
        self.rate_limit: tuple[int, float] | None = None
        """(requests, seconds): creates beyond it in any sliding window answer 429."""
        self.create_times: collections.deque[float] = collections.deque()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ scripting

    def script(self, endpoint: str, *replies: Reply) -> None:
        """The next calls to ``endpoint`` answer these replies, in order."""
        with self.lock:
            self.faults[endpoint].extend(replies)

    def next_outcome(self, *outcomes: Outcome) -> None:
        with self.lock:
            self.outcomes.extend(outcomes)

    def new_job(self, job_id: str, body: Any) -> Job:
        with self.lock:
            outcome = self.outcomes.popleft() if self.outcomes else Outcome()
            job = Job(job_id, body, time.monotonic(), outcome)
            self.jobs[job_id] = job
            return job

    def creates(self) -> int:
        return self.calls["create"]

    # ------------------------------------------------------------------ serving

    def route(self, method: str, pattern: str, endpoint: str, handler: Handler) -> None:
        self.routes.append((method, re.compile(f"^{pattern}$"), endpoint, handler))

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakeServer:
        fake = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # As real servers do: http.server writes headers and body apart, and with Nagle
            # on each answer waited ~40 ms for the client's delayed ACK.
            disable_nagle_algorithm = True

            def log_message(self, *args: object) -> None:
                pass

            def _handle(self) -> None:
                fake._dispatch(self)

            do_GET = do_POST = do_DELETE = do_PUT = _handle

        self._server = _Listener(("127.0.0.1", 0), _Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _dispatch(self, handler: BaseHTTPRequestHandler) -> None:
        split = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        request = Request(
            method=handler.command,
            path=split.path,
            query={k: v[-1] for k, v in parse_qs(split.query).items()},
            headers={k.lower(): v for k, v in handler.headers.items()},
            body=body,
        )
        reply = self._reply(request)
        if reply.delay:
            time.sleep(reply.delay)
        if reply.drop:
            handler.close_connection = True
            with contextlib.suppress(OSError):
                handler.connection.shutdown(2)
            return
        data = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
        with self.lock:
            self.answered[reply.status] += 1
        try:
            handler.send_response(reply.status)
            handler.send_header("Content-Type", reply.content_type)
            handler.send_header("Content-Length", str(len(data)))
            handler.send_header("x-request-id", f"req_{len(self.log)}")
            for name, value in reply.headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            if request.method != "HEAD":
                handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _reply(self, request: Request) -> Reply:
        for method, pattern, endpoint, route_handler in self.routes:
            match = pattern.match(request.path)
            if method != request.method or match is None:
                continue
            request.params = match.groupdict()
            with self.lock:
                self.calls[endpoint] += 1
                self.log.append((time.monotonic(), endpoint, request))
                scripted = self.faults[endpoint].popleft() if self.faults[endpoint] else None
            if scripted is not None:
                return scripted
            limited = self._rate_limited(endpoint)
            if limited is not None:
                return limited
            try:
                return route_handler(request)
            except Refused as refused:
                return refused.reply
        return self.unrouted(request)

    def unrouted(self, request: Request) -> Reply:
        """The answer to a method and path the provider does not serve."""
        return Reply(status=404, body={"error": {"message": f"no route {request.path}"}})

    def _rate_limited(self, endpoint: str) -> Reply | None:
        """A provider's account limit: N creates per sliding window, then 429."""
        if endpoint != "create" or self.rate_limit is None:
            return None
        requests, seconds = self.rate_limit
        now = time.monotonic()
        with self.lock:
            while self.create_times and self.create_times[0] <= now - seconds:
                self.create_times.popleft()
            if len(self.create_times) >= requests:
                wait = self.create_times[0] + seconds - now
                return fault(
                    429, {"error": {"message": "Rate limit exceeded"}}, retry_after=round(wait, 1)
                )
            self.create_times.append(now)
        return None

    def file_reply(self, job: Job) -> Reply:
        """The result file, or 403 once the job's URL has "expired"."""
        with self.lock:
            job.downloads += 1
        if job.outcome.kind == "expired_url":
            return Reply(
                status=403, body=b"<Error>Request has expired</Error>", content_type="text/xml"
            )
        return Reply(status=200, body=self.video, content_type="video/mp4")
