"""Real Reelway processes for tests: ``reelway serve`` / ``reelway worker`` on loopback."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from reelway import settings as settings_module
from reelway.runtime import Runtime
from tests import backends, netguard

PORT_LINE = re.compile(r"Uvicorn running on http://127\.0\.0\.1:(\d+)")
KEY_LINE = re.compile(r"^\s*(sk-rw-\S+)$", re.M)
START_SECONDS = 120.0
"""How long a process may take to say it started: seconds on a quiet machine, but the suite
runs on several pytest-xdist workers (``make test``) and every start imports the whole stack."""


def reelway_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "reelway", *args]


def run_cli(*args: str, data_dir: Path, env: dict[str, str] | None = None) -> str:
    """Run a CLI command to completion; returns stdout (raises with stderr on failure)."""
    result = subprocess.run(
        reelway_cmd(*args, "--data-dir", str(data_dir)),
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        check=False,
    )
    if result.returncode != 0 or netguard.MARKER in result.stderr:
        raise AssertionError(
            f"reelway {' '.join(args)} exited {result.returncode}:\n"
            f"{result.stdout}\n{result.stderr}"
        )
    return result.stdout


def create_key(data_dir: Path, project: str, env: dict[str, str] | None = None) -> str:
    """A new key for ``project`` (created if new), made in this process as ``reelway keys
    create`` makes it: the command itself is tested in test_cli, and starting it for every
    key a test needs cost about 1.5 CPU seconds each."""
    settings = settings_module.from_env({**os.environ, **(env or {})}, data_dir=data_dir)

    async def make() -> str:
        runtime = await Runtime.open(settings)
        try:
            found, _ = await runtime.keys.ensure_project(project)
            _, secret = await runtime.keys.create_key(found.id, name="default")
        finally:
            await runtime.close()
        return secret

    # A thread of its own: async tests call this with their event loop running.  Not a
    # ``with`` block: its exit would wait for a stuck thread past the deadline.
    pool = concurrent.futures.ThreadPoolExecutor(1)
    try:
        secret = pool.submit(asyncio.run, make()).result(timeout=120)
    finally:
        pool.shutdown(wait=False)
    assert KEY_LINE.match(secret), secret
    return secret


class Process:
    """A reelway child process whose output is collected for assertions and diagnostics."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.args = args
        self.popen = subprocess.Popen(
            args,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, pattern: re.Pattern[str], timeout: float = START_SECONDS) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = pattern.search(self.output)
            if match:
                return match
            if self.popen.poll() is not None:
                time.sleep(0.2)
                raise AssertionError(f"process exited early:\n{self.output}")
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {pattern.pattern!r}:\n{self.output}")

    def terminate(self, timeout: float = 30) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
        try:
            code = self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            code = self.popen.wait(10)
        self._close()
        return code

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
        self.popen.wait(10)
        self._close()

    def _close(self) -> None:
        self._reader.join(10)
        if self.popen.stdout is not None:
            self.popen.stdout.close()
        if netguard.MARKER in self.output:  # the process tried to reach beyond loopback
            raise AssertionError(f"{' '.join(self.args[1:4])}:\n{self.output}")


class Server(Process):
    """``reelway serve`` on a free loopback port, on one deployment's database and storage."""

    def __init__(
        self, deployment: backends.Deployment, env: dict[str, str] | None = None, *extra: str
    ) -> None:
        self.deployment = deployment
        self.env = {**deployment.env, **(env or {})}
        if deployment.database_url:
            run_cli("migrate", data_dir=deployment.data_dir, env=self.env)
        super().__init__(
            reelway_cmd(
                "serve",
                "--port",
                "0",
                "--data-dir",
                str(deployment.data_dir),
                "--no-access-log",
                *extra,
            ),
            self.env,
        )
        self.data_dir = deployment.data_dir
        try:
            self.port = int(self.wait_for(PORT_LINE).group(1))
            self.root = f"http://127.0.0.1:{self.port}"
            self.base_url = f"{self.root}/v1"
            first_key = KEY_LINE.search(self.output)
            self.dev_key = first_key.group(1) if first_key else None
            httpx.get(f"{self.root}/health", timeout=10).raise_for_status()
        except BaseException:
            self.kill()
            raise

    def create_key(self, project: str) -> str:
        return create_key(self.data_dir, project, self.env)

    def cli(self, *args: str) -> str:
        return run_cli(*args, data_dir=self.data_dir, env=self.env)


@contextlib.contextmanager
def serving(deployment: backends.Deployment, env: dict[str, str] | None = None) -> Iterator[Server]:
    """A server for a fixture's lifetime, which must then stop cleanly and without a
    traceback (an error swallowed inside the server fails the fixture's last user)."""
    server = Server(deployment, env)
    try:
        yield server
    finally:
        code = server.terminate()
        assert code == 0, server.output
        assert "Traceback" not in server.output, server.output


class WorkerProcess(Process):
    def __init__(self, deployment: backends.Deployment, env: dict[str, str] | None = None) -> None:
        super().__init__(
            reelway_cmd("worker", "--data-dir", str(deployment.data_dir)),
            {**deployment.env, **(env or {})},
        )
        try:
            self.wait_for(re.compile(r"worker \S+ started"))
        except BaseException:
            self.kill()
            raise
