"""``reelway storyboard FILE`` as a user runs it: a subprocess against a real server.

One SQLite server for the module: the command is an HTTP client, so the database behind the
server changes nothing it does (the storyboard API's own tests run on both backends)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import backends, harness, media_checks
from tests.acceptance.conftest import SERVER_ENV
from tests.conftest import deployment_for

CATALOG = """\
[credits_per_second]
"480p" = 4
"720p" = 16
"1080p" = 40
[models."tiny"]
sizes = ["64x64"]
seconds = [1, 2]
default_size = "64x64"
default_seconds = 1
route = ["animatic"]
capabilities = ["image_input", "audio"]
[models."tiny".price_per_second]
"480p" = 0.01
[models."broken"]
sizes = ["64x64"]
seconds = [1, 2]
default_size = "64x64"
default_seconds = 1
route = ["tests.fake_engines:FailingEngine"]
[models."broken".price_per_second]
"480p" = 0.01
"""
"""``tiny``: the animatic engine at 64x64 (1 or 2 s, an input image for ``continue``);
``broken``: ``FailingEngine``, which fails a prompt saying "refuse" for good."""

THREE_SHOTS = """\
# seconds as YAML numbers: the command sends the strings the API takes
model: tiny
size: 64x64
seed: 7
shots:
  - prompt: a red kite over a beach
    seconds: 2
  - prompt: the kite dives toward the sea
    seconds: 1
    transition: crossfade
    crossfade_seconds: 0.4
  - prompt: the kite climbs again
    seconds: 1
    transition: continue
"""


@pytest.fixture(scope="module")
def server(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    moto: backends.MotoServer,
) -> Iterator[harness.Server]:
    folder = tmp_path_factory.mktemp("storyboard-cli")
    (folder / "catalog.toml").write_text(CATALOG)
    deployment = deployment_for(request, "sqlite", folder / "data", None, moto)
    env = {
        **SERVER_ENV,
        "REELWAY_CATALOG": str(folder / "catalog.toml"),
        "REELWAY_STORYBOARD_POLL_SECONDS": "0.1",
    }
    with harness.serving(deployment, env) as srv:
        yield srv


@pytest.fixture(scope="module")
def key(server: harness.Server) -> str:
    return server.create_key("storyboard-cli")


def _storyboard(
    server: harness.Server, key: str, file: Path, *extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        harness.reelway_cmd(
            "storyboard", str(file), *extra, "--base-url", server.base_url, "--api-key", key
        ),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_three_shots_render_into_one_mp4_of_the_total_length(
    server: harness.Server, key: str, tmp_path: Path
) -> None:
    board = tmp_path / "kite.yaml"
    board.write_text(THREE_SHOTS)
    out = tmp_path / "kite.mp4"
    result = _storyboard(server, key, board, "-o", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "in 3 shots" in result.stdout and f"saved {out}" in result.stdout
    # Without a terminal: plain lines, one per shot at least once, and the last says done.
    for number in ("1/3", "2/3", "3/3"):
        assert f"shot {number}" in result.stdout, result.stdout
    assert "\x1b[" not in result.stdout
    facts = media_checks.decode_mp4(out.read_bytes())
    assert (facts.width, facts.height) == (64, 64)
    assert abs(facts.duration - 4) < 0.1, facts.duration


def test_a_failed_shot_is_named_and_exits_1(
    server: harness.Server, key: str, tmp_path: Path
) -> None:
    board = tmp_path / "broken.json"
    board.write_text(
        '{"model": "tiny", "size": "64x64", "shots": ['
        '{"prompt": "a calm lake", "seconds": "1"},'
        '{"prompt": "refuse this one", "seconds": "1", "model": "broken"},'
        '{"prompt": "a boat", "seconds": "1", "transition": "continue"}]}'
    )
    out = tmp_path / "never.mp4"
    result = _storyboard(server, key, board, "-o", str(out))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "[storyboard_shot_failed]" in result.stderr, result.stderr
    assert "shot 2 (video_" in result.stderr, result.stderr
    assert "[engine_runtime_error] The fake engine refuses" in result.stderr, result.stderr
    assert "retry it: POST /v1/videos/video_" in result.stderr
    assert "/shots/1/retry" in result.stderr
    # Shot 3 continues shot 2, so it never starts: cancelled with it, not offered a retry.
    assert "shot(s) not yet made were cancelled with it" in result.stderr, result.stderr
    assert "/shots/2/retry" not in result.stderr
    assert not out.exists()


def test_a_refused_storyboard_names_the_field(
    server: harness.Server, key: str, tmp_path: Path
) -> None:
    board = tmp_path / "long.yaml"
    board.write_text(
        "model: tiny\nshots:\n  - {prompt: a, seconds: 1}\n  - {prompt: b, seconds: 3}\n"
    )
    result = _storyboard(server, key, board)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "[invalid_value]" in result.stderr and "(param: shots[1].seconds)" in result.stderr
    assert "request id req_" in result.stderr
    assert "queued" not in result.stdout


def test_a_bad_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    """Refused before any request: the address is a port nothing listens on."""

    def storyboard(file: Path) -> subprocess.CompletedProcess[str]:
        args = ("storyboard", str(file), "--base-url", "http://127.0.0.1:9/v1", "--api-key", "k")
        return subprocess.run(
            harness.reelway_cmd(*args), capture_output=True, text=True, timeout=60, check=False
        )

    board = tmp_path / "bad.yaml"
    board.write_text("model: tiny\nshots:\n  - prompt: [unclosed\n")
    result = storyboard(board)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.strip() == (
        f"Error: {board}: not valid YAML: line 4, column 1: expected ',' or ']', but got "
        "'<stream end>'"
    ), result.stderr
    listed = tmp_path / "list.yml"
    listed.write_text("- prompt: a\n- prompt: b\n")
    result = storyboard(listed)
    assert result.returncode == 2
    assert result.stderr.strip() == f"Error: {listed}: expected a mapping with 'shots', found list"
    broken_json = tmp_path / "board.json"
    broken_json.write_text('{"shots": [}')
    result = storyboard(broken_json)
    assert result.returncode == 2
    assert f"{broken_json}: not valid JSON: Expecting value: line 1 column 12" in result.stderr


def test_embedded_without_a_server(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(CATALOG)
    board = tmp_path / "kite.yml"
    board.write_text(THREE_SHOTS)
    out = tmp_path / "kite.mp4"
    env = {"REELWAY_CATALOG": str(catalog), "REELWAY_STORYBOARD_POLL_SECONDS": "0.1"}
    stdout = harness.run_cli(
        "storyboard", str(board), "-o", str(out), data_dir=tmp_path / "data", env=env
    )
    assert "in 3 shots" in stdout and "completed   100%" in stdout and "saved" in stdout
    facts = media_checks.decode_mp4(out.read_bytes())
    assert abs(facts.duration - 4) < 0.1, facts.duration
