"""A fake hosted video provider on loopback: submit, poll, download, cancel, with counters.

It behaves like the asynchronous job APIs of hosted providers: a job is pending for a while
after it is submitted, then succeeds with a download URL.  Tests read its counters to prove
that a job was submitted exactly once, whichever worker polled it.

Its API, which it enforces as a real provider would (errors are ``{"error": {"code",
"message"}}``):

- every call carries ``Authorization: Bearer <api_key>`` (else 401 ``unauthorized``);
- ``POST /v1/jobs`` takes a JSON object (else 400 ``invalid_body``) with exactly ``prompt``
  (a non-empty string) and ``reference`` (a non-empty string) (else 400 ``invalid_field``),
  and answers 201 ``{"id", "status": "pending"}``;
- ``GET /v1/jobs/{id}`` answers ``{"id", "status", "progress"?, "video_url"?}``;
- ``POST /v1/jobs/{id}/cancel`` with no body cancels;
- ``GET /v1/jobs/{id}/video`` is the file once the job succeeded (else 409 ``not_ready``);
- an unknown job id is 404 ``job_not_found``; any other path 404 ``no_such_endpoint``.
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.fakes.openai import Offer

API_KEY = "sk-fake-provider-2c9d"
REMOTE = Offer(
    models=("remote",),
    sizes=("320x180",),
    seconds=("1", "4"),
    default_model="remote",
    default_size="320x180",
    default_seconds="1",
)
"""What ``catalog_for``'s model offers: a fake upstream Reelway with that catalogue takes
exactly this."""
JOB_PATH = re.compile(r"^/v1/jobs/(?P<id>[^/]+)(?P<rest>/cancel|/video)?$")


class Refusal(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class FakeProvider:
    def __init__(self, video: bytes, seconds_per_job: float = 3.0, api_key: str = API_KEY) -> None:
        self.video = video
        self.seconds_per_job = seconds_per_job
        self.api_key = api_key
        self.lock = threading.Lock()
        self.jobs: dict[str, dict[str, Any]] = {}
        self.submits: dict[str, int] = {}
        self.polls = 0
        self.cancels = 0
        self.refused: list[tuple[int, str]] = []
        """(status, code) of every refusal, so a test can say none happened."""
        provider = self

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True  # as real servers do (no delayed-ACK stalls)

            def log_message(self, *args: object) -> None:
                pass

            def _answer(self, status: int, body: dict[str, Any] | bytes, kind: str) -> None:
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                try:
                    status, answer = provider.serve(method, self.path, dict(self.headers), body)
                except Refusal as refusal:
                    with provider.lock:
                        provider.refused.append((refusal.status, refusal.code))
                    error = {"error": {"code": refusal.code, "message": refusal.message}}
                    self._answer(refusal.status, error, "application/json")
                    return
                kind = "video/mp4" if isinstance(answer, bytes) else "application/json"
                self._answer(status, answer, kind)

            def do_POST(self) -> None:
                self._serve("POST")

            def do_GET(self) -> None:
                self._serve("GET")

            def do_DELETE(self) -> None:
                self._serve("DELETE")

            def do_PUT(self) -> None:
                self._serve("PUT")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # ------------------------------------------------------------------ the API

    def serve(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, Any] | bytes]:
        """One call: (status, JSON or the video), or a ``Refusal``."""
        given = {k.lower(): v for k, v in headers.items()}
        if given.get("authorization") != f"Bearer {self.api_key}":
            raise Refusal(401, "unauthorized", "A valid bearer API key is required.")
        if (method, path) == ("POST", "/v1/jobs"):
            return self._submit(given, body)
        found = JOB_PATH.match(path)
        if found is None or (method, found["rest"]) not in {
            ("GET", None),
            ("POST", "/cancel"),
            ("GET", "/video"),
        }:
            raise Refusal(404, "no_such_endpoint", f"No endpoint {method} {path}.")
        job_id = found["id"]
        with self.lock:
            job = self.jobs.get(job_id)
        if job is None:
            raise Refusal(404, "job_not_found", f"No job {job_id}.")
        if found["rest"] == "/cancel":
            if body:
                raise Refusal(400, "invalid_body", "Cancel takes no body.")
            with self.lock:
                self.cancels += 1
                job["cancelled"] = True
            return 200, {"id": job_id, "status": "cancelled"}
        state = self._state(job_id, job)
        if found["rest"] == "/video":
            if state["status"] != "succeeded":
                raise Refusal(409, "not_ready", f"Job {job_id} is {state['status']}.")
            return 200, self.video
        with self.lock:
            self.polls += 1
        return 200, state

    def _submit(self, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        if headers.get("content-type", "").partition(";")[0].strip() != "application/json":
            raise Refusal(400, "invalid_body", "The body must be application/json.")
        try:
            fields = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise Refusal(400, "invalid_body", "The body is not valid JSON.") from None
        if not isinstance(fields, dict):
            raise Refusal(400, "invalid_body", "The body must be a JSON object.")
        wrong = sorted(set(fields) ^ {"prompt", "reference"})
        if wrong:
            said = "is required" if wrong[0] not in fields else "is not a field"
            raise Refusal(400, "invalid_field", f"{wrong[0]!r} {said}.")
        for name in ("prompt", "reference"):
            if not isinstance(fields[name], str) or not fields[name]:
                raise Refusal(400, "invalid_field", f"{name!r} must be a non-empty string.")
        with self.lock:
            job_id = f"job_{len(self.jobs) + 1}"
            self.jobs[job_id] = {"started": time.monotonic(), "cancelled": False, **fields}
            self.submits[fields["reference"]] = self.submits.get(fields["reference"], 0) + 1
        return 201, {"id": job_id, "status": "pending"}

    def _state(self, job_id: str, job: dict[str, Any]) -> dict[str, Any]:
        elapsed = time.monotonic() - float(job["started"])
        if job["cancelled"]:
            return {"id": job_id, "status": "cancelled"}
        if elapsed < self.seconds_per_job:
            progress = int(100 * elapsed / self.seconds_per_job)
            return {"id": job_id, "status": "pending", "progress": progress}
        url = f"http://127.0.0.1:{self.port}/v1/jobs/{job_id}/video"
        return {"id": job_id, "status": "succeeded", "video_url": url}


def catalog_for(engine: str, path: Path) -> Path:
    """A catalogue whose model ``remote`` is served by ``engine`` (it offers ``REMOTE``)."""
    sizes = json.dumps(list(REMOTE.sizes))
    seconds = ", ".join(REMOTE.seconds)
    path.write_text(
        '[credits_per_second]\n"480p" = 4\n"720p" = 16\n"1080p" = 40\n'
        f'[models."remote"]\nsizes = {sizes}\nseconds = [{seconds}]\n'
        f'default_size = "{REMOTE.default_size}"\n'
        f"default_seconds = {REMOTE.default_seconds}\n"
        f'capabilities = ["remix"]\nroute = ["{engine}"]\n'
        '[models."remote".price_per_second]\n"480p" = 0.01\n'
    )
    return path
