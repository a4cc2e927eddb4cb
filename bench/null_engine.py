"""A zero-length local engine for ``bench.bench_queue``: whatever a job costs around it.

It writes three tiny placeholder files at once (the worker only stores them), so a job's
wall time is the queue, the render child, storage and the database.  Each file holds the
wall-clock time the engine ran, which the benchmark reads back from storage to split a job's
time into phases.  Name it in a catalogue as ``bench.null_engine:NullEngine``.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from reelway.engines import base


class NullEngine:
    """Renders nothing, instantly."""

    info = base.EngineInfo(name="null", capabilities=frozenset())

    def render(
        self,
        request: base.GenerationRequest,
        output: base.RenderOutput,
        progress: base.ProgressCallback,
    ) -> base.RenderResult:
        stamp = f"{time.time():.6f}\n".encode()
        for path in (output.video, output.thumbnail, output.spritesheet):
            path.write_bytes(stamp)
        return base.RenderResult(duration=0.0, frames=0, fps=0.0, has_audio=False)


if TYPE_CHECKING:
    _protocol_check: base.LocalEngine = NullEngine()
