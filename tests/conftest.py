"""Fixtures every suite shares: the deployments (SQLite + files, PostgreSQL + S3)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import backends


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
