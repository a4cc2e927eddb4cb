"""The diffusers engine on tiny Wan 2.2 and LTX-Video pipelines, loaded through its real path.

The pipelines are built once per module (``tests.tiny_models``) and loaded with
``from_pretrained(local_files_only=True)`` by the engine itself; every video is decoded back.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image

from reelway import catalog, errors, jobs
from reelway.catalog import Capability
from reelway.engines import base, registry
from reelway.engines.diffusers.engine import DiffusersEngine
from reelway.engines.diffusers.families import FAMILIES
from reelway.media import probe
from tests import tiny_models
from tests.engines.contract import (
    LocalEngineContract,
    MakeEngine,
    decoded_frames,
    local_outputs,
    reference_image,
)

os.environ["HF_HUB_OFFLINE"] = "1"

TINY = {"device": "cpu", "native_size": "64x32", "steps": 3, "fps": 8}
"""Options that make a 2 s render take a fraction of a second on a CPU."""

SIZE = (160, 90)


@pytest.fixture(scope="module", autouse=True)
def one_thread() -> Iterator[None]:
    """Tiny models gain nothing from torch's thread pool, and its spinning threads slow the
    module several times over when other tests share the machine's cores."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The tiny Wan 2.2 TI2V and LTX folders, and a text-only "wan" copy of the first."""
    root = tmp_path_factory.mktemp("tiny-models")
    wan22 = tiny_models.build_wan22(root / "wan-i2v")
    ltx = tiny_models.build_ltx(root / "ltx")
    wan = root / "wan"
    shutil.copytree(wan22, wan)
    index = json.loads((wan / "model_index.json").read_text())
    del index["expand_timesteps"]  # a plain WanPipeline: text to video only
    (wan / "model_index.json").write_text(json.dumps(index))
    return {"wan-i2v": wan22, "ltx": ltx, "wan": wan}


def create(folder: Path, **options: Any) -> DiffusersEngine:
    engine = registry.create("diffusers", {"model_path": str(folder), **TINY, **options})
    assert isinstance(engine, DiffusersEngine)
    return engine


@pytest.fixture(scope="module")
def resident(models: dict[str, Path]) -> dict[str, DiffusersEngine]:
    """One engine per family for the module, as a resident render child keeps it."""
    return {name: create(models[name]) for name in ("wan-i2v", "ltx")}


def request(
    seconds: int = 2,
    size: tuple[int, int] = SIZE,
    seed: int = 7,
    image: Path | None = None,
) -> base.GenerationRequest:
    return base.GenerationRequest(
        "video_diffusers", "wan", "a red fox in the snow", *size, seconds, seed, image
    )


def render(
    engine: DiffusersEngine, folder: Path, req: base.GenerationRequest, name: str = "out"
) -> tuple[base.RenderOutput, base.RenderResult]:
    output = local_outputs(folder, name)
    return output, engine.render(req, output, lambda _: None)


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Every ``pipeline.Loaded`` built while the test runs."""
    from reelway.engines.diffusers import pipeline

    built: list[Any] = []
    real = pipeline.Loaded

    def counting(options: Any) -> Any:
        built.append(real(options))
        return built[-1]

    monkeypatch.setattr(pipeline, "Loaded", counting)
    yield built


# ----------------------------------------------------------------------------- the contract


class TestWan22Contract(LocalEngineContract):
    @pytest.fixture
    def make_engine(self, resident: dict[str, DiffusersEngine]) -> MakeEngine:
        return lambda: resident["wan-i2v"]


class TestLtxContract(LocalEngineContract):
    @pytest.fixture
    def make_engine(self, resident: dict[str, DiffusersEngine]) -> MakeEngine:
        return lambda: resident["ltx"]


# ----------------------------------------------------------------------------- sizes


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_catalogue_size_maps_to_the_native_area_and_aspect(
    models: dict[str, Path], family: str
) -> None:
    spec = FAMILIES[family]
    engine = registry.create("diffusers", {"model_path": str(models[family]), "device": "cpu"})
    assert isinstance(engine, DiffusersEngine)
    native_area = spec.native_size[0] * spec.native_size[1]
    sizes = sorted({size for model in catalog.load().models for size in model.sizes})
    assert sizes
    for size in sizes:
        width, height = catalog.parse_size(size)
        plan = engine.plan(width, height, 4)
        assert plan.width % spec.size_multiple == 0 and plan.height % spec.size_multiple == 0
        made_aspect = plan.width / plan.height
        assert made_aspect / (width / height) == pytest.approx(1, abs=0.03), (size, plan)
        assert plan.width * plan.height / native_area == pytest.approx(1, abs=0.15), (size, plan)


@pytest.mark.parametrize("family", ["wan-i2v", "ltx"])
def test_a_portrait_video_is_made_at_the_native_area_and_scaled_exactly(
    resident: dict[str, DiffusersEngine], tmp_path: Path, family: str
) -> None:
    output, result = render(resident[family], tmp_path, request(size=(90, 160)))
    info = probe.probe(output.video)
    assert (info.width, info.height, info.frames) == (90, 160, 16)
    assert result.details["native_size"] == "32x64"
    assert all(frame.shape == (160, 90, 3) for frame in decoded_frames(output.video))


# ----------------------------------------------------------------------------- lengths


SEGMENTS = {
    "wan-i2v": {4: [97], 8: [121, 73], 12: [121, 121, 49]},
    "ltx": {4: [121], 8: [241], 12: [257, 105]},
    "wan": {4: [65]},
}
"""Frames per segment at the family's own fps and trained length (k * step + 1 each)."""


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_seconds_become_frames_at_the_family_fps(models: dict[str, Path], family: str) -> None:
    spec = FAMILIES[family]
    engine = registry.create("diffusers", {"model_path": str(models[family]), "device": "cpu"})
    assert isinstance(engine, DiffusersEngine)
    for seconds in (4, 8, 12):
        if seconds not in SEGMENTS[family]:
            with pytest.raises(errors.EngineRuntimeError, match=r"at most 5\.0 s"):
                engine.plan(1280, 720, seconds)
            continue
        plan = engine.plan(1280, 720, seconds)
        assert (plan.fps, plan.frames) == (spec.fps, seconds * spec.fps)
        assert list(plan.segments) == SEGMENTS[family][seconds]
        made = sum(plan.segments) - (len(plan.segments) - 1)  # each join shares a frame
        assert plan.frames <= made < plan.frames + spec.frame_step


@pytest.mark.parametrize("family", ["wan-i2v", "ltx"])
def test_segments_chain_from_the_previous_last_frame(
    models: dict[str, Path], tmp_path: Path, family: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create(models[family], segment_frames=17)
    loaded = engine.load()
    calls: list[tuple[NDArray[np.uint8] | None, int, NDArray[np.uint8]]] = []
    real = loaded.generate

    def spy(**arguments: Any) -> NDArray[np.uint8]:
        made = real(**arguments)
        image = arguments["image"]
        calls.append((None if image is None else np.asarray(image), arguments["seed"], made))
        return made

    monkeypatch.setattr(loaded, "generate", spy)
    output, result = render(engine, tmp_path, request(seconds=6))

    assert result.details["segments"] == [17, 17, 17]
    assert len(calls) == 3 and calls[0][0] is None
    assert [seed for _, seed, _ in calls] == [7, 8, 9]
    for (_, _, before), (image, _, after) in itertools.pairwise(calls):
        assert image is not None and np.array_equal(image, before[-1])
        assert len(after) == 17
    frames = decoded_frames(output.video)
    assert len(frames) == 48 == result.frames
    # Around each join the video holds the previous segment's last frame, then the next
    # segment's second one: its first (the same picture again) is not repeated.
    segment_frames = [made for _, _, made in calls]
    for join, (before, after) in zip((16, 32), itertools.pairwise(segment_frames), strict=True):
        assert _nearest(frames[join], [before[-1], after[1], after[2]]) == 0
        assert _nearest(frames[join + 1], [before[-1], before[-2], after[1]]) == 2


def _nearest(decoded: NDArray[np.float32], candidates: list[NDArray[np.uint8]]) -> int:
    """Which generated frame (native size) a decoded frame (scaled up, then H.264) was made
    from, compared at a quarter of the native size where scaling and coding barely show."""
    height, width = candidates[0].shape[:2]
    coarse = (width // 4, height // 4)

    def shrink(frame: NDArray[Any]) -> NDArray[np.float32]:
        image = Image.fromarray(frame.astype(np.uint8))
        return np.asarray(image.resize(coarse, Image.Resampling.BOX), np.float32)

    small = shrink(decoded)
    distances = [float(np.abs(small - shrink(c)).mean()) for c in candidates]
    assert min(distances) < 4, f"no generated frame looks like the decoded one: {distances}"
    return int(np.argmin(distances))


# ----------------------------------------------------------------------------- details, loading


def test_the_first_render_loads_and_records_how_it_was_made(
    models: dict[str, Path], tmp_path: Path, loads: list[Any]
) -> None:
    engine = create(models["wan-i2v"])
    _, first = render(engine, tmp_path, request(), "first")
    loaded = engine.load()
    _, second = render(engine, tmp_path, request(seed=8), "second")
    assert len(loads) == 1 and engine.load() is loaded is loads[0]
    assert first.details["load_seconds"] > 0 and second.details["load_seconds"] == 0
    details = second.details
    assert details["native_size"] == "64x32"
    assert (details["frames"], details["segments"], details["steps"]) == (16, [17], 3)
    assert details["fps"] == 8 and details["model"] == "wan-i2v" and details["device"] == "cpu"
    assert details["steps_per_second"] > 0
    assert isinstance(details["memory_bytes"], int) and details["memory_bytes"] > 0
    json.dumps(dict(details))  # stored as the video's rendered_with


# ----------------------------------------------------------------------------- out of memory


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(
            lambda: __import__("torch").OutOfMemoryError("CUDA out of memory. Tried to allocate"),
            id="torch.OutOfMemoryError",
        ),
        pytest.param(
            lambda: RuntimeError(
                "[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: can't allocate memory: "
                "you tried to allocate 1099511627776 bytes."
            ),
            id="CPU allocator",
        ),
    ],
)
def test_out_of_memory_is_reported_and_the_engine_renders_again(
    models: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: Any
) -> None:
    engine = create(models["ltx"])
    transformer = engine.load().text.transformer
    real = transformer.forward
    calls: list[int] = []

    def forward(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 3:
            raise failure()
        return real(*args, **kwargs)

    monkeypatch.setattr(transformer, "forward", forward)
    failed = tmp_path / "failed"
    failed.mkdir()
    with pytest.raises(errors.EngineOutOfMemory) as caught:
        render(engine, failed, request())
    assert "64x32 x 17 frames" in caught.value.message
    assert caught.value.code == "engine_out_of_memory"
    assert list(failed.iterdir()) == []

    output, result = render(engine, tmp_path, request())
    assert len(calls) > 3, "the second render ran on the same pipeline"
    assert len(decoded_frames(output.video)) == result.frames == 16


# ----------------------------------------------------------------------------- options, info


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"pipeline": "cogvideox"}, "unknown pipeline 'cogvideox'"),
        ({"pipeline": "ltx"}, "holds a 'wan-i2v' model .* pipeline 'ltx'"),
        ({"device": "gpu"}, "device must be 'cpu', 'cuda' or 'cuda:N'"),
        ({"device": "cuda:x"}, "device must be"),
        ({"device": []}, "device must be"),
        ({"device": ["cuda:0", "cuda:0"]}, "more than once"),
        ({"dtype": "int8"}, "dtype must be one of bfloat16, float16, float32"),
        ({"offload": "disk"}, "offload must be one of none, model, sequential, group"),
        ({"native_size": "100x50"}, "native_size 100x50 must be a multiple of 32"),
        ({"native_size": "huge"}, "native_size must look like"),
        ({"steps": 0}, "steps must be a positive whole number"),
        ({"fps": 500}, "fps must be at most 120"),
        ({"segment_frames": 3}, "segment_frames must be at least 5"),
        ({"guidance": 99}, "guidance must be between 0 and 30"),
        ({"remix_strength": 0}, "remix_strength must be above 0 and at most 1"),
        ({"remix_strength": "half"}, "remix_strength must be a number"),
    ],
)
def test_bad_options_are_refused(
    models: dict[str, Path], options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        create(models["wan-i2v"], **options)


def test_a_folder_that_is_not_a_model_is_refused_by_name(tmp_path: Path) -> None:
    empty = tmp_path / "weights"
    empty.mkdir()
    with pytest.raises(ValueError, match=r"has no model_index\.json") as caught:
        create(empty)
    assert str(empty) in str(caught.value)
    with pytest.raises(ValueError, match="does not exist"):
        create(tmp_path / "missing")
    (empty / "model_index.json").write_text(json.dumps({"_class_name": "CogVideoXPipeline"}))
    with pytest.raises(ValueError, match="'CogVideoXPipeline', not a pipeline this engine"):
        create(empty)


@pytest.mark.parametrize(
    ("family", "capabilities", "seconds"),
    [
        ("wan-i2v", {Capability.IMAGE_INPUT, Capability.NEGATIVE_PROMPT}, None),
        (
            "ltx",
            {
                Capability.IMAGE_INPUT,
                Capability.NEGATIVE_PROMPT,
                Capability.REMIX,
                Capability.EDITS,
            },
            None,
        ),
        ("wan", {Capability.NEGATIVE_PROMPT}, frozenset(range(1, 6))),
    ],
)
def test_info_reads_the_family_from_the_folder(
    models: dict[str, Path],
    family: str,
    capabilities: set[Capability],
    seconds: frozenset[int] | None,
) -> None:
    options = {"model_path": str(models[family]), "device": ["cuda:0", "cuda:1"]}
    engine = registry.create("diffusers", options)
    assert isinstance(engine, DiffusersEngine) and engine.family.name == family
    info = engine.info
    assert info.kind is base.EngineKind.LOCAL
    assert (info.execution, info.devices) == ("resident", ("cuda:0", "cuda:1"))
    assert info.capabilities == capabilities
    assert info.seconds == seconds


def test_the_text_only_family_refuses_an_image_and_a_long_video_before_loading(
    models: dict[str, Path], tmp_path: Path, loads: list[Any]
) -> None:
    engine = create(models["wan"], fps=16)
    image = reference_image(tmp_path / "reference.png", SIZE)
    with pytest.raises(errors.EngineRuntimeError, match="text only; it cannot start from an"):
        render(engine, tmp_path, request(image=image))
    with pytest.raises(errors.EngineRuntimeError, match=r"at most 5\.0 s .* fewer seconds"):
        render(engine, tmp_path, request(seconds=8))
    assert loads == [], "a request it cannot serve must not load the model"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reference.png"]
    # What it can serve, it renders.
    output, result = render(engine, tmp_path, request(seconds=1))
    assert probe.probe(output.video).frames == result.frames == 16
    assert len(loads) == 1


# ----------------------------------------------------------------------------- video to video


def _frames(path: Path) -> NDArray[np.float32]:
    import av

    with av.open(str(path)) as container:
        return np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)]).astype(
            np.float32
        )


@pytest.mark.parametrize("kind", [jobs.JobKind.REMIX, jobs.JobKind.EDIT])
def test_ltx_remakes_a_video_from_its_frames(
    resident: dict[str, DiffusersEngine], tmp_path: Path, kind: jobs.JobKind
) -> None:
    """A remix or edit on LTX runs its video-to-video pipeline on the source's frames: the
    result is exactly the size and length asked for, and it depends on the source (another
    source, same prompt and seed, gives other frames), not only on the prompt."""
    engine = resident["ltx"]
    first, _ = render(engine, tmp_path, request(seed=1), "first")
    other, _ = render(engine, tmp_path, request(seed=2), "other")
    made: list[NDArray[np.float32]] = []
    for name, source in (("from-first", first), ("from-other", other)):
        remake = dataclasses.replace(
            request(seed=9), prompt="a blue fox in the snow", kind=kind, source_video=source.video
        )
        seen: list[int] = []
        output = local_outputs(tmp_path, name)
        result = engine.render(remake, output, seen.append)
        facts = probe.probe(output.video)
        assert (facts.width, facts.height) == SIZE and abs(facts.duration - 2) < 0.01
        assert result.details["remade_from"] == "video"
        assert result.details["strength"] == engine.remix_strength
        assert seen[-1] == 100 and seen == sorted(seen)
        made.append(_frames(output.video))
    assert float(np.abs(made[0] - made[1]).mean()) > 1.0, "the source made no difference"


def test_a_family_without_video_to_video_refuses_a_remix_before_loading(
    models: dict[str, Path], tmp_path: Path, loads: list[Any]
) -> None:
    engine = create(models["wan-i2v"])
    source, _ = render(create(models["ltx"]), tmp_path, request(), "source")
    loads.clear()
    remix = dataclasses.replace(request(), kind=jobs.JobKind.REMIX, source_video=source.video)
    with pytest.raises(errors.EngineRuntimeError, match="makes new videos only"):
        engine.render(remix, local_outputs(tmp_path, "remix"), lambda _: None)
    ltx = create(models["ltx"])
    missing = dataclasses.replace(request(), kind=jobs.JobKind.REMIX)
    with pytest.raises(errors.AssetsMissing):
        ltx.render(missing, local_outputs(tmp_path, "missing"), lambda _: None)
    assert loads == [], "a request it cannot serve must not load the model"


def test_a_requests_negative_prompt_replaces_the_engines_default(
    models: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The request's negative prompt goes to the pipeline; without one, the engine's own."""
    engine = create(models["wan"], negative_prompt="the operator's default")
    loaded = engine.load()
    said: list[str] = []
    real = loaded.generate

    def spy(**arguments: Any) -> NDArray[np.uint8]:
        said.append(arguments["negative_prompt"])
        return real(**arguments)

    monkeypatch.setattr(loaded, "generate", spy)
    asked = dataclasses.replace(request(seconds=1), sources=jobs.Sources(negative_prompt="dogs"))
    render(engine, tmp_path, asked, "asked")
    render(engine, tmp_path, request(seconds=1), "plain")
    assert said == ["dogs", "the operator's default"]
    assert engine.info.has(Capability.NEGATIVE_PROMPT)
