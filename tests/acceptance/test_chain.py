"""Reelway A routes sora-2 to an openai_compat engine pointed at Reelway B (animatic): the
official SDK against A gets B's video, B's previews and a real upstream remix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from tests import backends, harness, media_checks
from tests.acceptance.conftest import finished, sdk_client


def test_a_reelway_in_front_of_a_reelway(
    server: harness.Server, processes: list[harness.Process], tmp_path: Path
) -> None:
    upstream_key = server.create_key("chain-upstream")
    config = tmp_path / "a.toml"
    config.write_text(
        "[engines.upstream]\n"
        'type = "openai_compat"\n'
        f'base_url = "{server.base_url}"\n'
        'api_key = "env:UPSTREAM_KEY"\n\n'
        '[models."sora-2"]\n'
        'route = ["upstream", "animatic"]\n'
    )
    front = harness.Server(
        backends.Deployment("sqlite", tmp_path / "a-data"),
        {"UPSTREAM_KEY": upstream_key, "REELWAY_REMOTE_POLL_SECONDS": "0.2"},
        "--config",
        str(config),
    )
    processes.append(front)
    with (
        sdk_client(front, front.create_key("chain-user")) as a,
        sdk_client(server, upstream_key) as b,
    ):
        video = a.videos.create(prompt="a lighthouse at dusk", model="sora-2", seconds="4")
        done = finished(a, video.id, 90)
        assert done.status == "completed", done.error
        (made_by_b,) = b.videos.list().data
        assert made_by_b.prompt == "a lighthouse at dusk"
        # A re-signs B's file with B's file as the parent ingredient: the pixels are B's, the
        # manifest is A's, and B's manifest is kept inside it.
        from_a = media_checks.decode_mp4(a.videos.download_content(video.id).content)
        from_b = media_checks.decode_mp4(b.videos.download_content(made_by_b.id).content)
        assert np.array_equal(from_a.first_frame, from_b.first_frame)
        assert (from_a.frames, from_a.duration) == (from_b.frames, from_b.duration)
        assert (from_a.provenance.generation or {})["video_id"] == video.id
        assert (from_b.provenance.generation or {})["video_id"] == made_by_b.id
        (parent,) = from_a.provenance.ingredients
        assert parent["relationship"] == "parentOf" and parent["has_manifest"], parent
        assert parent["validation_state"] == "Valid", parent
        assert (parent["generator"] or "").startswith("Reelway"), parent
        download: Any = a.videos.download_content
        for variant, mime in (("thumbnail", "image/webp"), ("spritesheet", "image/jpeg")):
            image = download(video.id, variant=variant).content
            media_checks.assert_signed(media_checks.read_provenance(image, mime))

        remix = a.videos.remix(video.id, prompt="the same lighthouse in a storm")
        remixed = finished(a, remix.id, 90)
        assert remixed.status == "completed", remixed.error
        assert remixed.remixed_from_video_id == video.id
        upstream_remixes = [v for v in b.videos.list().data if v.remixed_from_video_id]
        assert [v.remixed_from_video_id for v in upstream_remixes] == [made_by_b.id], (
            "A asked B for a real remix of B's own video"
        )
    assert front.terminate() == 0, front.output
