"""The server never imports torch unless a diffusers engine is configured, and even then
only the render child does: the API process stays lean (start-up time, memory, and a server
without the model stack installed still starts).

``reelway serve`` is run as it is deployed, with an exit hook that prints which heavy modules
the process imported; a video is made through the worker before it stops, so the check covers
building every routed engine and rendering, not only start-up.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import httpx
import pytest

from tests import harness, tiny_models, waiting

TINY_ENV = {"HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
"""Tiny models gain nothing from torch's thread pool, whose spinning threads only slow them
when other work shares the cores; and nothing is ever fetched from a hub."""

HEAVY = ("torch", "diffusers", "transformers")

# `reelway serve` as the console script runs it, plus a report of sys.modules at exit.
LAUNCHER = f"""
import atexit, json, sys
atexit.register(lambda: print("LOADED " + json.dumps(
    {{name: name in sys.modules for name in {HEAVY!r}}}), flush=True))
sys.argv = ["reelway", *sys.argv[1:]]
from reelway.cli.main import main
main()
"""

LOADED_LINE = re.compile(r"^LOADED (\{.*\})$", re.M)


def serve_and_render(tmp_path: Path, config: str | None) -> dict[str, bool]:
    """Start the server, make one video through its worker, stop it: what it imported."""
    args = [sys.executable, "-c", LAUNCHER, "serve", "--port", "0", "--no-access-log"]
    args += ["--data-dir", str(tmp_path / "data")]
    if config is not None:
        (tmp_path / "reelway.toml").write_text(config)
        args += ["--config", str(tmp_path / "reelway.toml")]
    env = {**TINY_ENV, "REELWAY_WORKERS": "1", "REELWAY_POLL_AFTER_MS": "200"}
    server = harness.Process(args, env)
    try:
        port = server.wait_for(harness.PORT_LINE, timeout=60).group(1)
        key = server.wait_for(harness.KEY_LINE).group(1)
        base = f"http://127.0.0.1:{port}/v1"
        auth = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=base, headers=auth, timeout=30) as http:
            made = http.post("/videos", json={"prompt": "a kite", "seconds": "4"})
            assert made.status_code == 200, made.text
            video = waiting.until(
                lambda: http.get(f"/videos/{made.json()['id']}").json(),
                lambda v: v["status"] in ("completed", "failed"),
                limit=120,
                what="the video to finish",
            )
            assert video["status"] == "completed", video
        assert server.terminate() == 0, server.output
    finally:
        server.kill()
    found = LOADED_LINE.search(server.output)
    assert found, server.output
    loaded: dict[str, bool] = json.loads(found.group(1))
    return loaded


def test_without_a_diffusers_engine_the_server_never_imports_torch(tmp_path: Path) -> None:
    loaded = serve_and_render(tmp_path, None)
    assert loaded == dict.fromkeys(HEAVY, False)


@pytest.fixture
def wan_config(tmp_path: Path) -> str:
    folder = tiny_models.build_wan22(tmp_path / "wan22")
    return (
        f'[engines.wan]\ntype = "diffusers"\nmodel_path = "{folder}"\ndevice = "cpu"\n'
        'native_size = "64x32"\nsteps = 2\nfps = 8\n'
        '[models."sora-2"]\nroute = ["wan"]\ncapabilities = ["image_input"]\n'
    )


def test_with_a_diffusers_engine_only_the_render_child_imports_torch(
    tmp_path: Path, wan_config: str
) -> None:
    loaded = serve_and_render(tmp_path, wan_config)
    assert loaded == dict.fromkeys(HEAVY, False)
