"""A wrong setup, as a new user meets it: one clear line and a non-zero exit, no traceback.

- ``pip install reelway`` without extras, then a PostgreSQL or Redis URL: every command that
  opens the database names the extra to install.  The missing driver is simulated in the child
  process by a meta-path blocker that makes ``import asyncpg`` (or ``redis``) fail, as it does
  where the package is not installed.
- A config file naming an ``env:`` variable that is not set: ``generate``, ``serve`` and
  ``worker`` say so in one line; ``doctor`` only reads, so it works without the secrets.
- ``projects create`` on a name that exists points at ``projects update``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import harness, netguard

BLOCKED_RUN = """
import sys

BLOCKED = set(sys.argv[1].split(","))


class MissingDriver:
    \"\"\"Finds nothing for the blocked packages, as when they are not installed.\"\"\"

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, MissingDriver())
for loaded in [m for m in sys.modules if m.partition(".")[0] in BLOCKED]:
    del sys.modules[loaded]
from reelway.cli.main import cli

cli(sys.argv[2:], prog_name="reelway")
"""

PG_URL = "postgresql+asyncpg://reelway@127.0.0.1:5432/never_opened"
REDIS_URL = "redis://127.0.0.1:6379/0"


def run(
    args: list[str], env: dict[str, str], blocked: str = "", timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    command = (
        [sys.executable, "-c", BLOCKED_RUN, blocked, *args]
        if blocked
        else harness.reelway_cmd(*args)
    )
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **env},
        check=False,
    )


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    """The only line on stderr, checked to be an error and not a traceback."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode != 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert netguard.MARKER not in result.stderr, result.stderr
    assert len(lines) == 1, result.stderr
    return lines[0]


def commands(data: Path, tmp_path: Path) -> list[list[str]]:
    """Every command that opens the database, with the arguments it needs."""
    board = tmp_path / "board.yaml"
    board.write_text("shots:\n  - prompt: a lighthouse at dusk\n    seconds: 4\n", "utf-8")
    where = ["--data-dir", str(data)]
    return [
        ["serve", "--port", "0", *where],
        ["worker", *where],
        ["migrate", *where],
        ["doctor", *where],
        ["doctor", "video_missing", *where],
        ["keys", "create", "--project", "acme", *where],
        ["keys", "list", *where],
        ["projects", "create", "acme", *where],
        ["projects", "list", *where],
        ["usage", *where],
        ["webhooks", "list", "--project", "acme", *where],
        ["generate", "a kite", *where],
        ["storyboard", str(board), *where],
    ]


def test_a_postgres_url_without_the_driver_names_the_extra(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for args in commands(data, tmp_path):
        result = run(args, {"REELWAY_DATABASE_URL": PG_URL}, blocked="asyncpg,psycopg")
        line = one_line_error(result)
        assert "pip install 'reelway[postgres]'" in line, (args, line)
        assert "asyncpg" in line, (args, line)
    assert not (data / "reelway.db").exists(), "nothing may fall back to SQLite"


def test_a_postgres_url_without_a_driver_name_needs_psycopg(tmp_path: Path) -> None:
    url = "postgresql://reelway@127.0.0.1:5432/never_opened"
    result = run(
        ["migrate", "--data-dir", str(tmp_path / "data")],
        {"REELWAY_DATABASE_URL": url},
        blocked="psycopg",
    )
    line = one_line_error(result)
    assert "'psycopg' is not installed: pip install 'reelway[postgres]'" in line, line


def test_a_redis_url_without_the_client_names_the_extra(tmp_path: Path) -> None:
    for args in commands(tmp_path / "data", tmp_path)[:4]:
        result = run(args, {"REELWAY_REDIS_URL": REDIS_URL}, blocked="redis")
        line = one_line_error(result)
        assert "pip install 'reelway[redis]'" in line, (args, line)


def test_the_blocker_alone_breaks_nothing_on_sqlite(tmp_path: Path) -> None:
    """The control: with the drivers blocked but no URL that needs them, commands work."""
    result = run(
        ["projects", "list", "--data-dir", str(tmp_path / "data")],
        {},
        blocked="asyncpg,psycopg,redis",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr


# --------------------------------------------------------------------------- env: secrets

CONFIG = """
[engines.upstream]
type = "openai_compat"
base_url = "http://127.0.0.1:9/v1"
api_key = "env:REELWAY_TEST_UNSET_UPSTREAM_KEY"

[models."sora-2"]
route = ["upstream", "animatic"]
capabilities = ["image_input", "remix", "audio"]
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "engines.toml"
    path.write_text(CONFIG, "utf-8")
    return path


@pytest.fixture
def unset_env() -> dict[str, str]:
    assert "REELWAY_TEST_UNSET_UPSTREAM_KEY" not in os.environ
    return {}


@pytest.mark.parametrize(
    "args",
    [["generate", "a kite"], ["serve", "--port", "0"], ["worker"]],
    ids=["generate", "serve", "worker"],
)
def test_an_unset_env_secret_is_one_line(
    args: list[str], config: Path, tmp_path: Path, unset_env: dict[str, str]
) -> None:
    result = run([*args, "--config", str(config), "--data-dir", str(tmp_path / "data")], unset_env)
    line = one_line_error(result)
    assert "REELWAY_TEST_UNSET_UPSTREAM_KEY" in line and "not set" in line, line


def test_doctor_reads_without_the_engines_secrets(
    config: Path, tmp_path: Path, unset_env: dict[str, str]
) -> None:
    result = run(["doctor", "--config", str(config), "--data-dir", str(tmp_path / "d")], {})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "upstream" in result.stdout and "animatic" in result.stdout, result.stdout


# --------------------------------------------------------------------------- projects


def test_creating_an_existing_project_points_at_update(tmp_path: Path) -> None:
    data = tmp_path / "data"
    harness.run_cli("projects", "create", "acme", data_dir=data)
    result = run(["projects", "create", "acme", "--plan", "plus", "--data-dir", str(data)], {})
    line = one_line_error(result)
    assert "already exists" in line and "reelway projects update acme" in line, line
