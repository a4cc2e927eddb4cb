"""The gallery's prompts file (``make gallery``): it parses, is big enough, has a sheet for
every style, and holds every prompt the README and docs show, so a new one cannot slip in
without being looked at."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench import gallery
from PIL import Image


def test_the_prompts_file_parses_with_enough_prompts_and_every_style_group() -> None:
    found = gallery.load()
    assert len(found.prompts) >= gallery.MIN_PROMPTS
    names = [g.name for g in found.groups]
    assert set(gallery.STYLE_GROUPS) <= set(names) and "docs" in names
    for group in found.groups:
        assert group.title and len(group.prompts) >= 4, group.name


def test_every_prompt_in_the_readme_and_docs_has_an_entry_or_a_reason() -> None:
    shown = gallery.doc_prompts()
    # the extraction itself sees the README's first example and the noir prompt
    calico = "A calico cat walks along a beach at sunset, slow dolly in, watercolor style"
    assert calico in shown and "README.md" in shown[calico]
    assert "A lighthouse on a cliff at night, static camera, film noir" in shown
    found = gallery.load()
    missing = {p: files for p, files in shown.items() if p not in found.prompts}
    assert set(missing) <= set(found.skipped), f"add these to gallery/prompts.toml: {missing}"
    assert all(reason.strip() for reason in found.skipped.values())


def test_the_docs_group_is_the_docs_prompts_word_for_word() -> None:
    found = gallery.load()
    docs = next(g for g in found.groups if g.name == "docs")
    shown = gallery.doc_prompts()
    assert set(docs.prompts) <= set(shown), set(docs.prompts) - set(shown)


def test_a_prompt_twice_or_an_empty_group_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text('[[group]]\nname = "a"\ntitle = "A"\nprompts = ["x y", "x y"]\n')
    with pytest.raises(ValueError, match="twice"):
        gallery.load(path)
    path.write_text('[[group]]\nname = "a"\ntitle = "A"\nprompts = []\n')
    with pytest.raises(ValueError, match="none"):
        gallery.load(path)


def test_a_small_gallery_renders_a_sheet_per_group_and_a_page(tmp_path: Path) -> None:
    """Two groups of two tiny videos: the sheets hold the cells and the page plays them."""
    path = tmp_path / "p.toml"
    path.write_text(
        '[[group]]\nname = "one"\ntitle = "One"\nprompts = ["a cat on a beach", "a ship at sea"]\n'
        '[[group]]\nname = "two"\ntitle = "Two"\nprompts = ["a red car", "a tree, film noir"]\n'
    )
    out = tmp_path / "out"
    made = gallery.run(gallery.load(path), out, (160, 90), 1, workers=1)
    assert [p.name for p in made] == ["one.png", "two.png"]
    for sheet in made:
        with Image.open(sheet) as image:
            assert image.width == gallery.COLUMNS * (gallery.CELL_WIDTH + 8) + 8
            assert image.height > gallery.CELL_WIDTH * 9 // 16
    page = (out / "index.html").read_text()
    assert page.count("<video ") == 4 and 'src="videos/two-01.mp4"' in page
    assert "http" not in page  # no outside assets
    assert sorted(p.name for p in (out / "videos").iterdir()) == [
        "one-00.mp4",
        "one-01.mp4",
        "two-00.mp4",
        "two-01.mp4",
    ]
    # the middle frames differ: each cell shows its own video
    frames = sorted((out / "frames").iterdir())
    pixels = set()
    for frame in frames:
        with Image.open(frame) as image:
            pixels.add(image.tobytes())
    assert len(pixels) == 4
