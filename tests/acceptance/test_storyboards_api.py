"""Storyboards over HTTP, on SQLite and PostgreSQL: ``POST /v1/videos/storyboards`` refuses a
bad body naming the exact parameter, answers an ordinary Video (through the official SDK)
whose ``seconds`` is the total; ``GET /v1/videos/{id}/shots`` lists the shots (each a video
of its own, absent from the video list); an Idempotency-Key replays; a storyboard that does
not fit the budget queues nothing; a shot retry is refused while the storyboard runs.

The end-to-end storyboard (rendered, stitched and decoded) is ``test_a_six_shot_storyboard``.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import httpx
import numpy as np
import openai
import pytest
from openai.types import Video
from PIL import Image

from reelway.engines import base
from reelway.engines.animatic.engine import AnimaticEngine
from tests import backends, harness, media_checks, waiting
from tests.acceptance.conftest import SERVER_ENV, finished, refused, sdk_client
from tests.acceptance.test_longform import frames_of, steps
from tests.fakes.openai import FakeOpenAI, Offer
from tests.fakes.server import Outcome

pytestmark = pytest.mark.slow

SHOTS = [
    {"prompt": "A lighthouse at dawn, waves below", "seconds": "4"},
    {"prompt": "Gulls over the lighthouse", "seconds": "8", "transition": "crossfade"},
    {"prompt": "The lamp turns on as night falls", "seconds": "4", "transition": "continue"},
]
BODY: dict[str, Any] = {"model": "sora-2", "size": "720x1280", "shots": SHOTS}
"""A 16 s storyboard of three shots: $0.40 + $0.80 + $0.40 at sora-2's 720p price."""


def _with(**changes: Any) -> dict[str, Any]:
    return {**BODY, "shots": [dict(s) for s in SHOTS], **changes}


def _shot(index: int, **changes: Any) -> dict[str, Any]:
    body = _with()
    body["shots"][index].update(changes)
    return body


def _png_url(width: int, height: int) -> str:
    image = media_checks.solid_image(width, height, "PNG", (200, 80, 40))
    return "data:image/png;base64," + base64.b64encode(image).decode()


class Api:
    """Plain HTTP to one server with one project's key (nothing retried behind our back)."""

    def __init__(self, server: harness.Server, key: str) -> None:
        self.http = httpx.Client(
            base_url=server.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=60
        )

    def create(self, body: Any, key: str | None = None) -> httpx.Response:
        headers = {"Idempotency-Key": key} if key else {}
        return self.http.post("/videos/storyboards", json=body, headers=headers)

    def shots(self, video_id: str) -> httpx.Response:
        return self.http.get(f"/videos/{video_id}/shots")

    def retry(self, video_id: str, index: object, body: Any = None) -> httpx.Response:
        return self.http.post(f"/videos/{video_id}/shots/{index}/retry", json=body or {})


@pytest.fixture(scope="module")
def api(server: harness.Server) -> Iterator[Api]:
    client = Api(server, server.create_key("storyboards"))
    yield client
    client.http.close()


BAD: list[tuple[str, dict[str, Any], str, str]] = [
    ("unknown field", _with(prompt="one prompt"), "unknown_parameter", "prompt"),
    ("no shots", {"model": "sora-2"}, "missing_required_parameter", "shots"),
    ("one shot", _with(shots=SHOTS[:1]), "invalid_value", "shots"),
    ("33 shots", _with(shots=[SHOTS[0]] * 33), "invalid_value", "shots"),
    ("shot not an object", _with(shots=[SHOTS[0], "gulls"]), "invalid_value", "shots[1]"),
    ("size the model lacks", _with(size="640x480"), "invalid_value", "size"),
    ("unknown model", _with(model="sora-9"), "invalid_value", "model"),
    ("bad soundtrack", _with(soundtrack="loud"), "invalid_value", "soundtrack"),
    ("bad seed", _with(seed="minus one"), "invalid_value", "seed"),
    ("shot without prompt", _shot(1, prompt=None), "missing_required_parameter", "shots[1].prompt"),
    ("shot with empty prompt", _shot(2, prompt=""), "invalid_value", "shots[2].prompt"),
    ("shot without seconds", _shot(0, seconds=None), "missing_required_parameter",
     "shots[0].seconds"),
    ("seconds the model lacks", _shot(2, seconds="5"), "invalid_value", "shots[2].seconds"),
    ("unknown shot field", _shot(1, size="720x1280"), "unknown_parameter", "shots[1].size"),
    ("unknown shot model", _shot(1, model="nope"), "invalid_value", "shots[1].model"),
    ("shot model lacks the size", _shot(1, model="wan-2.2-5b"), "invalid_value",
     "shots[1].model"),
    ("first shot continues", _shot(0, transition="continue"), "invalid_value",
     "shots[0].transition"),
    ("first shot crossfades", _shot(0, transition="crossfade"), "invalid_value",
     "shots[0].transition"),
    ("unknown transition", _shot(1, transition="wipe"), "invalid_value", "shots[1].transition"),
    ("continue with an image", _shot(2, input_reference={"image_url": _png_url(720, 1280)}),
     "invalid_value", "shots[2].input_reference"),
    ("crossfade on a cut", _shot(0, crossfade_seconds=0.5), "invalid_value",
     "shots[0].crossfade_seconds"),
    ("crossfade too long", _shot(1, crossfade_seconds=2.5), "invalid_value",
     "shots[1].crossfade_seconds"),
    ("crossfade not positive", _shot(1, crossfade_seconds=-1), "invalid_value",
     "shots[1].crossfade_seconds"),
    ("image of the wrong size", _shot(1, input_reference={"image_url": _png_url(64, 64)}),
     "image_size_mismatch", "shots[1].input_reference.image_url"),
    ("image object with an unknown key", _shot(1, input_reference={"url": "x"}),
     "unknown_parameter", "shots[1].input_reference.url"),
    ("blocked prompt", _shot(2, prompt="a soldier aiming a rifle across a field"),
     "sentinel_block", "shots[2].prompt"),
    ("unknown character", _shot(0, characters=[{"id": "char_0123456789abcdef"}]),
     "character_not_found", "shots[0].characters[0].id"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "code", "param"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_a_bad_storyboard_is_refused_naming_the_parameter(
    api: Api, body: dict[str, Any], code: str, param: str
) -> None:
    status = 404 if code == "character_not_found" else 400
    refused(api.create(body), code, param, status)


def test_the_answer_is_a_video_of_the_total_length_with_its_shots_listed(
    server: harness.Server, api: Api, client: openai.OpenAI
) -> None:
    with sdk_client(server, api.http.headers["Authorization"][7:]) as sdk:
        video = sdk.post("/videos/storyboards", body=BODY, cast_to=Video)
        assert (video.object, video.model, video.size) == ("video", "sora-2", "720x1280")
        assert video.seconds == "16", "the total: crossfades do not shorten it"
        assert video.prompt == "\n".join(s["prompt"] for s in SHOTS)
        assert video.status in ("queued", "in_progress") and video.error is None
        assert sdk.videos.retrieve(video.id).seconds == "16"

        answer = api.shots(video.id)
        assert answer.status_code == 200, answer.text
        listed = answer.json()
        assert listed["object"] == "list"
        shots = listed["data"]
        assert [s["index"] for s in shots] == [0, 1, 2]
        assert [s["seconds"] for s in shots] == ["4", "8", "4"]
        assert [s["transition"] for s in shots] == ["cut", "crossfade", "continue"]
        assert [s["prompt"] for s in shots] == [s["prompt"] for s in SHOTS]
        assert [s["cost_usd"] for s in shots] == [0.4, 0.8, 0.4], "each shot's reservation"
        for shot in shots:
            assert set(shot) == {
                "index", "status", "progress", "prompt", "seconds", "transition", "engine",
                "cost_usd", "error", "video_id",
            }  # fmt: skip
            assert shot["status"] in ("queued", "in_progress", "completed"), shot
            assert shot["error"] is None
            # Each shot is a video of the project, retrievable by id, not in the list.
            assert sdk.videos.retrieve(shot["video_id"]).seconds == shot["seconds"]
        listed_ids = [v.id for v in sdk.videos.list(limit=100).data]
        assert video.id in listed_ids
        assert not {s["video_id"] for s in shots} & set(listed_ids), "shots stay out of lists"

        # Shots of a shot, or of an unknown video: 400 not_a_storyboard, 404.
        refused(api.shots(shots[0]["video_id"]), "not_a_storyboard", "video_id")
        refused(api.shots("video_0123456789abcdef0123"), "video_not_found", "video_id", 404)
        # Another project sees nothing.
        refused(
            httpx.get(
                f"{server.base_url}/videos/{video.id}/shots",
                headers={"Authorization": f"Bearer {client.api_key}"},
            ),
            "video_not_found",
            "video_id",
            404,
        )

        # A retry while the storyboard runs, of a shot it does not have, of a non-storyboard.
        refused(api.retry(video.id, 0), "shot_not_retryable", "index")
        refused(api.retry(video.id, 3), "invalid_value", "index")
        refused(api.retry(video.id, "x"), "invalid_value", "index")
        refused(api.retry(video.id, 0, {"seed": 1}), "unknown_parameter", "seed")
        refused(api.retry(shots[1]["video_id"], 0), "not_a_storyboard", "video_id")
        sdk.videos.delete(video.id)  # cancels its shots: the shared workers move on


def test_an_idempotency_key_replays_the_storyboard(api: Api) -> None:
    body = _with(seed=11)
    first = api.create(body, key="storyboard-once")
    assert first.status_code == 200, first.text
    again = api.create(body, key="storyboard-once")
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"
    assert len(api.shots(first.json()["id"]).json()["data"]) == 3, "no second set of shots"
    other = _with(seed=12)
    refused(
        api.create(other, key="storyboard-once"), "idempotency_key_reused", "Idempotency-Key", 422
    )
    api.http.delete(f"/videos/{first.json()['id']}").raise_for_status()


def test_a_storyboard_over_the_budget_queues_no_shot(server: harness.Server) -> None:
    server.cli("projects", "create", "storyboard-budget", "--budget-usd", "1.20")
    thrifty = Api(server, server.create_key("storyboard-budget"))
    with thrifty.http:
        two_eights = _with(shots=[{"prompt": "a", "seconds": "8"}, {"prompt": "b", "seconds": "8"}])
        answer = thrifty.create(two_eights)  # $1.60
        assert answer.status_code == 429, answer.text
        assert answer.json()["error"]["code"] == "budget_exceeded"
        assert thrifty.http.get("/videos").json()["data"] == []

        fits = _with(shots=[{"prompt": "a", "seconds": "4"}, {"prompt": "b", "seconds": "4"}])
        made = thrifty.create(fits)  # $0.80 of $1.20
        assert made.status_code == 200, made.text
        # $0.40 left: the first shot alone would fit, the second not, so neither is queued.
        answer = thrifty.create(fits)
        assert answer.status_code == 429, answer.text
        assert answer.json()["error"]["code"] == "budget_exceeded"
        listed = thrifty.http.get("/videos").json()["data"]
        assert [v["id"] for v in listed] == [made.json()["id"]]
        thrifty.http.delete(f"/videos/{made.json()['id']}").raise_for_status()


# ------------------------------------------------------------------------ end to end

E2E_CATALOG = """\
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
[models."far"]
sizes = ["64x64"]
seconds = [1]
default_size = "64x64"
default_seconds = 1
route = ["animatic"]
capabilities = ["audio"]
[models."far".price_per_second]
"480p" = 0.02
"""
"""``tiny``: the animatic engine at 64x64; ``far``: the fake provider (the config routes it)."""
FAR_KEY = "sk-storyboard-far"
SIX_SHOTS: list[dict[str, Any]] = [
    {"prompt": "A red kite over a beach", "seconds": "2"},
    {"prompt": "far: a lighthouse", "seconds": "1", "model": "far"},
    {"prompt": "A green field in wind", "seconds": "2", "transition": "crossfade",
     "crossfade_seconds": 0.4},
    {"prompt": "The field at dusk", "seconds": "1", "transition": "continue"},
    {"prompt": "far: the lighthouse at night", "seconds": "1", "model": "far",
     "transition": "crossfade"},
    {"prompt": "A blue boat on a lake", "seconds": "1"},
]  # fmt: skip
"""8 s: animatic and provider shots, cuts, crossfades (0.4 s and the default 0.5 s), and a
continue from the animatic's shot 2."""


@pytest.fixture
def far_provider(tmp_path: Path) -> Iterator[FakeOpenAI]:
    """The fake provider: every job is one 1 s 64x64 animatic clip with a picture of its own."""
    output = base.RenderOutput(tmp_path / "v.mp4", tmp_path / "t.webp", tmp_path / "s.jpg")
    request = base.GenerationRequest("video_far", "far", "a lighthouse", 64, 64, 1, 99)
    AnimaticEngine().render(request, output, lambda _: None)
    offer = Offer(("far",), ("64x64",), ("1",), "far", "64x64", "1")
    provider = FakeOpenAI(output.video.read_bytes(), api_key=FAR_KEY, offer=offer)
    yield provider
    provider.close()


def _two_engines(
    deployment: backends.Deployment,
    processes: list[harness.Process],
    far_provider: FakeOpenAI,
    folder: Path,
) -> harness.Server:
    """A server whose ``tiny`` renders on the animatic and ``far`` on the fake provider."""
    (folder / "catalog.toml").write_text(E2E_CATALOG)
    config = folder / "engines.toml"
    config.write_text(
        f'[engines.remote]\ntype = "openai_compat"\nbase_url = "{far_provider.v1}"\n'
        f'api_key = "{FAR_KEY}"\n\n[models."far"]\nroute = ["remote"]\n'
    )
    env = {
        **SERVER_ENV,
        "REELWAY_WORKERS": "3",
        "REELWAY_CATALOG": str(folder / "catalog.toml"),
        "REELWAY_CONFIG": str(config),
        "REELWAY_STORYBOARD_POLL_SECONDS": "0.1",
        "REELWAY_REMOTE_POLL_SECONDS": "0.1",
    }
    server = harness.Server(deployment, env)
    processes.append(server)
    return server


def test_a_six_shot_storyboard_renders_on_two_engines_and_joins_in_place(
    deployment: backends.Deployment,
    processes: list[harness.Process],
    far_provider: FakeOpenAI,
    tmp_path: Path,
) -> None:
    server = _two_engines(deployment, processes, far_provider, tmp_path)
    key = server.create_key("six-shots")
    api = Api(server, key)
    with sdk_client(server, key) as sdk, api.http:
        body = {"model": "tiny", "size": "64x64", "seed": 3, "shots": SIX_SHOTS}
        created = sdk.post("/videos/storyboards", body=body, cast_to=Video)
        assert created.seconds == "8"
        video = finished(sdk, created.id)
        assert video.status == "completed", video.error
        assert (video.seconds, video.progress, video.size) == ("8", 100, "64x64")
        shots = api.shots(video.id).json()["data"]
        assert [s["status"] for s in shots] == ["completed"] * 6, shots
        engines = [s["engine"] for s in shots]
        assert engines == ["animatic", "remote", "animatic", "animatic", "remote", "animatic"]
        assert far_provider.creates() == 2, "each provider shot submitted once"
        assert all(s["cost_usd"] > 0 for s in shots), shots
        whole = frames_of(sdk.videos.download_content(video.id).read())
        parts = [frames_of(sdk.videos.download_content(s["video_id"]).read()) for s in shots]
    assert server.terminate() == 0, server.output[-4000:]
    assert "Traceback" not in server.output, server.output[-4000:]

    assert (whole.width, whole.height) == (64, 64)
    assert abs(whole.duration - 8) <= 0.1, whole.duration
    starts = np.cumsum([0] + [len(p.luma) for p in parts])
    assert starts[-1] == len(whole.luma), (starts, len(whole.luma))
    # Each shot's segment is in place: its middle frame is that shot's (the provider's two
    # shots are the same clip), and not its neighbours'.
    for index, part in enumerate(parts):
        middle = len(part.luma) // 2
        frame = whole.luma[starts[index] + middle]
        distances = [float(np.abs(frame - p.luma[len(p.luma) // 2]).mean()) for p in parts]
        assert distances[index] == min(distances) <= 2.0, (index, distances)
        neighbours = [distances[j] for j in (index - 1, index + 1) if 0 <= j < len(parts)]
        assert min(neighbours) > 4.0, (index, distances)
    # The continue shot starts where shot 2 ended: no jump at that join, where the cut from
    # shot 0 to shot 1 is one by the same measure (the check is not vacuous).
    changes = steps(whole.luma)

    def jumps(join: int) -> bool:
        nearby = np.concatenate([changes[join - 12 : join], changes[join + 1 : join + 12]])
        return bool(changes[join] > 2.0 * float(nearby.max()) + 1.0)

    assert jumps(int(starts[1]) - 1), "the cut to shot 1"
    assert not jumps(int(starts[3]) - 1), "a jump where shot 3 continues shot 2"
    # Sound throughout: as long as the video, with no gap or click at any join.
    assert whole.sound is not None, "the storyboard lost its soundtrack"
    assert abs(len(whole.sound) / whole.rate - 8) <= 0.15
    level = float(np.sqrt(np.mean(whole.sound**2)))
    assert level > 1e-3, "a silent soundtrack"
    window = whole.rate // 20
    chunks = whole.sound[: len(whole.sound) // window * window].reshape(-1, window)
    # Leave out the soundtrack's own fade-in (0.3 s) and fade-out at the ends of the video.
    loudness = np.sqrt((chunks**2).mean(axis=1))[7:-2]
    quiet = int(loudness.argmin())
    assert loudness[quiet] >= 0.4 * level, (
        f"a dip in the sound at {(quiet + 7) * 0.05:.2f} s: {loudness[quiet]}"
    )


def test_a_failed_shot_fails_the_storyboard_and_its_retry_completes_it(
    deployment: backends.Deployment,
    processes: list[harness.Process],
    far_provider: FakeOpenAI,
    tmp_path: Path,
) -> None:
    server = _two_engines(deployment, processes, far_provider, tmp_path)
    far_provider.next_outcome(Outcome("moderated", after=2.0))  # its first job, for good
    key = server.create_key("retry")
    api = Api(server, key)
    shots = [
        {"prompt": "A red kite over a beach", "seconds": "1"},
        {"prompt": "far: a lighthouse", "seconds": "1", "model": "far"},
        {"prompt": "The lighthouse at dusk", "seconds": "1", "transition": "continue"},
    ]
    with sdk_client(server, key) as sdk, api.http:
        created = api.create({"model": "tiny", "size": "64x64", "shots": shots}).json()
        failed = finished(sdk, created["id"])
        assert failed.status == "failed" and failed.error is not None, failed
        assert failed.error.code == "storyboard_shot_failed", failed.error
        # Shot 0 (a second on the animatic) usually finished first and is kept; if it was
        # still rendering, it was cancelled with the continue shot (and is retried with it).
        listed = waiting.until(
            lambda: api.shots(failed.id).json()["data"],
            lambda found: all(s["status"] in ("completed", "failed") for s in found),
            limit=60,
            what="the shots to stop",
        )
        assert [s["status"] for s in listed][1:] == ["failed", "failed"], listed
        assert listed[1]["error"]["code"] == "moderation_blocked", listed[1]
        assert listed[2]["error"]["code"] == "cancelled", "the continue shot never started"
        kept = listed[0]
        if kept["status"] == "completed":  # a shot that succeeded is not retried
            refused(api.retry(failed.id, 0), "shot_not_retryable", "index")

        # The failed shot is retried with a new prompt, with the shots cancelled with it.
        again = api.retry(failed.id, 1, {"prompt": "far: a lighthouse in fog"})
        assert again.status_code == 200, again.text
        assert again.json()["id"] == failed.id
        assert again.json()["status"] in ("queued", "in_progress"), again.json()
        done = finished(sdk, failed.id)
        assert done.status == "completed", done.error
        assert done.seconds == "3" and done.error is None
        listed = api.shots(done.id).json()["data"]
        assert [s["status"] for s in listed] == ["completed"] * 3, listed
        assert listed[1]["prompt"] == "far: a lighthouse in fog"
        if kept["status"] == "completed":
            assert listed[0] == kept, "the finished shot was kept as it was, charged once"
        assert far_provider.creates() == 2, "the failed shot once, its retry once"
        facts = media_checks.decode_mp4(sdk.videos.download_content(done.id).read())
        assert abs(facts.duration - 3) <= 0.1, facts.duration
    assert server.terminate() == 0, server.output[-4000:]


def test_a_storyboard_counts_as_one_request(server: harness.Server) -> None:
    server.cli("projects", "create", "storyboard-rpm", "--rpm", "1")
    once = Api(server, server.create_key("storyboard-rpm"))
    with once.http:
        first = once.create(_with())  # three shots, one request of the minute's one
        assert first.status_code == 200, first.text
        again = once.create(_with())
        assert again.status_code == 429, again.text
        assert again.json()["error"]["code"] == "rate_limit_requests_per_minute"
        once.http.delete(f"/videos/{first.json()['id']}").raise_for_status()


def _multipart(parts: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """Form parts in this order (httpx sends plain ``data`` fields before files, which would
    move a shot's image away from the shot its ``shots[][…]`` fields describe)."""
    return [(name, value if isinstance(value, tuple) else (None, value)) for name, value in parts]


def test_a_multipart_storyboard_carries_a_shots_uploaded_image(
    server: harness.Server, api: Api
) -> None:
    """A shot with an uploaded image comes as multipart/form-data, in the SDKs' bracket
    notation (``shots[][prompt]``): the image starts that shot, and form fields such as
    ``crossfade_seconds`` arrive as strings and are read as numbers."""
    color = (200, 80, 40)
    png = media_checks.solid_image(720, 1280, "PNG", color)
    parts = [
        ("model", "sora-2"),
        ("size", "720x1280"),
        ("seed", "5"),
        ("shots[][prompt]", "A red door in a lighthouse wall"),
        ("shots[][seconds]", "4"),
        ("shots[][input_reference]", ("door.png", png, "image/png")),
        ("shots[][prompt]", "Gulls over the lighthouse"),
        ("shots[][seconds]", "4"),
        ("shots[][transition]", "crossfade"),
        ("shots[][crossfade_seconds]", "0.4"),
    ]
    made = api.http.post("/videos/storyboards", files=_multipart(parts))
    assert made.status_code == 200, made.text
    board = made.json()
    assert board["seconds"] == "8" and board["size"] == "720x1280"
    shots = api.shots(board["id"]).json()["data"]
    assert [s["transition"] for s in shots] == ["cut", "crossfade"]
    with sdk_client(server, api.http.headers["Authorization"][7:]) as sdk:
        video = finished(sdk, board["id"])
        assert video.status == "completed", video.error
        data = sdk.videos.download_content(video.id).read()
    with av.open(io.BytesIO(data), "r") as container:
        first = next(container.decode(video=0)).to_ndarray(format="rgb24").astype(np.float32)
    expected = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.float32)
    assert float(np.abs(first - expected).mean()) < 12, "the upload starts its shot"

    # A form number that is not one is refused by name, as in JSON.
    bad = [(n, "0.4 s" if n.endswith("[crossfade_seconds]") else v) for n, v in parts]
    refused(
        api.http.post("/videos/storyboards", files=_multipart(bad)),
        "invalid_value",
        "shots[1].crossfade_seconds",
    )
