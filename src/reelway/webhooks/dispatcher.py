"""Delivering the outbox: claim due deliveries, sign, POST, record; at least once.

Every Reelway process that runs workers runs one dispatcher.  A delivery keeps its
``webhook-id`` and body on every attempt; each attempt gets a fresh timestamp and signature
(receivers refuse timestamps older than five minutes).  Failures are retried on the
operator's schedule (about three days by default), from the database, so no coroutine sleeps
on a retry and a restart loses nothing.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time

import httpx

from reelway import errors
from reelway.store.webhooks import Claimed, Outcome, WebhookStore
from reelway.webhooks import sender, signing

log = logging.getLogger(__name__)

LEASE_MARGIN_SECONDS = 30.0


class Dispatcher:
    def __init__(
        self,
        store: WebhookStore,
        *,
        concurrency: int,
        timeout_seconds: float,
        poll_seconds: float,
        allow_private: bool,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """``transport`` replaces httpx's network transport (tests put a failing one there)."""
        self.store = store
        self.concurrency = concurrency
        self.timeout_seconds = timeout_seconds
        self.poll_seconds = poll_seconds
        self.allow_private = allow_private
        self.transport = transport
        self.owner = f"{socket.gethostname()}:{os.getpid()}"
        self.wake = asyncio.Event()
        self._slots = asyncio.Semaphore(concurrency)
        self._sending: set[asyncio.Task[None]] = set()

    def notify(self) -> None:
        """Something may have been queued: look now rather than at the next poll."""
        self.wake.set()

    async def run(self, stopping: asyncio.Event) -> None:
        """Deliver until ``stopping`` is set; attempts under way are given a moment to end
        (an interrupted one is retried after its lease lapses)."""
        async with httpx.AsyncClient(
            follow_redirects=False, trust_env=False, transport=self.transport
        ) as client:
            try:
                while not stopping.is_set():
                    claimed = await self._claim()
                    for item in claimed:
                        await self._slots.acquire()
                        task = asyncio.create_task(self._deliver(client, item))
                        self._sending.add(task)
                        task.add_done_callback(self._sending.discard)
                    if len(claimed) < self._free_slots() or not claimed:
                        await self._idle(stopping)
            finally:
                if self._sending:
                    await asyncio.wait(self._sending, timeout=self.timeout_seconds + 1)
                for task in self._sending:
                    task.cancel()

    def _free_slots(self) -> int:
        return self.concurrency - len(self._sending)

    async def _claim(self) -> list[Claimed]:
        free = self._free_slots()
        if free <= 0:
            return []
        try:
            return await self.store.claim(
                self.owner, free, self.timeout_seconds + LEASE_MARGIN_SECONDS
            )
        except errors.DatabaseUnavailable:
            log.warning("webhooks: database unavailable; trying again shortly")
        except Exception:
            log.exception("webhooks: claiming deliveries failed; trying again shortly")
        return []

    async def _idle(self, stopping: asyncio.Event) -> None:
        waiters = [asyncio.ensure_future(self.wake.wait()), asyncio.ensure_future(stopping.wait())]
        try:
            await asyncio.wait(waiters, timeout=self.poll_seconds, return_when="FIRST_COMPLETED")
        finally:
            for waiter in waiters:
                waiter.cancel()
        self.wake.clear()

    async def _deliver(self, client: httpx.AsyncClient, claimed: Claimed) -> None:
        try:
            outcome = await self.attempt(client, claimed)
            recorded = await self.store.record(claimed, outcome)
            delivery = claimed.delivery
            if recorded is None:
                log.warning("webhook %s: lease lost before its outcome was recorded", delivery.id)
            elif outcome.delivered:
                log.info(
                    "webhook %s (%s, event %s) delivered to %s: HTTP %s, attempt %d",
                    delivery.id,
                    delivery.event_type,
                    delivery.event_id,
                    claimed.endpoint.id,
                    outcome.status_code,
                    delivery.attempts,
                )
            else:
                log.warning(
                    "webhook %s (%s) to %s failed on attempt %d: %s; %s",
                    delivery.id,
                    delivery.event_type,
                    claimed.endpoint.id,
                    delivery.attempts,
                    outcome.error,
                    "retrying at "
                    + time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(recorded.next_attempt_at))
                    if recorded.status == "pending"
                    else f"status {recorded.status}",
                )
        except errors.DatabaseUnavailable:
            log.warning("webhook %s: database unavailable; it will be retried", claimed.delivery.id)
        except Exception:
            log.exception("webhook %s: delivery failed unexpectedly", claimed.delivery.id)
        finally:
            self._slots.release()
            self.wake.set()

    async def attempt(self, client: httpx.AsyncClient, claimed: Claimed) -> Outcome:
        now = time.time()
        delivery = claimed.delivery
        headers = signing.headers(
            claimed.endpoint.secrets_at(now), delivery.id, int(now), delivery.payload
        )
        return await sender.post(
            client,
            claimed.endpoint.url,
            delivery.payload,
            headers,
            timeout_seconds=self.timeout_seconds,
            allow_private=self.allow_private,
        )
