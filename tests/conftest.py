"""Fixtures every suite shares: the deployments (SQLite + files, PostgreSQL + S3), and the
small real MP4 that fake providers serve."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reelway.engines import base
from reelway.engines.animatic.engine import AnimaticEngine
from tests import backends

pytest_plugins = ["tests.netguard_plugin"]  # no test reaches beyond loopback (tests/netguard.py)


@pytest.fixture(scope="session")
def clip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A small real MP4 (320x180, 1 s) that every fake provider serves as its result."""
    folder = tmp_path_factory.mktemp("clip")
    output = base.RenderOutput(folder / "v.mp4", folder / "t.webp", folder / "s.jpg")
    request = base.GenerationRequest("video_clip", "fake", "a kite over a beach", 320, 180, 1, 1)
    AnimaticEngine().render(request, output, lambda _: None)
    return output.video.read_bytes()


@pytest.fixture(scope="session")
def postgres_missing() -> str | None:
    return backends.postgres_missing()


@pytest.fixture(scope="session")
def moto() -> Iterator[backends.MotoServer]:
    """One S3 server (moto's, on loopback) for the whole session."""
    server = backends.MotoServer()
    yield server
    server.stop()


def deployment_for(
    request: pytest.FixtureRequest,
    name: str,
    data_dir: Path,
    postgres_missing: str | None,
    moto: backends.MotoServer,
) -> backends.Deployment:
    if name == "postgres" and postgres_missing:
        pytest.skip(postgres_missing)
    deployment = backends.make_deployment(name, data_dir, moto)
    request.addfinalizer(deployment.close)
    return deployment


@pytest.fixture(params=backends.BACKENDS)
def deployment(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    postgres_missing: str | None,
    moto: backends.MotoServer,
) -> backends.Deployment:
    """A fresh deployment of each kind for one test."""
    return deployment_for(request, request.param, tmp_path / "data", postgres_missing, moto)


@pytest.fixture
def postgres_deployment(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    postgres_missing: str | None,
    moto: backends.MotoServer,
) -> backends.Deployment:
    """A PostgreSQL + S3 deployment, for tests about PostgreSQL alone."""
    return deployment_for(request, "postgres", tmp_path / "data", postgres_missing, moto)
