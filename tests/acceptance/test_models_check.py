"""``reelway models check``, run as the real CLI against tiny model folders built offline."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests import harness, tiny_models

TINY_ENV = {"HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
"""Tiny models gain nothing from torch's thread pool, whose spinning threads only slow them
when other work shares the cores; and nothing is ever fetched from a hub."""

TIMEOUT = 180


@pytest.fixture(scope="module")
def wan_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_models.build_wan22(tmp_path_factory.mktemp("models") / "wan22")


def check(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        harness.reelway_cmd("models", "check", *args),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env={**os.environ, **TINY_ENV},
        check=False,
    )


def test_a_working_folder_is_loaded_and_generates(wan_folder: Path) -> None:
    result = check(str(wan_folder))
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "wan-i2v" in out and "Wan 2.2 TI2V-5B" in out
    assert "16:9 1280x704" in out and "9:16 704x1280" in out
    assert "fps:           24" in out
    assert "device:        cpu" in out
    assert "256x128 x 5 frames, 2 steps" in out
    assert out.rstrip().endswith("OK")


def test_json_report_has_the_numbers(wan_folder: Path) -> None:
    result = check(str(wan_folder), "--json", "--device", "cpu", "--pipeline", "wan-i2v")
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["family"] == "wan-i2v"
    assert report["native_sizes"] == {"16:9": "1280x704", "9:16": "704x1280", "1:1": "960x960"}
    assert report["fps"] == 24 and report["segment_seconds"] == 5.0
    assert report["device"] == "cpu"
    assert report["load_seconds"] > 0 and report["generation_seconds"] > 0
    assert report["memory_bytes"] > 0


def test_an_empty_folder_says_it_has_no_model_index(tmp_path: Path) -> None:
    result = check(str(tmp_path))
    assert result.returncode == 1
    assert "has no model_index.json" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_folder_is_named(tmp_path: Path) -> None:
    result = check(str(tmp_path / "nowhere"))
    assert result.returncode == 1
    assert "does not exist" in result.stderr and "Traceback" not in result.stderr


def test_deleted_transformer_weights_are_named(wan_folder: Path, tmp_path: Path) -> None:
    torn = shutil.copytree(wan_folder, tmp_path / "torn")
    for weights in (torn / "transformer").glob("*.safetensors"):
        weights.unlink()
    result = check(str(torn))
    assert result.returncode == 1, result.stdout
    assert "missing: transformer/*.safetensors" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_pipeline_that_does_not_match_the_folder_is_refused(wan_folder: Path) -> None:
    result = check(str(wan_folder), "--pipeline", "ltx")
    assert result.returncode == 1
    assert "holds a 'wan-i2v' model" in result.stderr


def test_an_unknown_device_is_refused(wan_folder: Path) -> None:
    result = check(str(wan_folder), "--device", "tpu")
    assert result.returncode == 1
    assert "--device must be cpu, cuda or cuda:N" in result.stderr


def test_torn_weights_are_a_message_not_a_traceback(wan_folder: Path, tmp_path: Path) -> None:
    torn = shutil.copytree(wan_folder, tmp_path / "torn")
    for weights in (torn / "transformer").glob("*.safetensors"):
        weights.write_bytes(weights.read_bytes()[:100])
    result = check(str(torn))
    assert result.returncode == 1, result.stdout
    assert f"cannot load {torn} on cpu" in result.stderr
    assert "Traceback" not in result.stderr
