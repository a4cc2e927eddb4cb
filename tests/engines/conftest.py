from __future__ import annotations

from pathlib import Path

import pytest

from reelway.engines import base
from reelway.engines.animatic.engine import AnimaticEngine
from tests.engines.contract import pytest_generate_tests  # noqa: F401  (parametrizes `case`)


@pytest.fixture(scope="session")
def clip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A small real MP4 that every fake provider serves as its result."""
    folder: Path = tmp_path_factory.mktemp("clip")
    output = base.RenderOutput(folder / "v.mp4", folder / "t.webp", folder / "s.jpg")
    request = base.GenerationRequest("video_clip", "fake", "a kite over a beach", 320, 180, 1, 1)
    AnimaticEngine().render(request, output, lambda _: None)
    return output.video.read_bytes()
