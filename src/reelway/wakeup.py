"""The in-process wake-up after an enqueue.

The runtime makes one ``Wakeup`` when it opens and hands it to the video service (which rings
it after each enqueue) and to every worker built from it (which listens), so no part is
patched on after construction.  Workers in other processes never hear it; they poll.
"""

from __future__ import annotations

from collections.abc import Callable


class Wakeup:
    """A bell with any number of listeners; ringing one that has none is a no-op."""

    def __init__(self) -> None:
        self._listeners: list[Callable[[], None]] = []

    def listen(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` on every ring from now on (a worker's ``notify``)."""
        self._listeners.append(callback)

    def notify(self) -> None:
        """New work was queued in this process."""
        for callback in self._listeners:
            callback()
