"""The tests' network guard (tests/netguard.py) refuses before the real call, so these tests
send nothing: each refused call goes to a tripwire that records it instead of the network,
or is a UDP connect, which sends no packet even when it is allowed."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import netguard, netguard_plugin

ROOT = Path(__file__).resolve().parents[2]
OFF_MACHINE = "10.255.255.1"  # private, unrouted: where a stray packet would have gone


class Tripwire:
    """Stands in for the real socket and resolver calls; records what reached them."""

    def __init__(self, patch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[str, Any]] = []
        for name in ("connect", "connect_ex", "sendto"):
            patch.setattr(socket.socket, name, self._method(name))
        for name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr"):
            patch.setattr(socket, name, self._function(name))

    def _method(self, name: str) -> Any:
        def reached(sock: socket.socket, *args: Any) -> int:
            self.calls.append((name, args[-1]))
            return 0

        return reached

    def _function(self, name: str) -> Any:
        def reached(host: Any, *args: Any, **kwargs: Any) -> list[Any]:
            self.calls.append((name, host))
            return []

        return reached


@pytest.fixture
def guarded() -> Iterator[tuple[Tripwire, list[str]]]:
    """A fresh guard over tripwires, in place of the session's guard over the real calls."""
    refused: list[str] = []
    with netguard_plugin.suspended(), pytest.MonkeyPatch.context() as patch:
        wire = Tripwire(patch)
        with netguard.installed(refused.append):
            yield wire, refused


@pytest.mark.parametrize(
    "family, host", [(socket.AF_INET, OFF_MACHINE), (socket.AF_INET6, "2001:db8::1")]
)
def test_a_connection_off_the_machine_is_refused_before_it_is_made(
    guarded: tuple[Tripwire, list[str]], family: int, host: str
) -> None:
    wire, refused = guarded
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        with socket.socket(family, kind) as sock:
            with pytest.raises(netguard.Refused):
                sock.connect((host, 9))
            with pytest.raises(netguard.Refused):
                sock.connect_ex((host, 9))
            with pytest.raises(netguard.Refused):
                sock.sendto(b"x", (host, 9))
    assert wire.calls == [], "the guard let a call through to the network"
    assert len(refused) == 6 and all(netguard.MARKER in r and host in r for r in refused)
    assert "Traceback (most recent call last)" in refused[0] and __file__ in refused[0]


def test_loopback_and_other_families_pass(guarded: tuple[Tripwire, list[str]]) -> None:
    wire, refused = guarded
    with socket.socket() as sock:
        for address in (("127.0.0.1", 1), ("127.9.9.9", 1), ("localhost", 1)):
            sock.connect(address)
    with socket.socket(socket.AF_INET6) as sock:
        sock.connect(("::1", 1))
        sock.connect(("::ffff:127.0.0.1", 1))
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect("/nonexistent/socket")
    assert len(wire.calls) == 6 and refused == []


def test_a_lookup_of_any_name_but_localhost_is_refused(
    guarded: tuple[Tripwire, list[str]],
) -> None:
    wire, refused = guarded
    with pytest.raises(socket.gaierror):
        socket.getaddrinfo("example.com", 443)
    for lookup in (socket.gethostbyname, socket.gethostbyname_ex):
        with pytest.raises(socket.gaierror):
            lookup("example.com")
    with pytest.raises(OSError):
        socket.gethostbyaddr(socket.gethostname())
    assert wire.calls == [] and len(refused) == 4
    for host in ("localhost", "127.0.0.1", "::1", OFF_MACHINE, None):
        socket.getaddrinfo(host, 80)  # no DNS: a literal address or localhost (/etc/hosts)
    assert [host for _, host in wire.calls] == ["localhost", "127.0.0.1", "::1", OFF_MACHINE, None]
    assert len(refused) == 4


def test_asyncio_connects_and_resolves_through_the_guarded_calls(
    guarded: tuple[Tripwire, list[str]],
) -> None:
    wire, refused = guarded

    async def main() -> None:
        with pytest.raises(socket.gaierror):
            await asyncio.open_connection("example.com", 443)
        with pytest.raises(OSError):
            await asyncio.open_connection(OFF_MACHINE, 9)
        loop = asyncio.get_running_loop()
        with socket.socket() as sock:
            sock.setblocking(False)
            with pytest.raises(netguard.Refused):
                await loop.sock_connect(sock, (OFF_MACHINE, 9))

    asyncio.run(main())
    assert not [call for call in wire.calls if call[0] != "getaddrinfo"]
    assert len(refused) == 3


def test_uvloop_is_guarded_too() -> None:
    """uvloop resolves and connects in C, past the socket functions: its loop is wrapped."""
    uvloop = pytest.importorskip("uvloop")
    reached: list[Any] = []

    async def fake(self: Any, *args: Any, **kwargs: Any) -> None:
        reached.append(args)

    refused: list[str] = []
    with netguard_plugin.suspended(), pytest.MonkeyPatch.context() as patch:
        for name in ("create_connection", "sock_connect", "getaddrinfo"):
            patch.setattr(uvloop.Loop, name, fake)
        with netguard.installed(refused.append):

            async def main() -> None:
                loop = asyncio.get_running_loop()
                with pytest.raises(netguard.Refused):
                    await loop.create_connection(asyncio.Protocol, OFF_MACHINE, 9)
                with pytest.raises(socket.gaierror):
                    await loop.create_connection(asyncio.Protocol, host="example.com", port=9)
                with pytest.raises(socket.gaierror):
                    await loop.getaddrinfo("example.com", 9)
                with socket.socket() as sock, pytest.raises(netguard.Refused):
                    await loop.sock_connect(sock, (OFF_MACHINE, 9))
                await loop.create_connection(asyncio.Protocol, "127.0.0.1", 9)

            with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                runner.run(main())
    assert reached == [(asyncio.Protocol, "127.0.0.1", 9)] and len(refused) == 4


def _child(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
        cwd=ROOT,
        check=False,
    )


def test_python_processes_the_tests_start_are_guarded_and_say_so() -> None:
    # A UDP connect sends no packet even if the guard were missing; then it would succeed.
    udp = f"""
        import socket
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.connect(({OFF_MACHINE!r}, 9))
            print("connected", sock.getpeername())
    """
    child = _child(udp)
    assert child.returncode == 1 and "connected" not in child.stdout, child
    assert f"Refused: {netguard.MARKER}" in child.stderr
    assert "Traceback (most recent call last)" in child.stderr
    lazy = "import sys, uvloop; print(uvloop.Loop.create_connection.__wrapped__.__name__)"
    assert _child(lazy).stdout.strip() == "create_connection", "uvloop is wrapped on import"
    unguarded = _child(udp, **{netguard.ENV: "0"})
    assert unguarded.returncode == 0 and "connected" in unguarded.stdout, unguarded


def test_a_test_that_swallows_the_refusal_still_fails(tmp_path: Path) -> None:
    (tmp_path / "test_swallow.py").write_text(
        textwrap.dedent(
            f"""
            import socket

            def test_swallowed():
                try:
                    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                        sock.connect(({OFF_MACHINE!r}, 9))
                except OSError:
                    pass
            """
        )
    )
    inner = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "tests.netguard_plugin",
            "-p",
            "no:cacheprovider",
            "-c",
            os.devnull,
            "--rootdir",
            str(tmp_path),
            str(tmp_path / "test_swallow.py"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if k != netguard.ENV},
        cwd=ROOT,
        check=False,
    )
    assert inner.returncode == 1, inner.stdout + inner.stderr
    assert "1 passed, 1 error" in inner.stdout, inner.stdout
    assert "tried to reach beyond loopback" in inner.stdout and OFF_MACHINE in inner.stdout
