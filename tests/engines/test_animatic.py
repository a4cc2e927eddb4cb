"""The animatic engine, end to end: real MP4s decoded back and checked frame by frame."""

from __future__ import annotations

import hashlib
import itertools
import os
import subprocess
import sys
import threading
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image, ImageDraw

from reelway import catalog, errors
from reelway.catalog import Capability
from reelway.engines import base, registry
from reelway.engines.animatic import audio, render, scene
from reelway.engines.animatic.engine import AnimaticEngine
from reelway.media import probe

FOX = "A red fox running through a snowy forest at golden hour, tracking shot, watercolor"


def request(
    prompt: str = FOX,
    size: tuple[int, int] = (320, 180),
    seconds: int = 1,
    seed: int = 7,
    image: Path | None = None,
) -> base.GenerationRequest:
    return base.GenerationRequest(
        video_id="video_test",
        model="sora-2",
        prompt=prompt,
        width=size[0],
        height=size[1],
        seconds=seconds,
        seed=seed,
        input_image=image,
    )


def outputs(directory: Path, name: str = "out") -> base.RenderOutput:
    return base.RenderOutput(
        directory / f"{name}.mp4", directory / f"{name}.webp", directory / f"{name}.jpg"
    )


def render_to(
    directory: Path, req: base.GenerationRequest, name: str = "out", **options: object
) -> base.RenderOutput:
    out = outputs(directory, name)
    AnimaticEngine(**options).render(req, out, lambda _: None)  # type: ignore[arg-type]
    return out


def frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def samples(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        return np.concatenate([f.to_ndarray() for f in container.decode(audio=0)], axis=1)


def mean_luma(rgb: np.ndarray) -> float:
    return float((rgb.astype(np.float32) @ np.array([0.2126, 0.7152, 0.0722])).mean())


@pytest.fixture(scope="module")
def fox(tmp_path_factory: pytest.TempPathFactory) -> base.RenderOutput:
    """One 2 s render that several checks share."""
    return render_to(tmp_path_factory.mktemp("fox"), request(seconds=2))


# ----------------------------------------------------------------------------- contract


def test_info_and_registry() -> None:
    engine = registry.create("animatic", {"fps": 30})
    assert isinstance(engine, AnimaticEngine)
    assert engine.info == base.EngineInfo(
        name="animatic",
        capabilities=frozenset(
            {
                Capability.IMAGE_INPUT,
                Capability.REMIX,
                Capability.EDITS,
                Capability.EXTENSIONS,
                Capability.CHARACTERS,
                Capability.AUDIO,
                Capability.NEGATIVE_PROMPT,
                Capability.LOOP,
            }
        ),
        sizes=None,
        seconds=None,
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"fps": 0}, "fps"),
        ({"fps": 24.5}, "fps"),
        ({"preset": "ludicrous"}, "preset"),
        ({"crf": 70}, "crf"),
        ({"audio": "yes"}, "true or false"),
    ],
)
def test_options_are_checked(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        AnimaticEngine(**options)  # type: ignore[arg-type]


@pytest.mark.parametrize("size", [(321, 180), (320, 181)])
def test_odd_sizes_are_rejected(tmp_path: Path, size: tuple[int, int]) -> None:
    with pytest.raises(ValueError, match="even"):
        render_to(tmp_path, request(size=size))
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------- the files


def test_small_render_is_exact(fox: base.RenderOutput) -> None:
    info = probe.probe(fox.video)
    assert (info.width, info.height, info.frames, info.fps) == (320, 180, 48, 24)
    assert info.duration == pytest.approx(2.0)
    assert (info.video_codec, info.pix_fmt) == ("h264", "yuv420p")
    assert (info.audio_codec, info.sample_rate, info.channels) == ("aac", 48000, 2)
    assert info.audio_duration == pytest.approx(2.0, abs=1 / 24)
    assert info.faststart
    assert info.metadata["title"].startswith("A red fox running")
    assert "Reelway animatic" in info.metadata["comment"]
    assert len(frames(fox.video)) == 48


def test_thumbnail_and_spritesheet(fox: base.RenderOutput) -> None:
    with Image.open(fox.thumbnail) as thumb:
        assert (thumb.format, thumb.size) == ("WEBP", (320, 180))
    with Image.open(fox.spritesheet) as sheet:
        assert (sheet.format, sheet.size) == ("JPEG", (5 * 256, 2 * 144))
        tiles = np.asarray(sheet.convert("RGB"), np.float32)
    # Tiles are real, differing frames of the clip, not a repeated or blank image.
    assert tiles.std() > 10
    assert np.abs(tiles[:144, :256] - tiles[144:, 1024:]).mean() > 1


@pytest.mark.slow
def test_a_720p_render_has_the_exact_size_length_and_codecs(tmp_path: Path) -> None:
    out = render_to(tmp_path, request(size=(1280, 720), seconds=4))
    info = probe.probe(out.video)
    assert (info.width, info.height, info.frames) == (1280, 720, 96)
    assert info.duration == pytest.approx(4.0)
    assert (info.video_codec, info.pix_fmt, info.audio_codec) == ("h264", "yuv420p", "aac")
    assert (info.sample_rate, info.channels) == (48000, 2)
    assert info.audio_duration == pytest.approx(4.0, abs=1 / 24)
    assert info.atoms[:2] == ("ftyp", "moov")
    with av.open(str(out.video)) as container:
        keys = [i for i, f in enumerate(container.decode(video=0)) if f.key_frame]
    assert keys == [0, 48]


@pytest.mark.slow
@pytest.mark.parametrize("size", sorted({s for m in catalog.load().models for s in m.sizes}))
def test_every_catalogue_size(tmp_path: Path, size: str) -> None:
    w, h = catalog.parse_size(size)
    out = render_to(tmp_path, request("a robot walks down a city street", (w, h)), fps=8)
    info = probe.probe(out.video)
    assert (info.width, info.height, info.frames) == (w, h, 8)


@pytest.mark.parametrize("size", [(64, 64), (16, 16)])
def test_tiny_sizes_render_without_captions(tmp_path: Path, size: tuple[int, int]) -> None:
    out = render_to(tmp_path, request(size=size))
    assert (probe.probe(out.video).width, probe.probe(out.video).height) == size


# ----------------------------------------------------------------------------- determinism


def test_same_request_same_frames_sound_and_bytes(tmp_path: Path) -> None:
    a = render_to(tmp_path, request(seconds=2), "a")
    b = render_to(tmp_path, request(seconds=2), "b")
    hashes = [[hashlib.sha256(f.tobytes()).hexdigest() for f in frames(o.video)] for o in (a, b)]
    assert hashes[0] == hashes[1]
    assert np.array_equal(samples(a.video), samples(b.video))
    assert a.video.read_bytes() == b.video.read_bytes()
    assert a.spritesheet.read_bytes() == b.spritesheet.read_bytes()


def test_single_core_inline_rendering_gives_the_same_file(tmp_path: Path) -> None:
    threaded = render_to(tmp_path, request(), "threaded")
    engine = AnimaticEngine()
    engine.threaded = False
    inline = outputs(tmp_path, "inline")
    engine.render(request(), inline, lambda _: None)
    assert threaded.video.read_bytes() == inline.video.read_bytes()
    assert threaded.thumbnail.read_bytes() == inline.thumbnail.read_bytes()


def test_another_seed_changes_the_shot(tmp_path: Path) -> None:
    a = frames(render_to(tmp_path, request(seed=1), "a").video)
    b = frames(render_to(tmp_path, request(seed=2), "b").video)
    assert np.abs(a[12].astype(int) - b[12]).mean() > 2


def test_remix_keeps_the_seeds_composition() -> None:
    forest = scene.build("a fox walks in a forest", 42, 320, 180, 2, 24)
    city = scene.build("a neon robot dances in a city at night, noir", 42, 320, 180, 2, 24)
    other = scene.build("a fox walks in a forest", 43, 320, 180, 2, 24)
    assert forest.composition == city.composition == scene.composition(42)
    assert forest.composition != other.composition
    assert forest.palette != city.palette and forest.title != city.title
    # Trees and lamp posts stand in the same seeded slots: sparser trunks are a subset.
    x_of = {
        name: {round(p.x) for p in render.Renderer(s).front[0].props}
        for name, s in (
            ("forest", forest),
            ("city", scene.build("a fox walks in a city", 42, 320, 180, 2, 24)),
        )
    }
    assert x_of["forest"] and x_of["forest"] <= x_of["city"]


def test_soundtrack_is_seeded_shaped_and_normalised() -> None:
    shot = scene.build(FOX, 7, 320, 180, 2, 24)
    a, b = audio.soundtrack(shot), audio.soundtrack(shot)
    assert a.shape == (2, 2 * 48000) and a.dtype == np.float32
    assert np.array_equal(a, b)
    assert np.abs(a).max() <= audio.PEAK + 1e-6
    assert np.abs(a[:, 0]).max() < 1e-3 and np.abs(a[:, -1]).max() < 1e-3
    dark = audio.soundtrack(scene.build(FOX + ", eerie", 7, 320, 180, 2, 24))
    assert not np.array_equal(a, dark)


# ----------------------------------------------------------------------------- input image


def reference_image(path: Path, size: tuple[int, int]) -> Path:
    w, h = size
    ramp = np.linspace(40, 220, w, dtype=np.float32)[None, :].repeat(h, axis=0)
    rgb = np.stack([ramp, ramp[::-1, ::-1] * 0.8, np.full((h, w), 120.0)], -1).astype(np.uint8)
    image = Image.fromarray(rgb)
    ImageDraw.Draw(image).ellipse((w * 0.3, h * 0.3, w * 0.6, h * 0.8), fill=(200, 60, 60))
    image.save(path)
    return path


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".webp"])
def test_input_image_is_the_first_frame(tmp_path: Path, suffix: str) -> None:
    image = reference_image(tmp_path / f"ref{suffix}", (320, 180))
    expected = np.asarray(Image.open(image).convert("RGB"), np.float32)
    out = render_to(tmp_path, request("slow dolly in, noir", seconds=1, image=image))
    decoded = frames(out.video)
    assert len(decoded) == 24
    assert np.abs(decoded[0] - expected).mean() < 6
    assert np.abs(decoded[12] - expected).mean() > 6  # pushed in, captions faded in


def test_an_input_image_of_the_wrong_size_fails_cleanly(tmp_path: Path) -> None:
    image = reference_image(tmp_path / "ref.png", (160, 90))
    out = outputs(tmp_path)
    with pytest.raises(errors.EngineRuntimeError, match="expected 320x180"):
        AnimaticEngine().render(request(image=image), out, lambda _: None)
    assert not out.video.exists() and not out.thumbnail.exists()


# ----------------------------------------------------------------------------- progress


def test_progress_rises_from_0_to_100_and_ends_with_complete_files(tmp_path: Path) -> None:
    seen: list[int] = []
    out = outputs(tmp_path)

    def progress(p: int) -> None:
        if p == 100:
            assert out.thumbnail.exists() and out.spritesheet.exists()
            assert probe.probe(out.video).frames == 48
        seen.append(p)

    AnimaticEngine().render(request(seconds=2), out, progress)
    assert seen[0] == 0 and seen[-1] == 100 and seen.count(100) == 1
    assert seen == sorted(seen)
    assert max(b - a for a, b in itertools.pairwise(seen)) <= 5


class Stop(Exception):
    pass


@pytest.mark.parametrize("threaded", [True, False])
@pytest.mark.parametrize("at", [0, 40, 99, 100])
def test_a_raising_progress_aborts_and_cleans_up(tmp_path: Path, at: int, threaded: bool) -> None:
    threads = threading.active_count()
    out = outputs(tmp_path)
    engine = AnimaticEngine()
    engine.threaded = threaded

    def progress(p: int) -> None:
        if p >= at:
            raise Stop

    with pytest.raises(Stop):
        engine.render(request(seconds=2), out, progress)
    assert list(tmp_path.iterdir()) == []
    assert threading.active_count() == threads


# ----------------------------------------------------------------------------- what it shows


def test_night_is_darker_than_a_sunny_beach(tmp_path: Path) -> None:
    day = frames(render_to(tmp_path, request("a dog runs on a sunny beach"), "day").video)
    night = frames(render_to(tmp_path, request("a dog runs on a beach at night"), "n").video)
    assert mean_luma(night[12]) < mean_luma(day[12]) - 40


def test_noir_is_black_and_white(tmp_path: Path) -> None:
    out = render_to(tmp_path, request("a man walks in the city, film noir"))
    with av.open(str(out.video)) as container:
        frame = list(container.decode(video=0))[12]
    planes = frame.to_ndarray()  # yuv420p: luma rows, then both chroma planes
    luma, chroma = planes[:180].astype(int), planes[180:].astype(int)
    assert np.abs(chroma - 128).max() <= 2  # no colour anywhere, captions included
    assert luma.std() > 20  # high contrast, not grey mush


def test_captions_mark_the_lower_third(tmp_path: Path) -> None:
    req = request("a girl dances in a meadow, static shot")
    on = frames(render_to(tmp_path, req, "on").video)[12].astype(int)
    off = frames(render_to(tmp_path, req, "off", captions=False).video)[12].astype(int)
    box, middle = (slice(142, 166), slice(14, 110)), (slice(60, 100), slice(60, 260))
    assert np.abs(on[box] - off[box]).mean() > 20
    assert np.abs(on[middle] - off[middle]).mean() < 3


def blockiness(rgb: np.ndarray, block: int) -> float:
    """Colour steps inside blocks over steps at block edges: near 0 for pixel art, 1 for not."""
    steps = np.abs(np.diff(rgb.astype(int), axis=1)).sum(axis=(0, 2))
    edges = np.arange(steps.size) % block == block - 1
    return float(steps[~edges].mean() / max(1e-9, steps[edges].mean()))


def test_pixel_art_is_blocky(tmp_path: Path) -> None:
    prompt = "a camel walks across the desert at midday, static shot"
    pixel = request(prompt + ", pixel art", (720, 360))
    plain = request(prompt, (720, 360))
    a = frames(render_to(tmp_path, pixel, "pixel", captions=False).video)[12]
    b = frames(render_to(tmp_path, plain, "plain", captions=False).video)[12]
    assert blockiness(a, 4) < 0.2
    assert blockiness(b, 4) > 0.4


_SUBPROCESS_RENDER = """
import sys
from pathlib import Path
from reelway.engines import base
from reelway.engines.animatic.engine import AnimaticEngine
out = Path(sys.argv[1])
request = base.GenerationRequest(
    video_id="v", model="sora-2", prompt=sys.argv[2], width=160, height=90, seconds=1, seed=3
)
AnimaticEngine().render(request, base.RenderOutput(out, out.with_suffix(".webp"),
                        out.with_suffix(".jpg")), lambda _: None)
"""


def test_renders_match_across_processes(tmp_path: Path) -> None:
    """String hashing differs per process; nothing the renderer draws may depend on it."""
    digests = []
    for hash_seed in ("1", "2"):
        path = tmp_path / f"p{hash_seed}.mp4"
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run(
            [sys.executable, "-c", _SUBPROCESS_RENDER, str(path), FOX], env=env, check=True
        )
        digests.append(hashlib.sha256(path.read_bytes()).hexdigest())
    assert digests[0] == digests[1]


def test_an_unwritable_destination_is_an_engine_failure(tmp_path: Path) -> None:
    out = outputs(tmp_path / "missing" / "dir")
    with pytest.raises(errors.EngineRuntimeError, match="animatic render failed"):
        AnimaticEngine().render(request(), out, lambda _: None)
