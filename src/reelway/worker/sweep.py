"""Render folders nobody will clean: a worker removes its job's folder under the data
directory's ``tmp/`` when the job ends, but a killed worker never gets there.

Every reaper pass (the first at start-up) removes each folder whose lease no worker holds. A
folder is named ``{video id}-{first 8 characters of the lease token}``; it is kept while the
store says that video is running under that token.  This is safe with any number of workers
and processes on one data directory: a worker creates its folder only after its claim is
committed, and the sweeper lists folders *before* it asks the store, so a listed folder whose
lease the store does not show has ended or been taken over (its worker, if still alive, is
fenced out and removes the folder too).  Anything else in ``tmp/`` is removed once it is a
day old.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from reelway.store.queue import QueueStore

log = logging.getLogger(__name__)

FOLDER = re.compile(r"^(?P<video>video_[0-9A-Za-z]+)-(?P<token>[0-9a-f]{8})$")
UNKNOWN_AGE_SECONDS = 86400.0
"""Something in ``tmp/`` that is not a render folder goes once it is this old."""


@dataclass(frozen=True)
class Entry:
    name: str
    modified_at: float


async def sweep(
    tmp_dir: Path,
    store: QueueStore,
    *,
    unknown_age_seconds: float = UNKNOWN_AGE_SECONDS,
    now: float | None = None,
) -> list[str]:
    """Remove the render folders no live lease owns; returns the names removed."""
    entries = await asyncio.to_thread(_entries, tmp_dir)
    if not entries:
        return []
    matches = {entry.name: FOLDER.match(entry.name) for entry in entries}
    held = await store.held_leases({m["video"] for m in matches.values() if m is not None})
    now = time.time() if now is None else now
    doomed: list[str] = []
    for entry in entries:
        match = matches[entry.name]
        if match is None:
            if now - entry.modified_at >= unknown_age_seconds:
                doomed.append(entry.name)
        elif not held.get(match["video"], "").startswith(match["token"]):
            doomed.append(entry.name)
    removed = await asyncio.to_thread(_remove, tmp_dir, doomed)
    if removed:
        log.info("removed %d render folder(s) left behind: %s", len(removed), ", ".join(removed))
    return removed


def _entries(tmp_dir: Path) -> list[Entry]:
    found: list[Entry] = []
    try:
        scan = os.scandir(tmp_dir)
    except FileNotFoundError:
        return found
    with scan:
        for item in scan:
            try:
                found.append(Entry(item.name, item.stat(follow_symlinks=False).st_mtime))
            except FileNotFoundError:  # another sweeper or its worker removed it meanwhile
                continue
    return found


def _remove(tmp_dir: Path, names: list[str]) -> list[str]:
    """Remove each entry; another sweeper removing the same ones at once is no error."""
    removed: list[str] = []
    for name in names:
        path = tmp_dir / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)  # a file already gone is no error
        else:
            with contextlib.suppress(OSError):  # checked below
                path.unlink(missing_ok=True)
        if os.path.lexists(path):
            log.warning("could not remove %s from the render folder; trying again later", path)
        else:
            removed.append(name)
    return removed
