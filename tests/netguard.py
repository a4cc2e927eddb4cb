"""Tests send nothing off the machine: a guard on Python's sockets, resolver and event loops.

A test that quietly reaches a real host passes on a machine with a network and fails (or
leaks) on one without; a DNS lookup that merely fails here is still a packet elsewhere.  Once
installed, a connection or datagram to an address that is not loopback, and a lookup of any
name but localhost, is refused *before* the real call (so no packet leaves) with an
``OSError`` subclass, as on a machine with no network, and reported to a callback: the pytest
plugin (``tests.netguard_plugin``) fails the test, and ``reelway`` processes started by the
tests (through ``tests/netguard_site/sitecustomize.py``) print a traceback that the tests'
no-traceback checks and ``harness.Process`` catch.

Standard library only: it is loaded at the start of every Python child process.  Code that
connects outside Python's socket objects (libpq under psycopg, Chromium, Node) is not seen.
"""

from __future__ import annotations

import functools
import importlib.abc
import importlib.machinery
import importlib.util
import ipaddress
import socket
import sys
import threading
import traceback
import types
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

ENV = "REELWAY_TEST_NETGUARD"
"""Set (to 1) in the environment of processes that must install the guard at start-up."""
MARKER = "netguard: refused"
"""Starts every report a guarded child process prints."""
LOCAL_NAMES = frozenset({"localhost", "localhost.", "ip6-localhost", "ip6-loopback"})
"""Names the resolver answers from /etc/hosts with a loopback address, never from DNS."""

Report = Callable[[str], None]


class Refused(ConnectionRefusedError):
    """A connection or datagram to an address off the machine, refused before it was made."""


class NameRefused(socket.gaierror):
    """A DNS lookup, refused before any query was sent."""


def is_loopback(host: object) -> bool:
    """Whether ``host`` (an address or a name, str or bytes) is this machine's loopback."""
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return host.lower() in LOCAL_NAMES
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def needs_dns(host: object) -> bool:
    """Whether resolving ``host`` may send a DNS query (a literal address never does)."""
    if host is None or host in ("", b""):
        return False
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    try:
        ipaddress.ip_address(str(host).split("%", 1)[0])
    except ValueError:
        return not is_loopback(host)
    return False


class _Guard:
    def __init__(self, report: Report) -> None:
        self.report = report
        self.undo: list[Callable[[], None]] = []

    def refuse(self, error: OSError) -> OSError:
        stack = "".join(traceback.format_stack()[:-2])
        self.report(f"{error}\nTraceback (most recent call last):\n{stack}")
        return error

    def check_address(self, family: int, address: object, what: str) -> None:
        if family not in (socket.AF_INET, socket.AF_INET6):
            return
        host = address[0] if isinstance(address, tuple) and address else address
        if not is_loopback(host):
            raise self.refuse(Refused(f"{MARKER} {what} to {address!r} (not loopback)"))

    def check_name(self, host: object, what: str) -> None:
        if needs_dns(host):
            raise self.refuse(NameRefused(socket.EAI_NONAME, f"{MARKER} {what} of {host!r}"))

    def patch(self, owner: Any, name: str, make: Callable[[Any], Any]) -> None:
        original = getattr(owner, name)
        own = name in vars(owner)  # else inherited: undo by deleting the override
        setattr(owner, name, functools.wraps(original)(make(original)))
        self.undo.append(lambda: setattr(owner, name, original) if own else delattr(owner, name))


def _socket_methods(guard: _Guard) -> None:
    def connect(original: Any) -> Any:
        def guarded(self: socket.socket, address: Any) -> Any:
            guard.check_address(self.family, address, "a connection")
            return original(self, address)

        return guarded

    def sendto(original: Any) -> Any:
        def guarded(self: socket.socket, data: Any, *rest: Any) -> Any:
            if rest:  # sendto(data, address) or sendto(data, flags, address)
                guard.check_address(self.family, rest[-1], "a datagram")
            return original(self, data, *rest)

        return guarded

    guard.patch(socket.socket, "connect", connect)
    guard.patch(socket.socket, "connect_ex", connect)
    guard.patch(socket.socket, "sendto", sendto)


def _resolver(guard: _Guard) -> None:
    def by_name(original: Any) -> Any:
        def guarded(host: Any, *rest: Any, **named: Any) -> Any:
            guard.check_name(host, "a lookup")
            return original(host, *rest, **named)

        return guarded

    for name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr"):
        guard.patch(socket, name, by_name)


def _event_loop(guard: _Guard, loop_class: type) -> None:
    """uvloop connects and resolves in C, never calling the socket functions above (asyncio's
    own loops do: ``sock_connect`` calls ``socket.connect``, ``getaddrinfo`` calls
    ``socket.getaddrinfo``, and ``create_connection`` calls both)."""

    def create_connection(original: Any) -> Any:
        async def guarded(
            self: Any, factory: Any, host: Any = None, *rest: Any, **named: Any
        ) -> Any:
            guard.check_name(host, "a lookup")
            if host is not None:
                guard.check_address(socket.AF_INET, (host,), "a connection")
            return await original(self, factory, host, *rest, **named)

        return guarded

    def sock_connect(original: Any) -> Any:
        async def guarded(self: Any, sock: socket.socket, address: Any) -> Any:
            guard.check_address(sock.family, address, "a connection")
            return await original(self, sock, address)

        return guarded

    def getaddrinfo(original: Any) -> Any:
        async def guarded(self: Any, host: Any, *rest: Any, **named: Any) -> Any:
            guard.check_name(host, "a lookup")
            return await original(self, host, *rest, **named)

        return guarded

    def datagrams(original: Any) -> Any:
        async def guarded(self: Any, factory: Any, *rest: Any, **named: Any) -> Any:
            remote = named.get("remote_addr") or (rest[1] if len(rest) > 1 else None)
            if remote is not None:
                guard.check_name(remote[0], "a lookup")
                guard.check_address(socket.AF_INET, remote, "a datagram")
            return await original(self, factory, *rest, **named)

        return guarded

    guard.patch(loop_class, "create_connection", create_connection)
    guard.patch(loop_class, "sock_connect", sock_connect)
    guard.patch(loop_class, "getaddrinfo", getaddrinfo)
    guard.patch(loop_class, "create_datagram_endpoint", datagrams)


class _PatchOnImport(importlib.abc.MetaPathFinder):
    """Guards uvloop's loop when (and if) a process imports it, without importing it here."""

    def __init__(self, guard: _Guard) -> None:
        self.guard = guard

    def find_spec(
        self, name: str, path: Sequence[str] | None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if name != "uvloop":
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        run = loader.exec_module
        guard = self.guard

        def exec_module(module: types.ModuleType) -> None:
            run(module)
            _event_loop(guard, module.Loop)

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


_installed: _Guard | None = None
_lock = threading.Lock()


def install(report: Report) -> None:
    """Guard this process from now on; ``report`` hears of each refusal (with its stack)."""
    global _installed
    with _lock:
        if _installed is not None:
            raise RuntimeError("the network guard is already installed")
        guard = _Guard(report)
        _socket_methods(guard)
        _resolver(guard)
        if "uvloop" in sys.modules:
            _event_loop(guard, sys.modules["uvloop"].Loop)
        else:
            finder = _PatchOnImport(guard)
            sys.meta_path.insert(0, finder)
            guard.undo.append(lambda: sys.meta_path.remove(finder))
        _installed = guard


def uninstall() -> None:
    global _installed
    with _lock:
        if _installed is not None:
            for undo in reversed(_installed.undo):
                undo()
            _installed = None


def report_to_stderr(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


@contextmanager
def installed(report: Report) -> Iterator[None]:
    install(report)
    try:
        yield
    finally:
        uninstall()
