"""A receiver hanging up at any moment is a normal network event: the dispatcher records a
failed attempt, to be retried, and logs no traceback (which would also fail the acceptance
servers' no-traceback check).  A bug in the dispatcher's own code is still logged with one.

Each test runs the dispatcher on the event loop ``reelway serve`` uses (uvloop) and on
asyncio's own, against a real SQLite database and real sockets on loopback.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import uvloop

from reelway.store import outbox
from reelway.store.database import Database
from reelway.store.keys import KeyStore
from reelway.store.webhooks import Delivery, WebhookStore
from reelway.webhooks import sender, signing
from reelway.webhooks.dispatcher import Dispatcher
from tests import waiting
from tests.fakes.receiver import HANG_UPS, HangingUp, Receiver

T = TypeVar("T")
LOOPS: dict[str, Callable[[], asyncio.AbstractEventLoop]] = {
    "uvloop": uvloop.new_event_loop,
    "asyncio": asyncio.new_event_loop,
}
RETRY_AFTER = 3600.0
LIMIT = 30.0


def _on(loop: str, main: Callable[[], Awaitable[T]]) -> T:
    async def run() -> T:
        return await main()

    with asyncio.Runner(loop_factory=LOOPS[loop]) as runner:
        return runner.run(run())


def _tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        f"{r.levelname} {r.name}: {r.getMessage()}"
        for r in caplog.records
        if r.exc_info or r.levelno >= logging.ERROR
    ]


class Hooks:
    """A migrated SQLite database with one project, its webhook store and a dispatcher."""

    def __init__(self, db: Database, project_id: str, store: WebhookStore) -> None:
        self.db, self.project_id, self.store = db, project_id, store

    async def endpoint(self, name: str, url: str, types: list[str]) -> str:
        endpoint_id = f"we_{name}"
        await self.store.create(
            self.project_id, endpoint_id, name, url, types, signing.new_secret()
        )
        return endpoint_id

    async def emit(self, event_type: str, video_id: str) -> None:
        await self.db.write(
            lambda conn: outbox.emit(
                conn,
                project_id=self.project_id,
                event_type=event_type,
                data={"id": video_id},
                now=time.time(),
            )
        )

    async def settled(self, endpoint_id: str) -> Delivery:
        """The endpoint's one delivery, once an attempt at it has been recorded."""

        async def probe() -> list[Delivery]:
            return await self.store.deliveries(self.project_id, endpoint_id)

        (found,) = await waiting.until_async(
            probe,
            lambda ds: len(ds) == 1 and ds[0].attempts >= 1 and ds[0].status != "sending",
            limit=LIMIT,
            what=f"an attempt at {endpoint_id} to be recorded",
        )
        return found

    async def dispatching(
        self, work: Callable[[], Awaitable[T]], transport: httpx.AsyncBaseTransport | None = None
    ) -> T:
        """``work()`` while a dispatcher runs (stopped, with a deadline, afterwards)."""
        dispatcher = Dispatcher(
            self.store,
            concurrency=4,
            timeout_seconds=2,
            poll_seconds=0.05,
            allow_private=True,
            transport=transport,
        )
        stopping = asyncio.Event()
        running = asyncio.create_task(dispatcher.run(stopping))
        try:
            return await work()
        finally:
            stopping.set()
            await asyncio.wait_for(running, LIMIT)


def _with_hooks(tmp_path: Path, loop: str, main: Callable[[Hooks], Awaitable[T]]) -> T:
    async def run() -> T:
        db = Database(f"sqlite:///{tmp_path / 'reelway.db'}")
        await db.migrate()
        try:
            project, _ = await KeyStore(db).ensure_project("hooks")
            store = WebhookStore(db, retry_schedule=(RETRY_AFTER,))
            return await main(Hooks(db, project.id, store))
        finally:
            await db.close()

    return _on(loop, run)


@pytest.fixture
def good() -> Iterator[Receiver]:
    fake = Receiver()
    yield fake
    fake.close()


@pytest.mark.parametrize("loop", LOOPS)
@pytest.mark.parametrize("mode", [m for m in HANG_UPS if m != "reset-soon"])
def test_a_receiver_hanging_up_is_a_failed_attempt_to_retry(
    tmp_path: Path, loop: str, mode: str, good: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    rude = HangingUp(mode)

    async def main(hooks: Hooks) -> tuple[Delivery, Delivery]:
        rude_id = await hooks.endpoint("rude", rude.url(), [outbox.VIDEO_COMPLETED])
        good_id = await hooks.endpoint("good", good.url("good"), [outbox.VIDEO_FAILED])

        async def work() -> tuple[Delivery, Delivery]:
            await hooks.emit(outbox.VIDEO_COMPLETED, "video_1")
            failed = await hooks.settled(rude_id)
            # The same client still delivers afterwards: the hang-up broke nothing.
            await hooks.emit(outbox.VIDEO_FAILED, "video_2")
            return failed, await hooks.settled(good_id)

        return await hooks.dispatching(work)

    try:
        failed, delivered = _with_hooks(tmp_path, loop, main)
    finally:
        rude.close()
    assert rude.connections >= 1
    assert failed.status == "pending" and failed.attempts == 1, failed
    assert failed.last_status_code is None and failed.last_error, failed
    assert failed.next_attempt_at > time.time() + RETRY_AFTER / 2, failed
    assert delivered.status == "delivered" and delivered.last_status_code == 200
    assert _tracebacks(caplog) == []
    assert any("failed on attempt 1" in r.getMessage() for r in caplog.records)


class Raising(httpx.AsyncBaseTransport):
    """A transport that fails from inside the client's send, as httpcore does on uvloop when
    a socket is reset just after it connects."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise AttributeError("'NoneType' object has no attribute 'getpeername'")


@pytest.mark.parametrize("loop", LOOPS)
def test_anything_the_http_client_raises_is_a_failed_attempt(
    tmp_path: Path, loop: str, caplog: pytest.LogCaptureFixture
) -> None:
    async def main(hooks: Hooks) -> Delivery:
        endpoint_id = await hooks.endpoint(
            "odd", "http://127.0.0.1:9/hooks/odd", [outbox.VIDEO_COMPLETED]
        )

        async def work() -> Delivery:
            await hooks.emit(outbox.VIDEO_COMPLETED, "video_1")
            return await hooks.settled(endpoint_id)

        return await hooks.dispatching(work, transport=Raising())

    failed = _with_hooks(tmp_path, loop, main)
    assert failed.status == "pending" and failed.attempts == 1, failed
    assert "AttributeError" in (failed.last_error or ""), failed
    assert _tracebacks(caplog) == []


def test_a_socket_reset_just_after_connecting_never_escapes_the_sender() -> None:
    """The real race behind the AttributeError: on uvloop, a reset that lands between
    connecting and httpcore's first look at the socket.  It is timing-dependent, so the
    test makes hundreds of attempts; every one must come back as a failed ``Outcome``."""
    rude = HangingUp("reset-soon")

    async def main() -> list[Any]:
        outcomes = []
        async with httpx.AsyncClient(trust_env=False) as client:
            for _ in range(300):
                outcomes.append(
                    await sender.post(
                        client,
                        rude.url(),
                        "{}",
                        {},
                        timeout_seconds=2,
                        allow_private=True,
                    )
                )
        return outcomes

    try:
        outcomes = _on("uvloop", main)
    finally:
        rude.close()
    assert len(outcomes) == 300
    assert all(o.status_code is None and o.error for o in outcomes), outcomes


def test_a_bug_in_the_dispatcher_itself_is_still_logged_with_its_traceback(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    good: Receiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(*args: object) -> dict[str, str]:
        raise RuntimeError("a bug in signing")

    monkeypatch.setattr(signing, "headers", broken)

    async def main(hooks: Hooks) -> None:
        await hooks.endpoint("good", good.url("good"), [outbox.VIDEO_COMPLETED])

        async def logged() -> list[str]:
            return _tracebacks(caplog)

        async def work() -> None:
            await hooks.emit(outbox.VIDEO_COMPLETED, "video_1")
            await waiting.until_async(
                logged,
                bool,
                limit=LIMIT,
                what="the bug to be logged",
            )

        await hooks.dispatching(work)

    _with_hooks(tmp_path, "uvloop", main)
    (logged,) = [r for r in caplog.records if r.exc_info]
    assert "delivery failed unexpectedly" in logged.getMessage()
    assert logged.exc_info and isinstance(logged.exc_info[1], RuntimeError)
    assert good.received == []
