"""The model catalogue: the shipped defaults, lookups, prices, and bad files refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelway import catalog, errors


def test_default_catalogue_follows_the_seeds() -> None:
    models = catalog.load()
    sora = models.resolve("sora-2")
    openai_sizes = tuple(s for s in sora.sizes if s not in sora.reelway_sizes)
    assert openai_sizes == ("1280x720", "720x1280")  # the 480p drafts are Reelway's own
    assert sora.seconds == (4, 8, 12, 16, 20)
    longform = {catalog.Capability.EDITS, catalog.Capability.EXTENSIONS}
    assert longform | {catalog.Capability.CHARACTERS} <= sora.capabilities
    assert models.resolve("sora-2-2025-12-08") is sora
    pro = models.resolve("sora-2-pro-2025-10-06")
    assert {10, 15, 25, 16, 20} <= set(pro.seconds)
    assert longform <= pro.capabilities
    assert pro.price_usd(1280, 720, 10) == pytest.approx(3.0)
    assert pro.price_usd(1920, 1080, 10) == pytest.approx(5.0)
    assert pro.price_usd(1792, 1024, 1) == pytest.approx(0.5)
    assert sora.credits(1280, 720, 4) == 64
    assert pro.credits(1080, 1920, 4) == 160


def test_invalid_values_name_the_allowed_ones() -> None:
    models = catalog.load()
    with pytest.raises(errors.InvalidValue) as caught:
        models.resolve("veo-9")
    assert caught.value.param == "model" and "sora-2-pro" in caught.value.message
    with pytest.raises(errors.InvalidValue) as caught:
        models.resolve("sora-2").check_seconds(5)
    assert "4, 8, 12" in caught.value.message


@pytest.mark.parametrize(
    "change, problem",
    [
        ({"default_size": "1x1"}, "default_size"),
        ({"default_seconds": 5}, "default_seconds"),
        ({"sizes": ["big"]}, "WIDTHxHEIGHT"),
        ({"price_per_second": {"4k": 1.0}}, "price class"),
        ({"route": []}, "must not be empty"),
        ({"colour": "red"}, "colour"),
        ({"negative_prompt_chars": 40000}, "negative_prompt_chars"),
        ({"legacy": "maybe"}, "legacy"),
    ],
)
def test_bad_catalogue_files_are_refused_with_the_reason(
    change: dict[str, object], problem: str
) -> None:
    entry: dict[str, object] = {
        "sizes": ["1280x720"],
        "seconds": [4],
        "default_size": "1280x720",
        "default_seconds": 4,
        "route": ["animatic"],
        "price_per_second": {"720p": 0.1},
    }
    entry.update(change)
    data = {"credits_per_second": {"480p": 4, "720p": 16, "1080p": 40}, "models": {"m": entry}}
    with pytest.raises(Exception, match=problem):
        catalog.from_mapping(data)


def test_an_alias_may_not_shadow_another_model() -> None:
    base = {
        "sizes": ["1280x720"],
        "seconds": [4],
        "default_size": "1280x720",
        "default_seconds": 4,
        "route": ["animatic"],
        "price_per_second": {"720p": 0.1},
    }
    data = {
        "credits_per_second": {"480p": 4, "720p": 16, "1080p": 40},
        "models": {"a": base, "b": {**base, "aliases": ["a"]}},
    }
    with pytest.raises(ValueError, match="defined twice"):
        catalog.from_mapping(data)


def test_optional_open_models_are_served_only_where_their_engine_is_configured(
    tmp_path: Path,
) -> None:
    from reelway import settings as settings_module
    from reelway.runtime import load_catalog

    plain = load_catalog(settings_module.from_env({}, data_dir=tmp_path))
    assert plain.get("wan-2.2-5b") is None and plain.get("ltx-video") is None
    assert plain.get("sora-2") is not None
    folder = tmp_path / "wan"
    folder.mkdir()
    (folder / "model_index.json").write_text('{"_class_name": "WanPipeline"}')
    config = tmp_path / "reelway.toml"
    config.write_text(f'[engines.wan]\ntype = "diffusers"\nmodel_path = "{folder}"\n')
    served = load_catalog(settings_module.from_env({}, data_dir=tmp_path, config=config))
    wan = served.resolve("wan-2.2-5b")
    assert wan.route == ("wan",) and wan.optional
    assert served.get("ltx-video") is None  # its engine ("ltx") is still not configured
    # A model that is not optional still stops start-up when its engine is unknown.
    kept, left = catalog.load().servable(lambda name: False)
    assert set(left) == {"wan-2.2-5b", "ltx-video"} and kept.get("sora-2") is not None
