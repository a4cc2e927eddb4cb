"""``python -m bench.gpu_check`` runs on a CPU with a tiny model and prints the table the docs
quote: one row per size, every column filled with a number that means something."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from bench import gpu_check

TINY_ENV = {"HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
"""Tiny models gain nothing from torch's thread pool, whose spinning threads only slow them
when other work shares the cores; and nothing is ever fetched from a hub."""

ROOT = Path(__file__).resolve().parents[2]


def run_check(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench.gpu_check", *args],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=ROOT,
        env={**os.environ, **TINY_ENV},
        check=False,
    )


def rows_of(table: str) -> list[list[str]]:
    lines = [line for line in table.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]


@pytest.mark.parametrize("family", ["wan", "ltx"])
def test_the_tiny_check_prints_a_markdown_table(family: str) -> None:
    result = run_check(
        "--tiny", family, "--device", "cpu", "--sizes", "64x32,96x96", "--seconds", "1",
        "--steps", "2", "--native-size", "64x32", "--fps", "8",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    header, rule, *rows = rows_of(result.stdout)
    assert header == list(gpu_check.COLUMNS)
    assert set(rule) == {"---"}
    assert [row[0] for row in rows] == ["64x32", "96x96"]
    for row in rows:
        cells = dict(zip(header, row, strict=True))
        assert cells["frames"] == "8" and cells["segments"] == "1" and cells["steps"] == "2"
        assert float(cells["wall s"]) > 0
        assert float(cells["wall s per video s"]) == pytest.approx(float(cells["wall s"]), 0.1)
        assert float(cells["steps/s"]) > 0
        assert float(cells["peak memory GiB"]) > 0
    assert "device cpu" in result.stdout and "load " in result.stdout


def test_sizes_by_name_or_width_by_height() -> None:
    assert gpu_check.parse_size("720p") == (1280, 720)
    assert gpu_check.parse_size("480p") == (848, 480)
    assert gpu_check.parse_size("96x64") == (96, 64)
    with pytest.raises(ValueError, match="480p, 720p, 1080p or WxH"):
        gpu_check.parse_size("huge")


def test_a_model_path_or_tiny_is_required() -> None:
    result = run_check("--device", "cpu")
    assert result.returncode == 2
    assert "--model-path" in result.stderr


def test_a_bad_size_is_a_usage_error() -> None:
    result = run_check("--tiny", "wan", "--sizes", "480p,huge")
    assert result.returncode == 2
    assert "480p, 720p, 1080p or WxH, got 'huge'" in result.stderr
