"""Capabilities as data: the judge (unmet, gaps), the remote/local split read from engine
classes, and the start-up check that refuses a catalogue its engines cannot serve."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import pytest

from reelway import catalog, config_file
from reelway import settings as settings_module
from reelway.capabilities import EngineInfo, EngineKind, Needs, gaps, unmet
from reelway.catalog import Capability
from reelway.engines import base, registry
from reelway.engines.directory import EngineDirectory, EngineSpec
from reelway.runtime import Runtime

THIRD_PARTY = "tests.unit.test_capabilities:ThirdPartyEngine"


class ThirdPartyEngine:
    """Shaped like an engine a package registers as an entry point: remote by its KIND."""

    KIND: ClassVar[base.EngineKind] = base.EngineKind.REMOTE

    def __init__(self, endpoint: str, *, name: str = "third") -> None:
        self.endpoint, self.name = endpoint, name

    @property
    def info(self) -> EngineInfo:
        return EngineInfo(name=self.name, kind=self.KIND, seconds=frozenset({5}))

    async def submit(self, request: base.GenerationRequest) -> base.Operation:
        raise NotImplementedError

    async def poll(self, operation: base.Operation) -> base.PollResult:
        raise NotImplementedError

    async def close(self) -> None:
        pass


# ------------------------------------------------------------------------------ the judge

RICH = EngineInfo(
    name="rich",
    capabilities=frozenset({Capability.IMAGE_INPUT, Capability.AUDIO}),
    sizes=frozenset({"1280x720"}),
    seconds=frozenset({4, 8}),
)


@pytest.mark.parametrize(
    ("needs", "param"),
    [
        (Needs("1280x720", 4), None),
        (Needs("1280x720", 8, frozenset({Capability.IMAGE_INPUT})), None),
        (Needs("720x1280", 4), "size"),
        (Needs("1280x720", 12), "seconds"),
        (Needs("1280x720", 4, frozenset({Capability.CHARACTERS})), "characters"),
        (Needs("1280x720", 4, frozenset({Capability.NEGATIVE_PROMPT})), "negative_prompt"),
    ],
)
def test_unmet_names_the_parameter_an_engine_cannot_serve(needs: Needs, param: str | None) -> None:
    assert unmet(RICH, needs) == param


def test_unmet_with_open_sizes_and_seconds_checks_only_capabilities() -> None:
    open_ended = EngineInfo(name="any")
    assert unmet(open_ended, Needs("1234x568", 99)) is None
    assert unmet(open_ended, Needs("64x64", 1, frozenset({Capability.IMAGE_INPUT}))) == (
        "input_reference"
    )


def _model(**changes: Any) -> catalog.ModelSpec:
    base_model = catalog.load().get("sora-2")
    assert base_model is not None
    fields = {**base_model.__dict__, **changes}
    return catalog.ModelSpec(**fields)


def test_gaps_is_empty_when_some_engine_on_the_route_serves_each_promise() -> None:
    model = _model(
        sizes=("1280x720", "720x1280"),
        seconds=(4, 8, 12),
        capabilities=frozenset({Capability.IMAGE_INPUT, Capability.REMIX}),
        route=("veo", "anything"),
    )
    infos = {
        "veo": EngineInfo(
            name="veo", capabilities=frozenset({Capability.IMAGE_INPUT}), seconds=frozenset({4, 8})
        ),
        "anything": EngineInfo(name="anything", remix_own=True),
    }
    assert gaps(model, infos) == []


def test_gaps_names_model_engine_and_what_is_missing() -> None:
    model = _model(
        sizes=("1280x720", "1920x1080"),
        seconds=(4, 12),
        capabilities=frozenset({Capability.AUDIO}),
        route=("runway",),
    )
    infos = {
        "runway": EngineInfo(
            name="runway", sizes=frozenset({"1280x720"}), seconds=frozenset({4, 5})
        )
    }
    found = gaps(model, infos)
    assert len(found) == 3
    assert all("model 'sora-2'" in gap and "'runway'" in gap for gap in found)
    assert "'audio' capability" in found[0] and "lacks audio" in found[0]
    assert "size 1920x1080" in found[1] and "makes 1280x720" in found[1]
    assert "12 seconds" in found[2] and "makes 4, 5 s" in found[2]


# ----------------------------------------------------------------- remote/local, by class


def test_a_third_party_engine_class_is_remote_by_its_declared_kind(tmp_path: Path) -> None:
    assert registry.declared_kind(THIRD_PARTY) is EngineKind.REMOTE
    assert registry.declared_kind("animatic") is EngineKind.LOCAL
    assert registry.declared_kind("veo") is EngineKind.REMOTE
    assert registry.declared_kind("tests.unit.test_capabilities:Missing") is None
    # Routed to directly, it is refused like a built-in provider: it needs an engine table.
    path = tmp_path / "reelway.toml"
    path.write_text(f'[models."sora-2"]\nroute = ["{THIRD_PARTY}"]\n')
    with pytest.raises(config_file.ConfigError, match="a provider type"):
        config_file.load(path, {})
    # Declared in a table, it gets its configured name, as built-in remote engines do.
    directory = EngineDirectory(
        {"mine": EngineSpec(name="mine", type=THIRD_PARTY, options={"endpoint": "x"})}
    )
    assert directory.kind("mine") is EngineKind.REMOTE
    engine = directory.create("mine")
    assert isinstance(engine, ThirdPartyEngine) and engine.name == "mine"
    assert directory.info("mine") == EngineInfo(
        name="mine", kind=EngineKind.REMOTE, seconds=frozenset({5})
    )


async def test_the_directory_reads_each_engine_once_under_its_routed_name() -> None:
    directory = EngineDirectory(
        {
            "fast": EngineSpec(name="fast", type="animatic", options={"audio": False}),
            "up": EngineSpec(
                name="up",
                type="openai_compat",
                options={"base_url": "http://127.0.0.1:9/v1", "capabilities": ["image_input"]},
            ),
        }
    )
    fast = await directory.load_info("fast")
    assert fast.name == "fast" and fast.kind is EngineKind.LOCAL
    assert Capability.AUDIO not in fast.capabilities  # audio is off
    assert {Capability.IMAGE_INPUT, Capability.REMIX} <= fast.capabilities
    assert directory.info("fast") is fast
    up = await directory.load_info("up")
    assert up.kind is EngineKind.REMOTE and not up.remix_own and directory.kind("up") == "remote"


# ------------------------------------------------------------------------ start-up check

CATALOG = """
[credits_per_second]
"480p" = 4
"720p" = 16
"1080p" = 40

[models."clip"]
sizes = ["1280x720"]
seconds = [4, 8, 12]
default_size = "1280x720"
default_seconds = 4
capabilities = [{capabilities}]
route = [{route}]

[models."clip".price_per_second]
"720p" = 0.10
"""


async def _open(tmp_path: Path, engines: str, route: str, capabilities: str = "") -> Runtime:
    catalogue = tmp_path / "catalog.toml"
    catalogue.write_text(CATALOG.format(route=route, capabilities=capabilities))
    config = tmp_path / "reelway.toml"
    config.write_text(engines)
    settings = settings_module.from_env(
        {}, data_dir=tmp_path / "data", catalog=catalogue, config=config
    )
    return await Runtime.open(settings, migrate=True)


async def test_a_length_no_engine_on_the_route_makes_refuses_start_up(tmp_path: Path) -> None:
    engines = '[engines.google]\ntype = "veo"\napi_key = "k"\n'
    with pytest.raises(ValueError, match="cannot serve") as refused:
        await _open(tmp_path, engines, '"google"')
    said = str(refused.value)
    assert "model 'clip' offers 12 seconds" in said
    assert "engine 'google' makes 4, 6, 8 s" in said
    assert not (tmp_path / "data").exists(), "refused before anything was created"


async def test_image_input_on_an_upstream_declared_without_it_refuses_start_up(
    tmp_path: Path,
) -> None:
    engines = (
        '[engines.t2v]\ntype = "openai_compat"\nbase_url = "http://127.0.0.1:9/v1"\n'
        "capabilities = []\n"
    )
    with pytest.raises(ValueError) as refused:
        await _open(tmp_path, engines, '"t2v"', '"image_input"')
    said = str(refused.value)
    assert "model 'clip' offers the 'image_input' capability" in said
    assert "engine 't2v' lacks image_input" in said


async def test_an_unknown_openai_compat_capability_refuses_start_up(tmp_path: Path) -> None:
    engines = (
        '[engines.up]\ntype = "openai_compat"\nbase_url = "http://127.0.0.1:9/v1"\n'
        'capabilities = ["remix", "lipsync"]\n'
    )
    with pytest.raises(ValueError, match="engine 'up' cannot start") as refused:
        await _open(tmp_path, engines, '"up"')
    assert "unknown capabilities ['lipsync']; valid: image_input, remix, audio" in str(
        refused.value
    )


async def test_a_second_engine_that_covers_the_gap_lets_it_start(tmp_path: Path) -> None:
    engines = '[engines.google]\ntype = "veo"\napi_key = "k"\n'
    runtime = await _open(tmp_path, engines, '"google", "animatic"', '"image_input", "remix"')
    try:
        assert runtime.catalog.get("clip") is not None
    finally:
        await runtime.close()
