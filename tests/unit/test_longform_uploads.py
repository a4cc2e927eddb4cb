"""An uploaded source refused by the use case's own checks (here: a model without edits) is
removed from the scratch folder, as a refusal after admission removes it."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from reelway import catalog, errors, service
from reelway.longform import Longform
from reelway.media import encode


def _mp4(path: Path) -> bytes:
    with encode.Mp4Writer(path, 1280, 720, 8, audio=False) as writer:
        for _ in range(4 * 8):
            writer.write_frame(np.full((720, 1280, 3), 90, np.uint8))
    return path.read_bytes()


async def test_an_upload_refused_for_a_model_without_edits_is_removed(tmp_path: Path) -> None:
    served = catalog.load(None)
    without = catalog.Catalog(
        dataclasses.replace(m, capabilities=m.capabilities - {catalog.Capability.EDITS})
        for m in served.models
    )
    scratch = tmp_path / "tmp"

    async def admit(caller: Any, ask: Any, plan: Any) -> Any:
        return await plan("the same, in snow")

    videos: Any = SimpleNamespace(
        catalog=without, settings=SimpleNamespace(tmp_dir=scratch), admit=admit
    )
    upload = service.Upload("a.mp4", io.BytesIO(_mp4(tmp_path / "a.mp4")))
    caller = service.Caller(project_id="proj", key_id="k")
    with pytest.raises(errors.UnsupportedParameter) as refused:
        await Longform(videos).edit(caller, {"prompt": "the same, in snow", "video": upload})
    assert refused.value.param == "video"
    assert not list(scratch.glob("source-upload-*")), "the refused upload was left behind"
