"""The official openai Node SDK against a real server (skipped without node or the SDK)."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests import harness, media_checks

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
SDK = NODE_DIR / "node_modules" / "openai" / "package.json"


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@pytest.mark.skipif(not SDK.exists(), reason="the openai Node SDK is not installed (make test)")
def test_node_sdk_drives_every_videos_call(server: harness.Server) -> None:
    key = server.create_key("node")
    image = media_checks.solid_image(720, 1280, "PNG", (30, 40, 200))
    result = subprocess.run(
        ["node", str(NODE_DIR / "videos.mjs")],
        capture_output=True,
        text=True,
        timeout=180,
        env={
            **os.environ,
            "OPENAI_BASE_URL": server.base_url,
            "OPENAI_API_KEY": key,
            "REFERENCE_PNG_BASE64": base64.b64encode(image).decode(),
        },
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["created"] == {"status": "queued", "size": "720x1280", "seconds": "4"}
    assert report["done"] == {"status": "completed", "progress": 100}
    assert report["content"]["type"] == "video/mp4" and report["content"]["bytes"] > 10_000
    assert report["uploaded"] == "completed"
    assert report["remix"] == {"from": True}
    assert len(report["listed"]) == 3, "the async iterator walks every one-item page"
    error = report["error"]
    assert error["isBadRequest"] and error["status"] == 400
    assert (error["code"], error["param"]) == ("invalid_value", "size")
    assert error["requestID"].startswith("req_")
    assert report["deleted"] is True
