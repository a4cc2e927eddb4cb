"""The animatic's subjects in real MP4s, decoded back: markings, counts, signs and static
families show (or stay put) in the frames a viewer sees.

Each check renders the prompt and the same shot without its subject (same seed, so the same
layout, light and camera; captions off) and takes the subject as what differs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from tests.engines.test_animatic import frames, render_to, request

QUIET = {"captions": False, "audio": False}
STILL = "in a meadow at midday, static camera"


def _frames(tmp_path: Path, prompt: str, name: str, seconds: int = 1) -> list[NDArray[np.int16]]:
    out = render_to(tmp_path, request(prompt, seconds=seconds), name, **QUIET)
    return [f.astype(np.int16) for f in frames(out.video)]


def _subject(frame: NDArray[np.int16], empty: NDArray[np.int16]) -> NDArray[np.bool_]:
    mask: NDArray[np.bool_] = np.abs(frame - empty).sum(axis=2) > 60
    return mask


def _share(
    frame: NDArray[np.int16], mask: NDArray[np.bool_], colour: tuple[int, int, int]
) -> float:
    near = np.abs(frame - np.array(colour, np.int16)).sum(axis=2) < 70
    return float((near & mask).sum() / max(1, mask.sum()))


def test_a_calico_cat_shows_its_patches(tmp_path: Path) -> None:
    empty = _frames(tmp_path, f"A field {STILL}", "empty")[12]
    calico = _frames(tmp_path, f"A calico cat sleeps {STILL}", "calico")[12]
    plain = _frames(tmp_path, f"A cat sleeps {STILL}", "plain")[12]
    m_calico, m_plain = _subject(calico, empty), _subject(plain, empty)
    assert m_calico.sum() > 300 and m_plain.sum() > 300
    white, black = (246, 240, 228), (42, 36, 36)
    assert _share(calico, m_calico, white) > 0.15 and _share(calico, m_calico, black) > 0.03
    assert _share(plain, m_plain, white) < 0.05  # an orange cat has no white coat


def test_three_cats_are_three(tmp_path: Path) -> None:
    empty = _frames(tmp_path, f"A field {STILL}", "empty")[12]
    one = _subject(_frames(tmp_path, f"A cat sleeps {STILL}", "one")[12], empty)
    three = _subject(_frames(tmp_path, f"Three cats sleep {STILL}", "three")[12], empty)

    def width(mask: NDArray[np.bool_]) -> int:
        cols = np.nonzero(mask.any(axis=0))[0]
        return int(cols.max() - cols.min())

    assert width(three) > 1.7 * width(one)
    assert three.sum() > 1.7 * one.sum()


def test_an_unknown_noun_is_a_sign_with_its_name(tmp_path: Path) -> None:
    empty = _frames(tmp_path, f"A field {STILL}", "empty")[12]
    sign = _frames(tmp_path, f"A zorblatt {STILL}", "sign")[12]
    other = _frames(tmp_path, f"A quibbix {STILL}", "other")[12]
    mask = _subject(sign, empty)
    assert mask.sum() > 300
    assert _share(sign, mask, (248, 246, 240)) > 0.2  # the board
    assert _share(sign, mask, (30, 28, 32)) > 0.02  # the letters
    assert np.abs(sign - other)[mask].mean() > 5  # different words, different sign


def test_a_lighthouse_stays_where_it_stands(tmp_path: Path) -> None:
    shot = _frames(tmp_path, "A lighthouse walks along a cliff at midday, static camera", "lh", 2)
    empty = _frames(tmp_path, "A cliff at midday, static camera", "cliff", 2)
    xs = []
    for k in (0, len(shot) // 2, len(shot) - 1):
        mask = _subject(shot[k], empty[k])
        rows = np.nonzero(mask.any(axis=1))[0]
        base = mask[rows.max() - 12 : rows.max()]  # the tower's foot, not its beam
        xs.append(float(np.nonzero(base)[1].mean()))
    assert max(xs) - min(xs) < 3


def test_a_night_market_stands_lit_in_the_street(tmp_path: Path) -> None:
    """The market (stalls, awnings, lanterns) is drawn where the street alone is dark, it
    stays where it stands, and its lamps are bright at night."""
    shot = _frames(tmp_path, "A night market at night, static camera", "market", 2)
    empty = _frames(tmp_path, "A city street at night, static camera", "street", 2)
    lefts = []
    for k in (0, len(shot) // 2, len(shot) - 1):
        mask = _subject(shot[k], empty[k])
        assert mask.sum() > 0.08 * mask.size  # a row of stalls, not a speck
        lefts.append(int(np.nonzero(mask.any(axis=0))[0].min()))
    assert max(lefts) - min(lefts) < 3
    middle = shot[len(shot) // 2]
    mask = _subject(middle, empty[len(shot) // 2])
    luma = middle @ np.array([0.2126, 0.7152, 0.0722])
    assert float((luma[mask] > 170).mean()) > 0.15  # lit backs, bulbs and lanterns
    assert float(luma[~mask].mean()) < 80  # in a night street


def test_a_named_subject_hops_on_its_sign(tmp_path: Path) -> None:
    """ "Mossy hops": a name with no character entry is a signboard bearing it, hopping."""
    shot = _frames(tmp_path, f"Mossy hops {STILL}", "mossy", 2)
    empty = _frames(tmp_path, f"A meadow {STILL}", "meadow", 2)
    tops = []  # the board's top (its shadow stays on the ground)
    for k in range(0, len(shot), 4):
        mask = _subject(shot[k], empty[k])
        assert mask.sum() > 300, k
        tops.append(int(np.nonzero(mask.any(axis=1))[0].min()))
    middle = shot[len(shot) // 2]
    board = _subject(middle, empty[len(shot) // 2])
    assert _share(middle, board, (248, 246, 240)) > 0.2  # the board
    assert _share(middle, board, (30, 28, 32)) > 0.02  # its name
    assert max(tops) - min(tops) > 10  # off the ground and back: a hop
