"""Styles, lighting and composition of the animatic, measured on the frames it makes.

Most checks render frames the way the engine does (canvas -> swscale's yuv420p -> the
style's screen pass) without encoding, so they measure the picture and not x264; one test
goes through the whole engine and decodes the MP4.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from reelway.engines.animatic import captions, render, scene, sprites, styles
from reelway.media import encode
from tests.engines.test_animatic import frames, render_to, request

W, H = 640, 360


def shot(
    prompt: str, *, seconds: int = 1, seed: int = 7, size: tuple[int, int] = (W, H)
) -> scene.Scene:
    return scene.build(prompt, seed, size[0], size[1], seconds, 24)


def planes(
    prompt: str, indices: list[int], **kw: object
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Y, U, V of the finished frames (no captions), as int16 copies."""
    s = shot(prompt, **kw)  # type: ignore[arg-type]
    r = render.Renderer(s, captions=False, scale=0.75)
    out = []
    with encode.Mp4Writer(Path(tempfile.mkdtemp()) / "x.mp4", s.width, s.height, s.fps) as w:
        for i in indices:
            f = w.convert(r.picture(i), pixelated=r.pixelated)
            r.finish(f, i)
            y, u, v = (np.array(p, np.int16) for p in captions.planes(f))
            out.append((y, u, v))
        w.abort()
    return out


def luma(prompt: str, index: int = 12, **kw: object) -> np.ndarray:
    return planes(prompt, [index], **kw)[0][0]


def chroma_spread(u: np.ndarray, v: np.ndarray) -> float:
    return float(np.abs(u - 128).mean() + np.abs(v - 128).mean())


def fine_texture(y: np.ndarray) -> float:
    """Mean absolute difference between neighbouring pixels: flat fills have almost none."""
    return float(np.abs(np.diff(y, axis=1)).mean() + np.abs(np.diff(y, axis=0)).mean())


def paper(y: np.ndarray) -> float:
    """How far the sky strays from one grey per row (it is a vertical gradient): the paper."""
    sky = y[H // 8 : H // 3].astype(float)
    return float(np.median(np.abs(sky - np.median(sky, axis=1, keepdims=True))))


SCENE = "a cat sitting on a hill in a field, static camera"


# ----------------------------------------------------------------------------- reading


@pytest.mark.parametrize(
    ("prompt", "look"),
    [
        ("a fox in the snow, watercolor", "watercolor"),
        ("a fox in the snow, oil painting", "oil"),
        ("a fox in the snow, impressionist", "oil"),
        ("a fox in the snow, film noir", "noir"),
        ("a fox in the snow, anime", "anime"),
        ("a fox in the snow, pixel art", "pixel"),
        ("a fox in the snow, claymation", "claymation"),
        ("a fox in the snow, synthwave", "synthwave"),
        ("a pencil sketch of a fox in the snow", "sketch"),
        ("a fox in the snow, charcoal drawing", "sketch"),
        ("a fox in the snow, vintage film", "vintage"),
        ("a fox in the snow, documentary", "documentary"),
        ("a fox in the snow, photorealistic", "documentary"),
        ("a fox in the snow, cinematic", "cinematic"),
        ("a fox in the snow", "storyboard"),
    ],
)
def test_each_look_is_read_from_its_words(prompt: str, look: str) -> None:
    s = shot(prompt)
    assert styles.kind(s) == look
    assert render.Renderer(s, captions=False).scene.style == look


# ----------------------------------------------------------------------------- looks


def test_film_noir_is_high_contrast_black_and_white_with_blinds() -> None:
    ((y, u, v),) = planes(f"{SCENE}, film noir", [12])
    ((cy, cu, cv),) = planes(SCENE, [12])
    assert chroma_spread(u, v) == 0.0 < chroma_spread(cu, cv)
    spread = np.percentile(y, 98) - np.percentile(y, 2)
    assert spread > 120 and spread > np.percentile(cy, 98) - np.percentile(cy, 2) + 15
    # venetian-blind light: the sky alternates light and dark bands down a column
    column = y[: H // 3, W // 4]
    assert np.ptp(column) >= 12
    assert np.count_nonzero(np.diff(np.sign(np.diff(column.astype(float))))) >= 4


class _Flat(sprites.SubjectSprites):
    """The subject's poses in one flat colour: where they land is the figure's footprint."""

    fill = (255, 255, 255)

    def get(self, phase: float, angle: float, flip: bool) -> Image.Image:
        pose = super().get(phase, angle, flip)
        flat = Image.new("RGBA", pose.size, (*self.fill, 255))
        flat.putalpha(pose.getchannel("A"))
        return flat


def _finished_luma(r: render.Renderer, index: int) -> np.ndarray:
    s = r.scene
    with encode.Mp4Writer(Path(tempfile.mkdtemp()) / "x.mp4", s.width, s.height, s.fps) as w:
        f = w.convert(r.picture(index), pixelated=r.pixelated)
        r.finish(f, index)
        y = np.array(captions.planes(f)[0], np.int16)
        w.abort()
    return y


def figure_contrast(prompt: str, index: int = 12) -> float:
    """How far the figure's mean luma is from the mean luma of a 6-pixel band round it, in
    the finished frame.  The figure's pixels are where its poses land: the frame drawn with
    the subject flat white differs there from the frame drawn with it flat black."""
    s = shot(prompt)
    seen = _finished_luma(render.Renderer(s, captions=False, scale=0.75), index)
    flats = []
    for fill in ((255, 255, 255), (0, 0, 0)):
        r = render.Renderer(s, captions=False, scale=0.75)
        sp = r.subject
        assert sp is not None
        r.subject = _Flat(sp.kind, sp.size, sp.colour, sp.outline, sp.action, label=sp.label)
        r.subject.fill = fill
        flats.append(_finished_luma(r, index))
    figure = np.abs(flats[0] - flats[1]) > 100
    grown = Image.fromarray(figure.astype(np.uint8) * 255).filter(ImageFilter.MaxFilter(13))
    band = (np.asarray(grown) > 0) & ~figure
    assert figure.sum() > 500 and band.sum() > 500
    return abs(float(seen[figure].mean()) - float(seen[band].mean()))


@pytest.mark.parametrize(
    "prompt",
    [
        "A detective in a trench coat walks down a rainy street at night, film noir",
        "A car drives through the city at night, film noir",
        f"{SCENE}, film noir",
    ],
)
def test_a_noir_figure_stands_out_from_the_scenery_round_it(prompt: str) -> None:
    """Noir's key light: a grey figure among grey scenery is lost (these scored 3 to 42
    before); lit on dark streets or dark against a bright field, it stands apart."""
    assert figure_contrast(prompt) > 60


def test_noir_keys_the_figure_against_its_scenery_and_rim_lights_a_black_one() -> None:
    lit, outline = styles.noir_key((54, 54, 54), 40.0, black=False)
    assert lit[0] >= 40 + styles.NOIR_CONTRAST and outline == (0, 0, 0)
    dark, _ = styles.noir_key((174, 174, 174), 150.0, black=False)
    assert dark[0] <= 150 - styles.NOIR_CONTRAST
    cat = styles.restyle(shot("A black cat sits on a rooftop at night, film noir")).palette
    assert max(cat.subject) < 40 and min(cat.outline) > 200  # black, outlined in light


def test_pixel_art_is_blocks_of_one_colour() -> None:
    y = luma(f"{SCENE}, pixel art", size=(1280, 720))
    block = 8  # round(720 / 90): the canvas pixel's size on screen
    cells = y.reshape(720 // block, block, 1280 // block, block).transpose(0, 2, 1, 3)
    flat = (cells.max(axis=(2, 3)) - cells.min(axis=(2, 3))) <= 2
    assert flat.mean() > 0.97
    plain = luma(SCENE, size=(1280, 720)).reshape(90, 8, 160, 8).transpose(0, 2, 1, 3)
    assert ((plain.max(axis=(2, 3)) - plain.min(axis=(2, 3))) <= 2).mean() < flat.mean()


def test_watercolor_has_paper_and_a_wash_in_flat_areas() -> None:
    y = luma(f"{SCENE}, watercolor")
    py = luma(SCENE)
    assert paper(y) >= 1.5 and paper(py) <= 0.5  # a mottled sheet under a smooth sky
    # the wash: the screen pass moves U and V by a slow, uneven field
    r = render.Renderer(shot(f"{SCENE}, watercolor"), captions=False)
    assert r.screen.chroma is not None
    for tile in r.screen.chroma:
        offsets = tile.view(np.int8).astype(float)
        assert offsets.shape == (H // 2, W // 2)
        assert offsets.std() > 0.7 and np.abs(offsets).max() <= 8  # visible, never wrapping


def _square(colour: tuple[int, int, int] = (200, 60, 60)) -> Image.Image:
    img = Image.new("RGBA", (80, 80), (0, 0, 0, 0))
    ImageDraw.Draw(img).rectangle((20, 20, 59, 59), fill=(*colour, 255))
    return img


def _baker(prompt: str) -> styles.Baker:
    s = styles.restyle(shot(prompt))
    return styles.Baker(s, 540, styles.Noise(s.seed))


def test_watercolor_edges_are_soft_ragged_and_pooled() -> None:
    baked = np.asarray(_baker("a fox, watercolor").piece(_square()), np.int16)
    alpha = baked[..., 3]
    partial = np.count_nonzero((alpha > 0) & (alpha < 255))
    assert partial > 100  # a hard square has none
    assert alpha[:12, :12].max() == 0  # clear away from the shape
    edge_band = baked[22:26, 30:50, :3].mean()
    centre = baked[36:44, 36:44, :3].mean()
    assert edge_band < centre - 3  # pigment pooled at the edge
    ring = alpha[17:19, 30:50]  # just outside the drawn edge, along one side
    assert np.ptp(ring) > 10  # the bleed is uneven, not a clean blur


def test_anime_draws_an_ink_outline_and_neon_a_glowing_tube() -> None:
    anime = _baker("a fox, anime")
    baked = np.asarray(anime.piece(_square()), np.int16)
    assert (baked[18, 40, :3] == anime.outline).all() and baked[18, 40, 3] == 255
    assert (baked[40, 40, :3] == (200, 60, 60)).all()  # the fill stays flat
    neon = _baker("a fox, synthwave")
    glow = np.asarray(neon.piece(_square()), np.int16)
    assert (glow[19, 40, :3] == neon.accent).all()
    assert 0 < glow[12, 40, 3] < 255  # a halo fading outside the tube


def test_synthwave_is_dark_with_saturated_neon() -> None:
    ((y, u, v),) = planes("a car driving through a city at night, synthwave", [12])
    assert y.mean() < 90
    assert np.mean((np.abs(u - 128) + np.abs(v - 128)) > 60) > 0.01
    assert np.abs(np.diff(y[:, W // 2])).mean() > 2  # scanlines


def test_oil_painting_has_brush_relief_everywhere() -> None:
    oil = luma(f"{SCENE}, oil painting")
    plain = luma(SCENE)
    sky = (slice(H // 8, H // 3), slice(W // 2, W - W // 8))
    assert fine_texture(oil[sky]) > 3 * fine_texture(plain[sky]) + 0.5


def test_pencil_sketch_is_grey_paper_with_hatching() -> None:
    ((y, u, v),) = planes(f"a pencil sketch of {SCENE}", [12])
    assert chroma_spread(u, v) == 0.0
    assert np.median(y) > 170  # mostly paper
    ground = y[int(H * 0.75) :, :]
    assert np.percentile(ground, 5) < np.median(y) - 40  # pencil strokes on it
    baked = np.asarray(_baker("a pencil sketch of a fox").piece(_square((40, 40, 40))))
    inside = baked[25:55, 25:55, 0].astype(int)
    assert inside.max() - inside.min() > 80  # dark fill drawn as hatching, not filled


def test_vintage_has_changing_grain_flicker_and_gate_weave() -> None:
    got = planes(f"{SCENE}, vintage film", [10, 11, 12, 13])
    ys = [p[0] for p in got]
    assert all(chroma_spread(p[1], p[2]) > 0 for p in got)  # sepia, not grey
    assert all(np.abs(ys[k + 1] - ys[k]).mean() > 1.0 for k in range(3))
    r = render.Renderer(shot(f"{SCENE}, vintage film"), captions=False)
    offsets = {r.weave.at(i) for i in range(24)}
    assert (len(offsets) >= 3 and (0, 0) in offsets) or len(offsets) >= 4
    assert {r.picture(i).shape[:2] for i in range(24) if r.weave.at(i) != (0, 0)} == {
        (r.ch - 4, r.cw - 4)
    }


def test_claymation_is_soft_and_moves_on_twos() -> None:
    clay = _baker("a fox, claymation")
    baked = np.asarray(clay.piece(_square((150, 150, 150))), np.int16)
    top_left, bottom_right = baked[24:28, 24:28, 0].mean(), baked[52:56, 52:56, 0].mean()
    assert top_left > bottom_right + 15  # lit from the top left, rounded
    assert baked[20, 20, 3] < 128  # the corner is rounded off
    r = render.Renderer(shot("a cat walking in a field, claymation", seconds=2), captions=False)
    steps = [r.motion.subject(i) for i in range(48)]
    assert all(steps[i] == steps[i + 1] for i in range(0, 48, 2))  # each pose held for two
    assert len({st.x for st in steps}) > 10


def test_documentary_is_natural_without_outlines_or_bars() -> None:
    s = render.Renderer(shot("a fox in a forest, documentary"), captions=False).scene
    assert s.style == "documentary"
    assert s.palette.outline != (20, 18, 26) and sum(s.palette.outline) > 40
    y = luma("a fox in a forest, documentary")
    assert y[:4].mean() > 40  # no letterbox bar
    bars = luma("a fox in a forest, cinematic")
    assert bars[:4].mean() <= 17


# ----------------------------------------------------------------------------- lighting


def _rgb_means(prompt: str) -> tuple[float, float, float]:
    ((y, u, v),) = planes(prompt, [12])
    return float(y.mean()), float(u.mean()), float(v.mean())


def test_lighting_words_change_the_frame() -> None:
    base = "a dog standing in a field, static camera"
    day, golden, night = (_rgb_means(f"{base}{w}") for w in ("", " at golden hour", " at night"))
    assert golden[2] > day[2] + 4  # warmer: V (red difference) up
    assert night[0] < day[0] - 40  # darker
    plain = luma(base)
    for word in (" in the fog", " in the rain", " in the snow", " at sunset", " at dawn"):
        assert np.abs(luma(base + word) - plain).mean() > 4, word


def test_fog_banks_drift_and_rain_and_snow_read() -> None:
    base = "a dog standing in a field, static camera"
    foggy = luma(base + " in the fog")
    overcast = luma(base + ", overcast")
    far = slice(int(H * 0.3), int(H * 0.6))  # the trees on the horizon
    assert np.std(foggy[far]) < 0.8 * np.std(overcast[far])  # haze flattens the distance
    rain = luma(base + " in the rain")
    streaks = np.diff(rain.astype(float), axis=1)
    assert np.mean(np.abs(streaks) > 25) > np.mean(
        np.abs(np.diff(overcast.astype(float), axis=1)) > 25
    )
    snow = luma(base + " in the snow")
    sky = snow[: H // 3]
    assert np.mean(sky > 225) > 0.004  # flakes against the sky


def test_golden_hour_throws_a_long_shadow() -> None:
    s = shot("a dog standing in a field at golden hour, static camera")
    r = render.Renderer(s, captions=False)
    r2 = render.Renderer(shot("a dog standing in a field, static camera"), captions=False)
    width = {}
    for name, renderer in (("golden", r), ("day", r2)):
        pic = np.asarray(renderer.picture(0))[..., :3].astype(int)
        renderer.subject = None
        bare = np.asarray(renderer.picture(0))[..., :3].astype(int)
        changed = np.abs(pic - bare).sum(axis=2) > 20
        cols = np.flatnonzero(changed.any(axis=0))
        width[name] = cols.max() - cols.min()
    assert width["golden"] > width["day"] * 1.3


# ----------------------------------------------------------------------------- composition

PLACED = [
    "A calico cat walks along a beach at sunset, watercolor style",
    "a red fox running through a snowy forest, tracking shot",
    "a horse galloping across a field, pan left",
    "a bird flying over the ocean",
    "three birds flying over the sea, close-up",
    "a robot dancing in a city at night, handheld",
]


def _meets(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])


@pytest.mark.parametrize("prompt", PLACED)
def test_the_subject_is_never_under_the_caption_or_the_label(prompt: str) -> None:
    for seed in (1, 7, 42):
        s = shot(prompt, seconds=4, seed=seed, size=(1280, 720))
        r = render.Renderer(s, captions=True)
        boxes = r.subject_boxes()
        assert len(boxes) == s.frame_count
        assert r.overlay.caption_box is not None and r.overlay.label_box is not None
        for box in boxes:
            assert not _meets(box, r.overlay.caption_box), (seed, box)
            assert not _meets(box, r.overlay.label_box), (seed, box)


def test_the_caption_moves_only_when_the_subject_would_be_under_it() -> None:
    moved = 0
    for prompt in PLACED:
        for seed in (1, 7, 42):
            s = shot(prompt, seconds=4, seed=seed, size=(1280, 720))
            r = render.Renderer(s, captions=True)
            m, (x0, y0, x1, y1) = r.overlay.margin, r.overlay.caption_box or (0, 0, 0, 0)
            usual = (m - m % 2, 720 - m - (y1 - y0), m - m % 2 + (x1 - x0), 720 - m)
            if any(_meets(b, usual) for b in r.subject_boxes()):
                moved += 1
                assert (x0, y0) != usual[:2]
            else:
                assert (x0, y0) == usual[:2]  # the storyboard's place when it is free
    assert moved >= 1  # the test clips include a subject that crosses the lower third


def test_the_subject_box_holds_the_drawn_subject() -> None:
    """The boxes placement relies on are where the pixels are: rendered with and without
    the subject, every changed pixel lies inside the frame's box."""
    s = shot("a bird flying over the ocean, handheld", seconds=2, size=(640, 360))
    r = render.Renderer(s, captions=False)
    bare = render.Renderer(s, captions=False)
    bare.subject = None
    focus: dict[int, tuple[float, float]] = {}
    drawn = r._draw_subject

    def recorded(index: int, cam: object) -> tuple[float, float]:
        focus[index] = drawn(index, cam)  # type: ignore[arg-type]
        return focus[index]

    r._draw_subject = recorded  # type: ignore[method-assign]
    bare._draw_subject = lambda index, cam: focus[index]  # type: ignore[method-assign]
    boxes = r.subject_boxes()
    with encode.Mp4Writer(Path(tempfile.mkdtemp()) / "x.mp4", 640, 360, 24) as w:
        for i in range(0, s.frame_count, 7):
            a = w.convert(r.picture(i)).to_ndarray(format="rgb24").astype(int)
            b = w.convert(bare.picture(i)).to_ndarray(format="rgb24").astype(int)
            ys, xs = np.nonzero(np.abs(a - b).sum(axis=2) > 30)
            assert xs.size > 50
            x0, y0, x1, y1 = boxes[i]
            assert xs.min() >= x0 - 3 and xs.max() <= x1 + 3, (i, xs.min(), xs.max(), boxes[i])
            assert ys.min() >= y0 - 3 and ys.max() <= y1 + 3, (i, ys.min(), ys.max(), boxes[i])
        w.abort()


# ----------------------------------------------------------------------------- whole engine

LOOKS = [
    "watercolor", "oil painting", "film noir", "anime", "pixel art", "claymation", "synthwave",
    "pencil sketch", "vintage film", "documentary",
]  # fmt: skip


def test_every_look_renders_decodes_and_differs(tmp_path: Path) -> None:
    """Through the engine and x264: each look's decoded middle frame differs from the plain
    storyboard's and from every other look's."""
    middles = {}
    for look in ["plain", *LOOKS]:
        prompt = SCENE if look == "plain" else f"{SCENE}, {look}"
        out = render_to(
            tmp_path,
            request(prompt, seconds=1),
            look.replace(" ", "_"),
            captions=False,
            audio=False,
        )
        got = frames(out.video)
        middles[look] = got[len(got) // 2].astype(np.int16)
    names = list(middles)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert np.abs(middles[a] - middles[b]).mean() > 3, (a, b)


_DIGEST = """
import hashlib, sys, tempfile
from pathlib import Path
from reelway.engines.animatic import render, scene
from reelway.media import encode
h = hashlib.sha256()
for look in sys.argv[1:]:
    s = scene.build("a cat on a hill, " + look, 5, 320, 180, 1, 24)
    r = render.Renderer(s, captions=False)
    with encode.Mp4Writer(Path(tempfile.mkdtemp()) / "x.mp4", 320, 180, 24) as w:
        for i in (0, 5, 11):
            f = w.convert(r.picture(i), pixelated=r.pixelated)
            r.finish(f, i)
            h.update(f.to_ndarray(format="yuv420p").tobytes())
        w.abort()
print(h.hexdigest())
"""


def test_looks_are_the_same_in_every_process() -> None:
    looks = [
        "watercolor",
        "oil painting",
        "film noir",
        "pencil sketch",
        "vintage film",
        "claymation",
    ]
    digests = set()
    for hash_seed in ("1", "2"):
        done = subprocess.run(
            [sys.executable, "-c", _DIGEST, *looks],
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
            check=True,
            capture_output=True,
            text=True,
        )
        digests.add(done.stdout.strip())
    assert len(digests) == 1 and len(next(iter(digests))) == 64
    assert hashlib.sha256(b"").hexdigest() not in digests
