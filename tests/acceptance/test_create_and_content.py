"""Create, poll, download and remix through the official openai SDK, both body encodings."""

from __future__ import annotations

import base64
import http.server
import threading
from collections.abc import Iterator

import httpx
import numpy as np
import openai
import pytest
from openai.types import Video

from tests import media_checks
from tests.acceptance.conftest import FINISH_SECONDS, finished, made

PROMPT = "A calico cat walks along a beach at sunset, slow dolly in, watercolor style"


# The SDK's own create_and_poll, pacing itself by the server's openai-poll-after-ms header, has
# no deadline: this test's timeout is its limit (the other tests wait with `finished`).
@pytest.mark.timeout(FINISH_SECONDS + 60)
def test_create_and_poll_returns_a_real_mp4(client: openai.OpenAI) -> None:
    video = client.videos.create_and_poll(
        prompt=PROMPT, model="sora-2", size="1280x720", seconds="4"
    )
    assert video.status == "completed", video.error
    assert video.progress == 100
    assert video.completed_at is not None and video.completed_at >= video.created_at
    assert (video.model, video.size, video.seconds, video.prompt) == (
        "sora-2",
        "1280x720",
        "4",
        PROMPT,
    )
    content = client.videos.download_content(video.id)
    facts = media_checks.decode_mp4(content.content)
    assert (facts.width, facts.height) == (1280, 720)
    assert abs(facts.duration - 4.0) < 0.1
    assert facts.video_codec == "h264"
    assert facts.audio_codec == "aac" and facts.audio_channels == 2
    assert facts.faststart


def test_every_key_of_the_video_object_is_present(server, client: openai.OpenAI) -> None:
    video = client.videos.create(prompt="a lighthouse at night, static camera")
    raw = httpx.get(
        f"{server.base_url}/videos/{video.id}",
        headers={"Authorization": f"Bearer {client.api_key}"},
    )
    body = raw.json()
    assert set(body) == {
        "id",
        "object",
        "model",
        "status",
        "progress",
        "created_at",
        "completed_at",
        "expires_at",
        "prompt",
        "size",
        "seconds",
        "remixed_from_video_id",
        "error",
    }
    assert body["object"] == "video" and body["seconds"] == "4" and body["size"] == "720x1280"
    assert isinstance(body["progress"], int)
    if body["status"] in ("queued", "in_progress"):
        assert int(raw.headers["openai-poll-after-ms"]) == 200
    assert raw.headers["x-request-id"].startswith("req_")


def test_json_body_is_accepted_like_older_sdks_sent_it(client: openai.OpenAI) -> None:
    # openai 2.2-2.26 sent JSON when no file was attached; drive that path with the SDK's
    # own transport.
    video = client.post(
        "/videos",
        body={"prompt": "a paper boat drifts on a pond", "model": "sora-2", "seconds": "4"},
        cast_to=Video,
    )
    assert video.status == "queued" and video.size == "720x1280"
    done = finished(client, video.id)
    assert done.status == "completed", done.error


def test_content_variants_ranges_and_etags(server, client: openai.OpenAI) -> None:
    video = made(client, prompt=PROMPT, seconds="4")
    assert video.status == "completed"
    thumb = client.videos.download_content(video.id, variant="thumbnail")
    assert thumb.response.headers["content-type"] == "image/webp"
    assert media_checks.decode_image(thumb.content, "WEBP").size[0] > 0
    media_checks.assert_signed(media_checks.read_provenance(thumb.content, "image/webp"))
    sprites = client.videos.download_content(video.id, variant="spritesheet")
    assert sprites.response.headers["content-type"] == "image/jpeg"
    media_checks.decode_image(sprites.content, "JPEG")
    media_checks.assert_signed(media_checks.read_provenance(sprites.content, "image/jpeg"))
    full = client.videos.download_content(video.id, variant="video")
    assert full.response.headers["content-type"] == "video/mp4"
    media_checks.decode_mp4(full.content)
    size = len(full.content)

    url = f"{server.base_url}/videos/{video.id}/content"
    auth = {"Authorization": f"Bearer {client.api_key}"}
    part = httpx.get(url, headers={**auth, "Range": "bytes=100-1099"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 100-1099/{size}"
    assert part.content == full.content[100:1100]
    tail = httpx.get(url, headers={**auth, "Range": "bytes=-500"})
    assert tail.status_code == 206 and tail.content == full.content[-500:]
    etag = full.response.headers["etag"]
    assert httpx.get(url, headers={**auth, "If-None-Match": etag}).status_code == 304
    stale = httpx.get(url, headers={**auth, "Range": "bytes=0-9", "If-Range": '"other"'})
    assert stale.status_code == 200 and len(stale.content) == size
    outside = httpx.get(url, headers={**auth, "Range": f"bytes={size + 10}-"})
    assert outside.status_code == 416
    assert outside.headers["content-range"] == f"bytes */{size}"
    assert outside.json()["error"]["code"] == "range_not_satisfiable"
    head = httpx.head(url, headers=auth)
    assert head.status_code == 200 and int(head.headers["content-length"]) == size


def test_content_of_an_unfinished_video_is_a_clear_400_not_409(client: openai.OpenAI) -> None:
    video = client.videos.create(prompt="a slow pan over a city at night", seconds="12")
    with pytest.raises(openai.BadRequestError) as caught:
        client.videos.download_content(video.id)
    assert caught.value.code == "video_not_ready"
    assert caught.value.response.headers["x-should-retry"] == "false"
    client.videos.delete(video.id)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_input_reference_upload_is_the_first_frame(client: openai.OpenAI, fmt: str) -> None:
    image = media_checks.solid_image(1280, 720, fmt, (40, 90, 200))
    video = made(
        client,
        prompt="the scene comes alive, gentle push in",
        size="1280x720",
        input_reference=("ref.bin", image),
    )
    assert video.status == "completed", video.error
    facts = media_checks.decode_mp4(client.videos.download_content(video.id).content)
    expected = np.asarray(media_checks.decode_image(image, fmt).convert("RGB"), dtype=np.int16)
    difference = np.abs(facts.first_frame.astype(np.int16) - expected).mean()
    assert difference < 8, difference


def test_input_reference_must_match_the_size(client: openai.OpenAI) -> None:
    image = media_checks.solid_image(640, 360, "PNG", (10, 10, 10))
    with pytest.raises(openai.BadRequestError) as caught:
        client.videos.create(prompt="x", size="1280x720", input_reference=image)
    assert caught.value.code == "image_size_mismatch"
    assert caught.value.param == "input_reference"
    assert "640x360" in caught.value.message and "1280x720" in caught.value.message


def test_input_reference_as_data_url_in_bracket_notation(client: openai.OpenAI) -> None:
    image = media_checks.solid_image(720, 1280, "PNG", (200, 60, 60))
    data_url = "data:image/png;base64," + base64.b64encode(image).decode()
    video = client.videos.create(
        prompt="a red poster flutters in the wind",
        extra_body={"input_reference": {"image_url": data_url}},
    )
    done = finished(client, video.id)
    assert done.status == "completed", done.error


@pytest.fixture
def image_host() -> Iterator[str]:
    """A loopback HTTP server with one image, one missing path and one redirect."""
    image = media_checks.solid_image(720, 1280, "JPEG", (20, 160, 80))

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/ref.jpg":
                self.send_response(200)
                self.send_header("Content-Type", "image/jpeg")
                self.send_header("Content-Length", str(len(image)))
                self.end_headers()
                self.wfile.write(image)
            elif self.path == "/moved":
                self.send_response(302)
                self.send_header("Location", "/ref.jpg")
                self.end_headers()
            else:
                self.send_response(404)
                self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_input_reference_image_url_is_fetched(
    server, client: openai.OpenAI, image_host: str
) -> None:
    moved = client.videos.create(
        prompt="a green field, crane up",
        extra_body={"input_reference": {"image_url": f"{image_host}/moved"}},
    )
    as_json = httpx.post(
        f"{server.base_url}/videos",
        headers={"Authorization": f"Bearer {client.api_key}"},
        json={"prompt": "a green field", "input_reference": {"image_url": f"{image_host}/ref.jpg"}},
    )
    assert as_json.status_code == 200, as_json.text
    for video_id in (moved.id, as_json.json()["id"]):
        assert finished(client, video_id).status == "completed"
    with pytest.raises(openai.BadRequestError) as caught:
        client.videos.create(
            prompt="x", extra_body={"input_reference": {"image_url": f"{image_host}/missing"}}
        )
    assert caught.value.code == "image_fetch_failed"
    assert caught.value.param == "input_reference.image_url"
    assert "404" in caught.value.message


def test_an_unknown_file_id_is_a_404_naming_it(client: openai.OpenAI) -> None:
    # Files that exist: tests/acceptance/test_files_api.py.
    with pytest.raises(openai.NotFoundError) as caught:
        client.videos.create(prompt="x", extra_body={"input_reference": {"file_id": "file-1"}})
    assert caught.value.code == "file_not_found"
    assert caught.value.param == "input_reference.file_id"


def test_remix_by_sdk_json_and_by_multipart(server, client: openai.OpenAI) -> None:
    source = made(
        client, prompt="a red fox runs through a snowy forest, tracking shot", size="1280x720"
    )
    assert source.status == "completed"
    remix = client.videos.remix(source.id, prompt="a red fox runs through a desert at noon")
    assert remix.remixed_from_video_id == source.id
    assert (remix.size, remix.seconds, remix.model) == (source.size, source.seconds, source.model)
    by_form = httpx.post(
        f"{server.base_url}/videos/{source.id}/remix",
        headers={"Authorization": f"Bearer {client.api_key}"},
        files={"prompt": (None, "the same fox, now in neon synthwave style")},
    )
    assert by_form.status_code == 200, by_form.text
    for video_id in (remix.id, by_form.json()["id"]):
        done = finished(client, video_id)
        assert done.status == "completed" and done.remixed_from_video_id == source.id
    original = media_checks.decode_mp4(client.videos.download_content(source.id).content)
    remixed = media_checks.decode_mp4(client.videos.download_content(remix.id).content)
    assert (remixed.width, remixed.height, remixed.frames) == (
        original.width,
        original.height,
        original.frames,
    )
    assert not np.array_equal(original.first_frame, remixed.first_frame)


def test_remix_of_an_unfinished_video_is_refused(client: openai.OpenAI) -> None:
    video = client.videos.create(prompt="a long take of clouds", seconds="12")
    with pytest.raises(openai.BadRequestError) as caught:
        client.videos.remix(video.id, prompt="faster clouds")
    assert caught.value.code == "video_not_ready" and caught.value.param == "video_id"
    client.videos.delete(video.id)


def test_same_request_renders_the_same_video(client: openai.OpenAI) -> None:
    first = client.videos.create(prompt="a spinning top on a wooden table", size="720x1280")
    second = client.videos.create(prompt="a spinning top on a wooden table", size="720x1280")
    seeded = client.videos.create(
        prompt="a spinning top on a wooden table", size="720x1280", extra_body={"seed": 7}
    )
    files = []
    for video in (first, second, seeded):
        assert finished(client, video.id).status == "completed"
        files.append(client.videos.download_content(video.id).content)
    a, b, c = (media_checks.decode_mp4(f).first_frame for f in files)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_models_lists_the_catalogue_with_engines(client: openai.OpenAI) -> None:
    models = {m.id: m for m in client.models.list()}
    assert {"sora-2", "sora-2-pro"} <= set(models)
    sora = models["sora-2"].model_dump()
    assert sora["sizes"] == ["1280x720", "720x1280", "854x480", "480x854"]
    assert sora["reelway_sizes"] == ["854x480", "480x854"]  # drafts: not OpenAI sizes
    assert sora["pricing"]["credits_per_second"]["854x480"] == 4
    assert sora["seconds"] == ["4", "8", "12", "16", "20"]
    assert {"edits", "extensions", "characters"} <= set(sora["capabilities"])
    assert sora["engines"] == ["animatic"]
    assert sora["pricing"]["per_second"]["1280x720"] == pytest.approx(0.10)
    pro = client.models.retrieve("sora-2-pro").model_dump()
    assert pro["pricing"]["per_second"]["1920x1080"] == pytest.approx(0.50)
    assert pro["pricing"]["credits_per_second"]["1280x720"] == 16
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("sora-3")
