"""A fake hosted video provider on loopback: submit, poll, download, cancel, with counters.

It behaves like the asynchronous job APIs of hosted providers: a job is pending for a while
after it is submitted, then succeeds with a download URL.  Tests read its counters to prove
that a job was submitted exactly once, whichever worker polled it.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class FakeProvider:
    def __init__(self, video: bytes, seconds_per_job: float = 3.0) -> None:
        self.video = video
        self.seconds_per_job = seconds_per_job
        self.lock = threading.Lock()
        self.jobs: dict[str, dict[str, object]] = {}
        self.submits: dict[str, int] = {}
        self.polls = 0
        self.cancels = 0
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _json(self, status: int, body: dict[str, object]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                if self.path == "/v1/jobs":
                    provider_ref = str(body.get("reference"))
                    with provider.lock:
                        job_id = f"job_{len(provider.jobs) + 1}"
                        provider.jobs[job_id] = {"started": time.monotonic(), "cancelled": False}
                        provider.submits[provider_ref] = provider.submits.get(provider_ref, 0) + 1
                    self._json(201, {"id": job_id, "status": "pending"})
                elif self.path.endswith("/cancel"):
                    job_id = self.path.split("/")[3]
                    with provider.lock:
                        provider.cancels += 1
                        provider.jobs[job_id]["cancelled"] = True
                    self._json(200, {"id": job_id, "status": "cancelled"})
                else:
                    self._json(404, {"error": "no such endpoint"})

            def do_GET(self) -> None:
                parts = self.path.split("/")
                if len(parts) == 4 and parts[2] == "jobs":
                    with provider.lock:
                        provider.polls += 1
                        job = provider.jobs.get(parts[3])
                    if job is None:
                        self._json(404, {"error": "no such job"})
                        return
                    elapsed = time.monotonic() - float(job["started"])  # type: ignore[arg-type]
                    if job["cancelled"]:
                        self._json(200, {"id": parts[3], "status": "cancelled"})
                    elif elapsed < provider.seconds_per_job:
                        progress = int(100 * elapsed / provider.seconds_per_job)
                        self._json(200, {"id": parts[3], "status": "pending", "progress": progress})
                    else:
                        url = f"http://127.0.0.1:{provider.port}/v1/jobs/{parts[3]}/video"
                        self._json(200, {"id": parts[3], "status": "succeeded", "video_url": url})
                elif len(parts) == 5 and parts[4] == "video":
                    self.send_response(200)
                    self.send_header("Content-Type", "video/mp4")
                    self.send_header("Content-Length", str(len(provider.video)))
                    self.end_headers()
                    self.wfile.write(provider.video)
                else:
                    self._json(404, {"error": "no such endpoint"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def catalog_for(engine: str, path: Path) -> Path:
    """A catalogue whose model ``remote`` is served by ``engine``."""
    path.write_text(
        '[credits_per_second]\n"480p" = 4\n"720p" = 16\n"1080p" = 40\n'
        '[models."remote"]\nsizes = ["320x180"]\nseconds = [1, 4]\ndefault_size = "320x180"\n'
        f'default_seconds = 1\ncapabilities = ["remix"]\nroute = ["{engine}"]\n'
        '[models."remote".price_per_second]\n"480p" = 0.01\n'
    )
    return path
