"""The animatic's subject families: every one drawn, each with its own silhouette, sized to
its box, moving as its action says; modifiers (patterns, counts, signs) show in the drawing.

Silhouettes are compared as alpha masks of the standing pose, cropped to the figure and
scaled (aspect kept) into a common 48x48 box, anchored at the bottom centre as the renderer
anchors them.  Scale-free on purpose: one drawing reused at another size for a second family
scores 1.0.  The bound, IoU < 0.8 for every pair, sits under what two figures of one body plan
score when they differ only in a detail a viewer would miss (a horse with a horn scores ~0.95)
and over what distinct objects of a similar outline score (a burger and an apple, ~0.75).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image

from reelway import prompting
from reelway.engines.animatic import figures, motion, scene, sprites
from reelway.engines.animatic.figures import patterns

OUTLINE = (20, 18, 26)
BOX = 48
IOU_LIMIT = 0.8
ACTIONS = ("idle", "walk", "run", "fly", "swim", "jump", "spin", "dance", "sleep", "float")
DRAWN = [name for name in figures.FAMILIES if name != "sign"]


def _pose(name: str, phase: float = 0.0, action: str = "idle", **kw: object) -> Image.Image:
    colour = figures.FAMILIES[name].colour
    return sprites.draw_subject(name, 80, colour, OUTLINE, phase, action, **kw)  # type: ignore[arg-type]


def _mask(img: Image.Image) -> NDArray[np.bool_]:
    a = np.asarray(img.getchannel("A")) > 127
    rows, cols = np.nonzero(a)
    a = a[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    h, w = a.shape
    k = BOX / max(h, w)
    small = Image.fromarray((a * 255).astype(np.uint8)).resize(
        (max(1, round(w * k)), max(1, round(h * k))), Image.Resampling.BILINEAR
    )
    out = Image.new("L", (BOX, BOX), 0)
    out.paste(small, ((BOX - small.width) // 2, BOX - small.height))
    mask: NDArray[np.bool_] = np.asarray(out) > 127
    return mask


def test_the_tables_agree_and_cover_what_people_write_about() -> None:
    assert set(prompting.FAMILIES) == set(figures.FAMILIES)
    assert set(prompting.FAMILY_KIND) == set(prompting.FAMILIES)
    assert len(DRAWN) >= 40
    for name, fam in figures.FAMILIES.items():
        assert fam.mode in figures.MODES, name
        assert fam.box[0] > 0 and fam.box[1] > 0 and 0 < fam.size < 1, name
    wanted = (
        "cat", "dog", "horse", "fox", "bear", "rabbit", "elephant", "giraffe", "bird",
        "perched_bird", "owl", "fish", "whale", "shark", "jellyfish", "butterfly", "insect",
        "dragon", "unicorn", "ghost", "monster", "person", "robot", "car", "bus", "train",
        "bicycle", "motorcycle", "boat", "sailing_ship", "submarine", "plane", "helicopter",
        "rocket", "balloon", "kite", "lighthouse", "castle", "skyscraper", "house", "bridge",
        "tree", "flower", "cake", "pizza", "burger", "fruit", "coffee", "teapot", "lamp", "book",
        "clock", "planet", "moon",
    )  # fmt: skip
    assert set(wanted) <= set(DRAWN)


def test_every_silhouette_differs_from_every_other() -> None:
    masks = {name: _mask(_pose(name)) for name in DRAWN}
    worst = (0.0, "", "")
    for a, b in itertools.combinations(DRAWN, 2):
        iou = float((masks[a] & masks[b]).sum() / (masks[a] | masks[b]).sum())
        worst = max(worst, (iou, a, b))
    assert worst[0] < IOU_LIMIT, (
        f"{worst[1]} and {worst[2]} share a silhouette (IoU {worst[0]:.2f})"
    )


def test_the_measure_catches_a_shared_drawing() -> None:
    """The bound means something: the same drawing at another size scores 1, and the
    horse with a horn (what a lazy unicorn would be) scores over the limit."""
    fam = figures.FAMILIES["horse"]
    big = sprites.draw_subject("horse", 140, fam.colour, OUTLINE, 0.0, "idle")
    assert float((_mask(big) == _mask(_pose("horse"))).mean()) > 0.97
    horse = _mask(_pose("horse"))
    from reelway.engines.animatic.figures import animals, pen

    img = Image.new("RGBA", (400, 300), (*OUTLINE, 0))
    from PIL import ImageDraw

    p = pen.Pen(ImageDraw.Draw(img), OUTLINE, 2.9)
    animals._horse(p, 160, 400, 296, 0.0, fam.colour, "idle", horn=True)
    p.finish()
    horned = _mask(img)
    assert float((horse & horned).sum() / (horse | horned).sum()) > IOU_LIMIT


@pytest.mark.parametrize("name", list(figures.FAMILIES))
def test_every_pose_fits_its_box(name: str) -> None:
    """No action or phase draws past the sprite's edge (a clipped tail or beam)."""
    for action in ACTIONS:
        for k in range(0, sprites.POSES, 3):
            img = _pose(name, k / sprites.POSES, action, label="LABEL")
            a = np.asarray(img.getchannel("A"))
            edge = max(a[0].max(), a[:, 0].max(), a[:, -1].max())
            assert edge < 40, f"{name} {action} pose {k} touches the box edge"
            assert (a > 127).sum() > 0.05 * a.size, f"{name} {action} is nearly empty"


def test_cats_and_dogs_differ_where_a_viewer_looks() -> None:
    """Upright tail and pointed ears above the head line vs a low tail and floppy ears: the
    cat's outline reaches higher above its back (relative to its length)."""
    cat, dog = _mask(_pose("cat")), _mask(_pose("dog"))
    assert float((cat & dog).sum() / (cat | dog).sum()) < 0.7
    cat_a = np.asarray(_pose("cat").getchannel("A")) > 127
    dog_a = np.asarray(_pose("dog").getchannel("A")) > 127

    def rear_height(a: NDArray[np.bool_]) -> float:
        rows, cols = np.nonzero(a)
        left = cols < cols.min() + 0.25 * (cols.max() - cols.min())  # the tail end
        return float((rows.max() - rows[left].min()) / (cols.max() - cols.min()))

    assert rear_height(cat_a) > rear_height(dog_a) + 0.15
    # and they move differently: the dog's tail wags while it stands, the cat's barely sways
    d0, d1 = _aligned(_pose("dog", 0.0), _pose("dog", 1 / 16))
    c0, c1 = _aligned(_pose("cat", 0.0), _pose("cat", 1 / 16))
    assert (d0 != d1).sum() > (c0 != c1).sum()


def _aligned(*poses: Image.Image) -> list[NDArray[np.bool_]]:
    """The poses' alpha masks on one canvas, anchored at the bottom centre as pasted."""
    w, h = max(p.width for p in poses), max(p.height for p in poses)
    out = []
    for p in poses:
        canvas = Image.new("L", (w, h), 0)
        canvas.paste(p.getchannel("A"), ((w - p.width) // 2, h - p.height))
        out.append(np.asarray(canvas) > 127)
    return out


@pytest.mark.parametrize("action", ["walk", "run", "fly", "swim", "dance", "sleep", "spin"])
def test_actions_animate(action: str) -> None:
    family = {"fly": "bird", "swim": "fish", "dance": "person"}.get(action, "cat")
    poses = [_pose(family, k / 8, action) for k in range(8)]
    arrays = [np.asarray(p) for p in poses]
    changed = sum(a.shape != b.shape or bool((a != b).any()) for a, b in itertools.pairwise(arrays))
    if action == "spin":  # the drawing holds; motion turns it
        st = _motion("A teapot spins on a table")
        angles = {round(st.subject(i).angle) for i in range(0, 48, 6)}
        assert len(angles) >= 6
        return
    assert changed >= 6, f"{family} {action} hardly moves"


def test_a_sleeping_cat_lies_low_and_breathes() -> None:
    standing, *lying = _aligned(_pose("cat"), *(_pose("cat", k / 4, "sleep") for k in range(4)))
    assert np.nonzero(lying[0])[0].min() > np.nonzero(standing)[0].min() + 10  # lower top
    assert any((lying[0] != other).any() for other in lying[1:])  # the chest rises and falls


def _motion(prompt: str, seconds: int = 2) -> motion.Motion:
    shot = scene.build(prompt, 3, 320, 180, seconds, 24)
    return motion.Motion(shot, 320, 180)


def test_rooted_families_stay_put_and_fliers_fly() -> None:
    lighthouse = _motion("A lighthouse walks along a cliff at night")
    xs = {round(lighthouse.subject(i).x, 3) for i in range(48)}
    ys = {round(lighthouse.subject(i).y, 3) for i in range(48)}
    assert len(xs) == 1 and len(ys) == 1
    tree = _motion("An oak tree in a meadow")
    assert tree.scene.subject_kind == "tree" and tree.speed == 0
    bird = _motion("A bird over a meadow")
    assert bird.scene.action == "fly" and bird.airborne and bird.speed > 0
    moon = _motion("The moon over the sea")
    assert moon.airborne and moon.base_y < moon.horizon


def test_patterns_show_on_the_body_only() -> None:
    plain = np.asarray(_pose("cat"))
    calico = np.asarray(_pose("cat", pattern="calico"))
    assert plain.shape == calico.shape
    body = patterns.body_mask(_pose("cat", ss_free := 0.0), figures.FAMILIES["cat"].colour)
    del ss_free
    assert body.any()
    rgb = calico[..., :3].reshape(-1, 3).astype(int)
    opaque = calico[..., 3].reshape(-1) > 250

    def share(colour: tuple[int, int, int]) -> float:
        near = np.abs(rgb - np.array(colour)).sum(axis=1) < 40
        return float((near & opaque).sum() / opaque.sum())

    assert (
        share((246, 240, 228)) > 0.1 and share((222, 124, 44)) > 0.03 and share((42, 36, 36)) > 0.03
    )
    # eyes and outline untouched: the darkest pixels are where they were
    dark_plain = plain[..., :3].sum(axis=2) < 80
    dark_calico = calico[..., :3].sum(axis=2) < 80
    assert (dark_plain & ~dark_calico).sum() == 0
    for pattern in ("striped", "tabby", "spotted", "metallic"):
        marked = np.asarray(_pose("cat", pattern=pattern))
        assert (marked != plain).any(axis=2).sum() > 200, pattern
    glow = _pose("jellyfish", pattern="glowing")
    base = _pose("jellyfish")
    assert glow.width > base.width and glow.height > base.height
    alpha = np.asarray(glow.getchannel("A"))
    assert ((alpha > 10) & (alpha < 200)).sum() > 500  # a soft halo round it


def test_a_count_draws_that_many() -> None:
    fam = figures.FAMILIES["bird"]
    three = sprites.SubjectSprites("bird", 60, fam.colour, OUTLINE, "fly", count=3)
    group = (np.asarray(three.get(0.0, 0, False).getchannel("A")) > 127).sum()
    phases = [(k * 5) % sprites.POSES / sprites.POSES for k in range(3)]
    singles = [
        sprites.draw_subject("bird", three.size, fam.colour, OUTLINE, p, "fly") for p in phases
    ]
    total = sum((np.asarray(s.getchannel("A")) > 127).sum() for s in singles)
    assert 0.8 * total < group <= total * 1.01  # three figures, overlapping a little
    assert max(s.width for s in singles) * 1.8 < three.get(0.0, 0, False).width
    shot = scene.build("Three birds fly over the sea", 1, 320, 180, 1, 24)
    assert shot.figure.count == 3 and shot.subject_kind == "bird"


def test_an_unknown_noun_is_a_labelled_sign_not_a_sphere() -> None:
    shot = scene.build("A zorblatt on a table, static camera", 1, 320, 180, 1, 24)
    assert shot.subject_kind == "sign" and shot.figure.label == "zorblatt"
    a, b = _pose("sign", label="ZORBLATT"), _pose("sign", label="TEAPOTS")
    assert (np.asarray(a) != np.asarray(b)).any()  # the words are drawn
    ball = _mask(_pose("ball"))
    sign = _mask(a)
    assert float((ball & sign).sum() / (ball | sign).sum()) < 0.6


def test_a_sweeping_beam_is_the_lighthouse_and_a_balance_beam_is_not() -> None:
    """The docs' storyboard shot after a lighthouse names only its beam."""
    assert scene.build("The beam sweeps the sea", 1, 320, 180, 1, 24).subject_kind == "lighthouse"
    balance = scene.build("A gymnast on a balance beam", 1, 320, 180, 1, 24)
    assert balance.subject_kind != "lighthouse"


def test_draw_only_what_the_prompt_names() -> None:
    """Nothing is drawn up front: a sprite set draws its poses on first use."""
    sp = sprites.SubjectSprites("lighthouse", 60, (200, 40, 40), OUTLINE, "idle")
    assert not sp._poses
    sp.get(0.5, 0, False)
    assert len(sp._poses) == 1


def test_sizes_follow_the_words() -> None:
    from reelway.engines.animatic import palette

    tiny = palette.noun_look(prompting.analyse("a tiny dog"))[1]
    usual = palette.noun_look(prompting.analyse("a dog"))[1]
    giant = palette.noun_look(prompting.analyse("a giant dog"))[1]
    assert math.isclose(tiny, usual * 0.6) and giant > usual * 1.5


def test_a_negative_prompt_takes_the_markings_off() -> None:
    striped = scene.build("A striped cat walks in a park", 1, 320, 180, 1, 24, negative="stripes")
    tiger = scene.build("A tiger walks in a park", 1, 320, 180, 1, 24, negative="no stripes")
    assert scene.build("A tiger walks in a park", 1, 320, 180, 1, 24).figure.pattern == "striped"
    assert striped.figure.pattern not in patterns.PATTERNS
    assert tiger.figure.pattern not in patterns.PATTERNS and tiger.subject_kind == "big_cat"


def _alpha(img: Image.Image) -> NDArray[np.uint8]:
    a: NDArray[np.uint8] = np.asarray(img.getchannel("A"))
    return a


def _luma(rgb: NDArray[np.uint8]) -> NDArray[np.float64]:
    out: NDArray[np.float64] = rgb[..., :3] @ np.array([0.2126, 0.7152, 0.0722])
    return out


def _runs(line: NDArray[np.bool_]) -> list[tuple[bool, int]]:
    """(value, length) runs along a line of booleans."""
    runs: list[tuple[bool, int]] = []
    for v in line.tolist():
        if runs and runs[-1][0] == v:
            runs[-1] = (v, runs[-1][1] + 1)
        else:
            runs.append((v, 1))
    return runs


def _whole_disc(img: Image.Image) -> float:
    """The opaque share of the disc inscribed in the opaque part's bounding box."""
    solid = _alpha(img) > 250
    rows, cols = np.nonzero(solid)
    cy, cx = (rows.min() + rows.max()) / 2, (cols.min() + cols.max()) / 2
    r = min(rows.max() - rows.min(), cols.max() - cols.min()) / 2 * 0.9
    yy, xx = np.mgrid[0 : solid.shape[0], 0 : solid.shape[1]]
    inside = (yy - cy) ** 2 + (xx - cx) ** 2 < r * r
    return float(solid[inside].mean())


def test_a_full_moon_is_a_whole_disc_with_grey_seas_in_a_halo() -> None:
    """'full moon' draws its own family: a whole disc (not the crescent), darker seas on it,
    and a halo ring, clear of the disc, that is part of the silhouette (a soft glow round
    it is not), so no ball or sun shares its outline."""
    assert prompting.analyse("A full moon rising over the sea").subject_family == "full_moon"
    assert prompting.analyse("The moon over the sea").subject_family == "moon"
    full, crescent = _pose("full_moon"), _pose("moon")
    assert _whole_disc(full) > 0.98 and _whole_disc(crescent) < 0.8
    a = _alpha(full)
    rows, cols = np.nonzero(a > 127)
    cy, cx = (rows.min() + rows.max()) // 2, (cols.min() + cols.max()) // 2
    runs = _runs(a[cy, cx:] > 127)  # from the centre out: disc, gap, ring, clear
    assert [v for v, _ in runs] == [True, False, True, False], runs
    disc, gap, ring = runs[0][1], runs[1][1], runs[2][1]
    assert gap > 0.15 * disc and ring > 0.05 * disc
    assert ((a > 10) & (a < 127)).sum() > 0.1 * (a > 127).sum()  # the soft glow
    rgb = np.asarray(full)
    yy, xx = np.mgrid[0 : a.shape[0], 0 : a.shape[1]]
    body = (a > 250) & ((xx - cx) ** 2 + (yy - cy) ** 2 < (0.85 * disc) ** 2)
    fill = _luma(np.array(figures.FAMILIES["full_moon"].colour, np.uint8))
    seas = _luma(rgb)[body] < fill - 25
    assert 0.1 < float(seas.mean()) < 0.5


def test_a_moon_is_not_dimmed_by_the_night_it_lights() -> None:
    moon = scene.build("A full moon over a forest at night", 1, 320, 180, 1, 24).palette
    ball = scene.build("A white ball in a forest at night", 1, 320, 180, 1, 24).palette
    moon_luma = float(_luma(np.array(moon.subject, np.uint8)))
    assert moon_luma > 200 and float(_luma(np.array(ball.subject, np.uint8))) < moon_luma - 40
    red = scene.build("A blood moon over the desert at night", 1, 320, 180, 1, 24).palette.subject
    assert red[0] > red[1] + 80  # a blood moon is red


@pytest.mark.parametrize(
    ("prompt", "lighting"),
    [
        ("A full moon rising over the sea", "night"),
        ("A crescent moon over a quiet lake", "night"),
        ("A wolf howls at the full moon", "night"),  # the moon as scenery, not the subject
        ("Stars over the desert", "night"),
        ("A full moon over the sea at dawn", "golden"),  # a lighting word still decides
        ("A red fox in snow", "day"),
        ("A rock star plays guitar", "day"),  # a person, not a star
        ("A starfish on the beach", "day"),
    ],
)
def test_a_moon_or_stars_bring_the_night_unless_the_prompt_says_when(
    prompt: str, lighting: str
) -> None:
    """A day sky would draw the scene's own sun beside the moon."""
    assert scene.build(prompt, 1, 320, 180, 1, 24).lighting == lighting


def _face_and_shape(name: str) -> tuple[float, float]:
    """How tall the figure is for its width, and how far down it its white dial sits (0:
    the top, 1: the ground)."""
    img = _pose(name)
    a, rgb = _alpha(img), np.asarray(img)[..., :3].astype(int)
    rows, cols = np.nonzero(a > 127)
    top, height, width = rows.min(), rows.max() - rows.min(), cols.max() - cols.min()
    dial = (a > 250) & (np.abs(rgb - 244).sum(axis=2) < 30)
    assert dial.sum() > 30, name
    return height / width, float((np.nonzero(dial)[0].mean() - top) / height)


def test_a_clock_tower_is_a_tower_with_its_clock_near_the_top() -> None:
    """Big Ben, not an alarm clock: a figure three times as tall as it is wide with its dial
    high up (under the spire); a clock on the wall is still the squat alarm clock."""
    for prompt in ("An old clock tower in the town square at dusk", "Big Ben at night"):
        assert prompting.analyse(prompt).subject_family == "clock_tower", prompt
    assert prompting.analyse("A clock on the wall").subject_family == "clock"
    assert prompting.FAMILY_KIND["clock_tower"] == "building"
    tall, dial = _face_and_shape("clock_tower")
    assert tall > 2.5 and dial < 0.42
    tall, dial = _face_and_shape("clock")
    assert tall < 1.5 and dial > 0.45
    tower = _motion("A clock tower walks across the town square")
    assert (
        len({(round(tower.subject(i).x, 3), round(tower.subject(i).y, 3)) for i in range(48)}) == 1
    )


def test_a_spotted_deer_is_not_a_giraffe() -> None:
    """A deer carries its head on a short neck (its nose under half a giraffe's height at
    one size), the two share little of their outline, and a deer's spots are pale and on
    its back and flanks, never down its legs as a giraffe's patches are."""
    deer, giraffe = _mask(_pose("deer")), _mask(_pose("giraffe"))
    assert float((deer & giraffe).sum() / (deer | giraffe).sum()) < 0.6

    def nose_height(name: str) -> int:
        a = _alpha(_pose(name)) > 127
        rows, cols = np.nonzero(a)
        front = rows[cols >= cols.max() - 2]  # facing right: the muzzle's tip
        return int(a.shape[0] - front.mean())

    assert nose_height("deer") < 0.5 * nose_height("giraffe")
    for name, lighter in (("deer", True), ("giraffe", False)):
        plain, spotted = np.asarray(_pose(name)), np.asarray(_pose(name, pattern="spotted"))
        changed = (plain != spotted).any(axis=2)
        assert changed.sum() > 100, name
        rise = float((_luma(spotted)[changed] - _luma(plain)[changed]).mean())
        assert (rise > 60) if lighter else (rise < -60), (name, rise)
    rows = np.nonzero(_alpha(_pose("deer")) > 127)[0]
    legs = rows.max() - 0.25 * (rows.max() - rows.min())  # the lower legs
    plain, spotted = np.asarray(_pose("deer")), np.asarray(_pose("deer", pattern="spotted"))
    assert not (plain != spotted).any(axis=2)[int(legs) :].any()


def _iou(a: NDArray[np.bool_], b: NDArray[np.bool_]) -> float:
    return float((a & b).sum() / (a | b).sum())


def test_a_knight_and_a_wizard_are_not_plain_people() -> None:
    """Helm, plume, sword and shield; pointed hat, robe and staff: outlines a viewer tells
    from a plain person (and from each other), where a person in another colour scores 1."""
    person = _mask(_pose("person"))
    knight, wizard = _mask(_pose("knight")), _mask(_pose("wizard"))
    assert _iou(person, knight) < 0.6 and _iou(person, wizard) < 0.6
    assert _iou(knight, wizard) < 0.6
    # the sword reaches ahead of the body, the hat and staff above a person's head
    k = np.asarray(_pose("knight").getchannel("A")) > 127
    p = np.asarray(_pose("person").getchannel("A")) > 127
    assert k.shape[1] > 1.5 * p.shape[1]
    w = np.asarray(_pose("wizard").getchannel("A")) > 127
    assert w.shape[0] > 1.25 * p.shape[0]


def test_the_wizards_staff_glows_and_pulses_as_the_spell_is_cast() -> None:
    shot = scene.build("A wizard casts a spell in a tower", 1, 320, 180, 1, 24)
    assert (shot.subject_kind, shot.action) == ("wizard", "idle")
    poses = [_pose("wizard", k / sprites.POSES) for k in range(0, sprites.POSES, 4)]
    tops = []
    for img in poses:
        a = np.asarray(img)
        glow = (a[..., 3] > 20) & (a[..., 2] > 200) & (a[..., 0] > 150)  # pale cyan light
        assert glow[: a.shape[0] // 3].sum() > 40  # up at the staff's tip
        tops.append(int(glow.sum()))
    assert max(tops) > 1.2 * min(tops)  # the glow swells and fades


def test_a_heron_is_tall_on_thin_legs_and_stays_put() -> None:
    img = _pose("heron")
    a = np.asarray(img.getchannel("A")) > 127
    rows, cols = np.nonzero(a)
    height, width = rows.max() - rows.min(), cols.max() - cols.min()
    assert height > 1.2 * width  # tall, where a bird in flight is wide
    legs = a[rows.min() + int(0.7 * height) : rows.max() - 4]
    assert legs.sum(axis=1).max() < 0.2 * width  # only two thin legs in the lowest third
    assert _iou(_mask(img), _mask(_pose("bird"))) < 0.4
    shot = _motion("A heron stands in a misty marsh at dawn, watercolor")
    assert shot.scene.subject_kind == "heron" and shot.speed == 0 and not shot.airborne
    assert len({round(shot.subject(i).x, 3) for i in range(48)}) == 1


def test_a_market_is_stalls_under_lit_lanterns_at_night() -> None:
    """Striped awnings over a row of stalls with gaps between them; its lamps are not dimmed
    with the rest of it at night (they give the light)."""
    night = scene.build("A night market in the rain", 1, 320, 180, 1, 24)
    assert night.subject_kind == "market" and night.lighting == "night"
    m = _motion("A night market walks down the street at night")
    assert m.speed == 0 and len({round(m.subject(i).x, 3) for i in range(48)}) == 1
    img = sprites.draw_subject("market", 80, night.palette.subject, OUTLINE, 0.0, "idle")
    a = np.asarray(img).astype(int)
    opaque = a[..., 3] > 200
    warm = (a[..., 0] > 230) & (a[..., 1] > 180) & opaque
    assert warm.sum() > 0.08 * opaque.sum()  # lit backs, bulbs and lanterns
    lum = a[..., :3].sum(axis=2)
    assert lum[opaque].max() > 700 and float(np.median(lum[opaque])) < 600
    alpha = np.asarray(img.getchannel("A")) > 127
    cols = alpha[-int(0.3 * img.height) :].any(axis=0).astype(int)
    starts = int((np.diff(cols) == 1).sum()) + int(cols[0])
    assert starts >= 3  # the three stalls stand apart
