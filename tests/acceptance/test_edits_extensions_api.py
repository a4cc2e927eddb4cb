"""Edits and extensions through the official SDK: what is refused (with its code and param)
and what is queued (kind, total seconds, charge).  The rendering is the engines' (see
test_longform.py); here only admission is judged.  Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import openai
import pytest
from PIL import Image

from tests import backends, harness
from tests.acceptance.conftest import finished, sdk_client
from tests.faces import face_image

Video = openai.types.Video
IN_BODY: Any = openai.NOT_GIVEN
"""``video`` left to ``extra_body={"video": {"id": ...}}`` (sent as a ``video[id]`` part): the
Python SDK refuses a dict for ``video`` before sending."""


def _mp4(
    path: Path, width: int, height: int, seconds: int, fps: int = 1, image: bytes | None = None
) -> bytes:
    """An H.264 clip of one still (solid colour unless ``image``): tiny even when long."""
    from reelway.media import encode

    frame = np.full((height, width, 3), (200, 120, 40), dtype=np.uint8)
    if image is not None:
        frame = np.asarray(Image.open(io.BytesIO(image)).convert("RGB"))
    with encode.Mp4Writer(path, width, height, fps, audio=False) as writer:
        for _ in range(seconds * fps):
            writer.write_frame(frame)
    return path.read_bytes()


def _post(client: openai.OpenAI, path: str, body: dict[str, Any]) -> Video:
    """A JSON body, as the guide and OpenAI's Sora skill send it."""
    return client.post(path, body=body, cast_to=Video)


def _error(caught: pytest.ExceptionInfo[openai.APIStatusError]) -> tuple[str | None, str | None]:
    body = caught.value.body
    assert isinstance(body, dict), body
    return body.get("code"), body.get("param")


@pytest.fixture(scope="module")
def source(server: harness.Server) -> Iterator[tuple[openai.OpenAI, Video]]:
    """A project with one completed 4 s sora-2 video."""
    with sdk_client(server, server.create_key("longform-refusals")) as client:
        video = finished(client, client.videos.create(prompt="a lighthouse at dusk").id)
        assert video.status == "completed", video.error
        yield client, video


def test_edit_refusals_name_their_parameter(
    source: tuple[openai.OpenAI, Video], other_client: openai.OpenAI, tmp_path: Path
) -> None:
    client, video = source
    with pytest.raises(openai.BadRequestError) as missing:
        _post(client, "/videos/edits", {"prompt": "make it snow"})
    assert _error(missing) == ("missing_required_parameter", "video")

    with pytest.raises(openai.NotFoundError) as unknown:
        client.videos.edit(
            prompt="make it snow", video=IN_BODY, extra_body={"video": {"id": "video_x"}}
        )
    assert _error(unknown) == ("video_not_found", "video")

    # Another project's video is not found either (multipart video[id] and JSON alike).
    with pytest.raises(openai.NotFoundError) as foreign:
        other_client.videos.edit(
            prompt="make it snow", video=IN_BODY, extra_body={"video": {"id": video.id}}
        )
    assert _error(foreign) == ("video_not_found", "video")

    with pytest.raises(openai.BadRequestError) as junk:
        client.videos.edit(prompt="make it snow", video=("clip.mp4", b"not a video", "video/mp4"))
    assert _error(junk) == ("invalid_video", "video")

    small = _mp4(tmp_path / "small.mp4", 128, 72, 2)
    with pytest.raises(openai.BadRequestError) as size:
        client.videos.edit(prompt="make it snow", video=("small.mp4", small, "video/mp4"))
    assert _error(size) == ("video_size_not_allowed", "video")
    assert "1280x720" in size.value.message

    face = _mp4(tmp_path / "face.mp4", 1280, 720, 2, image=face_image(1280, 720))
    with pytest.raises(openai.BadRequestError) as blocked:
        client.videos.edit(prompt="she smiles", video=("me.mp4", face, "video/mp4"))
    assert _error(blocked) == ("sentinel_block", "video")
    assert isinstance(blocked.value.body, dict)
    assert blocked.value.body["category"] == "human_faces"
    assert "uploaded video" in blocked.value.message

    with pytest.raises(openai.BadRequestError) as model:
        _post(
            client,
            "/videos/edits",
            {"prompt": "make it snow", "video": {"id": video.id}, "model": "sora-2-pro"},
        )
    assert _error(model) == ("invalid_value", "model")

    with pytest.raises(openai.BadRequestError) as shape:
        _post(client, "/videos/edits", {"prompt": "make it snow", "video": video.id})
    assert _error(shape) == ("invalid_value", "video")

    with pytest.raises(openai.BadRequestError) as seconds:
        _post(
            client, "/videos/edits", {"prompt": "snow", "video": {"id": video.id}, "seconds": "8"}
        )
    assert _error(seconds) == ("unknown_parameter", "seconds")


def test_a_source_still_rendering_is_refused(source: tuple[openai.OpenAI, Video]) -> None:
    client, _ = source
    long_shot = {"model": "sora-2-pro", "size": "1920x1080", "seconds": "20"}
    slow = _post(client, "/videos", {"prompt": "a crane shot over a harbour", **long_shot})
    with pytest.raises(openai.BadRequestError) as caught:
        client.videos.extend(
            prompt="on", seconds="4", video=IN_BODY, extra_body={"video": {"id": slow.id}}
        )
    assert _error(caught) == ("video_not_ready", "video")
    client.videos.delete(slow.id)


def test_extension_refusals_name_their_parameter(
    server: harness.Server, source: tuple[openai.OpenAI, Video], tmp_path: Path
) -> None:
    client, video = source
    by_id = {"video": {"id": video.id}}

    with pytest.raises(openai.BadRequestError) as characters:
        client.videos.extend(
            prompt="Mossy walks on",
            seconds="4",
            video=IN_BODY,
            extra_body={**by_id, "characters": [{"id": "char_123"}]},
        )
    assert _error(characters) == ("not_allowed_on_extension", "characters")

    with pytest.raises(openai.BadRequestError) as image:
        _post(
            client,
            "/videos/extensions",
            {
                **by_id,
                "prompt": "on",
                "seconds": "4",
                "input_reference": {"image_url": "data:image/png;base64,AAAA"},
            },
        )
    assert _error(image) == ("not_allowed_on_extension", "input_reference")

    with pytest.raises(openai.BadRequestError) as missing:
        _post(client, "/videos/extensions", {**by_id, "prompt": "on"})
    assert _error(missing) == ("missing_required_parameter", "seconds")

    with pytest.raises(openai.BadRequestError) as odd:
        _post(client, "/videos/extensions", {**by_id, "prompt": "on", "seconds": "5"})
    assert _error(odd) == ("invalid_value", "seconds")

    # An uploaded 110 s source (a size sora-2 makes) leaves room for 10 s, not 12.
    long = _mp4(tmp_path / "long.mp4", 720, 1280, 110)
    with pytest.raises(openai.BadRequestError) as too_long:
        client.videos.extend(prompt="on", seconds="12", video=("long.mp4", long, "video/mp4"))
    assert _error(too_long) == ("video_too_long", "seconds")
    assert "at most 10 s" in too_long.value.message
    scratch = server.data_dir / "tmp"
    assert not list(scratch.glob("source-upload-*")), "refused uploads are removed"


def test_extension_and_edit_of_a_completed_video_are_queued_with_their_lengths(
    source: tuple[openai.OpenAI, Video],
) -> None:
    client, video = source
    extended = client.videos.extend(
        prompt="the light sweeps on across the waves",
        seconds="8",
        video=IN_BODY,
        extra_body={"video": {"id": video.id}},
    )
    assert (extended.model, extended.size, extended.seconds) == ("sora-2", video.size, "12")
    assert extended.status in ("queued", "in_progress")
    edited = _post(
        client, "/videos/edits", {"prompt": "the same at noon", "video": {"id": video.id}}
    )
    assert (edited.model, edited.size, edited.seconds) == ("sora-2", video.size, "4")
    for made in (extended, edited):
        finished(client, made.id)  # whatever the engine does, the server stays healthy


# ---------------------------------------------------------------------- what is stored


@pytest.fixture
def no_worker(processes: list[harness.Process], tmp_path: Path) -> harness.Server:
    """A server whose jobs stay queued: what admission stored can be read as it is."""
    server = harness.Server(
        backends.Deployment("sqlite", tmp_path / "data"), {"REELWAY_WORKERS": "0"}
    )
    processes.append(server)
    return server


def _rows(server: harness.Server) -> dict[str, tuple[str, str, dict[str, Any]]]:
    with sqlite3.connect(server.data_dir / "reelway.db") as db:
        found = db.execute("SELECT id, kind, seconds, sources FROM videos").fetchall()
    return {
        id: (kind, seconds, json.loads(sources or "null") or {})
        for id, kind, seconds, sources in found
    }


def _charge(server: harness.Server, video_id: str) -> dict[str, Any]:
    report = json.loads(server.cli("doctor", video_id, "--json"))
    charge: dict[str, Any] = report["charge"]
    return charge


def test_uploads_are_stored_and_an_extension_reserves_its_new_seconds_only(
    no_worker: harness.Server, tmp_path: Path
) -> None:
    clip = _mp4(tmp_path / "clip.mp4", 720, 1280, 4, fps=8)
    with sdk_client(no_worker, no_worker.create_key("uploads")) as client:
        edited = client.videos.edit(
            prompt="the same, in snow", video=("clip.mp4", clip, "video/mp4")
        )
        extended = client.videos.extend(
            prompt="and on", seconds="8", video=("clip.mp4", clip, "video/mp4")
        )
    assert (edited.seconds, extended.seconds) == ("4", "12")
    rows = _rows(no_worker)
    kind, seconds, sources = rows[edited.id]
    assert (kind, seconds) == ("edit", "4")
    assert sources == {"file": f"videos/{edited.id}/source.mp4"}
    kind, seconds, sources = rows[extended.id]
    assert (kind, seconds) == ("extend", "12")
    assert sources == {
        "file": f"videos/{extended.id}/source.mp4",
        "extends_seconds": 4,
        "extensions": 1,
    }
    stored = no_worker.data_dir / "files" / "videos" / extended.id / "source.mp4"
    assert stored.read_bytes() == clip  # the local storage's layout
    # sora-2 at 720p is 16 credits and $0.10 a second: the edit holds 4 s, the extension 8.
    edit_charge, extend_charge = _charge(no_worker, edited.id), _charge(no_worker, extended.id)
    assert (edit_charge["credits_reserved"], edit_charge["usd_micros_reserved"]) == (64, 400_000)
    assert (extend_charge["credits_reserved"], extend_charge["usd_micros_reserved"]) == (
        128,
        800_000,
    )
    usage = httpx.get(
        f"{no_worker.base_url}/usage",
        headers={"Authorization": f"Bearer {client.api_key}"},
        timeout=30,
    ).json()
    assert usage["project"]["period"]["credits_reserved"] == 64 + 128
    assert not list((no_worker.data_dir / "tmp").glob("source-upload-*")), "uploads cleaned up"
