"""The animatic's remixes, edits, extensions and characters, checked on decoded MP4s."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from reelway import jobs, prompting
from reelway.engines import base
from reelway.engines.animatic import audio, characters, motion, scene
from reelway.engines.animatic.engine import AnimaticEngine
from reelway.media import probe
from reelway.media.encode import Mp4Writer

BEACH = "A red fox walks along a sunny beach, watercolor"
RUN = "A red fox running along a sunny beach, tracking shot"


def request(prompt: str, seconds: int = 2, **fields: object) -> base.GenerationRequest:
    return base.GenerationRequest(
        video_id="video_test",
        model="sora-2",
        prompt=prompt,
        width=320,
        height=180,
        seconds=seconds,
        seed=7,
        **fields,  # type: ignore[arg-type]
    )


def render(
    directory: Path, req: base.GenerationRequest, name: str, **options: object
) -> tuple[base.RenderOutput, base.RenderResult]:
    out = base.RenderOutput(
        directory / f"{name}.mp4", directory / f"{name}.webp", directory / f"{name}.jpg"
    )
    result = AnimaticEngine(**options).render(req, out, lambda _: None)  # type: ignore[arg-type]
    return out, result


def frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24").astype(np.float32) for f in container.decode(video=0)]


def samples(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        return np.concatenate([f.to_ndarray() for f in container.decode(audio=0)], axis=1)


def near(rgb: np.ndarray, colour: np.ndarray, within: float = 40.0) -> np.ndarray:
    mask: np.ndarray = np.linalg.norm(rgb - colour, axis=2) < within
    return mask


def centroid(mask: np.ndarray) -> tuple[float, float]:
    ys, xs = np.nonzero(mask)
    assert len(xs) > 30, "the subject is not in the frame"
    return float(xs.mean()), float(ys.mean())


def step(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).mean())


# ----------------------------------------------------------------------------- merging


def test_the_new_prompt_changes_only_what_it_states() -> None:
    source = prompting.analyse(BEACH)
    night = scene.merge(source, prompting.analyse("the same shot at night"))
    assert (night.setting_kind, night.subject, night.action_kind) == ("beach", "red fox", "walk")
    assert (night.lighting_kind, night.style_kind) == ("night", "watercolor")
    magenta = scene.merge(source, prompting.analyse("make the fox magenta"))
    assert (magenta.subject_kind, magenta.subject_colour, magenta.setting_kind) == (
        "animal",
        "magenta",
        "beach",
    )
    sky = scene.merge(source, prompting.analyse("the fox runs at golden hour"))
    assert (sky.subject_colour, sky.lighting_kind, sky.action_kind) == ("red", "golden", "run")
    robot = scene.merge(source, prompting.analyse("a robot dances in the rain"))
    assert (robot.subject_kind, robot.subject_colour, robot.action_kind) == ("robot", None, "dance")
    assert (robot.setting_kind, robot.weather, robot.style_kind) == ("beach", "rain", "watercolor")


# ----------------------------------------------------------------------------- remix, edit


def test_a_remix_of_a_beach_scene_keeps_the_beach(tmp_path: Path) -> None:
    remix = request("the same shot at night", kind=jobs.JobKind.REMIX, source_prompt=BEACH)
    assert scene.build(remix.prompt, 7, 320, 180, 2, 24, source_prompt=BEACH).setting == "beach"
    out, _ = render(tmp_path, remix, "remix", captions=False)
    # The whole prompt, said at once, draws the same frames: the beach, at night.
    said, _ = render(
        tmp_path,
        request("A red fox walks along a beach at night, watercolor"),
        "said",
        captions=False,
    )
    fresh, _ = render(tmp_path, request("the same shot at night"), "fresh", captions=False)
    got, want, field = frames(out.video), frames(said.video), frames(fresh.video)
    assert step(got[20], want[20]) < 1.5
    assert step(got[20], field[20]) > 8


def test_a_chain_of_edits_keeps_what_each_step_left_unsaid(tmp_path: Path) -> None:
    """Each step's prompt names only its change; the file's recorded scene carries the rest."""
    first, _ = render(tmp_path, request(BEACH), "first", captions=False)
    night = request(
        "the same shot at night",
        kind=jobs.JobKind.REMIX,
        source_video=first.video,
        source_prompt=BEACH,
    )
    second, _ = render(tmp_path, night, "second", captions=False)
    rain = request(
        "make it rain",
        kind=jobs.JobKind.EDIT,
        source_video=second.video,
        source_prompt=night.prompt,  # says nothing of the beach or the fox
        source_seconds=2,
    )
    third, _ = render(tmp_path, rain, "third", captions=False)
    with av.open(str(third.video)) as container:
        recorded = scene.recall(container.metadata.get(scene.SCENE_TAG))
    assert recorded is not None
    assert (recorded.setting_kind, recorded.subject, recorded.lighting_kind, recorded.weather) == (
        "beach",
        "red fox",
        "night",
        "rain",
    )
    said, _ = render(
        tmp_path,
        request("A red fox walks along a beach at night in the rain, watercolor"),
        "said",
        captions=False,
    )
    assert step(frames(third.video)[20], frames(said.video)[20]) < 1.5


def test_an_edit_keeps_size_length_layout_and_motion(tmp_path: Path) -> None:
    source, _ = render(tmp_path, request(BEACH), "source", captions=False)
    edit = request(
        "make the fox magenta",
        kind=jobs.JobKind.EDIT,
        source_video=source.video,
        source_prompt=BEACH,
        source_seconds=2,
    )
    out, result = render(tmp_path, edit, "edit", captions=False)
    a, b = probe.probe(source.video), probe.probe(out.video)
    assert (b.width, b.height, b.frames, b.duration) == (a.width, a.height, a.frames, a.duration)
    assert result.duration == 2.0
    red = np.array(scene.build(BEACH, 7, 320, 180, 2, 24).palette.subject, np.float32)
    edited = scene.build(edit.prompt, 7, 320, 180, 2, 24, source_prompt=BEACH)
    magenta = np.array(edited.palette.subject, np.float32)
    assert magenta[2] > magenta[1] and magenta[0] > magenta[1]  # magenta
    before, after = frames(source.video), frames(out.video)
    for index in (0, len(before) - 1):  # where the fox stands, and where its walk takes it
        was, now = centroid(near(before[index], red)), centroid(near(after[index], magenta))
        assert abs(was[0] - now[0]) < 6 and abs(was[1] - now[1]) < 6, (index, was, now)
    # Everything but the fox is the source's beach.
    scenery = ~(near(before[0], red, 90) | near(after[0], magenta, 90))
    assert float(np.abs(before[0] - after[0])[scenery].mean()) < 3


# ----------------------------------------------------------------------------- extension


@pytest.fixture(scope="module")
def extended(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, base.RenderOutput, float]:
    """A 2 s running fox and its 4 s extension (6 s in all, keyframes every 2 s)."""
    directory = tmp_path_factory.mktemp("extend")
    source, _ = render(directory, request(RUN), "source")
    ext = request(
        "the fox keeps running",
        4,
        kind=jobs.JobKind.EXTEND,
        source_video=source.video,
        source_prompt=RUN,
        source_seconds=2,
    )
    out, result = render(directory, ext, "extended")
    return source.video, out, result.duration


def test_an_extension_is_the_whole_video(extended: tuple[Path, base.RenderOutput, float]) -> None:
    _, out, duration = extended
    info = probe.probe(out.video)
    assert duration == 6.0
    assert (info.width, info.height, info.frames, info.fps) == (320, 180, 144, 24)
    assert info.duration == pytest.approx(6.0)
    assert info.audio_duration == pytest.approx(6.0, abs=0.05)
    assert info.faststart
    with Image.open(out.thumbnail) as thumb, Image.open(out.spritesheet) as sheet:
        assert thumb.size == (320, 180) and sheet.format == "JPEG"


def test_an_extension_starts_with_the_sources_frames_and_does_not_jump(
    extended: tuple[Path, base.RenderOutput, float],
) -> None:
    source, out, _ = extended
    original, whole = frames(source), frames(out.video)
    assert len(original) == 48
    for a, b in zip(original, whole[:48], strict=True):  # the source's own frames, re-encoded
        assert step(a, b) < 3
    steps = [step(whole[i], whole[i + 1]) for i in range(len(whole) - 1)]
    join, elsewhere = steps[47], steps[:47] + steps[48:]
    # One frame of motion, like its neighbours.  The join is a keyframe, as the frame 4 s in
    # is, so the codec's step there is among the neighbours compared; the two sides were
    # encoded apart, which adds a little codec noise (a cut to another shot adds tens).
    assert join <= max(elsewhere) + 1.0, (join, max(elsewhere))
    assert join < 2.5 * float(np.median(elsewhere))


def test_an_extension_of_an_extension_continues_too(
    extended: tuple[Path, base.RenderOutput, float], tmp_path: Path
) -> None:
    _, first, _ = extended
    with av.open(str(first.video)) as container:
        assert container.metadata.get("title") == "the fox keeps running"
        recorded = scene.recall(container.metadata.get(scene.SCENE_TAG))
    assert recorded is not None and recorded.setting_kind == "beach"
    again = request(
        "on it goes",
        2,
        kind=jobs.JobKind.EXTEND,
        source_video=first.video,
        source_prompt="the fox keeps running",
        source_seconds=6,
    )
    out, result = render(tmp_path, again, "again")
    whole = frames(out.video)
    assert result.duration == 8.0 and len(whole) == 192
    steps = [step(whole[i], whole[i + 1]) for i in range(len(whole) - 1)]
    elsewhere = max(x for i, x in enumerate(steps) if i not in (47, 143))
    for join in (47, 143):  # the first join, re-encoded once more, and the new one
        assert steps[join] <= elsewhere + 1.0, (join, steps[join], elsewhere)


def test_an_extensions_sound_continues(extended: tuple[Path, base.RenderOutput, float]) -> None:
    _, out, _ = extended
    sound = samples(out.video)
    join, window = 2 * 48000, 4800
    assert sound.shape[1] >= 6 * 48000 - 2048  # the source's sound, then the segment's

    def rms(lo: int) -> float:
        return float(np.sqrt((sound[:, lo : lo + window] ** 2).mean()))

    before, after = rms(join - 3 * window), rms(join + window // 10)
    assert after > 0.6 * before and after < 1.6 * before  # no fade-in, the same level


def test_a_continued_soundtrack_keeps_the_level_and_skips_the_fade_in() -> None:
    source = scene.build(RUN, 7, 320, 180, 2, 24)
    follow = scene.build(
        "the fox keeps running", 7, 320, 180, 2, 24, source_prompt=RUN, source_seconds=2
    )
    assert follow.start_frame == 48 and follow.audio_key == source.audio_key
    a, b = audio.soundtrack(source), audio.soundtrack(follow)
    assert np.abs(b).max() <= audio.PEAK + 1e-6
    head = float(np.sqrt((b[:, :480] ** 2).mean()))
    tail = float(np.sqrt((a[:, -7200:-2400] ** 2).mean()))
    assert head > 0.5 * tail


def test_a_changed_light_dissolves_from_the_sources_last_frame(tmp_path: Path) -> None:
    source, _ = render(tmp_path, request(BEACH), "day")
    ext = request(
        "the same shot at night",
        kind=jobs.JobKind.EXTEND,
        source_video=source.video,
        source_prompt=BEACH,
        source_seconds=2,
    )
    out, _ = render(tmp_path, ext, "night")
    whole = frames(out.video)
    steps = [step(whole[i], whole[i + 1]) for i in range(len(whole) - 1)]
    assert steps[47] < 12 and max(steps[47:72]) < 12  # a dissolve, not a cut to night
    assert float(whole[-1].mean()) < 0.6 * float(whole[0].mean())  # and night it is


def test_a_continued_action_starts_where_the_subject_was() -> None:
    kite = "A red kite over a sandy beach at noon, slow pan right"
    source = scene.build(kite, 7, 320, 180, 4, 24)
    climb = scene.build(
        "The kite climbs higher", 7, 320, 180, 4, 24, source_prompt=kite, source_seconds=4
    )
    assert climb.action == "climb" and climb.follows == source
    was = motion.Motion(source, 320, 180)
    now = motion.Motion(climb, 320, 180)
    end, start = was.subject(source.frame_count - 1), now.subject(0)
    assert abs(end.x - start.x) < 2 and abs(end.y - start.y) < 2
    assert now.subject(climb.frame_count - 1).y < start.y - 20  # then it climbs
    camera = was.camera(source.frame_count - 1), now.camera(0)
    assert abs(camera[0].x - camera[1].x) < 2 and camera[0].zoom == pytest.approx(camera[1].zoom)


def test_a_cancelled_extension_leaves_nothing_behind(tmp_path: Path) -> None:
    source, _ = render(tmp_path, request(RUN), "source")
    before = set(tmp_path.iterdir())
    ext = request(
        "the fox keeps running",
        kind=jobs.JobKind.EXTEND,
        source_video=source.video,
        source_prompt=RUN,
        source_seconds=2,
    )
    out = base.RenderOutput(tmp_path / "x.mp4", tmp_path / "x.webp", tmp_path / "x.jpg")

    def cancel(percent: int) -> None:
        if percent >= 40:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        AnimaticEngine().render(ext, out, cancel)
    assert set(tmp_path.iterdir()) == before


def test_an_uploaded_source_is_continued_from_its_last_frame(tmp_path: Path) -> None:
    upload = tmp_path / "upload.mp4"
    with Mp4Writer(upload, 320, 180, 24, crf=18) as writer:
        for index in range(48):
            frame = np.zeros((180, 320, 3), np.uint8)
            frame[:, : 80 + index * 3] = (30, 160, 90)
            writer.write_frame(frame)
    ext = request(
        "a calm continuation",
        kind=jobs.JobKind.EXTEND,
        source_video=upload,
        source_prompt=None,
        source_seconds=2,
    )
    out, result = render(tmp_path, ext, "extended")
    whole = frames(out.video)
    assert result.duration == 4.0 and len(whole) == 96
    assert step(whole[47], whole[48]) < 6


# ----------------------------------------------------------------------------- characters


def character_clip(
    path: Path, colour: tuple[int, int, int] = (220, 40, 200), wide: bool = False
) -> Path:
    """A tall magenta figure bobbing on a grey ground (a person-like silhouette), or a long
    one (an animal's)."""
    with Mp4Writer(path, 160, 160, 24, crf=18) as writer:
        for index in range(60):
            frame = np.full((160, 160, 3), 128, np.uint8)
            top = 30 + index % 6
            if wide:
                frame[top + 40 : top + 90, 20:140] = colour
            else:
                frame[top : top + 100, 60:100] = colour
            writer.write_frame(frame)
    return path


def test_a_characters_look_comes_from_its_clip(tmp_path: Path) -> None:
    ref = base.CharacterRef("char_1", "Zorp", character_clip(tmp_path / "zorp.mp4"))
    look = characters.look(ref)
    assert (look.name, look.kind) == ("Zorp", "person")
    assert np.abs(np.array(look.colour) - (220, 40, 200)).max() < 24
    assert characters.named([ref], "zorp waves hello") == ref
    assert characters.named([ref], "Zorpish things") is None


def test_a_named_character_is_the_subject(tmp_path: Path) -> None:
    ref = base.CharacterRef("char_1", "Zorp", character_clip(tmp_path / "zorp.mp4"))
    magenta = np.array([220, 40, 200], np.float32)
    named, _ = render(
        tmp_path, request("Zorp walks along a sunny beach", characters=(ref,)), "named"
    )
    unnamed, _ = render(
        tmp_path, request("A fox walks along a sunny beach", characters=(ref,)), "unnamed"
    )
    shown = frames(named.video)
    assert all(near(f, magenta, 50).sum() > 300 for f in shown[::12])
    assert all(near(f, magenta, 50).sum() < 20 for f in frames(unnamed.video)[::12])


def test_two_named_characters_both_show(tmp_path: Path) -> None:
    zorp = base.CharacterRef("char_1", "Zorp", character_clip(tmp_path / "zorp.mp4"))
    mossy = base.CharacterRef(
        "char_2", "Mossy", character_clip(tmp_path / "mossy.mp4", (40, 200, 230), wide=True)
    )
    assert characters.look(mossy).kind == "animal"
    both, _ = render(
        tmp_path,
        request("Zorp and Mossy walk along a sunny beach", characters=(zorp, mossy)),
        "both",
        captions=False,
    )
    magenta, cyan = np.array([220, 40, 200], np.float32), np.array([40, 200, 230], np.float32)
    for f in frames(both.video)[::12]:
        assert near(f, magenta, 50).sum() > 300 and near(f, cyan, 50).sum() > 150
