"""Settings come from REELWAY_* variables and flags, typed and checked once."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelway import settings


def test_environment_values_are_typed() -> None:
    s = settings.from_env(
        {
            "REELWAY_WORKERS": "3",
            "REELWAY_LEASE_SECONDS": "12.5",
            "REELWAY_FETCH_ALLOW_PRIVATE_NETWORKS": "yes",
            "REELWAY_DATA_DIR": "/srv/rw",
        }
    )
    assert (s.workers, s.lease_seconds, s.fetch_allow_private_networks) == (3, 12.5, True)
    assert s.data_dir == Path("/srv/rw")
    assert s.resolved_database_url == "sqlite:////srv/rw/reelway.db"
    assert s.resolved_storage_url == "/srv/rw/files"


def test_flags_override_the_environment() -> None:
    s = settings.from_env({"REELWAY_PORT": "9000"}, port=9100, host=None)
    assert (s.port, s.host) == (9100, "127.0.0.1")


@pytest.mark.parametrize(
    "env, message",
    [
        ({"REELWAY_WORKERS": "many"}, "REELWAY_WORKERS"),
        ({"REELWAY_WORKERS": "-1"}, "workers"),
        ({"REELWAY_LEASE_SECONDS": "1", "REELWAY_HEARTBEAT_SECONDS": "2"}, "lease_seconds"),
        ({"REELWAY_FETCH_ALLOW_PRIVATE_NETWORKS": "maybe"}, "FETCH_ALLOW"),
    ],
)
def test_bad_values_are_refused_with_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        settings.from_env(env)


def test_engine_options_are_json() -> None:
    s = settings.from_env({"REELWAY_ENGINE_OPTIONS": '{"animatic": {"fps": 30}}'})
    assert s.engine_options == {"animatic": {"fps": 30}}
    with pytest.raises(ValueError, match="ENGINE_OPTIONS"):
        settings.from_env({"REELWAY_ENGINE_OPTIONS": '{"animatic": 30}'})
    with pytest.raises(ValueError, match="not valid JSON"):
        settings.from_env({"REELWAY_ENGINE_OPTIONS": "{fps"})


def test_every_setting_is_documented() -> None:
    import dataclasses

    docs = (Path(__file__).resolve().parents[2] / "docs" / "configuration.md").read_text()
    for field in dataclasses.fields(settings.Settings):
        assert f"REELWAY_{field.name.upper()}" in docs, field.name
