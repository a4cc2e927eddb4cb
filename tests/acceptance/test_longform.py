"""Edits, extensions and characters end to end, exactly as the official SDKs send them.

The Python SDK (3.54.0) refuses a dict for ``video=`` before sending, so an edit or extension
of a stored video goes as ``extra_body={"video": {"id": ...}}`` (a multipart ``video[id]``
part) or as JSON through ``client.post``; an uploaded MP4 goes as a file.  The Node SDK sends
``video: {id}`` itself (``tests/node/longform.mjs``).  Every result is decoded: an edit has
its source's size and length; an extension is the stitched total, starts with the source's
own frames and has no jump at the join.  Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any, cast

import av
import numpy as np
import openai
import pytest
from openai import omit
from openai.types import Video

from reelway.engines import base
from reelway.engines.animatic.engine import AnimaticEngine
from tests import harness, media_checks
from tests.acceptance.conftest import finished, made

pytestmark = pytest.mark.slow

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
NODE_SDK = NODE_DIR / "node_modules" / "openai" / "package.json"

BY_ID: Any = omit
"""What ``video=`` gets when the source goes in ``extra_body`` (the SDK cannot send a dict)."""

TWENTY: Any = "20"
"""Accepted now (the guide), though the SDK's types still list 4, 8 and 12 only."""

SAME_FRAME = 0.3
"""Largest mean difference (0-255, 8x8 block means) between a source frame and the same frame
inside its extension: one more H.264 encode of the same picture measures about 0.1, the
source's own frames one frame off about 0.4."""


def by_id(video_id: str) -> dict[str, Any]:
    return {"video": {"id": video_id}}


@pytest.fixture(scope="module")
def source(client: openai.OpenAI) -> Video:
    """A completed 4 s sora-2 video every test here edits or extends."""
    video = made(
        client, prompt="A red kite over a sandy beach at noon, slow pan right", seconds="4"
    )
    assert video.status == "completed", video
    return video


@pytest.fixture(scope="module")
def source_mp4(client: openai.OpenAI, source: Video) -> bytes:
    return client.videos.download_content(source.id).read()


def content(client: openai.OpenAI, video: Video) -> bytes:
    assert video.status == "completed", video
    return client.videos.download_content(video.id).read()


# ---------------------------------------------------------------------------------- frames


@dataclass(frozen=True)
class Frames:
    """Every decoded frame as 8x8 block means of its luma (enough to compare pictures), and
    the soundtrack as mono samples."""

    width: int
    height: int
    fps: float
    luma: np.ndarray
    """(frames, height/8, width/8) float32."""
    sound: np.ndarray | None = None
    rate: int = 48_000

    @property
    def duration(self) -> float:
        return len(self.luma) / self.fps


def frames_of(data: bytes) -> Frames:
    blocks: list[np.ndarray] = []
    with av.open(io.BytesIO(data), "r") as container:
        stream = container.streams.video[0]
        width, height = stream.codec_context.width, stream.codec_context.height
        fps = float(stream.average_rate or stream.guessed_rate or 24)
        for frame in container.decode(video=0):
            gray = frame.to_ndarray(format="gray").astype(np.float32)
            h, w = gray.shape[0] // 8 * 8, gray.shape[1] // 8 * 8
            blocks.append(gray[:h, :w].reshape(h // 8, 8, w // 8, 8).mean(axis=(1, 3)))
    with av.open(io.BytesIO(data), "r") as container:
        if not container.streams.audio:
            return Frames(width, height, fps, np.stack(blocks))
        rate = container.streams.audio[0].codec_context.sample_rate
        chunks = [f.to_ndarray().astype(np.float32) for f in container.decode(audio=0)]
    sound = np.concatenate([c.reshape(-1, c.shape[-1]) for c in chunks], axis=1).mean(axis=0)
    return Frames(width, height, fps, np.stack(blocks), sound, rate)


def steps(luma: np.ndarray) -> np.ndarray:
    """Mean absolute change from each frame to the next."""
    return cast(np.ndarray, np.abs(np.diff(luma, axis=0)).mean(axis=(1, 2)))


def assert_extends(extended: Frames, source: Frames, total: int) -> None:
    """The extension is ``total`` seconds long, its first frames are the source's, the
    change across the join is like the change between neighbouring frames, and the sound
    runs on across it."""
    assert (extended.width, extended.height) == (source.width, source.height)
    assert abs(extended.duration - total) <= 0.1, (extended.duration, total)
    n = len(source.luma)
    assert len(extended.luma) > n
    same = np.abs(extended.luma[:n] - source.luma).mean(axis=(1, 2))
    assert same.max() <= SAME_FRAME, f"frame {int(same.argmax())} differs by {same.max():.2f}"
    changes = steps(extended.luma)
    join = float(changes[n - 1])
    window = int(extended.fps)  # a second either side
    around = np.concatenate([changes[max(0, n - 1 - window) : n - 1], changes[n : n + window]])
    assert join <= 2.0 * float(around.max()) + 1.0, (
        f"a jump at the join: {join:.2f} against at most {around.max():.2f} nearby"
    )
    if source.sound is not None:
        assert extended.sound is not None, "the extension lost the soundtrack"
        seconds = len(extended.sound) / extended.rate
        assert abs(seconds - total) <= 0.15, (seconds, total)
        assert_sound_runs_on(extended.sound, extended.rate, source.duration)


def assert_sound_runs_on(sound: np.ndarray, rate: int, at: float) -> None:
    """No gap (a silent 10 ms) and no click (a step larger than the track's own) within
    50 ms of ``at``, unless the whole track is silent."""
    level = float(np.sqrt(np.mean(sound**2)))
    if level < 1e-3:
        return
    w, j = rate // 100, int(at * rate)
    near = sound[j - 5 * w : j + 5 * w]
    rms = np.sqrt((near[: len(near) // w * w].reshape(-1, w) ** 2).mean(axis=1))
    assert rms.min() >= 0.2 * level, f"a gap in the sound at {at:.2f} s: {rms.min():.4f}"
    jumps = np.abs(np.diff(sound))
    click = float(jumps[j - 5 * w : j + 5 * w].max())
    usual = float(np.percentile(jumps, 99.9))
    assert click <= 1.5 * usual, f"a click at {at:.2f} s: {click:.3f} against {usual:.3f}"


def test_the_jump_check_sees_a_cut(source_mp4: bytes) -> None:
    """The join checks are not vacuous: the source followed by its own reversed frames
    passes, followed by a negative of itself (a cut to another picture) does not; a
    soundtrack with 20 ms of silence or a sudden step at the join does not either."""
    source = frames_of(source_mp4)
    assert source.sound is not None, "the animatic's videos have a soundtrack"
    silent = replace(source, sound=None)
    joined = np.concatenate([source.luma, source.luma[::-1]])
    assert_extends(Frames(source.width, source.height, source.fps, joined), silent, 8)
    cut = np.concatenate([source.luma, 255.0 - source.luma])
    with pytest.raises(AssertionError, match="a jump at the join"):
        assert_extends(Frames(source.width, source.height, source.fps, cut), silent, 8)
    assert_sound_runs_on(source.sound, source.rate, 2.0)
    middle, ten_ms = 2 * source.rate, source.rate // 100
    gap = source.sound.copy()
    gap[middle - ten_ms : middle + ten_ms] = 0.0
    with pytest.raises(AssertionError, match="a gap in the sound"):
        assert_sound_runs_on(gap, source.rate, 2.0)
    step = source.sound.copy()
    step[middle:] += 0.5
    with pytest.raises(AssertionError, match="a click"):
        assert_sound_runs_on(step, source.rate, 2.0)


# ------------------------------------------------------------------------------------ edits


def test_edit_by_upload_by_id_and_as_json_keeps_the_source_size_and_length(
    client: openai.OpenAI, source: Video, source_mp4: bytes, tmp_path: Path
) -> None:
    upload = tmp_path / "beach.mp4"
    upload.write_bytes(source_mp4)
    with upload.open("rb") as file:
        uploaded = client.videos.edit(
            video=file, prompt="The same beach at sunset", extra_body={"model": "sora-2"}
        )
    referenced = client.videos.edit(
        video=BY_ID, prompt="The same beach in the rain", extra_body=by_id(source.id)
    )
    as_json = client.post(
        "/videos/edits",
        body={"prompt": "The same beach at night", "video": {"id": source.id}},
        cast_to=Video,
    )
    expected = media_checks.decode_mp4(source_mp4)
    for edit in (uploaded, referenced, as_json):
        assert edit.id != source.id and edit.object == "video"
        assert (edit.model, edit.size, edit.seconds) == ("sora-2", source.size, source.seconds)
        done = finished(client, edit.id)
        assert done.status == "completed", done.error
        facts = media_checks.decode_mp4(content(client, done))
        assert (facts.width, facts.height) == (expected.width, expected.height)
        assert abs(facts.duration - expected.duration) <= 0.1, (facts.duration, expected)
        assert facts.faststart


def test_edit_refusals_name_the_video(
    client: openai.OpenAI, other_client: openai.OpenAI, source: Video, tmp_path: Path
) -> None:
    with pytest.raises(openai.NotFoundError) as missing:
        client.videos.edit(video=BY_ID, prompt="x", extra_body=by_id("video_nope"))
    assert (missing.value.code, missing.value.param) == ("video_not_found", "video")
    with pytest.raises(openai.NotFoundError) as foreign:
        other_client.videos.edit(video=BY_ID, prompt="x", extra_body=by_id(source.id))
    assert (foreign.value.code, foreign.value.param) == ("video_not_found", "video")
    text = tmp_path / "notes.mp4"
    text.write_bytes(b"these are not the frames you are looking for" * 50)
    with text.open("rb") as file, pytest.raises(openai.BadRequestError) as broken:
        client.videos.edit(video=file, prompt="x", extra_body={"model": "sora-2"})
    assert (broken.value.code, broken.value.param) == ("invalid_video", "video")


# ------------------------------------------------------------------------------- extensions


def test_extension_is_the_stitched_total_and_continues_without_a_jump(
    client: openai.OpenAI, source: Video, source_mp4: bytes
) -> None:
    extension = client.videos.extend(
        video=BY_ID,
        prompt="The kite climbs higher as the wind picks up",
        seconds="4",
        extra_body=by_id(source.id),
    )
    assert (extension.seconds, extension.size, extension.model) == ("8", source.size, "sora-2")
    done = finished(client, extension.id)
    assert done.status == "completed", done.error
    assert done.seconds == "8"
    data = content(client, done)
    facts = media_checks.decode_mp4(data)  # decodable, signed, its source an ingredient
    ingredients = facts.provenance.ingredients
    assert any(source.id in str(i.get("title")) for i in ingredients), ingredients
    assert facts.faststart, media_checks.top_level_atoms(data)
    thumbnail = client.videos.download_content(done.id, variant="thumbnail").read()
    media_checks.decode_image(thumbnail, "WEBP")
    sheet = client.videos.download_content(done.id, variant="spritesheet").read()
    media_checks.decode_image(sheet, "JPEG")
    assert_extends(frames_of(data), frames_of(source_mp4), 8)


def test_a_chain_of_six_extensions_then_the_seventh_is_refused(
    client: openai.OpenAI, source: Video, source_mp4: bytes
) -> None:
    """Both encodings in turn (multipart ``video[id]``, JSON); each link starts from the one
    before, so the last is 4 + 6 x 4 = 28 s and ends a chain of six."""
    current, current_mp4 = source, source_mp4
    for link in range(1, 7):
        prompt = f"The kite keeps flying, part {link}"
        if link % 2:
            ext = client.videos.extend(
                video=BY_ID, prompt=prompt, seconds="4", extra_body=by_id(current.id)
            )
        else:
            body = {"prompt": prompt, "seconds": "4", "video": {"id": current.id}}
            ext = client.post("/videos/extensions", body=body, cast_to=Video)
        total = 4 + 4 * link
        assert ext.seconds == str(total)
        done = finished(client, ext.id)
        assert done.status == "completed", (link, done.error)
        data = content(client, done)
        if link in (1, 6):  # decoding every link adds a minute and shows nothing more
            assert_extends(frames_of(data), frames_of(current_mp4), total)
        current, current_mp4 = done, data
    with pytest.raises(openai.BadRequestError) as seventh:
        client.videos.extend(
            video=BY_ID, prompt="Once more", seconds="4", extra_body=by_id(current.id)
        )
    assert (seventh.value.code, seventh.value.param) == ("too_many_extensions", "video")


def long_upload(path: Path, seconds: int, size: tuple[int, int] = (720, 1280)) -> Path:
    """An H.264 MP4 of ``seconds`` seconds at one frame a second: long, yet a few kB."""
    width, height = size
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=1)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.time_base = Fraction(1, 1)
        picture = np.full((height, width, 3), 90, np.uint8)
        for index in range(seconds):
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def test_extension_refusals(client: openai.OpenAI, source: Video, tmp_path: Path) -> None:
    """Past 120 s in total; characters or an input_reference on an extension; a source that
    is not completed."""
    upload = long_upload(tmp_path / "long.mp4", 104)
    with upload.open("rb") as file, pytest.raises(openai.BadRequestError) as too_long:
        client.videos.extend(video=file, prompt="And on", seconds=TWENTY)
    assert (too_long.value.code, too_long.value.param) == ("video_too_long", "seconds")
    not_here: list[tuple[dict[str, Any], str]] = [
        ({"characters": [{"id": "char_whoever"}]}, "characters"),
        ({"input_reference": {"image_url": "https://example.com/a.png"}}, "input_reference"),
    ]
    for extra, param in not_here:
        with pytest.raises(openai.BadRequestError) as refused:
            client.post(
                "/videos/extensions",
                body={"prompt": "x", "seconds": "4", "video": {"id": source.id}, **extra},
                cast_to=Video,
            )
        assert (refused.value.code, refused.value.param) == ("not_allowed_on_extension", param)
    queued = client.videos.create(prompt="A slow sunrise", seconds=TWENTY)
    with pytest.raises(openai.BadRequestError) as early:
        client.videos.extend(video=BY_ID, prompt="x", seconds="4", extra_body=by_id(queued.id))
    assert early.value.param == "video"
    assert early.value.code in ("video_not_ready", "video_not_completed"), early.value.code
    client.videos.delete(queued.id)


def test_an_extension_is_charged_for_its_new_seconds_only(
    fresh_client: openai.OpenAI,
) -> None:
    """sora-2 at 720p costs 16 credits a second: a 4 s video, its 4 s extension (8 s in
    all, charged for 4) and an edit of the 4 s video (charged for 4) make 3 x 64."""
    first = made(fresh_client, prompt="A paper boat on a pond", seconds="4")
    extension = fresh_client.videos.extend(
        video=BY_ID, prompt="The boat drifts on", seconds="4", extra_body=by_id(first.id)
    )
    assert finished(fresh_client, extension.id).status == "completed"
    edit = fresh_client.videos.edit(
        video=BY_ID, prompt="A paper boat on a frozen pond", extra_body=by_id(first.id)
    )
    assert finished(fresh_client, edit.id).status == "completed"
    usage = cast(dict[str, Any], fresh_client.get("/usage", cast_to=object))
    assert usage["totals"]["requests"] == 3, usage
    assert usage["totals"]["credits"] == 3 * 64, usage
    period = usage["project"]["period"]
    assert (period["credits_spent"], period["credits_reserved"]) == (3 * 64, 0), period


# ------------------------------------------------------------------------------- characters


def clip_of(path: Path, seconds: int, prompt: str) -> Path:
    """A face-free animatic clip (16:9, small) to make a character from."""
    folder = path.parent
    output = base.RenderOutput(path, folder / f"{path.stem}.webp", folder / f"{path.stem}.jpg")
    request = base.GenerationRequest("video_clip", "fake", prompt, 320, 180, seconds, 7)
    AnimaticEngine().render(request, output, lambda _: None)
    return path


def test_characters_are_created_read_and_used_on_a_create(
    client: openai.OpenAI, other_client: openai.OpenAI, tmp_path: Path
) -> None:
    clip = clip_of(tmp_path / "mossy.mp4", 3, "a small green moss creature hopping on rocks")
    with clip.open("rb") as file:
        character = client.videos.create_character(name="Mossy", video=file)
    char_id = character.id
    assert char_id is not None and char_id.startswith("char_")
    assert character.name == "Mossy" and isinstance(character.created_at, int)
    assert set(character.model_dump(exclude_unset=True)) == {"id", "name", "created_at"}
    fetched = client.videos.get_character(char_id)
    assert fetched.model_dump(exclude_unset=True) == character.model_dump(exclude_unset=True)
    with pytest.raises(openai.NotFoundError) as foreign:
        other_client.videos.get_character(char_id)
    assert foreign.value.code == "character_not_found"

    video = client.videos.create(
        prompt="Mossy hops across a mountain stream at dawn",
        seconds="4",
        extra_body={"characters": [{"id": char_id}]},
    )
    done = finished(client, video.id)
    assert done.status == "completed", done.error
    media_checks.decode_mp4(content(client, done))

    with pytest.raises(openai.BadRequestError) as unnamed:
        client.videos.create(
            prompt="A creature hops across a stream",
            extra_body={"characters": [{"id": char_id}]},
        )
    assert (unnamed.value.code, unnamed.value.param) == ("character_not_in_prompt", "characters")
    with pytest.raises(openai.BadRequestError) as crowd:
        client.videos.create(
            prompt="Mossy, Mossy and Mossy",
            extra_body={"characters": [{"id": char_id}] * 3},
        )
    assert (crowd.value.code, crowd.value.param) == ("too_many_characters", "characters")


def test_character_clip_refusals(client: openai.OpenAI, clip: bytes, tmp_path: Path) -> None:
    """A 1 s clip, a file that is not an MP4, and no name."""
    short = tmp_path / "short.mp4"
    short.write_bytes(clip)
    with short.open("rb") as file, pytest.raises(openai.BadRequestError) as brief:
        client.videos.create_character(name="Blink", video=file)
    assert (brief.value.code, brief.value.param) == ("character_clip_duration", "video")
    picture = tmp_path / "still.mp4"
    picture.write_bytes(media_checks.solid_image(320, 180, "PNG", (10, 200, 10)))
    with picture.open("rb") as file, pytest.raises(openai.BadRequestError) as still:
        client.videos.create_character(name="Still", video=file)
    assert (still.value.code, still.value.param) == ("invalid_video", "video")
    with pytest.raises(openai.BadRequestError) as nameless:
        client.post(
            "/videos/characters",
            body={},
            files={"video": ("c.mp4", clip, "video/mp4")},
            cast_to=object,
            options={"headers": {"Content-Type": "multipart/form-data"}},
        )
    assert nameless.value.param == "name"


# ------------------------------------------------------------------------------------ node


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@pytest.mark.skipif(
    not NODE_SDK.exists(), reason="the openai Node SDK is not installed (make test)"
)
def test_node_sdk_edits_extends_and_uses_characters(server: harness.Server, tmp_path: Path) -> None:
    key = server.create_key("node-longform")
    clip = clip_of(tmp_path / "pebble.mp4", 3, "a round grey pebble creature rolling on sand")
    result = subprocess.run(
        ["node", str(NODE_DIR / "longform.mjs")],
        capture_output=True,
        text=True,
        timeout=300,
        env={
            **os.environ,
            "OPENAI_BASE_URL": server.base_url,
            "OPENAI_API_KEY": key,
            "CHARACTER_CLIP": str(clip),
        },
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    source = report["source"]
    assert source == {"status": "completed", "seconds": "4", "size": "720x1280"}
    assert report["edit"] == {"status": "completed", "seconds": "4", "size": "720x1280"}
    assert report["extension"] == {"queued": "8", "status": "completed", "seconds": "8"}
    assert report["extensionBytes"] > 10_000
    character = report["character"]
    assert character["id"].startswith("char_") and character["name"] == "Pebble"
    assert sorted(character["keys"]) == ["created_at", "id", "name"]
    assert report["fetched"] == character
    assert report["withCharacter"] == "completed"
    error = report["error"]
    assert (error["status"], error["code"], error["param"]) == (
        400,
        "character_not_in_prompt",
        "characters",
    )
