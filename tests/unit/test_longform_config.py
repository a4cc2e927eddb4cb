"""The config file's ``capabilities`` key: a route says what it serves, and start-up reads it."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelway import catalog, config_file
from reelway.engines.directory import EngineDirectory

HOSTED_ONLY = """
[engines.plain]
type = "openai_compat"
base_url = "http://127.0.0.1:9/v1"
capabilities = ["remix"]

[models."sora-2"]
route = ["plain"]
"""


def _gaps(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "reelway.toml"
    path.write_text(text)
    config = config_file.load(path, {})
    engines = EngineDirectory(config.engines)
    models, _ = config.apply(catalog.load()).servable(engines.known)
    return [gap for model in models.models for gap in engines.gaps(model)]


def test_the_catalogue_offers_edits_extensions_and_characters_a_plain_route_cannot_serve(
    tmp_path: Path,
) -> None:
    found = " ".join(_gaps(tmp_path, HOSTED_ONLY))
    assert "'edits'" in found and "'characters'" in found


def test_capabilities_in_a_model_table_replace_what_the_model_offers(tmp_path: Path) -> None:
    text = HOSTED_ONLY + 'capabilities = ["remix"]\n'
    assert _gaps(tmp_path, text) == []
    path = tmp_path / "reelway.toml"
    sora = config_file.load(path, {}).apply(catalog.load()).resolve("sora-2")
    assert sora.capabilities == {catalog.Capability.REMIX}
    assert sora.route == ("plain",)


def test_capabilities_alone_keep_the_catalogue_route(tmp_path: Path) -> None:
    path = tmp_path / "reelway.toml"
    path.write_text('[models."sora-2-pro"]\ncapabilities = ["image_input"]\n')
    models = config_file.load(path, {}).apply(catalog.load())
    pro = models.resolve("sora-2-pro")
    assert pro.capabilities == {catalog.Capability.IMAGE_INPUT}
    assert pro.route == catalog.load().resolve("sora-2-pro").route
    assert catalog.Capability.EDITS in models.resolve("sora-2").capabilities


@pytest.mark.parametrize(
    "value, problem",
    [
        ('"remix"', "must be a list"),
        ('["remix", "teleport"]', "unknown ['teleport']"),
    ],
)
def test_bad_capabilities_are_named(tmp_path: Path, value: str, problem: str) -> None:
    path = tmp_path / "reelway.toml"
    path.write_text(f'[models."sora-2"]\ncapabilities = {value}\n')
    with pytest.raises(config_file.ConfigError) as caught:
        config_file.load(path, {})
    assert problem in str(caught.value) and '[models."sora-2"]' in str(caught.value)


def test_capabilities_of_a_model_the_catalogue_lacks_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "reelway.toml"
    path.write_text('[models."veo-9"]\ncapabilities = ["remix"]\n')
    with pytest.raises(ValueError, match="does not serve"):
        config_file.load(path, {}).apply(catalog.load())
