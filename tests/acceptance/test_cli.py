"""The CLI contract scripts rely on: keys, generate (remote and embedded), migrate."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests import backends, harness, media_checks


def test_generate_against_a_server(server, tmp_path: Path) -> None:
    key = server.create_key("cli")
    image = tmp_path / "first.png"
    image.write_bytes(media_checks.solid_image(1280, 720, "PNG", (90, 30, 120)))
    out = tmp_path / "out.mp4"
    result = subprocess.run(
        harness.reelway_cmd(
            "generate",
            "a purple sky over a desert, pan left",
            "--size",
            "1280x720",
            "--seconds",
            "4",
            "--image",
            str(image),
            "-o",
            str(out),
            "--base-url",
            server.base_url,
            "--api-key",
            key,
        ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "saved" in result.stdout
    facts = media_checks.decode_mp4(out.read_bytes())
    assert (facts.width, facts.height, facts.audio_codec) == (1280, 720, "aac")


def test_generate_reports_a_bad_request_clearly(server) -> None:
    key = server.create_key("cli")
    result = subprocess.run(
        harness.reelway_cmd(
            "generate", "x", "--size", "10x10", "--base-url", server.base_url, "--api-key", key
        ),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "[invalid_value]" in result.stderr and "(param: size)" in result.stderr
    assert "request id req_" in result.stderr


def test_generate_embedded_without_a_server(tmp_path: Path) -> None:
    out = tmp_path / "clip.mp4"
    stdout = harness.run_cli(
        "generate",
        "a snowman waves, static camera",
        "--seconds",
        "4",
        "-o",
        str(out),
        data_dir=tmp_path / "data",
    )
    assert "queued video_" in stdout and "saved" in stdout
    facts = media_checks.decode_mp4(out.read_bytes())
    assert (facts.width, facts.height) == (720, 1280)
    assert abs(facts.duration - 4) < 0.1


def test_keys_create_initialises_an_empty_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "fresh"
    out = harness.run_cli("keys", "create", "--project", "newproj", data_dir=data)
    secret = out.strip().splitlines()[-1]  # the secret is the last line, alone
    assert harness.KEY_LINE.fullmatch(secret), out
    assert "created project newproj" in out
    listing = harness.run_cli("keys", "list", data_dir=data)
    assert "newproj" in listing and secret not in listing
    assert "schema at revision" in harness.run_cli("migrate", data_dir=data)


def test_postgres_needs_migrate_and_says_so(postgres_deployment: backends.Deployment) -> None:
    deployment = postgres_deployment
    result = subprocess.run(
        harness.reelway_cmd("serve", "--port", "0", "--data-dir", str(deployment.data_dir)),
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **deployment.env},
        check=False,
    )
    assert result.returncode == 1
    assert "run 'reelway migrate' first" in result.stderr
    assert "Traceback" not in result.stderr
    out = harness.run_cli("migrate", data_dir=deployment.data_dir, env=deployment.env)
    assert "schema at revision" in out
