"""The Files API through the official openai SDK (create, retrieve, list, content, delete),
its limits and expiry, and files as a video's input (``input_reference.file_id``, an edit's
``video.file_id``), on SQLite + local storage and PostgreSQL + S3.

A server of its own: a file limit (10 MiB) above the request limit (8 MiB) that every other
route keeps, and a one-second reaper so an expired file's sweep is seen quickly.
"""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import openai
import pytest

from tests import backends, faces, harness, media_checks, waiting
from tests.acceptance.conftest import SERVER_ENV, finished, refused, sdk_client
from tests.conftest import deployment_for

MAX_FILE_BYTES = 10 * 1024 * 1024
FILES_ENV = {
    **SERVER_ENV,
    "REELWAY_MAX_FILE_BYTES": str(MAX_FILE_BYTES),
    "REELWAY_REAP_INTERVAL_SECONDS": "1",
}
FILE_KEYS = {
    "id",
    "object",
    "bytes",
    "created_at",
    "expires_at",
    "filename",
    "purpose",
    "status",
    "status_details",
}
BATCH = b'{"custom_id": "one", "method": "POST", "url": "/v1/videos", "body": {"prompt": "x"}}\n'
IN_BODY: Any = openai.NOT_GIVEN
"""An edit's ``video`` left to ``extra_body`` (the SDK takes only an upload there)."""


@pytest.fixture(scope="module", params=backends.BACKENDS)
def files_server(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    postgres_missing: str | None,
    moto: backends.MotoServer,
) -> Iterator[harness.Server]:
    data_dir = tmp_path_factory.mktemp(f"files-{request.param}") / "data"
    deployment = deployment_for(request, request.param, data_dir, postgres_missing, moto)
    with harness.serving(deployment, FILES_ENV) as srv:
        yield srv


@pytest.fixture
def client(files_server: harness.Server, request: pytest.FixtureRequest) -> Iterator[openai.OpenAI]:
    """A client for a project of its own (lists and usage start empty)."""
    with sdk_client(files_server, files_server.create_key(f"f-{request.node.name[:40]}")) as sdk:
        yield sdk


@pytest.fixture(scope="module")
def other(files_server: harness.Server) -> Iterator[openai.OpenAI]:
    with sdk_client(files_server, files_server.create_key("files-other")) as sdk:
        yield sdk


def raw(client: openai.OpenAI, method: str, path: str, **kwargs: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {client.api_key}"}
    url = str(client.base_url).rstrip("/") + path
    return httpx.request(method, url, headers=headers, timeout=60, **kwargs)


def test_every_method_of_the_sdk(
    files_server: harness.Server,
    client: openai.OpenAI,
    other: openai.OpenAI,
    request: pytest.FixtureRequest,
) -> None:
    png = media_checks.solid_image(64, 32, "PNG", (10, 200, 30))
    image = client.files.create(file=("frame.png", png, "image/png"), purpose="vision")
    assert image.id.startswith("file-") and image.object == "file"
    assert (image.bytes, image.filename, image.purpose) == (len(png), "frame.png", "vision")
    assert image.status == "processed" and image.expires_at is not None
    assert image.expires_at - image.created_at == 30 * 86_400  # the operator's default
    batch = client.files.create(file=("in.jsonl", BATCH), purpose="batch")
    assert set(raw(client, "GET", f"/files/{batch.id}").json()) == FILE_KEYS

    again = client.files.retrieve(image.id)
    assert again.model_dump() == image.model_dump()
    assert client.files.content(image.id).content == png
    assert client.files.content(batch.id).content == BATCH
    assert [f.id for f in client.files.list()] == [batch.id, image.id]

    usage = raw(client, "GET", "/usage").json()
    assert usage["project"]["files"] == {"count": 2, "bytes": len(png) + len(BATCH)}
    shown = files_server.cli("projects", "show", f"f-{request.node.name[:40]}")
    assert f"files: 2 stored, {len(png) + len(BATCH):,} bytes" in shown

    for call in (
        lambda: other.files.retrieve(image.id),
        lambda: other.files.content(image.id),
        lambda: other.files.delete(image.id),
    ):
        with pytest.raises(openai.NotFoundError) as caught:
            call()  # another project's key: as if it did not exist
        assert (caught.value.code, caught.value.param) == ("file_not_found", "file_id")
    assert [f.id for f in other.files.list()] == []

    deleted = client.files.delete(image.id)
    assert (deleted.id, deleted.object, deleted.deleted) == (image.id, "file", True)
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(image.id)
    with pytest.raises(openai.NotFoundError):
        client.files.delete(image.id)
    assert [f.id for f in client.files.list()] == [batch.id]
    usage = raw(client, "GET", "/usage").json()
    assert usage["project"]["files"] == {"count": 1, "bytes": len(BATCH)}


def test_pages_orders_and_the_purpose_filter(client: openai.OpenAI) -> None:
    png = media_checks.solid_image(16, 16, "PNG", (1, 2, 3))
    made = []
    for n in range(5):
        if n % 2:
            made.append(client.files.create(file=(f"{n}.png", png), purpose="user_data").id)
        else:
            made.append(client.files.create(file=(f"{n}.jsonl", BATCH), purpose="batch").id)
    first = client.files.list(limit=2)
    assert [f.id for f in first.data] == [made[4], made[3]] and first.has_more
    assert [f.id for f in client.files.list(limit=2)] == made[::-1]  # the SDK follows `after`
    assert [f.id for f in client.files.list(order="asc")] == made
    assert [f.id for f in client.files.list(purpose="user_data")] == [made[3], made[1]]
    assert [f.id for f in client.files.list(purpose="batch", order="asc", limit=1)] == made[::2]
    refused(raw(client, "GET", "/files", params={"purpose": "poems"}), "invalid_value", "purpose")
    refused(raw(client, "GET", "/files", params={"after": "file-x"}), "invalid_value", "after")


def test_purposes_and_contents_are_checked(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.files.create(file=("a.jsonl", BATCH), purpose="fine-tune")
    assert (caught.value.code, caught.value.param) == ("unsupported_file_purpose", "purpose")
    assert "batch, vision, user_data" in caught.value.message
    assert caught.value.response.headers["x-request-id"].startswith("req_")

    bad = BATCH + b'{"custom_id": "two", "body": \n' + BATCH
    with pytest.raises(openai.BadRequestError) as caught:
        client.files.create(file=("bad.jsonl", bad), purpose="batch")
    assert (caught.value.code, caught.value.param) == ("invalid_file", "file")
    assert "Line 2 " in caught.value.message

    with pytest.raises(openai.BadRequestError) as caught:
        client.files.create(file=("notes.txt", b"hello there"), purpose="vision")
    assert (caught.value.code, caught.value.param) == ("invalid_file", "file")
    assert "text" in caught.value.message

    with pytest.raises(openai.BadRequestError) as caught:
        client.files.create(
            file=("a.jsonl", BATCH),
            purpose="batch",
            expires_after={"anchor": "created_at", "seconds": 31 * 86_400},
        )
    assert caught.value.param == "expires_after.seconds"
    assert list(client.files.list()) == []  # nothing refused was kept


def test_the_file_limit_is_its_own(client: openai.OpenAI) -> None:
    line = b'{"custom_id": "' + b"x" * 90 + b'"}\n'
    big = line * (9 * 1024 * 1024 // len(line))  # over the 8 MiB request limit, streamed
    made = client.files.create(file=("big.jsonl", big), purpose="batch")
    assert made.bytes == len(big)
    assert client.files.content(made.id).content == big

    over = b"{}\n" * (MAX_FILE_BYTES // 3 + 1)
    with pytest.raises(openai.BadRequestError) as caught:
        client.files.create(file=("over.jsonl", over), purpose="batch")
    assert (caught.value.code, caught.value.param) == ("file_too_large", "file")
    assert str(MAX_FILE_BYTES) in caught.value.message

    far_over = over + b"{}\n" * 400_000  # past the file limit and the form's room around it
    far = raw(client, "POST", "/files", files={"file": ("far.jsonl", far_over)})
    assert far.status_code == 413 and far.json()["error"]["code"] == "request_too_large"
    assert [f.id for f in client.files.list()] == [made.id]


def test_an_expired_file_is_gone_after_the_sweep(
    files_server: harness.Server, client: openai.OpenAI
) -> None:
    short = client.files.create(
        file=("soon.jsonl", BATCH),
        purpose="batch",
        expires_after={"anchor": "created_at", "seconds": 1},
    )
    assert short.expires_at == short.created_at + 1
    assert files_server.deployment.list_keys(f"files/{short.id}/")
    waiting.until(
        lambda: files_server.deployment.list_keys(f"files/{short.id}/"),
        lambda keys: not keys,
        limit=60,
        what="the sweep to remove the expired file's bytes",
    )
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(short.id)
    assert list(client.files.list()) == []


def test_input_reference_file_id_is_the_first_frame(client: openai.OpenAI) -> None:
    image = media_checks.solid_image(1280, 720, "PNG", (40, 90, 200))
    stored = client.files.create(file=("ref.png", image), purpose="vision")
    video = finished(
        client,
        client.videos.create(
            prompt="the scene comes alive, gentle push in",
            size="1280x720",
            extra_body={"input_reference": {"file_id": stored.id}},
        ).id,
    )
    assert video.status == "completed", video.error
    facts = media_checks.decode_mp4(client.videos.download_content(video.id).content)
    expected = np.asarray(media_checks.decode_image(image, "PNG").convert("RGB"), dtype=np.int16)
    difference = np.abs(facts.first_frame.astype(np.int16) - expected).mean()
    assert difference < 8, difference
    client.files.delete(stored.id)  # the video keeps its own copy
    assert client.videos.download_content(video.id).content[4:8] == b"ftyp"


def test_a_file_as_input_has_an_uploads_checks(client: openai.OpenAI, other: openai.OpenAI) -> None:
    def create(file_id: str) -> None:
        client.videos.create(
            prompt="a calm lake",
            size="1280x720",
            extra_body={"input_reference": {"file_id": file_id}},
        )

    small = client.files.create(
        file=("small.png", media_checks.solid_image(640, 360, "PNG", (9, 9, 9))), purpose="vision"
    )
    with pytest.raises(openai.BadRequestError) as caught:
        create(small.id)
    assert (caught.value.code, caught.value.param) == (
        "image_size_mismatch",
        "input_reference.file_id",
    )
    assert "640x360" in caught.value.message and "1280x720" in caught.value.message

    face = client.files.create(file=("me.png", faces.face_image(1280, 720)), purpose="user_data")
    with pytest.raises(openai.BadRequestError) as caught:
        create(face.id)
    assert (caught.value.code, caught.value.param) == ("sentinel_block", "input_reference.file_id")

    batch = client.files.create(file=("in.jsonl", BATCH), purpose="batch")
    with pytest.raises(openai.BadRequestError) as caught:
        create(batch.id)
    assert (caught.value.code, caught.value.param) == ("invalid_value", "input_reference.file_id")
    assert "purpose 'batch'" in caught.value.message

    theirs = other.files.create(
        file=("theirs.png", media_checks.solid_image(1280, 720, "PNG", (1, 1, 1))),
        purpose="vision",
    )
    client.files.delete(small.id)
    for file_id in (theirs.id, small.id):  # another project's, and a deleted one
        with pytest.raises(openai.NotFoundError) as missing:
            create(file_id)
        assert (missing.value.code, missing.value.param) == (
            "file_not_found",
            "input_reference.file_id",
        )


def _mp4(path: Path, width: int, height: int, seconds: int, fps: int = 8) -> bytes:
    """An H.264 clip of one solid still."""
    from reelway.media import encode

    frame = np.full((height, width, 3), (200, 120, 40), dtype=np.uint8)
    with encode.Mp4Writer(path, width, height, fps, audio=False) as writer:
        for _ in range(seconds * fps):
            writer.write_frame(frame)
    return path.read_bytes()


def test_an_edit_takes_a_stored_video(client: openai.OpenAI, tmp_path: Path) -> None:
    clip = client.files.create(
        file=("clip.mp4", _mp4(tmp_path / "clip.mp4", 720, 1280, 4)), purpose="user_data"
    )
    edited = client.videos.edit(
        prompt="the same, in snow", video=IN_BODY, extra_body={"video": {"file_id": clip.id}}
    )
    assert edited.status in ("queued", "in_progress") and edited.seconds == "4"
    small = client.files.create(
        file=("small.mp4", _mp4(tmp_path / "small.mp4", 128, 72, 2)), purpose="user_data"
    )
    with pytest.raises(openai.BadRequestError) as caught:
        client.videos.edit(
            prompt="make it snow", video=IN_BODY, extra_body={"video": {"file_id": small.id}}
        )
    assert caught.value.code == "video_size_not_allowed"  # the upload's own check
    with pytest.raises(openai.NotFoundError) as missing:
        client.videos.edit(
            prompt="make it snow", video=IN_BODY, extra_body={"video": {"file_id": "file-no"}}
        )
    assert (missing.value.code, missing.value.param) == ("file_not_found", "video.file_id")


def test_a_multipart_create_names_the_file_in_bracket_notation(client: openai.OpenAI) -> None:
    image = media_checks.solid_image(720, 1280, "PNG", (200, 60, 60))
    stored = client.files.create(file=("tall.png", io.BytesIO(image)), purpose="vision")
    answer = raw(
        client,
        "POST",
        "/videos",
        files={"input_reference[file_id]": (None, stored.id), "prompt": (None, "a red wall")},
    )
    assert answer.status_code == 200, answer.text
    assert json.loads(answer.text)["status"] in ("queued", "in_progress")


NODE_DIR = Path(__file__).resolve().parents[1] / "node"


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@pytest.mark.skipif(
    not (NODE_DIR / "node_modules" / "openai" / "package.json").exists(),
    reason="the openai Node SDK is not installed (make test)",
)
def test_the_node_sdk_drives_every_files_call(files_server: harness.Server) -> None:
    image = media_checks.solid_image(720, 1280, "PNG", (30, 40, 200))
    result = subprocess.run(
        ["node", str(NODE_DIR / "files.mjs")],
        capture_output=True,
        text=True,
        timeout=180,
        env={
            **os.environ,
            "OPENAI_BASE_URL": files_server.base_url,
            "OPENAI_API_KEY": files_server.create_key("files-node"),
            "REFERENCE_PNG_BASE64": base64.b64encode(image).decode(),
        },
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["created"] == {"object": "file", "purpose": "vision", "bytes": len(image)}
    assert report["retrieved"] == "in.jsonl"
    assert report["content"] == '{"custom_id": "a"}\n{"custom_id": "b"}\n'
    assert report["listed"] == report["expected"], "the async iterator walks one-file pages"
    assert report["vision"] == report["expected"][:1]
    assert report["video"] == "completed"
    assert report["error"] == {"status": 400, "code": "invalid_file", "param": "file"}
    assert report["deleted"] is True


def test_a_storyboard_shot_takes_a_file_id(client: openai.OpenAI, other: openai.OpenAI) -> None:
    small = client.files.create(
        file=("small.png", media_checks.solid_image(64, 64, "PNG", (9, 9, 9))), purpose="vision"
    )
    theirs = other.files.create(
        file=("tall.png", media_checks.solid_image(720, 1280, "PNG", (1, 1, 1))), purpose="vision"
    )

    def body(file_id: str) -> dict[str, Any]:
        shots = [
            {"prompt": "A lighthouse at dawn", "seconds": "4"},
            {"prompt": "Gulls over it", "seconds": "4", "input_reference": {"file_id": file_id}},
        ]
        return {"model": "sora-2", "size": "720x1280", "shots": shots}

    answer = raw(client, "POST", "/videos/storyboards", json=body(small.id))
    refused(answer, "image_size_mismatch", "shots[1].input_reference.file_id")
    answer = raw(client, "POST", "/videos/storyboards", json=body(theirs.id))
    refused(answer, "file_not_found", "shots[1].input_reference.file_id", status=404)
    mine = client.files.create(
        file=("tall.png", media_checks.solid_image(720, 1280, "PNG", (1, 1, 1))), purpose="vision"
    )
    answer = raw(client, "POST", "/videos/storyboards", json=body(mine.id))
    assert answer.status_code == 200, answer.text
    assert answer.json()["seconds"] == "8"
